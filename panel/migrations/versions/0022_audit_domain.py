"""audit_events.domain_id: which domain an event concerns

Revision ID: 0022
Revises: 0021

A domain admin sees their domains' recent changes (the domain's page, the
dashboard), never the whole trail, whose events name other tenants'
accounts. The event keeps the domain's id, not its name: a domain deleted
and later added again for another customer gets a new id, so its new
admins never see the old one's history. No foreign key: the trail outlives
the domain. Events written before this migration have none and stay with
superadmins. (domain_id, at) pages a domain's events newest first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("domain_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_events_domain_at", "audit_events", ["domain_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_domain_at", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("domain_id")
