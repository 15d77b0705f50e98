"""the signer's view of the DKIM keys

Revision ID: 0016
Revises: 0015

- ``dkim_signing``: one row per active domain that has an active key:
  ``domain`` (the A-label name, the d= of the signature), ``selector`` and
  ``private_key`` (PKCS#8 PEM). OpenDKIM's SigningTable and KeyTable are
  ``dsn:`` queries on this view (deploy/opendkim/opendkim.conf.in), so a key
  activated or retired in the panel signs, or stops signing, with the next
  message: nothing is synced and nothing reloads.

Only RSA keys: Debian 12's OpenDKIM (2.11) signs with the one
SignatureAlgorithm of its configuration (rsa-sha256); handed an Ed25519 key
it adds no signature ("expecting an rsa key", measured here). An active
Ed25519 key therefore signs nothing until the signer can use it.

The view is named outside the ``mailserver_*`` family on purpose:
deploy/sql/mailserver-role.sql grants Postfix and Dovecot every
``mailserver_*`` view, and they must never read a private key. Only the
signer's role (deploy/sql/dkim-signer-role.sql) is granted this view; on
PostgreSQL nothing is granted to PUBLIC here. (On SQLite the mail servers
and the signer read one file: there the file's permissions are the only
boundary, see docs/deliverability.md.) A later SQLite batch migration of
``dkim_keys`` or ``domains`` must drop and re-create this view around it.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

VIEW = "dkim_signing"


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(
        f"CREATE VIEW {VIEW} AS SELECT d.name AS domain, k.selector, k.private_key"
        " FROM dkim_keys k JOIN domains d ON d.id = k.domain_id"
        " WHERE k.state = 'active' AND k.algorithm = 'rsa' AND d.active"
    )
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"REVOKE ALL ON {VIEW} FROM PUBLIC")


def downgrade() -> None:
    op.get_bind().exec_driver_sql(f"DROP VIEW {VIEW}")
