"""views of every hosted domain name, for Postfix's virtual_mailbox_domains

Revision ID: 0004
Revises: 0003

Postfix's smtpd caches how it resolved an address (local or relay) per
process, for up to 100 addresses and for the life of the process. When
virtual_mailbox_domains followed the active flag, a disabled domain's
addresses were cached as "relay", and after re-enabling it they were still
refused with 554 "Relay access denied" until that smtpd process exited
(found by tests/e2e). So the domain class no longer depends on the flag:
these views list every hosted domain and alias domain, active or not, and
a disabled one is refused by the mailbox and alias lookups (which filter
on active) with 550 -- at once, in both directions, with no reload.
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

VIEWS = {
    "mailserver_local_domains": "SELECT d.name FROM domains d",
    "mailserver_local_alias_domains": "SELECT ad.name FROM alias_domains ad",
}


def upgrade() -> None:
    for name, body in VIEWS.items():
        op.get_bind().exec_driver_sql(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    for name in VIEWS:
        op.get_bind().exec_driver_sql(f"DROP VIEW {name}")
