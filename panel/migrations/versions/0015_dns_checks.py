"""The last live DNS check of each domain

Revision ID: 0015
Revises: 0014

- ``dns_checks``: one row per domain (its id is the key, so the domain list
  joins it without a per-row query), replaced by each check: when it ran,
  how many records were missing or wrong, and the per-record results as
  JSON. Deleting the domain deletes its row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dns_checks",
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_dns_checks_domain_id_domains"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("domain_id", name=op.f("pk_dns_checks")),
    )


def downgrade() -> None:
    op.drop_table("dns_checks")
