"""Failed SMTP AUTH attempts in the traffic rollup

Revision ID: 0018
Revises: 0017

``traffic_hours.smtp_failed``: Postfix's "SASL LOGIN/PLAIN authentication
failed" warnings per hour, counted for the domain of the user name tried
when it is hosted, else for ``''`` (server-wide). Hours ingested before
this revision count 0: the logs are not read again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("traffic_hours") as batch:
        batch.add_column(sa.Column("smtp_failed", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("traffic_hours") as batch:
        batch.drop_column("smtp_failed")
