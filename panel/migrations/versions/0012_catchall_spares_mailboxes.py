"""a catch-all never takes the address of a mailbox, active or not

Revision ID: 0012
Revises: 0010 (written beside a 0011 of another branch: re-chain at merge)

Postfix resolves ``bob@d`` by trying the full address in every
virtual_alias_maps table, then ``@d``. The mailbox maps answer for active
mailboxes only, so a *disabled* bob fell through to the catch-all: its mail
went to the catch-all's owner, who could also send as bob (the sender
login maps fall back to ``@d`` the same way).

Answering for disabled mailboxes in the alias maps (so ``@d`` is never
reached) would not do: smtpd's reject_unlisted_recipient counts any hit in
virtual_alias_maps as a listed recipient (smtpd_check.c, check_rcpt_maps),
so bob would be accepted at RCPT and bounce later, and refusing him at RCPT
would take one more lookup (an access map) for every recipient of every
message. Instead the catch-all is asked about the full address and answers
only when it is no mailbox at all; the ``@d`` key itself finds nothing (the
queries use ``%u``, which Postfix suppresses for an empty local part). A
disabled bob then matches nothing: 550 at RCPT, a bounce when an alias
expands to him, no owner at submission. An ordinary mailbox still costs
two lookups (the aliases miss, its self-map hits); the guard is paid only
where a catch-all is consulted.

- ``mailserver_mailbox_addresses``: every mailbox's address, whatever its
  state (one table; on PostgreSQL an index-only probe of
  uq_mailboxes_address). SQLite rebuilds ``mailboxes`` in a batch
  migration: a later one must drop and re-create this view around it.
- PostgreSQL: ``mailserver_catchall_destination(local, domain)`` and
  ``mailserver_alias_domain_catchall(local, alias_domain)``, PL/pgSQL like
  migration 0008's (plans cached per connection), looking the catch-all up
  first so a domain without one costs one probe. SECURITY INVOKER: the mail
  servers' role needs SELECT on the views (deploy/sql/mailserver-role.sql
  grants every ``mailserver_*`` view and function); EXECUTE is taken from
  PUBLIC.

Nothing existing changes, so a mail server still running the previous map
files keeps working until ``deploy/mailstack configure`` writes the new ones.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

VIEW = "mailserver_mailbox_addresses"

_CATCHALL = """
CREATE FUNCTION mailserver_catchall_destination(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
DECLARE
  caught text;
BEGIN
  SELECT v.destination INTO caught FROM mailserver_aliases v WHERE v.address = '@' || lookup_domain;
  IF caught IS NULL OR EXISTS (SELECT 1 FROM mailserver_mailbox_addresses m
                               WHERE m.address = lookup_local || '@' || lookup_domain) THEN
    RETURN;
  END IF;
  RETURN NEXT caught;
END
$fn$"""

_ALIAS_DOMAIN_CATCHALL = """
CREATE FUNCTION mailserver_alias_domain_catchall(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
DECLARE
  target_domain text;
BEGIN
  SELECT ad.target INTO target_domain FROM mailserver_alias_domains ad WHERE ad.name = lookup_domain;
  IF target_domain IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT mailserver_catchall_destination(lookup_local, target_domain);
END
$fn$"""

FUNCTIONS = {
    "mailserver_catchall_destination": _CATCHALL,
    "mailserver_alias_domain_catchall": _ALIAS_DOMAIN_CATCHALL,
}


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(f"CREATE VIEW {VIEW} AS SELECT m.address FROM mailboxes m")
    if bind.dialect.name != "postgresql":
        return
    for name, body in FUNCTIONS.items():
        bind.exec_driver_sql(body)
        bind.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {name}(text, text) FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The alias-domain function calls the other one: dropped first.
        for name in reversed(FUNCTIONS):
            bind.exec_driver_sql(f"DROP FUNCTION {name}(text, text)")
    bind.exec_driver_sql(f"DROP VIEW {VIEW}")
