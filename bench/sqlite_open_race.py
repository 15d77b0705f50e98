"""How often Postfix's SQLite lookups die on "database is locked", with and
without deploy/sqlite/keeper (issue 17 point 7).

    .venv/bin/python bench/sqlite_open_race.py [--rounds 5] [--parallel 8] [--lookups 2000]

Each round runs `--lookups` real `postmap -q` on a SQLite map in WAL mode,
`--parallel` at a time (each a new process and connection, as Postfix's
short-lived smtpd and cleanup processes make), while a writer commits 500
rows every ~50 ms; once without the keeper and once with it. A failed lookup
is what kills a Postfix process (`fatal: ... SQL prepare failed: database is
locked`). Needs postfix and postfix-sqlite (make system-deps); no mail stack.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KEEPER = Path(__file__).resolve().parent.parent / "deploy" / "sqlite" / "keeper"


def prepare(directory: Path) -> Path:
    db = directory / "maps.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE m (k TEXT PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO m VALUES (?, 'found')", [(f"u{n}@a.test",) for n in range(10000)])
    conn.close()
    (directory / "main.cf").write_text("compatibility_level = 3.6\n")
    (directory / "m.cf").write_text(f"dbpath = {db}\nquery = SELECT v FROM m WHERE k = '%s'\n")
    return db


def round_(directory: Path, db: Path, parallel: int, lookups: int) -> tuple[int, int, float]:
    stop = threading.Event()

    def write():
        conn = sqlite3.connect(db, timeout=5, isolation_level=None)
        batch = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO m VALUES (?, 'w')", [(f"w{batch}-{i}",) for i in range(500)])
            conn.execute("COMMIT")
            batch += 1
            time.sleep(0.05)
        conn.close()

    def lookup(n: int) -> bool:
        answer = subprocess.run(
            ["postmap", "-c", str(directory), "-q", f"u{n % 10000}@a.test", f"sqlite:{directory / 'm.cf'}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return answer.stdout == "found\n"

    writer = threading.Thread(target=write)
    writer.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(parallel) as pool:
            answers = list(pool.map(lookup, range(lookups)))
    finally:
        stop.set()
        writer.join()
    return answers.count(False), len(answers), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    totals = {"without keeper": [0, 0], "with keeper": [0, 0]}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        db = prepare(directory)
        for number in range(1, args.rounds + 1):
            for label in totals:
                keeper = None
                if label == "with keeper":
                    keeper = subprocess.Popen([sys.executable, str(KEEPER), str(db)], stdout=subprocess.PIPE, text=True)
                    assert keeper.stdout.readline().startswith("holding")
                try:
                    failed, total, seconds = round_(directory, db, args.parallel, args.lookups)
                finally:
                    if keeper:
                        keeper.terminate()
                        keeper.wait()
                totals[label][0] += failed
                totals[label][1] += total
                print(f"round {number} {label:15} {failed:4} of {total} lookups failed ({total / seconds:.0f}/s)")
    for label, (failed, total) in totals.items():
        print(f"{label:15} {failed} of {total} failed ({100 * failed / total:.2f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
