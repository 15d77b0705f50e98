"""PostgreSQL: the recipient and mailbox maps read the tables themselves, the
domain's flag as a join

Revision ID: 0026
Revises: 0025

Since 0025 the recipient function (0019) and the mailbox function read the
mail-server views, whose WHERE calls the domain gate
``mailserver_domain_active`` for each row they return: a PL/pgSQL call with
its own ``SET search_path``, measured 8.7 µs a call in the server, against
0.5 µs for the same flag read as a join. The functions' plans are cached
per connection, so a join inside them is planned once, not per Postfix
statement (the reason 0006 avoided joins in the plain map queries).

Both functions now run with their owner's rights (SECURITY DEFINER) and
read ``mailboxes``, ``aliases``, ``alias_domains`` and ``domains``
directly, with the same conditions the views hold (active row, active
domain). They return what the views would return for that one key, and
nothing else; EXECUTE stays granted to the mail servers' role only.

No ``SET search_path`` either: the setting is saved and restored on every
call (~3 µs). Instead every table, operator and type is schema-qualified
(``public.``, ``OPERATOR(pg_catalog.=)``, ``pg_catalog.text``), so nothing
the caller puts on its own search_path can stand in for them in the owner's
query. The types too: PL/pgSQL resolves its variables' types on the
caller's search_path when a session first calls the function. The views and
the gate stay: Dovecot's queries and the other maps read them.

Measured with bench/recipient_candidates.py (docs/performance.md).
CREATE OR REPLACE keeps each function's grants.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_EQ = "OPERATOR(pg_catalog.=)"
_CAT = "OPERATOR(pg_catalog.||)"

RECIPIENT = f"""
CREATE OR REPLACE FUNCTION mailserver_recipient(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
DECLARE
  domain_name pg_catalog.text := lookup_domain;
  wanted pg_catalog.text := lookup_local {_CAT} '@' {_CAT} lookup_domain;
  answer pg_catalog.text;
BEGIN
  FOR hop IN 1..2 LOOP
    -- 1. the alias (an alias on a mailbox's address wins)
    SELECT a.goto INTO answer FROM public.aliases a JOIN public.domains d ON d.id {_EQ} a.domain_id
     WHERE a.address {_EQ} wanted AND a.active AND d.active;
    IF answer IS NOT NULL THEN
      RETURN NEXT answer;
      RETURN;
    END IF;
    -- 2. the active mailbox itself (a self-map)
    SELECT m.address INTO answer FROM public.mailboxes m JOIN public.domains d ON d.id {_EQ} m.domain_id
     WHERE m.address {_EQ} wanted AND m.active AND d.active;
    IF answer IS NOT NULL THEN
      RETURN NEXT answer;
      RETURN;
    END IF;
    -- 3. the catch-all, unless the address is a mailbox in any state
    SELECT a.goto INTO answer FROM public.aliases a JOIN public.domains d ON d.id {_EQ} a.domain_id
     WHERE a.address {_EQ} ('@' {_CAT} domain_name) AND a.active AND d.active;
    IF answer IS NOT NULL THEN
      IF NOT EXISTS (SELECT 1 FROM public.mailboxes m WHERE m.address {_EQ} wanted) THEN
        RETURN NEXT answer;
      END IF;
      RETURN;
    END IF;
    IF hop {_EQ} 2 THEN
      RETURN;
    END IF;
    -- 4. an active alias domain: the same three for its target
    SELECT ad.target_name INTO domain_name
      FROM public.alias_domains ad JOIN public.domains d ON d.id {_EQ} ad.target_domain_id
     WHERE ad.name {_EQ} lookup_domain AND ad.active AND d.active;
    IF domain_name IS NULL THEN
      RETURN;
    END IF;
    wanted := lookup_local {_CAT} '@' {_CAT} domain_name;
  END LOOP;
END
$fn$"""

MAILBOX = f"""
CREATE OR REPLACE FUNCTION mailserver_mailbox(wanted text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
BEGIN
  RETURN QUERY SELECT m.address::pg_catalog.text FROM public.mailboxes m JOIN public.domains d ON d.id {_EQ} m.domain_id
   WHERE m.address {_EQ} wanted AND m.active AND d.active;
END
$fn$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(RECIPIENT)
    bind.exec_driver_sql(MAILBOX)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from importlib import import_module

    before_recipient = import_module("panel.migrations.versions.0019_one_probe_alias_chain")._RECIPIENT
    before_mailbox = import_module("panel.migrations.versions.0025_domain_flag_read_in_place")._MAILBOX_FUNCTION_SQL
    for sql in (before_recipient, before_mailbox):
        bind.exec_driver_sql(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
