"""What disabling a big domain costs, on a database bench/seed.py filled.

    .venv/bin/python bench/domain_disable.py --url postgresql://postgres@127.0.0.1/mailpanel_bench_10m \
        [--domain d1.example] [--small d2.example]

`domains.set_domain_active` (the service the panel, CLI and API call)
writes the domain's own row, which the mail servers' views read in place
(migration 0025; until then it copied the flag onto every mailbox and alias
row, in the caller's one transaction). For the domain and
for a small one, disabled and then enabled again (each committed), this
prints: the wall time to commit; the WAL the cluster wrote meanwhile
(run it on a quiet cluster: other writers count too); and, from a second
connection probing Postfix's mailbox map every 0.1 s meanwhile, how long
the map still answered the old state (until the commit: readers are never
blocked, they see the old rows) and the slowest probe of another domain
(is anyone else's mail slowed?). The seeded database is left as it was
(enabled).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from panel import create_app  # noqa: E402
from panel.db import get_session, normalize_url  # noqa: E402
from panel.models import Domain  # noqa: E402
from panel.services import Actor, domains  # noqa: E402

PROBE = "SELECT address FROM mailserver_mailboxes WHERE address = :a"


class Prober(threading.Thread):
    """Postfix's view of the domain, from its own connection, every 0.1 s."""

    def __init__(self, url: str, address: str, other: str):
        super().__init__(daemon=True)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.address, self.other = address, other
        self.answers: list[tuple[float, bool]] = []
        self.other_ms: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.is_set():
                found = conn.execute(text(PROBE), {"a": self.address}).first() is not None
                self.answers.append((time.monotonic(), found))
                started = time.perf_counter()
                conn.execute(text(PROBE), {"a": self.other}).first()
                self.other_ms.append((time.perf_counter() - started) * 1000)
                time.sleep(0.1)
        self.engine.dispose()


def _wal_lsn(conn) -> int:
    return int(conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar())


def one_change(app, url: str, name: str, active: bool, other: str) -> dict:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with app.app_context():
        session = get_session()
        domain = session.scalars(select(Domain).where(Domain.name == name)).one()
        count = domain.mailbox_count + domain.alias_count
        address = session.execute(
            text("SELECT address FROM mailboxes WHERE domain_id = :d AND active ORDER BY id LIMIT 1"), {"d": domain.id}
        ).scalar_one()
        with engine.connect() as conn:
            wal_before = _wal_lsn(conn)
        prober = Prober(url, address, other)
        prober.start()
        time.sleep(0.3)
        started = time.monotonic()
        domains.set_domain_active(session, Actor.system("bench"), domain, active)
        session.commit()
        committed = time.monotonic()
        time.sleep(0.5)
        prober.done.set()
        prober.join()
        with engine.connect() as conn:
            wal = _wal_lsn(conn) - wal_before
    engine.dispose()
    stale = [at for at, found in prober.answers if started <= at and found != active]
    return {
        "domain": name,
        "rows": count,
        "action": "enable" if active else "disable",
        "seconds": committed - started,
        "wal_mib": wal / 2**20,
        "old_answer_s": (max(stale) - started) if stale else 0.0,
        "other_max_ms": max(prober.other_ms),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--domain", default="d1.example")
    parser.add_argument("--small", default="d2.example")
    parser.add_argument("--other", default="u3@d3.example", help="a mailbox of a third domain, probed meanwhile")
    args = parser.parse_args(argv)
    url = normalize_url(args.url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    print(
        "| domain | rows (mailboxes + aliases) | change | commit after | WAL | map answered the old state for | slowest other-domain lookup meanwhile |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for name in (args.small, args.domain):
        for active in (False, True):
            r = one_change(app, url, name, active, args.other)
            print(
                f"| {r['domain']} | {r['rows']:,} | {r['action']} | {r['seconds']:.2f} s | {r['wal_mib']:.0f} MiB | "
                f"{r['old_answer_s']:.2f} s | {r['other_max_ms']:.1f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
