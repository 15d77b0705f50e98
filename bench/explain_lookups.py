"""EXPLAIN every lookup Postfix and Dovecot run, on a seeded database.

    .venv/bin/python bench/explain_lookups.py --url postgresql://postgres@127.0.0.1/mailpanel_bench [--seed]

With --seed the (empty) database is first filled by bench/seed.py with 10k
domains, 1M mailboxes and 1M aliases. Each query from panel/mailserver/queries/ is
rendered exactly as the servers would (panel.mailserver.queries) for a key
that exists, and its plan printed. Exit status 1 if any per-key lookup plan
contains a sequential scan (the iterate query lists every user on purpose
and is reported, not judged).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from panel.db import make_engine, normalize_url  # noqa: E402
from panel.mailserver import queries as mq  # noqa: E402

# A key that exists in a seeded database, per query.
SAMPLE_KEYS = {
    "postfix-domains": "d4242.example",
    "postfix-alias-domains": "alias42.example",
    "postfix-mailboxes": "u424242@d{dom}.example",
    "postfix-aliases": "a424242@d{dom}.example",
    # The recipient map's worst case for an existing key: every step up to
    # the alias domain's target (the alias there, its mailbox).
    "postfix-recipient": "u{first}@alias{alias_dom}.example",
    "postfix-catchall": "nobody@d{dom}.example",
    "dovecot-password": "u424242@d{dom}.example",
    "dovecot-user": "u424242@d{dom}.example",
}
WHOLE_TABLE = {"dovecot-iterate"}


def _keys(conn) -> dict:
    dom = conn.exec_driver_sql("SELECT domain_id FROM mailboxes WHERE id = 424242").scalar()
    alias_dom = conn.exec_driver_sql(
        "SELECT min(ad.id) FROM alias_domains ad JOIN mailboxes m ON m.domain_id = ad.target_domain_id"
    ).scalar()
    first = conn.exec_driver_sql(
        "SELECT min(m.id) FROM mailboxes m JOIN alias_domains ad ON ad.target_domain_id = m.domain_id WHERE ad.id = %s"
        if conn.dialect.name == "postgresql"
        else "SELECT min(m.id) FROM mailboxes m JOIN alias_domains ad ON ad.target_domain_id = m.domain_id WHERE ad.id = ?",
        (alias_dom,),
    ).scalar()
    return {"dom": dom, "alias_dom": alias_dom, "first": first}


def explain_all(url: str, out=print) -> bool:
    engine = make_engine(normalize_url(url))
    ok = True
    with engine.connect() as conn:
        values = _keys(conn)
        for name in mq.query_names():
            dialect = "dovecot" if name.startswith("dovecot") else "postfix"
            key = SAMPLE_KEYS.get(name, "u1@d1.example").format(**values)
            # The portable text: on PostgreSQL the recipient and catch-all
            # maps call functions (migrations 0012, 0018) that run the same
            # probes one by one.
            sql = mq.render(mq.load(name, mail_root="/var/vmail"), key, dialect)
            prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            # text(): a '%' in the query (LIKE) is escaped for the driver.
            plan = [str(row[-1]) for row in conn.execute(text(prefix + sql.replace(":", r"\:")))]
            rows = conn.execute(text(sql.replace(":", r"\:"))).fetchall()
            # SQLite's "SCAN CONSTANT ROW" is a SELECT without FROM (the
            # Dovecot queries' empty-key answer), no table.
            scans = [
                line
                for line in plan
                if "Seq Scan" in line or (line.strip().startswith("SCAN ") and "CONSTANT ROW" not in line)
            ]
            verdict = (
                "whole table by design" if name in WHOLE_TABLE else ("SEQUENTIAL SCAN" if scans else "index scans only")
            )
            if scans and name not in WHOLE_TABLE:
                ok = False
            out(f"### {name} (key {key!r}: {len(rows)} row(s); {verdict})\n")
            out("```\n" + sql + "\n\n" + "\n".join(plan) + "\n```\n")
    engine.dispose()
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="EXPLAIN every Postfix/Dovecot lookup")
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", action="store_true", help="seed 10k domains / 1M mailboxes / 1M aliases first")
    args = parser.parse_args(argv)
    if args.seed:
        from seed import seed

        seed(args.url)
    return 0 if explain_all(args.url) else 1


if __name__ == "__main__":
    sys.exit(main())
