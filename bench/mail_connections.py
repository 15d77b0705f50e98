"""Database connections of the mail servers under many sessions at once:
300 SMTP sessions and 100 IMAP logins against deploy/mailstack on PostgreSQL.

Run as root, on a quiet machine, holding the mail stack lock (it configures
and starts the stack on the database given, then stops it):

    createdb -h 127.0.0.1 -U postgres mailpanel_bench_mail
    flock /tmp/mailstack.lock .venv/bin/python bench/mail_connections.py \\
        --url postgresql://postgres@127.0.0.1/mailpanel_bench_mail [--smtp 300] [--imap 100] [--hold 5] \\
        [--pgbouncer]

``--pgbouncer`` configures the stack with MAILSTACK_PGBOUNCER=1 (the mail
servers reach PostgreSQL through deploy/mailstack's PgBouncer, its default)
and also samples PgBouncer's client connections; without it, with
MAILSTACK_PGBOUNCER=0 (direct connections).

``--imap`` mailboxes are created (distinct users: Dovecot allows 10
connections per user and address). Then, all at once, ``--smtp`` threads
each open an SMTP session on port 25 (banner, EHLO, MAIL FROM, RCPT TO one
of the mailboxes: the recipient lookups), hold it ``--hold`` seconds as a
slow client sending its message would, and quit; and ``--imap`` threads
each log in over IMAP, select INBOX, hold, and log out. Sampled every
0.2 s: the connections to the mail database (pg_stat_activity, by role:
Postfix and Dovecot each have their own) and the smtpd processes.
Reported: the peak of each, the RCPT answers (250, 4xx, other), IMAP logins that failed, how long sessions waited
for their banner (Postfix serves at most its smtpd process limit at once;
the rest wait in the listen queue), and PostgreSQL's max_connections.
"""

from __future__ import annotations

import argparse
import collections
import imaplib
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from panel.db import normalize_url  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from smtp_max_use import mailstack  # noqa: E402

DOMAIN = "bench-conn.test"
PASSWORD = "bench-password-1"


def cli(url: str, *args: str, stdin: str = "") -> None:
    env = dict(
        os.environ, MAILPANEL_DATABASE_URL=url, MAILPANEL_SECRET_KEY="bench", MAILPANEL_HASH_SCHEME="SHA512-CRYPT"
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args],
        input=stdin, env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def users(count: int) -> list[str]:
    return [f"u{i}@{DOMAIN}" for i in range(1, count + 1)]


def prepare(url: str, count: int) -> None:
    cli(url, "db", "upgrade")
    cli(url, "domain", "add", DOMAIN, "--max-mailboxes", "0")
    rows = "\n".join(f"{address},{PASSWORD}" for address in users(count))
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
        csv.write("email,password\n" + rows + "\n")
    try:
        cli(url, "users", "import", csv.name)
    finally:
        os.unlink(csv.name)


class Sampler(threading.Thread):
    def __init__(self, url: str):
        super().__init__(daemon=True)
        target = make_url(normalize_url(url))
        self.database = target.database
        self.engine = create_engine(target.set(database="postgres"))
        self.stop = threading.Event()
        self.connections: list[int] = []
        self.by_application: collections.Counter = collections.Counter()
        self.smtpd: list[int] = []
        self.pooled_clients: list[int] = []

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    text("SELECT usename, count(*) FROM pg_stat_activity WHERE datname = :d GROUP BY 1"),
                    {"d": self.database},
                ).all()
                conn.rollback()
                self.connections.append(sum(n for _, n in rows))
                for name, n in rows:
                    self.by_application[name] = max(self.by_application[name], n)
                ps = subprocess.run(["pgrep", "-c", "-x", "smtpd"], capture_output=True, text=True)
                self.smtpd.append(int(ps.stdout.strip() or 0))
                ss = subprocess.run(
                    ["ss", "-Htn", "state", "established", "( sport = :6432 )"], capture_output=True, text=True
                )
                self.pooled_clients.append(len(ss.stdout.splitlines()))
                self.stop.wait(0.2)

    def max_connections(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SHOW max_connections")).scalar())


def smtp_session(recipient: str, hold: float, results: list, waits: list) -> None:
    started = time.monotonic()
    try:
        with smtplib.SMTP("127.0.0.1", 25, timeout=120) as smtp:
            waits.append(time.monotonic() - started)
            smtp.ehlo("bench.example")
            smtp.mail("sender@bench.example")
            code, _ = smtp.rcpt(recipient)
            results.append(code)
            time.sleep(hold)
            smtp.rset()
    except (OSError, smtplib.SMTPException) as exc:
        results.append(type(exc).__name__)


def imap_session(user: str, hold: float, failures: list) -> None:
    try:
        imap = imaplib.IMAP4("127.0.0.1", 143, timeout=120)
        imap.login(user, PASSWORD)
        imap.select("INBOX")
        time.sleep(hold)
        imap.logout()
    except (OSError, imaplib.IMAP4.error) as exc:
        failures.append(f"{user}: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL URL the stack may own for the run")
    parser.add_argument("--smtp", type=int, default=300)
    parser.add_argument("--imap", type=int, default=100)
    parser.add_argument("--hold", type=float, default=5.0)
    parser.add_argument("--pgbouncer", action="store_true", help="through deploy/mailstack's PgBouncer")
    args = parser.parse_args()

    prepare(args.url, args.imap)
    mail_root = tempfile.mkdtemp(prefix="mailstack-bench-", dir="/var/tmp")
    env = dict(os.environ, MAILPANEL_DATABASE_URL=args.url, MAILSTACK_TEST="1", MAILPANEL_MAIL_ROOT=mail_root)
    env["MAILSTACK_PGBOUNCER"] = "1" if args.pgbouncer else "0"
    mailstack("configure", env)
    mailstack("restart", env)
    sampler = Sampler(args.url)
    results: list = []
    waits: list[float] = []
    failures: list[str] = []
    try:
        time.sleep(2)
        mailboxes = users(args.imap)
        sampler.start()
        started = time.monotonic()
        threads = [
            threading.Thread(target=smtp_session, args=(mailboxes[i % len(mailboxes)], args.hold, results, waits))
            for i in range(args.smtp)
        ] + [threading.Thread(target=imap_session, args=(user, args.hold, failures)) for user in mailboxes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        time.sleep(1)
        sampler.stop.set()
        sampler.join()
        limit = sampler.max_connections()
    finally:
        mailstack("stop", env)
        shutil.rmtree(mail_root, ignore_errors=True)

    answers = collections.Counter(str(code) for code in results)
    waits.sort()
    print(f"{args.smtp} SMTP sessions and {args.imap} IMAP logins, held {args.hold} s each: {elapsed:.1f} s in all")
    print(f"RCPT answers: {dict(answers)}; IMAP logins failed: {len(failures)}")
    if waits:
        print(
            f"wait for the SMTP banner: median {statistics.median(waits):.2f} s, "
            f"max {waits[-1]:.2f} s; smtpd processes at most {max(sampler.smtpd)}"
        )
    print(f"connections to the mail database: peak {max(sampler.connections)} (PostgreSQL max_connections {limit})")
    for name, peak in sampler.by_application.most_common():
        print(f"  {name}: peak {peak}")
    if args.pgbouncer:
        print(f"PgBouncer's clients (Postfix and Dovecot processes): peak {max(sampler.pooled_clients)}")
    for failure in failures[:5]:
        print("  IMAP:", failure)


if __name__ == "__main__":
    main()
