"""Anonymous requests counted per client address

Revision ID: 0020
Revises: 0019

- ``request_budgets``: hits per budget (``c:<address>`` for the mail
  client autoconfig/autodiscover answers) in a fixed window that starts
  at ``window_start``; a row of a past window is purged by age.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_budgets",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_budgets")),
    )
    op.create_index("ix_request_budgets_window_start", "request_budgets", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_request_budgets_window_start", table_name="request_budgets")
    op.drop_table("request_budgets")
