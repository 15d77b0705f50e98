"""domains: the dashboard's "largest domains" read from an index in its order

Revision ID: 0024
Revises: 0023

The dashboard asks for ``ORDER BY mailbox_count DESC, name LIMIT 10``. The
index on mailbox_count alone gave the sizes but not the name order among
domains of equal size, so PostgreSQL read and sorted every domain of the
top size: 26 ms at 100k domains where most have the same count. An index
in the query's own order (descending count, ascending name) stops after
ten entries. It replaces the old one, which it covers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_domains_by_size", "domains", [sa.text("mailbox_count DESC"), "name"])
    op.drop_index("ix_domains_mailbox_count", table_name="domains")


def downgrade() -> None:
    op.create_index("ix_domains_mailbox_count", "domains", ["mailbox_count"])
    op.drop_index("ix_domains_by_size", table_name="domains")
