"""the mail servers read a domain's flag from its own row: disabling a domain
writes one row, whatever its size

Revision ID: 0025
Revises: 0024

Since 0006 each mailbox, alias and alias domain carried a copy of its
domain's flag (``domain_active``, ``target_active``), so that Postfix's
lookups read one table: PostgreSQL plans every Postfix query afresh, and a
join costs more to plan than to run (measured here: ~1 ms to plan
``mailboxes JOIN domains`` against ~35 µs for the one-table query). The
price was the disable: at 10M mailboxes, disabling the 2M-mailbox domain
rewrote 4M rows in one transaction (116 s and 8.5 GiB of WAL), and the maps
answered the old state all that time.

Now the views ask the domain row itself, without a join:

- PostgreSQL: ``mailserver_domain_active(domain_id)``, a PL/pgSQL function
  in the view's WHERE. The query around it is still a one-table query to
  plan (the function is opaque to the planner), and the function's own
  primary-key probe runs on a plan cached per connection. It runs with its
  owner's rights (SECURITY DEFINER, fixed search_path) because a view's
  functions run as the caller, and the mail servers' role may read the
  views only; it returns one boolean for one domain id.
  Postfix's plain queries that would call it (the mailbox map, the sender
  login map's alias lookup) become cached-plan functions as well,
  ``mailserver_mailbox`` and ``mailserver_alias``, like the recipient map
  (0019): called from a plain statement the gate measured ~1.5x the floor,
  from inside a function it costs nothing measurable.
- SQLite: a correlated subquery on the domain's primary key (SQLite
  prepares a statement in microseconds; no plan to cache).

The copies are dropped, so there is one flag and nothing to keep in step.
Disabling or enabling a domain is one row's update, seen by every lookup
at its commit, in both directions.

The address index keeps ``active`` and ``domain_id`` in its INCLUDE list,
so the mailbox lookup stays an index-only scan of mailboxes plus one
primary-key probe of domains. It is built beside the old one and swapped
before the column goes (PostgreSQL drops an index with a column it holds).
Views are dropped and re-created (SQLite refuses to drop a column a view
names); who could SELECT from them gets it back, and EXECUTE on the
function, so a configured mail server keeps reading through the upgrade.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

FUNCTION = "mailserver_domain_active"

_FUNCTION_SQL = f"""
CREATE FUNCTION {FUNCTION}(wanted integer) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $fn$
BEGIN
  RETURN coalesce((SELECT d.active FROM domains d WHERE d.id = wanted), false);
END
$fn$"""

# Postfix's mailbox map (virtual_mailbox_maps, and the sender login map)
# through a function too, like the recipient map (0019): a plain query that
# calls the gate measured ~1.5x the floor against ~1.0x for the recipient
# function, whose inner plans, the gate's call included, stay cached.
MAILBOX_FUNCTION = "mailserver_mailbox"

_MAILBOX_FUNCTION_SQL = f"""
CREATE FUNCTION {MAILBOX_FUNCTION}(wanted text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
BEGIN
  RETURN QUERY SELECT m.address::text FROM mailserver_mailboxes m WHERE m.address = wanted;
END
$fn$"""

# And the alias map of smtpd_sender_login_maps, for the same reason
# (1.21x the floor as a plain query). Local part and domain apart, as
# Postfix passes them ('%u', '%d': it suppresses the '@domain' key).
ALIAS_FUNCTION = "mailserver_alias"

_ALIAS_FUNCTION_SQL = f"""
CREATE FUNCTION {ALIAS_FUNCTION}(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = public AS $fn$
BEGIN
  RETURN QUERY SELECT v.destination::text FROM mailserver_aliases v WHERE v.address = lookup_local || '@' || lookup_domain;
END
$fn$"""

_GATE = {
    "postgresql": f"{FUNCTION}({{column}})",
    "sqlite": "(SELECT d.active FROM domains d WHERE d.id = {column})",
}

# {gate} is the domain's flag, read in place (the forms above).
VIEWS = {
    "mailserver_mailboxes": """
        SELECT m.address, m.local_part, substr(m.address, length(m.local_part) + 2) AS domain,
               m.password_hash AS password, m.maildir, m.quota_bytes,
               '*:bytes=' || m.quota_bytes AS quota_rule
        FROM mailboxes m
        WHERE m.active AND {gate_m}""",
    "mailserver_aliases": """
        SELECT a.address, a.goto AS destination
        FROM aliases a
        WHERE a.active AND {gate_a}""",
    "mailserver_alias_domains": """
        SELECT ad.name, ad.target_name AS target
        FROM alias_domains ad
        WHERE ad.active AND {gate_ad}""",
    "mailserver_app_passwords": """
        SELECT m.address AS username, a.id AS id, a.secret_hash AS secret_hash, a.protocols AS protocols,
               a.expires_at AS expires_at
        FROM app_passwords a JOIN mailboxes m ON m.id = a.mailbox_id
        WHERE a.revoked_at IS NULL AND m.active AND {gate_m}""",
}

# As migrations 0006 and 0013 left them.
PREVIOUS = {
    "mailserver_mailboxes": VIEWS["mailserver_mailboxes"].replace("{gate_m}", "m.domain_active"),
    "mailserver_aliases": VIEWS["mailserver_aliases"].replace("{gate_a}", "a.domain_active"),
    "mailserver_alias_domains": VIEWS["mailserver_alias_domains"].replace("{gate_ad}", "ad.target_active"),
    "mailserver_app_passwords": VIEWS["mailserver_app_passwords"].replace("{gate_m}", "m.domain_active"),
}

COPIES = (("mailboxes", "domain_active", "domain_id"), ("aliases", "domain_active", "domain_id"),
          ("alias_domains", "target_active", "target_domain_id"))


def _views(dialect: str) -> dict:
    gate = _GATE[dialect]
    columns = {"gate_m": gate.format(column="m.domain_id"), "gate_a": gate.format(column="a.domain_id"),
               "gate_ad": gate.format(column="ad.target_domain_id")}
    return {name: body.format(**columns) for name, body in VIEWS.items()}


def _grantees(bind, view: str) -> list[str]:
    if bind.dialect.name != "postgresql":
        return []
    rows = bind.exec_driver_sql(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
        "WHERE table_schema = 'public' AND table_name = %(view)s AND privilege_type = 'SELECT' "
        "AND grantee <> current_user", {"view": view})
    return [row[0] for row in rows]


def _drop_views(bind) -> dict:
    grants = {name: _grantees(bind, name) for name in VIEWS}
    for name in VIEWS:
        bind.exec_driver_sql(f"DROP VIEW {name}")
    return grants


def _create_views(bind, views: dict, grants: dict) -> None:
    for name, body in views.items():
        # exec_driver_sql: DDL text, not a template (":bytes" is no bind).
        bind.exec_driver_sql(f"CREATE VIEW {name} AS {body}")
        for grantee in grants.get(name, []):
            bind.exec_driver_sql(f'GRANT SELECT ON {name} TO "{grantee}"')


def _address_index(bind, include: str) -> None:
    # Built beside the old one, then swapped, so Postfix never misses it.
    bind.exec_driver_sql(f"CREATE UNIQUE INDEX uq_mailboxes_address_new ON mailboxes (address) INCLUDE ({include})")
    bind.exec_driver_sql("DROP INDEX uq_mailboxes_address")
    bind.exec_driver_sql("ALTER INDEX uq_mailboxes_address_new RENAME TO uq_mailboxes_address")


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    grants = _drop_views(bind)
    if postgresql:
        _address_index(bind, "active, domain_id, search_text")
        bind.exec_driver_sql(_FUNCTION_SQL)
        bind.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {FUNCTION}(integer) FROM PUBLIC")
        for grantee in sorted({g for names in grants.values() for g in names}):
            bind.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION {FUNCTION}(integer) TO "{grantee}"')
    for table, column, _key in COPIES:
        # SQLite 3.35+ drops a column in place (no index or view names it now).
        bind.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    _create_views(bind, _views(bind.dialect.name), grants)
    if postgresql:
        # Invoker's rights: the caller reads the views, which it may.
        for sql, signature, view in (
            (_MAILBOX_FUNCTION_SQL, f"{MAILBOX_FUNCTION}(text)", "mailserver_mailboxes"),
            (_ALIAS_FUNCTION_SQL, f"{ALIAS_FUNCTION}(text, text)", "mailserver_aliases"),
        ):
            bind.exec_driver_sql(sql)
            bind.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
            for grantee in grants[view]:
                bind.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION {signature} TO "{grantee}"')


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    grants = _drop_views(bind)
    true = "true" if postgresql else "1"
    for table, column, key in COPIES:
        bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} BOOLEAN DEFAULT {true} NOT NULL")
        bind.exec_driver_sql(f"UPDATE {table} SET {column} = (SELECT d.active FROM domains d WHERE d.id = {table}.{key})")
    if postgresql:
        _address_index(bind, "active, domain_active, domain_id, search_text")
        bind.exec_driver_sql(f"DROP FUNCTION {ALIAS_FUNCTION}(text, text)")
        bind.exec_driver_sql(f"DROP FUNCTION {MAILBOX_FUNCTION}(text)")
        bind.exec_driver_sql(f"DROP FUNCTION {FUNCTION}(integer)")
    _create_views(bind, PREVIOUS, grants)
