"""Mail traffic counted from the logs

Revision ID: 0017
Revises: 0016

- ``traffic_hours``: counts per hour (hours since the epoch, UTC) and
  domain (``''``: domains not hosted here), one row per pair;
- ``traffic_tops``: the top reject reasons and SASL senders per hour and
  domain, a bounded number of names each;
- ``traffic_logs``: where ingestion stopped in each log file (inode,
  offset, hash of its first line) and lifetime totals for /metrics;
- ``traffic_messages``: queued messages whose later log lines still need
  their sender and the domains already counted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COUNTERS = (
    "received",
    "delivered",
    "deferred",
    "bounced",
    "rejected",
    "sent",
    "imap_logins",
    "imap_failed",
    "pop3_logins",
    "pop3_failed",
)


def upgrade() -> None:
    op.create_table(
        "traffic_hours",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint("hour", "domain", name=op.f("pk_traffic_hours")),
    )
    op.create_index("ix_traffic_hours_domain_hour", "traffic_hours", ["domain", "hour"])
    op.create_table(
        "traffic_tops",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('reject', 'sender')", name=op.f("ck_traffic_tops_kind_known")),
        sa.PrimaryKeyConstraint("hour", "domain", "kind", "name", name=op.f("pk_traffic_tops")),
    )
    op.create_table(
        "traffic_logs",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_traffic_logs")),
    )
    op.create_table(
        "traffic_messages",
        sa.Column("queue_id", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("received", sa.Text(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", name=op.f("pk_traffic_messages")),
    )
    op.create_index(op.f("ix_traffic_messages_hour"), "traffic_messages", ["hour"])


def downgrade() -> None:
    op.drop_table("traffic_messages")
    op.drop_table("traffic_logs")
    op.drop_table("traffic_tops")
    op.drop_table("traffic_hours")
