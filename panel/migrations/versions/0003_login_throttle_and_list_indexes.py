"""login throttling per address, and indexes for the panel's keyset lists

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Failed logins per client address (per-account failures live on admins).
    op.create_table('login_throttles',
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('remote_addr', name=op.f('pk_login_throttles'))
    )
    # Keyset pages: "mailboxes of a domain by last change" and "aliases of a
    # domain by address" walk these indexes instead of sorting the domain.
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.create_index('ix_mailboxes_domain_updated', ['domain_id', 'updated_at', 'id'], unique=False)
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.create_index('ix_aliases_domain_address', ['domain_id', 'address'], unique=False)
    # The dashboard: "largest domains" and "mailboxes close to their quota"
    # (read from the largest usages down, not by joining every mailbox).
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.create_index('ix_domains_mailbox_count', ['mailbox_count'], unique=False)
    with op.batch_alter_table('quota_usage', schema=None) as batch_op:
        batch_op.create_index('ix_quota_usage_bytes', ['bytes'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quota_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_quota_usage_bytes')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index('ix_domains_mailbox_count')
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.drop_index('ix_aliases_domain_address')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_index('ix_mailboxes_domain_updated')
    op.drop_table('login_throttles')
