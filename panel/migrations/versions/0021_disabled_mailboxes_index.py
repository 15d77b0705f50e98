"""ix_mailboxes_domain_disabled: a domain's disabled mailboxes by address

Revision ID: 0021
Revises: 0020

The mailbox list's state filter ("disabled") pages through a domain's
disabled mailboxes by local part. Walking (domain_id, local_part) for them
reads every active mailbox of the domain on the way (a 1M-mailbox domain
with 50 disabled ones: the whole domain for one page). A partial index
holds only the disabled rows, so it is small, costs nothing when an active
mailbox is written, and Postfix's and Dovecot's lookups (which never ask
for ``NOT active``) plan past it. The "active" filter walks the
(domain_id, local_part) index as the unfiltered list does: most rows match.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # The predicate as each dialect's queries spell the filter (SQLAlchemy
    # writes NOT active as ``active = 0`` on SQLite), so the planner matches it.
    where = "NOT active" if bind.dialect.name == "postgresql" else "active = 0"
    bind.exec_driver_sql(f"CREATE INDEX ix_mailboxes_domain_disabled ON mailboxes (domain_id, local_part) WHERE {where}")


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP INDEX ix_mailboxes_domain_disabled")
