"""CSV export benchmark: the real `flask users export` on PostgreSQL.

    .venv/bin/python bench/export_bench.py \
        [--url postgresql://postgres@127.0.0.1/mailpanel_bench_export] [--mailboxes 200000] [--runs 5] [--reseed]

The database is seeded once with bench/seed.py (``--mailboxes`` mailboxes,
as many aliases, 2,000 domains, the first 10 % in ``d1.example``) and kept
for later runs; ``--reseed`` drops it first. Each run is a fresh
``flask users export`` process as the superadmin (password hashes
included), its output read and thrown away: wall time of the whole command
per exported row (mailbox rows plus alias rows) and the command's peak RSS,
once for the whole export and once for one small domain, so memory that
grows with the export shows as a difference. Target (issue 17): <= 18 us a
row, memory flat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import seed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from panel.db import normalize_url  # noqa: E402


def _admin(url: str):
    return create_engine(make_url(normalize_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT")


def prepare(url: str, mailboxes: int, reseed: bool) -> None:
    name = make_url(normalize_url(url)).database
    admin = _admin(url)
    with admin.connect() as conn:
        if reseed:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        present = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not present:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if not present:
        seed(url, domains=2_000, mailboxes=mailboxes, aliases=mailboxes, big_domain=mailboxes // 10, alias_domains=200)


def export(url: str, *args: str) -> tuple[float, int, int]:
    """(seconds, CSV rows without the header, peak RSS in KiB) of one export."""
    env = dict(os.environ, MAILPANEL_DATABASE_URL=url, MAILPANEL_SECRET_KEY="bench")
    command = [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "users", "export", *args]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = 0
    for block in iter(lambda: child.stdout.read(1 << 20), b""):
        lines += block.count(b"\n")  # a CRLF may straddle two blocks
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"export failed with status {status}")
    return elapsed, lines - 1, usage.ru_maxrss


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/mailpanel_bench_export")
    parser.add_argument("--mailboxes", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    prepare(args.url, args.mailboxes, args.reseed)
    export(args.url)  # warm the caches once

    # The start-up of a flask process, measured alone, is reported apart.
    small = [export(args.url, "--domain", "d2.example") for _ in range(args.runs)]
    whole = [export(args.url) for _ in range(args.runs)]
    rows = whole[0][1]
    times = sorted(seconds for seconds, _, _ in whole)
    start_up = statistics.median(seconds for seconds, _, _ in small)
    print(f"rows exported: {rows:,} (one small domain: {small[0][1]:,})")
    print(f"whole export: median {statistics.median(times):.2f} s, best {times[0]:.2f} s over {args.runs} runs")
    print(f"  per row: median {statistics.median(times) / rows * 1e6:.1f} us, best {times[0] / rows * 1e6:.1f} us")
    per_row = (statistics.median(times) - start_up) / rows * 1e6
    print(f"  per row without the command's start-up ({start_up:.2f} s, the small export's time): {per_row:.1f} us")
    print(f"peak RSS: whole {max(kib for _, _, kib in whole) / 1024:.0f} MiB, ", end="")
    print(f"one small domain {max(kib for _, _, kib in small) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
