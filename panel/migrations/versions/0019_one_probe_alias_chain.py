"""PostgreSQL: virtual_alias_maps in one probe per recipient

Revision ID: 0019
Revises: 0018

Until now ``virtual_alias_maps`` was a list of six maps, so mail to an
ordinary mailbox cost Postfix two lookups (a miss in the aliases, then the
mailbox's self-map) and an address only the catch-all takes cost six.
``mailserver_recipient(local, domain)`` answers the whole list in one call,
in the list's order of precedence:

1. the alias ``local@domain`` (an alias on a mailbox's address wins);
2. else the active mailbox ``local@domain`` itself (a self-map: Postfix
   stops expanding an address that maps to itself);
3. else the domain's catch-all, unless ``local@domain`` is a mailbox in any
   state (a disabled mailbox matches nothing and is refused at RCPT:
   migration 0012);
4. else, for an active alias domain, the same three for ``local@target``
   (a mailbox there answers ``local@target``, whose own lookup is the
   second and last probe).

No row per mailbox is added: each step is an index probe of a view, and
PL/pgSQL caches their plans per connection (migration 0008), so Postfix's
unprepared statement is planned as a bare function call. SQLite runs the
portable query text (panel/mailserver/queries/postfix-recipient.sql) over
the same views: nothing to create there.

The functions of 0008 and 0012 stay (a mail server still running the
previous map files keeps working until ``deploy/mailstack configure``
writes the new ones; the sender login maps still use the catch-all one).
SECURITY INVOKER; EXECUTE is taken from PUBLIC and granted to the mail
servers' role by deploy/sql/mailserver-role.sql.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

NAME = "mailserver_recipient"

_RECIPIENT = """
CREATE FUNCTION mailserver_recipient(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
DECLARE
  domain_name text := lookup_domain;
  wanted text := lookup_local || '@' || lookup_domain;
  answer text;
BEGIN
  FOR hop IN 1..2 LOOP
    SELECT v.destination INTO answer FROM mailserver_aliases v WHERE v.address = wanted;
    IF answer IS NOT NULL THEN
      RETURN NEXT answer;
      RETURN;
    END IF;
    SELECT m.address INTO answer FROM mailserver_mailboxes m WHERE m.address = wanted;
    IF answer IS NOT NULL THEN
      RETURN NEXT answer;
      RETURN;
    END IF;
    SELECT v.destination INTO answer FROM mailserver_aliases v WHERE v.address = '@' || domain_name;
    IF answer IS NOT NULL THEN
      IF NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses m WHERE m.address = wanted) THEN
        RETURN NEXT answer;
      END IF;
      RETURN;
    END IF;
    IF hop = 2 THEN
      RETURN;
    END IF;
    SELECT ad.target INTO domain_name FROM mailserver_alias_domains ad WHERE ad.name = lookup_domain;
    IF domain_name IS NULL THEN
      RETURN;
    END IF;
    wanted := lookup_local || '@' || domain_name;
  END LOOP;
END
$fn$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(_RECIPIENT)
    bind.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {NAME}(text, text) FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP FUNCTION {NAME}(text, text)")
