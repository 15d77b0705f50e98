"""admins.language, mailboxes.language: the pages' language a user chose

Revision ID: 0023
Revises: 0022

NULL (every existing row) means "the browser's Accept-Language". The mail
servers' lookups never read the column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("admins", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("mailboxes", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite >= 3.35): no table rebuild, so the mailboxes'
    # computed search column and partial indexes stay as they are.
    op.drop_column("mailboxes", "language")
    op.drop_column("admins", "language")
