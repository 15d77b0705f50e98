"""mail-server views read one table each: copies of the domain's flag and
of an alias's destinations

Revision ID: 0006
Revises: 0005

bench/lookups.py measured every Postfix map that touched two tables at
2-5x a one-table primary-key lookup (the issue's target is 1.3x), because
PostgreSQL plans each unprepared Postfix query afresh and the join (or
subquery) costs more to plan than to run. So the rows the mail servers read
carry what they need:

- mailboxes.domain_active, aliases.domain_active and
  alias_domains.target_active copy domains.active (kept by
  services.domains.set_domain_active, read under the domain row's lock);
- aliases.goto holds the destinations joined with commas (Postfix reads a
  comma-separated result as a list; kept by services.aliases), while
  alias_destinations stays the panel's normalised copy;
- alias_domains.target_name copies the target's name (domains are never
  renamed).

mailboxes' unique constraint on address becomes a unique index that
INCLUDEs the two flags (PostgreSQL), so the mailbox lookups Postfix makes
for every recipient are index-only scans.

The views keep their names and meanings; mailserver_aliases now answers
one row per alias with its destinations comma-joined. Views are dropped and
re-created (column types change), and on PostgreSQL the SELECT grants they
had are given back, so a configured mail server keeps reading them.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

VIEWS = {
    "mailserver_alias_domains": """
        SELECT ad.name, ad.target_name AS target
        FROM alias_domains ad
        WHERE ad.active AND ad.target_active""",
    "mailserver_mailboxes": """
        SELECT m.address, m.local_part, substr(m.address, length(m.local_part) + 2) AS domain,
               m.password_hash AS password, m.maildir, m.quota_bytes,
               '*:bytes=' || m.quota_bytes AS quota_rule
        FROM mailboxes m
        WHERE m.active AND m.domain_active""",
    "mailserver_aliases": """
        SELECT a.address, a.goto AS destination
        FROM aliases a
        WHERE a.active AND a.domain_active""",
}

# Unchanged (migration 0004), but they stand on alias_domains and domains,
# which SQLite rebuilds on a column drop: dropped and re-created around it.
UNCHANGED = {
    "mailserver_local_domains": "SELECT d.name FROM domains d",
    "mailserver_local_alias_domains": "SELECT ad.name FROM alias_domains ad",
}

# As migration 0005 left them.
_DOMAIN_ACTIVE = "(SELECT d.active FROM domains d WHERE d.id = {table}.domain_id)"
PREVIOUS = {
    "mailserver_alias_domains": """
        SELECT ad.name, (SELECT d.name FROM domains d WHERE d.id = ad.target_domain_id) AS target
        FROM alias_domains ad
        WHERE ad.active AND (SELECT d.active FROM domains d WHERE d.id = ad.target_domain_id)""",
    "mailserver_mailboxes": f"""
        SELECT m.address, m.local_part, (SELECT d.name FROM domains d WHERE d.id = m.domain_id) AS domain,
               m.password_hash AS password, m.maildir, m.quota_bytes,
               '*:bytes=' || m.quota_bytes AS quota_rule
        FROM mailboxes m
        WHERE m.active AND {_DOMAIN_ACTIVE.format(table="m")}""",
    "mailserver_aliases": f"""
        SELECT a.address, t.destination
        FROM aliases a JOIN alias_destinations t ON t.alias_id = a.id
        WHERE a.active AND {_DOMAIN_ACTIVE.format(table="a")}""",
}


def _grantees(bind, view: str) -> list[str]:
    if bind.dialect.name != "postgresql":
        return []
    rows = bind.exec_driver_sql(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
        "WHERE table_schema = 'public' AND table_name = %(view)s AND privilege_type = 'SELECT' "
        "AND grantee <> current_user", {"view": view})
    return [row[0] for row in rows]


def _drop_views() -> dict:
    """Drop the views (SQLite rebuilds the tables under them); returns who
    could SELECT from each, to give it back."""
    bind = op.get_bind()
    grants = {name: _grantees(bind, name) for name in (*VIEWS, *UNCHANGED)}
    for name in grants:
        bind.exec_driver_sql(f"DROP VIEW {name}")
    return grants


def _create_views(views: dict, grants: dict) -> None:
    bind = op.get_bind()
    for name, body in views.items():
        # exec_driver_sql: DDL text, not a template (":bytes" is no bind).
        bind.exec_driver_sql(f"CREATE VIEW {name} AS {body}")
        for grantee in grants.get(name, []):
            bind.exec_driver_sql(f'GRANT SELECT ON {name} TO "{grantee}"')


def _backfill() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        goto = "(SELECT string_agg(t.destination, ',' ORDER BY t.id) FROM alias_destinations t WHERE t.alias_id = aliases.id)"
    else:
        goto = ("(SELECT group_concat(destination, ',') FROM "
                "(SELECT t.destination FROM alias_destinations t WHERE t.alias_id = aliases.id ORDER BY t.id))")
    bind.exec_driver_sql("UPDATE mailboxes SET domain_active = (SELECT d.active FROM domains d WHERE d.id = mailboxes.domain_id)")
    bind.exec_driver_sql("UPDATE aliases SET domain_active = (SELECT d.active FROM domains d WHERE d.id = aliases.domain_id), "
                         f"goto = coalesce({goto}, '')")
    bind.exec_driver_sql("UPDATE alias_domains SET "
                         "target_active = (SELECT d.active FROM domains d WHERE d.id = alias_domains.target_domain_id), "
                         "target_name = (SELECT d.name FROM domains d WHERE d.id = alias_domains.target_domain_id)")


def upgrade() -> None:
    grants = _drop_views()
    with op.batch_alter_table('mailboxes') as batch_op:
        batch_op.add_column(sa.Column('domain_active', sa.Boolean(), server_default=sa.true(), nullable=False))
        # The unique constraint becomes a unique index that also carries the
        # flags, so "is this an active mailbox?" is an index-only scan.
        batch_op.drop_constraint('uq_mailboxes_address', type_='unique')
        batch_op.create_index('uq_mailboxes_address', ['address'], unique=True,
                              postgresql_include=['active', 'domain_active'])
    with op.batch_alter_table('aliases') as batch_op:
        batch_op.add_column(sa.Column('domain_active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('goto', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('alias_domains') as batch_op:
        batch_op.add_column(sa.Column('target_name', sa.String(length=253), server_default='', nullable=False))
        batch_op.add_column(sa.Column('target_active', sa.Boolean(), server_default=sa.true(), nullable=False))
    _backfill()
    _create_views({**VIEWS, **UNCHANGED}, grants)


def downgrade() -> None:
    grants = _drop_views()
    with op.batch_alter_table('alias_domains') as batch_op:
        batch_op.drop_column('target_active')
        batch_op.drop_column('target_name')
    with op.batch_alter_table('aliases') as batch_op:
        batch_op.drop_column('goto')
        batch_op.drop_column('domain_active')
    with op.batch_alter_table('mailboxes') as batch_op:
        batch_op.drop_index('uq_mailboxes_address')
        batch_op.create_unique_constraint('uq_mailboxes_address', ['address'])
        batch_op.drop_column('domain_active')
    _create_views({**PREVIOUS, **UNCHANGED}, grants)
