"""CSV import benchmark: the real `flask users import` on PostgreSQL.

    .venv/bin/python bench/import_bench.py \
        [--url postgresql://postgres@127.0.0.1/mailpanel_bench_import] [--rows 100000] [--plain-rows 2000]

1. ``--rows`` rows with pre-hashed passwords ({SHA512-CRYPT}) into an empty,
   freshly migrated database: wall time of the whole command (both passes,
   one commit) and the command's peak RSS. Target: 100k rows <= 30 s.
2. ``--plain-rows`` rows with plain passwords (the configured scheme,
   ARGON2ID by default): rows/s against cores x the one-core hash rate of
   the scheme, measured by hashing in a process pinned to one CPU.
   Target: >= 80 %.

The database named by --url is dropped and re-created.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from panel import migrate, passwords  # noqa: E402
from panel.bulk.hashing import cores  # noqa: E402
from panel.db import normalize_url  # noqa: E402


def fresh_database(url: str) -> None:
    target = make_url(normalize_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    migrate.upgrade(url)


def flask(url: str, *args: str, scheme: str) -> float:
    env = dict(os.environ, MAILPANEL_DATABASE_URL=url, MAILPANEL_SECRET_KEY="bench", MAILPANEL_HASH_SCHEME=scheme)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=3600,
    )
    return time.perf_counter() - started


def write_csv(path: Path, rows: int, domain: str, *, digest: str | None) -> None:
    with path.open("w") as out:
        out.write("email,name,password,password_hash,quota\n")
        for i in range(rows):
            if digest:
                out.write(f"user{i}@{domain},User {i},,{digest},1G\n")
            else:
                out.write(f"user{i}@{domain},User {i},secret-password-{i},,1G\n")


def one_core_rate(scheme: str, count: int) -> float:
    """Hashes per second of one process pinned to one CPU."""
    code = (
        "import os,sys,time; sys.path.insert(0, %r); os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
        "from panel import passwords; n=%d; t=time.perf_counter();"
        "[passwords.hash_password('secret-password-%%d' %% i, %r) for i in range(n)];"
        "print(n/(time.perf_counter()-t))" % (str(ROOT), count, scheme)
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=600)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/mailpanel_bench_import")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--plain-rows", type=int, default=2000)
    parser.add_argument("--scheme", default="ARGON2ID")
    args = parser.parse_args()

    fresh_database(args.url)
    flask(args.url, "domain", "add", "bench.example", scheme=args.scheme)
    flask(args.url, "domain", "add", "plain.example", scheme=args.scheme)
    with tempfile.TemporaryDirectory() as tmp:
        prehashed = Path(tmp) / "prehashed.csv"
        write_csv(
            prehashed, args.rows, "bench.example", digest=passwords.hash_password("secret-password", "SHA512-CRYPT")
        )
        seconds = flask(args.url, "users", "import", str(prehashed), scheme=args.scheme)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"pre-hashed: {args.rows} rows in {seconds:.1f} s = {args.rows / seconds:,.0f} rows/s "
            f"(peak RSS of the command {peak_mib:.0f} MiB)"
        )

        plain = Path(tmp) / "plain.csv"
        write_csv(plain, args.plain_rows, "plain.example", digest=None)
        # The one-core rate before and after the run, averaged: on a shared
        # machine the load drifts, and the ratio should compare like with like.
        before = one_core_rate(args.scheme, 40)
        seconds = flask(args.url, "users", "import", str(plain), scheme=args.scheme)
        rate = args.plain_rows / seconds
        single = (before + one_core_rate(args.scheme, 40)) / 2
        print(f"load average after the run: {os.getloadavg()[0]:.1f}")
        n = cores()
        print(
            f"plain {args.scheme}: {args.plain_rows} rows in {seconds:.1f} s = {rate:.1f} rows/s; "
            f"one core hashes {single:.2f}/s; {n} cores x {single:.2f} = {n * single:.2f}/s; "
            f"efficiency {100 * rate / (n * single):.0f} %"
        )


if __name__ == "__main__":
    main()
