"""mail-server views: the domain check as a scalar subquery, not a join

Revision ID: 0005
Revises: 0004

PostgreSQL plans every Postfix lookup afresh (Postfix sends it unprepared),
and at 1M mailboxes planning a join costs more than running it. Measured
with bench/lookups.py (docs/performance.md, "Mail-server lookups"): the
domain's active flag read through a scalar subquery -- planned on its own,
no join search -- cut a mailbox lookup by about a third and the alias-domain
lookups by about half. Same columns, same rows; on PostgreSQL the views are
replaced in place, so the mail servers' grants survive.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DOMAIN_ACTIVE = "(SELECT d.active FROM domains d WHERE d.id = {table}.domain_id)"

VIEWS = {
    "mailserver_alias_domains": f"""
        SELECT ad.name, (SELECT d.name FROM domains d WHERE d.id = ad.target_domain_id) AS target
        FROM alias_domains ad
        WHERE ad.active AND {DOMAIN_ACTIVE.format(table="ad").replace("domain_id", "target_domain_id")}""",
    "mailserver_mailboxes": f"""
        SELECT m.address, m.local_part, (SELECT d.name FROM domains d WHERE d.id = m.domain_id) AS domain,
               m.password_hash AS password, m.maildir, m.quota_bytes,
               '*:bytes=' || m.quota_bytes AS quota_rule
        FROM mailboxes m
        WHERE m.active AND {DOMAIN_ACTIVE.format(table="m")}""",
    "mailserver_aliases": f"""
        SELECT a.address, t.destination
        FROM aliases a JOIN alias_destinations t ON t.alias_id = a.id
        WHERE a.active AND {DOMAIN_ACTIVE.format(table="a")}""",
}

# As migration 0001 created them.
PREVIOUS = {
    "mailserver_alias_domains": """
        SELECT ad.name, d.name AS target
        FROM alias_domains ad JOIN domains d ON d.id = ad.target_domain_id
        WHERE ad.active AND d.active""",
    "mailserver_mailboxes": """
        SELECT m.address, m.local_part, d.name AS domain,
               m.password_hash AS password, m.maildir, m.quota_bytes,
               '*:bytes=' || m.quota_bytes AS quota_rule
        FROM mailboxes m JOIN domains d ON d.id = m.domain_id
        WHERE m.active AND d.active""",
    "mailserver_aliases": """
        SELECT a.address, t.destination
        FROM aliases a
        JOIN domains d ON d.id = a.domain_id
        JOIN alias_destinations t ON t.alias_id = a.id
        WHERE a.active AND d.active""",
}


def _replace(views: dict) -> None:
    bind = op.get_bind()
    for name, body in views.items():
        # exec_driver_sql: DDL text, not a template (":bytes" is no bind).
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(f"CREATE OR REPLACE VIEW {name} AS {body}")
        else:
            bind.exec_driver_sql(f"DROP VIEW {name}")
            bind.exec_driver_sql(f"CREATE VIEW {name} AS {body}")


def upgrade() -> None:
    _replace(VIEWS)


def downgrade() -> None:
    _replace(PREVIOUS)
