"""PostgreSQL: the alias-domain lookups as PL/pgSQL functions (plans cached per connection)

Revision ID: 0008
Revises: 0007

Postfix sends every lookup as a new, unprepared statement, so PostgreSQL
plans each one afresh, and for the alias-domain maps (two views: the alias
domain's target, then the address there) planning costs more than running.
PL/pgSQL caches the plan of the statement inside a function for the life
of the connection, and Postfix keeps its connections open, so
``SELECT mailserver_alias_domain_mailbox('%u', '%d')`` is planned as a bare
function call. Same rows as the portable query files (the SQLite maps use
those; tests compare both on PostgreSQL), measured in docs/performance.md.

SECURITY INVOKER (the default): the caller still needs SELECT on the views;
EXECUTE is taken from PUBLIC and granted to the mail servers' role by
deploy/sql/mailserver-role.sql.
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# name -> (returned column, view); both take (local part, alias domain).
# An empty local part asks for the target's catch-all ('@target').
FUNCTIONS = {
    "mailserver_alias_domain_mailbox": ("address", "mailserver_mailboxes"),
    "mailserver_alias_domain_destination": ("destination", "mailserver_aliases"),
}

_BODY = """
CREATE FUNCTION {name}(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
BEGIN
  RETURN QUERY SELECT v.{column}::text FROM {view} v
   WHERE v.address = lookup_local || '@' || (SELECT ad.target FROM mailserver_alias_domains ad WHERE ad.name = lookup_domain);
END
$fn$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, (column, view) in FUNCTIONS.items():
        bind.exec_driver_sql(_BODY.format(name=name, column=column, view=view))
        bind.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {name}(text, text) FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in FUNCTIONS:
        bind.exec_driver_sql(f"DROP FUNCTION {name}(text, text)")
