"""Seed a database with a realistic, large data set, fast (set-based SQL).

    .venv/bin/python bench/seed.py --url postgresql://postgres@127.0.0.1/mailpanel_bench \
        [--domains 10000] [--mailboxes 1000000] [--aliases 1000000] [--big-domain 200000]

The database is migrated first. Names are predictable so benchmarks can
pick random existing keys:
- domains ``d{i}.example`` (i = 1..domains); domain 1 is the big one;
- mailboxes ``u{j}@d{i}.example``: the first ``big_domain`` in domain 1, the rest
  spread round-robin over the other domains;
- aliases ``a{k}@d{i}.example`` -> ``u{k}@...`` of the same domain where possible;
- alias domains ``alias{i}.example`` -> ``d{i}.example`` for i <= 1000;
- an app password for every 100th mailbox.
Every row goes in with a few INSERT ... SELECT statements, then counters are
recomputed and the tables analysed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from panel import migrate, passwords  # noqa: E402
from panel.db import make_engine, normalize_url  # noqa: E402


def _series(dialect: str, name: str, count: int) -> str:
    """A CTE producing integers 1..count as column i."""
    if dialect == "postgresql":
        return f"{name}(i) AS (SELECT generate_series(1, {int(count)}))"
    return f"{name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM {name} WHERE i < {int(count)})"


def _with(dialect: str) -> str:
    return "WITH" if dialect == "postgresql" else "WITH RECURSIVE"


def _mailbox_domain(big: int, domains: int) -> str:
    """SQL expression: domain id of mailbox number i."""
    if domains == 1:
        return "1"
    return f"CASE WHEN i <= {big} THEN 1 ELSE 2 + ((i - {big} - 1) % {domains - 1}) END"


def seed(
    url: str,
    domains: int = 10_000,
    mailboxes: int = 1_000_000,
    aliases: int = 1_000_000,
    big_domain: int = 200_000,
    alias_domains: int = 1_000,
    log=print,
) -> None:
    url = normalize_url(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    dialect = engine.dialect.name
    big = min(big_domain, mailboxes)
    pw = passwords.hash_password("benchmark-password", "SHA512-CRYPT")
    started = time.perf_counter()
    with engine.begin() as conn:
        now = "CURRENT_TIMESTAMP"
        conn.execute(
            text(
                f"{_with(dialect)} {_series(dialect, 's', domains)} "
                "INSERT INTO domains (id, name, description, active, max_mailboxes, max_aliases, max_quota_bytes, "
                "total_quota_bytes, default_quota_bytes, mailbox_count, alias_count, quota_allocated_bytes, created_at, updated_at) "
                f"SELECT i, 'd' || i || '.example', '', TRUE, 0, 0, 0, 0, 1073741824, 0, 0, 0, {now}, {now} FROM s"
            )
        )
        log(f"domains: {domains} in {time.perf_counter() - started:.1f}s")
        dom = _mailbox_domain(big, domains)
        conn.execute(
            text(
                f"{_with(dialect)} {_series(dialect, 's', mailboxes)} "
                "INSERT INTO mailboxes (id, domain_id, local_part, address, name, password_hash, quota_bytes, active, maildir, "
                "created_at, updated_at, password_changed_at) "
                f"SELECT i, {dom}, 'u' || i, 'u' || i || '@d' || ({dom}) || '.example', 'User ' || i, :pw, 1073741824, TRUE, "
                f"'d' || ({dom}) || '.example/m' || i, {now}, {now}, {now} FROM s"
            ),
            {"pw": pw},
        )
        log(f"mailboxes: {mailboxes} in {time.perf_counter() - started:.1f}s")
        conn.execute(
            text(
                f"{_with(dialect)} {_series(dialect, 's', aliases)} "
                "INSERT INTO aliases (id, domain_id, address, active, goto, created_at, updated_at) "
                f"SELECT i, {dom}, 'a' || i || '@d' || ({dom}) || '.example', TRUE, "
                f"'u' || i || '@d' || ({dom}) || '.example', {now}, {now} FROM s"
            )
        )
        conn.execute(
            text(
                "INSERT INTO alias_destinations (id, alias_id, destination) "
                "SELECT a.id, a.id, 'u' || a.id || '@' || substr(a.address, instr(a.address, '@') + 1) FROM aliases a"
                if dialect == "sqlite"
                else "INSERT INTO alias_destinations (id, alias_id, destination) "
                "SELECT a.id, a.id, 'u' || a.id || '@' || split_part(a.address, '@', 2) FROM aliases a"
            )
        )
        log(f"aliases: {aliases} in {time.perf_counter() - started:.1f}s")
        conn.execute(
            text(
                f"{_with(dialect)} {_series(dialect, 's', min(alias_domains, domains))} "
                "INSERT INTO alias_domains (id, name, target_domain_id, target_name, active, created_at) "
                f"SELECT i, 'alias' || i || '.example', i, 'd' || i || '.example', TRUE, {now} FROM s"
            )
        )
        conn.execute(
            text(
                "UPDATE domains SET mailbox_count = (SELECT count(*) FROM mailboxes m WHERE m.domain_id = domains.id), "
                "alias_count = (SELECT count(*) FROM aliases a WHERE a.domain_id = domains.id), "
                "quota_allocated_bytes = (SELECT coalesce(sum(quota_bytes), 0) FROM mailboxes m WHERE m.domain_id = domains.id)"
            )
        )
        seed_app_passwords(conn, pw)
        if dialect == "postgresql":
            for table in ("domains", "mailboxes", "aliases", "alias_destinations", "alias_domains", "app_passwords"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    with engine.begin() as conn:  # committed: statistics from a rolled-back ANALYZE are lost
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    log(f"seeded in {time.perf_counter() - started:.1f}s")


def seed_app_passwords(conn, secret_hash: str, every: int = 100) -> None:
    """An app password for every ``every``-th mailbox (a phone), so that the
    plan of Dovecot's app-password lookup is the plan of a table in use:
    on an empty table PostgreSQL rightly scans it (bench/explain_lookups.py)."""
    conn.execute(
        text(
            "INSERT INTO app_passwords (mailbox_id, name, secret_hash, protocols, created_at) "
            "SELECT id, 'phone', :secret, ',imap,pop3,smtp,', CURRENT_TIMESTAMP FROM mailboxes WHERE id % :every = 0"
        ),
        {"secret": secret_hash, "every": every},
    )


def load_quota_usage(conn, select_sql: str) -> None:
    """Bulk-load quota_usage rows (username, bytes, messages) from a SELECT.

    The per-row trigger that keeps domains.used_* (migration 0007) would
    update one domain row 200k times in one transaction; load with triggers
    off (PostgreSQL; the bench runs as a superuser) and sum once instead.
    """
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    # text(): SQLAlchemy escapes the '%' of a modulo for the driver.
    # "WHERE true": SQLite's parser needs it between INSERT ... SELECT and ON CONFLICT.
    conn.execute(
        text(
            f"INSERT INTO quota_usage (username, bytes, messages) SELECT * FROM ({select_sql}) AS rows "
            "WHERE true ON CONFLICT (username) DO NOTHING"
        )
    )
    if postgres:
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
        domain_of = "split_part(q.username, '@', 2)"
        conn.exec_driver_sql(
            "UPDATE domains SET used_bytes = s.b, used_messages = s.m FROM "
            f"(SELECT {domain_of} AS name, sum(q.bytes) AS b, sum(q.messages) AS m FROM quota_usage q GROUP BY 1) s "
            "WHERE domains.name = s.name"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an EMPTY database (it is migrated first)")
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--mailboxes", type=int, default=1_000_000)
    parser.add_argument("--aliases", type=int, default=1_000_000)
    parser.add_argument("--big-domain", type=int, default=200_000)
    args = parser.parse_args(argv)
    seed(args.url, args.domains, args.mailboxes, args.aliases, args.big_domain)


if __name__ == "__main__":
    main()
