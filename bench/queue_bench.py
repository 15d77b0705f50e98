"""Queue page benchmark: the page with N queued messages against `postqueue -j` alone.

    .venv/bin/python bench/queue_bench.py [--messages 50000] [--write-docs]

The queue is a generated ``postqueue -j`` stream: this script doubles as the
fake program behind ``QUEUE_COMMAND_PREFIX`` (``--fake-postqueue N``), and
like Postfix's showq it formats every message as it goes (one JSON object
per line, deterministic content: 5 queues, ages up to 10 days, 1-3
recipients with delay reasons).

Measured (median of --repeat runs):
- baseline: the fake ``postqueue -j`` alone, its output read to the end
  through panel.mailserver.tools (what any page must at least pay);
- the queue page: GET /queue/ through Flask's test client as a logged-in
  superadmin (SQLite panel database in a temporary folder), first page, a
  filtered page and a deep keyset page;
- memory: tracemalloc's peak of one page request at 5k, 50k and 200k
  messages (flat means the page does not hold the queue).

Target: page ≤ 1.5 × baseline at 50k, flat memory. ``--write-docs``
replaces the "Queue page" section of docs/performance.md.

``--real N`` (root, under ``flock /tmp/mailstack.lock``) measures the same
page against the real Postfix holding N deferred messages instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_790_000_000
QUEUES = ("deferred", "deferred", "deferred", "active", "hold", "incoming", "maildrop")
REASONS = (
    "connect to mx.example.net[192.0.2.7]:25: Connection timed out",
    "host mx.example.org[198.51.100.3] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)",
    "delivery temporarily suspended: lost connection with mx.example.com[203.0.113.9]",
    "",
)


def fake_postqueue(count: int) -> None:
    """Print ``count`` messages as ``postqueue -j`` does, one JSON per line."""
    rng = random.Random(7)
    out = sys.stdout
    for n in range(count):
        recipients = [
            {
                "address": f"user{rng.randrange(100000)}@dest{rng.randrange(500)}.example",
                "delay_reason": rng.choice(REASONS),
            }
            for _ in range(rng.randint(1, 3))
        ]
        out.write(
            json.dumps(
                {
                    "queue_name": rng.choice(QUEUES),
                    "queue_id": f"{0x1000000000 + n:X}",
                    "arrival_time": NOW - rng.randrange(864000),
                    "message_size": rng.randrange(300, 5_000_000),
                    "forced_expire": False,
                    "sender": f"sender{rng.randrange(5000)}@src{rng.randrange(300)}.example",
                    "recipients": recipients,
                }
            )
            + "\n"
        )


def prefix(count: int) -> str:
    return shlex.join([sys.executable, str(Path(__file__).resolve()), "--fake-postqueue", str(count)])


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def make_app(folder: Path):
    sys.path.insert(0, str(ROOT))
    from panel import create_app, migrate
    from panel.db import get_session
    from panel.services import Actor, admins

    url = f"sqlite:///{folder / 'bench.sqlite'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "QUEUE_COMMAND_TIMEOUT": 600,
        }
    )
    app.instance_path = str(folder / "instance")
    with app.app_context():
        session = get_session()
        admins.create_admin(session, Actor.system("bench"), "bench", "superadmin", "bench-password-1")
        session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": "bench-password-1"})
    assert response.status_code == 302, "login failed"
    return app, client


def get_page(client, url: str) -> str:
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "queue-table" in body, body[:2000]
    return body


def baseline(count: int) -> None:
    from panel.mailserver.tools import MailTools

    with MailTools(prefix=tuple(shlex.split(prefix(count))), timeout=600).queue_lines() as lines:
        for _ in lines:
            pass


def measure(client, app, count: int, repeat: int) -> dict:
    app.config["QUEUE_COMMAND_PREFIX"] = prefix(count)
    first = get_page(client, "/queue/")
    deep_cursor = None
    body = first
    for _ in range(3):  # a few pages in, by keyset
        match = re.search(r'rel="next" href="[^"]*after=([^&"]+)', body)
        deep_cursor = match.group(1)
        body = get_page(client, f"/queue/?after={deep_cursor}")
    import subprocess

    from panel.mailserver.queue import QueueFilter, read_page

    listing = subprocess.run(shlex.split(prefix(count)) + ["postqueue", "-j"], capture_output=True, check=True).stdout
    lines = listing.splitlines(keepends=True)
    return {
        "parse_only": timed(lambda: read_page(iter(lines), QueueFilter()), repeat),
        "baseline": timed(lambda: baseline(count), repeat),
        "page": timed(lambda: get_page(client, "/queue/"), repeat),
        "filtered": timed(lambda: get_page(client, "/queue/?recipient=dest42.example&sort=largest"), repeat),
        "deep": timed(lambda: get_page(client, f"/queue/?after={deep_cursor}"), repeat),
    }


def peak_memory(client, app, count: int) -> int:
    app.config["QUEUE_COMMAND_PREFIX"] = prefix(count)
    tracemalloc.start()
    try:
        get_page(client, "/queue/?sort=largest")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def real_queue(count: int, repeat: int, folder: Path) -> dict:
    """The same page on the real Postfix: deploy/mailstack (loopback test
    mode) on a scratch SQLite database, ``defer_transports = lmtp`` so
    ``count`` messages sent over SMTP stay queued. Run it under
    ``flock /tmp/mailstack.lock``; the queue is emptied and the stack
    stopped at the end."""
    import smtplib
    import subprocess

    app, client = make_app(folder)
    env = dict(
        os.environ,
        MAILPANEL_DATABASE_URL=app.config["DATABASE_URL"],
        MAILSTACK_TEST="1",
        MAILPANEL_MAIL_ROOT=str(folder / "vmail"),
    )
    folder.chmod(0o755)
    for cmd in (
        ["flask", "--app", "app", "domain", "add", "bench.test"],
        ["flask", "--app", "app", "mailbox", "add", "waiting@bench.test", "--password-stdin"],
    ):
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / cmd[0]), *cmd[1:]],
            cwd=ROOT,
            env=env,
            check=True,
            input=b"bench-password-1\n",
            capture_output=True,
        )
    mailstack = str(ROOT / "deploy" / "mailstack")
    subprocess.run([mailstack, "configure"], env=env, check=True, capture_output=True)
    subprocess.run([mailstack, "restart"], env=env, check=True, capture_output=True)
    try:
        subprocess.run(["postconf", "-e", "defer_transports = lmtp"], check=True)
        subprocess.run(["postfix", "reload"], check=True, capture_output=True)
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", 25) as smtp:
            for n in range(count):
                smtp.sendmail(
                    f"sender{n}@client.example",
                    ["waiting@bench.test"],
                    f"Subject: queued {n}\r\n\r\nwaiting\r\n".encode(),
                )
        fill = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            listing = subprocess.run(["postqueue", "-j"], capture_output=True, check=True).stdout
            if listing.count(b'"queue_name": "deferred"') >= count:
                break
            time.sleep(1)
        app.config["QUEUE_COMMAND_PREFIX"] = ""
        alone = timed(lambda: subprocess.run(["postqueue", "-j"], capture_output=True, check=True), repeat)
        page = timed(lambda: get_page(client, "/queue/"), repeat)
        return {"count": count, "fill": fill, "alone": alone, "page": page}
    finally:
        subprocess.run(["postsuper", "-d", "ALL"], capture_output=True)
        subprocess.run(["postconf", "-X", "defer_transports"])
        subprocess.run([mailstack, "stop"], env=env, capture_output=True)


def section(count: int, result: dict, memory: dict) -> str:
    ratio = result["page"] / result["baseline"]
    lines = [
        "## Queue page",
        "",
        f"`bench/queue_bench.py --messages {count}` on {date.today().isoformat()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. A generated `postqueue -j` stream of {count:,} messages "
        "(this script is the fake program behind `QUEUE_COMMAND_PREFIX`; like showq it formats each message "
        "as it goes). Median of the runs. Target: page ≤ 1.5× `postqueue -j` alone, flat memory.",
        "",
        "| what | time | × baseline |",
        "| --- | ---: | ---: |",
        f"| `postqueue -j` alone (output read to the end) | {result['baseline'] * 1000:.0f} ms | 1.0× |",
        f"| queue page, first page (50 rows, totals) | {result['page'] * 1000:.0f} ms | {ratio:.2f}× |",
        f"| queue page, filtered by recipient domain, largest first | {result['filtered'] * 1000:.0f} ms | "
        f"{result['filtered'] / result['baseline']:.2f}× |",
        f"| queue page, 4th page by keyset cursor | {result['deep'] * 1000:.0f} ms | "
        f"{result['deep'] / result['baseline']:.2f}× |",
        f"| the page's own parsing alone (same {count:,} lines already in memory, no producer) | "
        f"{result['parse_only'] * 1000:.0f} ms | {result['parse_only'] / result['baseline']:.2f}× |",
        "",
        "Peak Python memory of one page request (tracemalloc), by queue size:",
        "",
        "| queued messages | peak |",
        "| ---: | ---: |",
    ]
    for size, peak in memory.items():
        lines.append(f"| {size:,} | {peak / 1024:.0f} KiB |")
    lines += [
        "",
        "The page reads the stream once: one regular expression per line for the totals and the sort key, "
        "a bounded heap of `per_page + 1` rows, and a full JSON parse only for the rows shown (and for lines "
        "a text filter might match). The producer and the page run in parallel on two cores, so the page "
        "costs little more than producing the listing.",
        "",
    ]
    return "\n".join(lines)


def write_real_line(line: str) -> None:
    """Put the real-Postfix sentence into the Queue page section (replacing the previous one)."""
    path = ROOT / "docs" / "performance.md"
    doc = path.read_text()
    start = doc.index("## Queue page")
    end = doc.find("\n## ", start + 1)
    end = len(doc) if end < 0 else end + 1
    body = [text for text in doc[start:end].split("\n") if not text.startswith("On the real Postfix")]
    anchor = next(i for i, text in enumerate(body) if text.startswith("Peak Python memory"))
    body[anchor:anchor] = [line, ""]
    path.write_text(doc[:start] + "\n".join(body) + doc[end:])


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
    parser.add_argument("--fake-postqueue", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--real",
        type=int,
        metavar="N",
        help="instead: N real messages in the real Postfix queue (root, under the mailstack lock)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.fake_postqueue is not None:
        # Called as QUEUE_COMMAND_PREFIX: the program's own argv follows.
        if rest[-1:] != ["-j"]:
            sys.exit(f"fake postqueue: only -j is supported, not {rest}")
        fake_postqueue(args.fake_postqueue)
        return
    if args.real:
        with tempfile.TemporaryDirectory(prefix="mailpanel-queue-bench-") as folder:
            real = real_queue(args.real, args.repeat, Path(folder))
        line = (
            f"On the real Postfix (`--real {real['count']}`, {date.today().isoformat()}: deploy/mailstack in test "
            f"mode, {real['count']:,} messages sent over SMTP and held in the deferred queue by "
            f"`defer_transports = lmtp`): `postqueue -j` alone {real['alone'] * 1000:.0f} ms, the queue page "
            f"{real['page'] * 1000:.0f} ms ({real['page'] / real['alone']:.2f}×)."
        )
        print(line)
        if args.write_docs:
            write_real_line(line)
        return
    with tempfile.TemporaryDirectory(prefix="mailpanel-queue-bench-") as folder:
        app, client = make_app(Path(folder))
        result = measure(client, app, args.messages, args.repeat)
        memory = {n: peak_memory(client, app, n) for n in (5_000, 50_000, 200_000)}
    text = section(args.messages, result, memory)
    print(text)
    if args.write_docs:
        doc = (ROOT / "docs" / "performance.md").read_text()
        previous = [text for text in doc.split("\n") if text.startswith("On the real Postfix")]
        write_docs(text, "Queue page")
        if previous:
            write_real_line(previous[0])


if __name__ == "__main__":
    main()
