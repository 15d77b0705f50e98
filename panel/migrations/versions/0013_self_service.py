"""self-service: mailbox users sign in, out-of-office replies, app passwords, last login

Revision ID: 0013
Revises: 0012

- ``web_sessions`` may belong to a mailbox (its owner in the portal, /me/)
  instead of an admin. SQLite cannot change a column's NULL constraint in
  place, so the table is made anew (with ``one_time_secrets``, which
  references it): everybody signed in signs in again.
- ``domains.users_change_password`` (default on) and
  ``domains.users_forward_outside`` (default off).
- ``vacations``: one per mailbox; the services store the Sieve script it
  becomes. Dovecot's Pigeonhole reads it through the dict service from the
  view ``mailserver_sieve_scripts`` (``priv/sieve/name/active`` -> the id,
  ``priv/sieve/data/<id>`` -> the text), so the web process never writes
  into mail homes.
- ``app_passwords``: the view ``mailserver_app_passwords`` holds the live
  ones of active mailboxes, which Dovecot's second passdb reads.
- ``last_logins``: written by Dovecot's last_login plugin through the dict
  service (the mail servers' role: SELECT, INSERT, UPDATE).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SIEVE_VIEW = """
CREATE VIEW mailserver_sieve_scripts AS
SELECT m.address AS username, 'active' AS name, v.script_id AS id, v.script AS script
  FROM vacations v JOIN mailboxes m ON m.id = v.mailbox_id
 WHERE v.active AND v.script <> ''"""

APP_PASSWORD_VIEW = """
CREATE VIEW mailserver_app_passwords AS
SELECT m.address AS username, a.id AS id, a.secret_hash AS secret_hash, a.protocols AS protocols,
       a.expires_at AS expires_at
  FROM app_passwords a JOIN mailboxes m ON m.id = a.mailbox_id
 WHERE a.revoked_at IS NULL AND m.active AND m.domain_active"""


def _web_sessions(mailbox_users: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=mailbox_users),
    ]
    if mailbox_users:
        columns.append(sa.Column("mailbox_id", sa.Integer(), nullable=True))
    columns += [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_web_sessions_admin_id_admins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_web_sessions_token_digest")),
    ]
    if mailbox_users:
        columns += [
            sa.ForeignKeyConstraint(
                ["mailbox_id"], ["mailboxes.id"], name=op.f("fk_web_sessions_mailbox_id_mailboxes"), ondelete="CASCADE"
            ),
            sa.CheckConstraint("(admin_id IS NULL) <> (mailbox_id IS NULL)", name=op.f("ck_web_sessions_one_principal")),
        ]
    op.create_table("web_sessions", *columns)
    op.create_index(op.f("ix_web_sessions_admin_id"), "web_sessions", ["admin_id"])
    op.create_index(op.f("ix_web_sessions_created_at"), "web_sessions", ["created_at"])
    if mailbox_users:
        op.create_index(op.f("ix_web_sessions_mailbox_id"), "web_sessions", ["mailbox_id"])
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


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_table("one_time_secrets")
    op.drop_table("web_sessions")
    _web_sessions(mailbox_users=True)

    op.add_column("domains", sa.Column("users_change_password", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("domains", sa.Column("users_forward_outside", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "vacations",
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("script_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("interval_days BETWEEN 1 AND 365", name=op.f("ck_vacations_interval_sane")),
        sa.ForeignKeyConstraint(
            ["mailbox_id"], ["mailboxes.id"], name=op.f("fk_vacations_mailbox_id_mailboxes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_vacations")),
    )
    op.create_table(
        "app_passwords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("protocols", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"], ["mailboxes.id"], name=op.f("fk_app_passwords_mailbox_id_mailboxes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_passwords")),
    )
    op.create_index(op.f("ix_app_passwords_mailbox_id"), "app_passwords", ["mailbox_id"])
    op.create_table(
        "last_logins",
        sa.Column("username", sa.String(length=254), nullable=False),
        sa.Column("via", sa.String(length=24), nullable=False),
        sa.Column("last_login", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("username", "via", name=op.f("pk_last_logins")),
    )
    op.create_index("ix_last_logins_last_login", "last_logins", ["last_login"])
    bind.exec_driver_sql(SIEVE_VIEW)
    bind.exec_driver_sql(APP_PASSWORD_VIEW)


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("DROP VIEW mailserver_app_passwords")
    bind.exec_driver_sql("DROP VIEW mailserver_sieve_scripts")
    op.drop_table("last_logins")
    op.drop_table("app_passwords")
    op.drop_table("vacations")
    for column in ("users_forward_outside", "users_change_password"):
        bind.exec_driver_sql(f"ALTER TABLE domains DROP COLUMN {column}")
    op.drop_table("one_time_secrets")
    op.drop_table("web_sessions")
    _web_sessions(mailbox_users=False)
