"""trust: one namespace for hosted names, explicit scopes, server-side sessions, login budgets, TOTP

Revision ID: 0011
Revises: 0010

- ``domain_names``: every hosted name, as a domain or an alias domain.
  Triggers on ``domains`` and ``alias_domains`` write it, so its primary key
  refuses a name that would be both, whichever of two concurrent
  transactions commits second (checking the other table first, as the
  services did, let 22 of 40 racing pairs make a name both). The upgrade
  stops, naming them, if the database already holds such names: remove the
  alias domain (``flask alias-domain delete NAME``) and upgrade again.
- ``admins.all_domains``: an explicit "every domain" grant. Until now a
  helpdesk account without domains could reach every domain, and deleting
  a helpdesk's only domain widened its reach to all of them. Existing
  helpdesk accounts without domains get the grant (what they had); from
  now on an empty list means no domain.
- ``admins.totp_*`` and ``recovery_codes``: the second factor.
- ``web_sessions``: signed-in browsers, so logging out, a password change,
  disabling an account or "sign out everywhere" really ends a session (a
  signed cookie alone stays valid until it expires).
- ``login_throttles`` is keyed by budget (``u:name``, ``d:device``,
  ``a:address``) instead of by address, and the per-account counters leave
  ``admins``: counting happens in one conditional UPDATE per budget.
  Counters in flight are dropped (they only ever slow an attacker down).
- ``one_time_secrets``: a generated secret waiting for its one display.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

HOSTED = (("domains", "domain"), ("alias_domains", "alias"))

PG_FUNCTION = """
CREATE FUNCTION domain_names_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM domain_names WHERE name = OLD.name AND kind = TG_ARGV[0];
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO domain_names (name, kind) VALUES (NEW.name, TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$fn$"""


def _conflicting_names(bind) -> list[str]:
    rows = bind.exec_driver_sql("SELECT d.name FROM domains d JOIN alias_domains a ON a.name = d.name ORDER BY 1")
    return [row[0] for row in rows]


def _hosted_names_upgrade(bind) -> None:
    both = _conflicting_names(bind)
    if both:
        raise RuntimeError(
            "these names are both a hosted domain and an alias domain: " + ", ".join(both)
            + " -- delete the alias domains (flask alias-domain delete NAME), then upgrade again"
        )
    op.create_table(
        "domain_names",
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('domain', 'alias')", name=op.f("ck_domain_names_kind_known")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_domain_names")),
    )
    for table, kind in HOSTED:
        bind.exec_driver_sql(f"INSERT INTO domain_names (name, kind) SELECT name, '{kind}' FROM {table}")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(PG_FUNCTION)
        for table, kind in HOSTED:
            bind.exec_driver_sql(
                f"CREATE TRIGGER {table}_domain_names AFTER INSERT OR DELETE OR UPDATE OF name ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION domain_names_sync('{kind}')"
            )
        return
    for table, kind in HOSTED:
        bind.exec_driver_sql(
            f"CREATE TRIGGER {table}_domain_names_insert AFTER INSERT ON {table} "
            f"BEGIN INSERT INTO domain_names (name, kind) VALUES (NEW.name, '{kind}'); END"
        )
        bind.exec_driver_sql(
            f"CREATE TRIGGER {table}_domain_names_delete AFTER DELETE ON {table} "
            f"BEGIN DELETE FROM domain_names WHERE name = OLD.name AND kind = '{kind}'; END"
        )
        bind.exec_driver_sql(
            f"CREATE TRIGGER {table}_domain_names_rename AFTER UPDATE OF name ON {table} "
            f"BEGIN DELETE FROM domain_names WHERE name = OLD.name AND kind = '{kind}'; "
            f"INSERT INTO domain_names (name, kind) VALUES (NEW.name, '{kind}'); END"
        )


def _hosted_names_downgrade(bind) -> None:
    if bind.dialect.name == "postgresql":
        for table, _kind in HOSTED:
            bind.exec_driver_sql(f"DROP TRIGGER {table}_domain_names ON {table}")
        bind.exec_driver_sql("DROP FUNCTION domain_names_sync()")
    else:
        for table, _kind in HOSTED:
            for event in ("insert", "delete", "rename"):
                bind.exec_driver_sql(f"DROP TRIGGER {table}_domain_names_{event}")
    op.drop_table("domain_names")


def _drop_columns(bind, table: str, columns: tuple[str, ...]) -> None:
    # SQLite 3.35+ drops a column in place. A batch rebuild would DROP the
    # table, and with foreign keys on, that cascades into the rows that
    # reference it (admin_domains, api_tokens).
    for column in columns:
        bind.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")


def upgrade() -> None:
    bind = op.get_bind()
    _hosted_names_upgrade(bind)

    op.add_column("admins", sa.Column("all_domains", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("admins", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column("admins", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("admins", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    bind.exec_driver_sql(
        "UPDATE admins SET all_domains = TRUE WHERE role = 'helpdesk' "
        "AND NOT EXISTS (SELECT 1 FROM admin_domains s WHERE s.admin_id = admins.id)"
    )
    _drop_columns(bind, "admins", ("failed_logins", "locked_until"))

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_recovery_codes_admin_id_admins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_admin_id"), "recovery_codes", ["admin_id"])

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_web_sessions_admin_id_admins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_web_sessions_token_digest")),
    )
    op.create_index(op.f("ix_web_sessions_admin_id"), "web_sessions", ["admin_id"])
    op.create_index(op.f("ix_web_sessions_created_at"), "web_sessions", ["created_at"])

    op.create_table(
        "one_time_secrets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("web_session_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["web_session_id"],
            ["web_sessions.id"],
            name=op.f("fk_one_time_secrets_web_session_id_web_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_secrets")),
    )
    op.create_index(op.f("ix_one_time_secrets_web_session_id"), "one_time_secrets", ["web_session_id"])

    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index("ix_login_throttles_last_failure_at", "login_throttles", ["last_failure_at"])


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_table("login_throttles")
    op.create_table(
        "login_throttles",
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("remote_addr", name=op.f("pk_login_throttles")),
    )
    op.drop_table("one_time_secrets")
    op.drop_table("web_sessions")
    op.drop_table("recovery_codes")
    op.add_column("admins", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("admins", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    _drop_columns(bind, "admins", ("totp_last_step", "totp_enabled_at", "totp_secret", "all_domains"))
    _hosted_names_downgrade(bind)
