"""What max_use=1 costs: SMTP throughput with the deploy/ setting and without.

deploy/postfix/master.cf.edits gives smtpd (25, 587), trivial-rewrite and
cleanup ``max_use=1`` so that no long-lived process remembers a failed
database (docs/mail-server.md, "When the database restarts"). This sends
the same load with that setting and with Postfix's default (100), several
runs each, alternating, and prints messages per second.

Run as root, on a quiet machine, holding the mail stack lock (it configures
and starts the stack on the database given, then stops it):

    createdb -h 127.0.0.1 -U postgres mailpanel_bench_smtp
    flock /tmp/mailstack.lock .venv/bin/python bench/smtp_max_use.py \\
        --url postgresql://postgres@127.0.0.1/mailpanel_bench_smtp

Load: ``smtp-source`` (from the postfix package), ``--sessions`` parallel
sessions, ``--messages`` messages of about 1 KiB, one message per session
(each a new connection, as mail from the Internet arrives) to one mailbox.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("smtp/inet", "submission/inet", "rewrite/unix", "cleanup/unix")
# max_use per service in SERVICES' order: the deploy/ setting, smtpd alone,
# the helpers alone, and Postfix's default.
SETTINGS = {
    "all four 1 (deploy/)": (1, 1, 1, 1),
    "smtpd 1": (1, 1, 100, 100),
    "rewrite+cleanup 1": (100, 100, 1, 1),
    "all 100 (default)": (100, 100, 100, 100),
}
DOMAIN, MAILBOX = "bench-smtp.test", "sink@bench-smtp.test"


def cli(url: str, *args: str, stdin: str = "") -> None:
    env = dict(os.environ, MAILPANEL_DATABASE_URL=url, MAILPANEL_SECRET_KEY="bench")
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args],
        input=stdin, env=env, cwd=ROOT, check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def mailstack(command: str, env: dict) -> None:
    subprocess.run([str(ROOT / "deploy" / "mailstack"), command], env=env, check=True, capture_output=True)


def set_max_use(values: tuple[int, ...]) -> None:
    for service, value in zip(SERVICES, values, strict=True):
        subprocess.run(["postconf", "-P", f"{service}/max_use={value}"], check=True)
    subprocess.run(["postfix", "reload"], check=True, capture_output=True)
    time.sleep(2)  # the old processes finish their clients


def drained(timeout: float = 300) -> None:
    """Wait until Postfix has delivered everything (an empty queue)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["postqueue", "-j"], capture_output=True, text=True).stdout
        if not out.strip():
            return
        time.sleep(0.5)
    raise SystemExit("the queue did not drain")


def one_run(sessions: int, messages: int) -> float:
    started = time.monotonic()
    subprocess.run(
        ["smtp-source", "-c", "-s", str(sessions), "-m", str(messages), "-l", "1024", "-f", "bench@example.com",
         "-t", MAILBOX, "127.0.0.1:25"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return messages / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL or SQLite URL the stack may own for the run")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cli(args.url, "db", "upgrade")
    cli(args.url, "domain", "add", DOMAIN)
    cli(args.url, "mailbox", "add", MAILBOX, "--password-stdin", stdin="bench-password-1\n")
    mail_root = tempfile.mkdtemp(prefix="mailstack-bench-", dir="/var/tmp")
    env = dict(os.environ, MAILPANEL_DATABASE_URL=args.url, MAILSTACK_TEST="1", MAILPANEL_MAIL_ROOT=mail_root)
    mailstack("configure", env)
    mailstack("restart", env)
    rates: dict[str, list[float]] = {name: [] for name in SETTINGS}
    try:
        one_run(args.sessions, min(50, args.messages))  # warm-up: caches, first connections
        drained()
        for _ in range(args.runs):
            for name, values in SETTINGS.items():
                set_max_use(values)
                rates[name].append(one_run(args.sessions, args.messages))
                drained()
    finally:
        mailstack("stop", env)
        mailstack("configure", env)  # back to the deploy/ setting
        shutil.rmtree(mail_root, ignore_errors=True)
    default = statistics.median(rates["all 100 (default)"])
    for name, values in rates.items():
        runs = ", ".join(f"{rate:.0f}" for rate in values)
        median = statistics.median(values)
        print(f"{name}: median {median:.0f} msg/s ({median / default:.0%} of the default; runs: {runs})")


if __name__ == "__main__":
    main()
