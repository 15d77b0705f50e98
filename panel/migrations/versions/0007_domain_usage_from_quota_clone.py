"""domains.used_bytes / used_messages: stored mail per domain, kept in SQL

Revision ID: 0007
Revises: 0006

Dovecot's quota_clone writes each mailbox's usage into quota_usage. Summing
those rows per domain at read time costs ~0.5 s for a 200k-mailbox domain,
so a trigger on quota_usage keeps a per-domain sum on the domain row as
Dovecot writes (INSERT ... ON CONFLICT DO UPDATE fires the INSERT or the
UPDATE trigger), and the panel's lists read it like the other counters.

On PostgreSQL the trigger function is SECURITY DEFINER: the mail servers'
read-only role may write quota_usage but not domains.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ("used_bytes", "used_messages")

_PG_FUNCTION = """
CREATE FUNCTION mailpanel_domain_usage() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE domains SET used_bytes = used_bytes - OLD.bytes, used_messages = used_messages - OLD.messages
     WHERE name = split_part(OLD.username, '@', 2);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE domains SET used_bytes = used_bytes + NEW.bytes, used_messages = used_messages + NEW.messages
     WHERE name = split_part(NEW.username, '@', 2);
  END IF;
  RETURN NULL;
END
$fn$"""

_SQLITE_DOMAIN = "substr({row}.username, instr({row}.username, '@') + 1)"
_SQLITE_ADD = ("UPDATE domains SET used_bytes = used_bytes {sign} {row}.bytes, "
               "used_messages = used_messages {sign} {row}.messages WHERE name = " + _SQLITE_DOMAIN + ";")
_SQLITE_TRIGGERS = {
    "mailpanel_domain_usage_insert": ("AFTER INSERT", _SQLITE_ADD.format(sign="+", row="NEW")),
    "mailpanel_domain_usage_update": ("AFTER UPDATE", _SQLITE_ADD.format(sign="-", row="OLD") + " "
                                      + _SQLITE_ADD.format(sign="+", row="NEW")),
    "mailpanel_domain_usage_delete": ("AFTER DELETE", _SQLITE_ADD.format(sign="-", row="OLD")),
}


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ALTER TABLE (both databases): a batch rebuild on SQLite would
    # trip over the views that stand on domains.
    for column in COLUMNS:
        bind.exec_driver_sql(f"ALTER TABLE domains ADD COLUMN {column} BIGINT NOT NULL DEFAULT 0")
    domain_of = ("split_part(q.username, '@', 2)" if bind.dialect.name == "postgresql"
                 else "substr(q.username, instr(q.username, '@') + 1)")
    bind.exec_driver_sql(
        f"UPDATE domains SET used_bytes = coalesce((SELECT sum(q.bytes) FROM quota_usage q WHERE {domain_of} = domains.name), 0), "
        f"used_messages = coalesce((SELECT sum(q.messages) FROM quota_usage q WHERE {domain_of} = domains.name), 0)")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(_PG_FUNCTION)
        bind.exec_driver_sql("CREATE TRIGGER mailpanel_domain_usage AFTER INSERT OR UPDATE OR DELETE ON quota_usage "
                             "FOR EACH ROW EXECUTE FUNCTION mailpanel_domain_usage()")
    else:
        for name, (when, body) in _SQLITE_TRIGGERS.items():
            bind.exec_driver_sql(f"CREATE TRIGGER {name} {when} ON quota_usage BEGIN {body} END")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER mailpanel_domain_usage ON quota_usage")
        bind.exec_driver_sql("DROP FUNCTION mailpanel_domain_usage()")
    else:
        for name in _SQLITE_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER {name}")
    for column in COLUMNS:
        bind.exec_driver_sql(f"ALTER TABLE domains DROP COLUMN {column}")
