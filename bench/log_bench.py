"""Log tail benchmark: the last lines of a 2 GB log against a 2 MB log.

    .venv/bin/python bench/log_bench.py [--big-mb 2048] [--write-docs]

Generates two Postfix-style logs under /tmp (the big one is kept for
re-runs and never committed), then measures, median of --repeat runs:
- panel.mailserver.maillog.tail() of the last 200 lines (the page's default), and of
  the last 5,000;
- the whole logs page (GET /logs/ through Flask's test client as a
  logged-in superadmin);
- one follow poll after a line was appended (reads only the new bytes);
- a filtered search for a line that is rare (a reject near the end), which
  reads backwards until it has its lines.

Target: tail of 2 GB ≤ 1.5 × tail of 2 MB. ``--write-docs`` replaces the
"Log tail" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from panel.mailserver import maillog  # noqa: E402

TEMPLATES = (
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/smtpd[{pid}]: connect from client{n}.example[192.0.2.{o}]",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/smtpd[{pid}]: {qid}: client=client{n}.example[192.0.2.{o}]",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/cleanup[{pid}]: {qid}: message-id=<{n}.{pid}@client{n}.example>",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/qmgr[{pid}]: {qid}: from=<sender{n}@client.example>, size={size}, "
    "nrcpt=1 (queue active)",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/lmtp[{pid}]: {qid}: to=<user{n}@example.org>, "
    "relay=mx[private/dovecot-lmtp], delay=0.1, delays=0.05/0.01/0.01/0.03, dsn=2.0.0, status=sent "
    "(250 2.0.0 <user{n}@example.org> mHk7Lx0vZmUJAAAAw3Vp0A Saved)",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/qmgr[{pid}]: {qid}: removed",
    "Nov 26 {h:02d}:{m:02d}:{s:02d} mx postfix/smtpd[{pid}]: disconnect from client{n}.example[192.0.2.{o}] "
    "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
)
REJECT = (
    "Nov 26 23:59:58 mx postfix/smtpd[999]: NOQUEUE: reject: RCPT from spam.example[203.0.113.5]: "
    "554 5.7.1 <victim@example.org>: Relay access denied; from=<x@spam.example> to=<victim@example.org>\n"
)


def chunk(seed: int, size: int = 1 << 20) -> bytes:
    """About ``size`` bytes of varied Postfix lines."""
    lines, total, n = [], 0, seed * 100_000
    while total < size:
        n += 1
        line = (
            TEMPLATES[n % len(TEMPLATES)].format(
                h=(n // 3600) % 24,
                m=(n // 60) % 60,
                s=n % 60,
                pid=1000 + n % 5000,
                n=n,
                o=n % 250,
                qid=f"{0x3F2A1B0000 + n // 7:X}",
                size=300 + n % 90_000,
            )
            + "\n"
        )
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def make_log(path: Path, megabytes: int) -> None:
    want = megabytes << 20
    if path.exists() and path.stat().st_size >= want:
        return
    blocks = [chunk(seed) for seed in range(8)]
    with open(path, "wb") as fh:
        written = 0
        while written < want:
            block = blocks[(written >> 20) % len(blocks)]
            fh.write(block)
            written += len(block)
        fh.write(REJECT.encode())
        fh.write(b"".join(blocks[0].splitlines(keepends=True)[:2000]))


def page_client(folder: Path, log: Path):
    from panel import create_app, migrate
    from panel.db import get_session
    from panel.services import Actor, admins

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "POSTFIX_LOG": str(log),
        }
    )
    app.instance_path = str(folder / "instance")
    with app.app_context():
        session = get_session()
        admins.create_admin(session, Actor.system("bench"), "bench", "superadmin", "bench-password-1")
        session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": "bench", "password": "bench-password-1"}).status_code == 302
    return app, client


def cases(log: Path, folder: Path) -> dict:
    app, client = page_client(folder, log)

    def page():
        response = client.get("/logs/")
        assert response.status_code == 200 and "log-lines" in response.get_data(as_text=True)

    def follow_poll():
        cursor = maillog.tail(str(log), 1).cursor
        with open(log, "ab") as fh:
            fh.write(b"Nov 26 23:59:59 mx postfix/qmgr[1]: 4A4A4A4A4A: removed\n")
        assert len(maillog.follow(str(log), cursor).lines) == 1

    return {
        "tail200": lambda: maillog.tail(str(log), 200),
        "tail5000": lambda: maillog.tail(str(log), 5000),
        "page": page,
        "follow": follow_poll,
        "reject": lambda: maillog.tail(str(log), 1, maillog.LogFilter(severity="reject")),
        "nomatch": lambda: maillog.tail(str(log), 200, maillog.LogFilter(text="no-such-text")),
    }


def measure(small_log: Path, big_log: Path, repeat: int, folder: Path) -> tuple[dict, dict]:
    """Small and big runs alternate, so load from elsewhere hits both alike."""
    small_cases, big_cases = cases(small_log, folder / "s"), cases(big_log, folder / "b")
    small, big = {"size": small_log.stat().st_size}, {"size": big_log.stat().st_size}
    for name in small_cases:
        runs = {"small": [], "big": []}
        for _ in range(repeat):
            for label, fn in (("small", small_cases[name]), ("big", big_cases[name])):
                start = time.perf_counter()
                fn()
                runs[label].append(time.perf_counter() - start)
        small[name], big[name] = statistics.median(runs["small"]), statistics.median(runs["big"])
    return small, big


def section(small: dict, big: dict) -> str:
    def row(label, key):
        return f"| {label} | {small[key] * 1000:.2f} ms | {big[key] * 1000:.2f} ms | {big[key] / small[key]:.2f}× |"

    return "\n".join(
        [
            "## Log tail",
            "",
            f"`bench/log_bench.py` on {date.today().isoformat()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, files in /tmp (page cache warm). Generated Postfix logs of "
            f"{small['size'] / 2**20:.0f} MiB and {big['size'] / 2**30:.2f} GiB. Median of the runs, small and big alternating. "
            "Target: tail of 2 GB ≤ 1.5× tail of 2 MB.",
            "",
            "| what | 2 MB log | 2 GB log | ratio |",
            "| --- | ---: | ---: | ---: |",
            row("last 200 lines (`maillog.tail`, the page's default)", "tail200"),
            row("last 5,000 lines", "tail5000"),
            row("the whole logs page (GET /logs/, 200 lines)", "page"),
            row("one follow poll after a line was appended", "follow"),
            row("filtered: the last `reject` (2,000 lines from the end)", "reject"),
            row("filtered, no line matches: reads the whole file, or stops at the budget", "nomatch"),
            "",
            "The tail reads 64 KiB blocks backwards from the end and stops when it has its lines; follow reads "
            "from the byte offset it was given. A filtered search also reads backwards and stops at its lines, "
            f"or after {maillog.SCAN_BUDGET >> 20} MiB (`SCAN_BUDGET`) and says so on the page; a block in which "
            "the filter's text cannot occur is skipped without splitting it into lines. The last row is the one "
            "that grows with the file (up to the budget), by design.",
            "",
        ]
    )


def write_docs(text: str, title: str) -> None:
    path = ROOT / "docs" / "performance.md"
    doc = path.read_text() if path.exists() else "# Performance\n"
    start = doc.find(f"## {title}")
    if start >= 0:
        end = doc.find("\n## ", start + 1)
        doc = doc[:start] + text + (doc[end + 1 :] if end >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=2048)
    parser.add_argument("--small-mb", type=int, default=2)
    parser.add_argument("--dir", default="/tmp/mailpanel-log-bench")
    parser.add_argument("--repeat", type=int, default=51)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    small_log, big_log = folder / "small" / "postfix.log", folder / "big" / "postfix.log"
    small_log.parent.mkdir(exist_ok=True)
    big_log.parent.mkdir(exist_ok=True)
    make_log(small_log, args.small_mb)
    make_log(big_log, args.big_mb)
    with tempfile.TemporaryDirectory(prefix="mailpanel-log-bench-") as work:
        small, big = measure(small_log, big_log, args.repeat, Path(work))
    text = section(small, big)
    print(text)
    if args.write_docs:
        write_docs(text, "Log tail")


if __name__ == "__main__":
    main()
