"""50 admins at once on gunicorn, at 1M mailboxes: latency under load, errors,
and the database connections the panel holds.

    .venv/bin/python bench/concurrent_admins.py [--url postgresql://postgres@127.0.0.1/mailpanel_bench_web]
        [--admins 50] [--seconds 120] [--think 0.5:1.5] [--workers 4] [--reuse]

The database is bench/web.py's (1M mailboxes, 1M aliases, 10k domains, 2M
audit events, a quota_usage row per mailbox): seeded here unless ``--reuse``
keeps one already seeded. ``--admins`` admins are created (half superadmins,
half domain admins of d1..dN, d1 being the 200k-mailbox domain), then
gunicorn starts as deploy/mailpanel.service runs it (``--workers 4``, sync
workers) on a loopback port. Each admin is a thread with its own session: it
logs in through the login form (with its CSRF token), then for ``--seconds``
opens a page from the list below, reads it, thinks for a random time in
``--think`` seconds, and so on -- what a person browsing does. Reported:
requests, p50/p95/p99/max latency as the client saw it (the network
round trip on loopback included), any answer other than 200, and the
panel's PostgreSQL connections (pg_stat_activity, sampled every second).
Target (issue 17): p95 <= 100 ms, no error.

The load generator runs on the same machine as gunicorn and PostgreSQL,
sharing its cores.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import seed  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from web import _audit_trail, _deep_key, _recreate, _usage_for_everyone  # noqa: E402

from panel import create_app  # noqa: E402
from panel.db import get_session, normalize_url  # noqa: E402
from panel.models import Admin  # noqa: E402
from panel.services import Actor, admins  # noqa: E402

PASSWORD = "bench-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def superadmin_pages(deep_key: str) -> list[str]:
    return [
        "/",
        "/domains/",
        "/domains/d1.example/mailboxes",
        f"/domains/d1.example/mailboxes?after={deep_key}",
        "/domains/d1.example/mailboxes?sort=usage",
        "/mailboxes?q=u123456",
        "/mailboxes?q=ser+12",
        "/audit/",
        "/domains/d1.example/aliases?q=a4242",
        "/mailboxes/u4242@d1.example",
    ]


def domain_admin_pages(domain: str) -> list[str]:
    return [
        "/",
        f"/domains/{domain}/mailboxes",
        f"/domains/{domain}/mailboxes?sort=changed",
        f"/domains/{domain}/aliases",
        "/mailboxes?q=u1",
    ]


def make_admins(url: str, count: int) -> list[tuple[str, list[str] | None]]:
    """(username, domains or None for a superadmin), created anew."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    made = []
    with app.app_context():
        session, actor = get_session(), Actor.system("bench")
        for old in session.scalars(select(Admin).where(Admin.username.like("load-%"))):
            session.delete(old)
        session.flush()
        for i in range(count):
            name = f"load-{i}"
            scope = None if i % 2 == 0 else [f"d{i // 2 + 1}.example"]
            role = "superadmin" if scope is None else "domainadmin"
            admins.create_admin(session, actor, name, role, PASSWORD, scope or [])
            made.append((name, scope))
        session.commit()
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base: str, username: str, pages: list[str], think: tuple[float, float], seed_: int):
        self.base, self.username, self.pages, self.think = base, username, pages, think
        self.random = random.Random(seed_)
        self.times: list[float] = []
        self.errors: list[str] = []
        self.http = requests.Session()

    def login(self) -> None:
        form = self.http.get(f"{self.base}/login", timeout=30).text
        token = CSRF.search(form).group(1)
        answer = self.http.post(
            f"{self.base}/login",
            data={"csrf_token": token, "username": self.username, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise SystemExit(f"{self.username}: login answered {answer.status_code}")

    def browse(self, until: float) -> None:
        time.sleep(self.random.uniform(*self.think))  # not all at the same instant
        while time.monotonic() < until:
            page = self.random.choice(self.pages)
            started = time.perf_counter()
            try:
                answer = self.http.get(self.base + page, allow_redirects=False, timeout=30)
                answer.content  # noqa: B018 - read the whole page
                status = answer.status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                self.errors.append(f"{page}: {status}")
            time.sleep(self.random.uniform(*self.think))


def connections(url: str, stop: threading.Event, samples: list[int]) -> None:
    name = make_url(normalize_url(url)).database
    engine = create_engine(make_url(normalize_url(url)).set(database="postgres"))
    with engine.connect() as conn:
        while not stop.is_set():
            count = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": name})
            samples.append(count.scalar())
            conn.rollback()
            stop.wait(1)
    engine.dispose()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/mailpanel_bench_web")
    parser.add_argument("--admins", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--think", default="0.5:1.5", help="seconds between two pages, min:max")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mailboxes", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args(argv)
    think = tuple(float(x) for x in args.think.split(":"))

    if not args.reuse:
        _recreate(args.url)
        seed(args.url, mailboxes=args.mailboxes, aliases=args.mailboxes, big_domain=args.mailboxes // 5)
        _audit_trail(args.url, 2 * args.mailboxes)
        _usage_for_everyone(args.url)
    people = make_admins(args.url, args.admins)
    deep = _deep_key(args.url)

    port = free_port()
    env = dict(os.environ, MAILPANEL_DATABASE_URL=args.url, MAILPANEL_SECRET_KEY="bench-secret")
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--timeout",
        "60",
        "panel:create_app()",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/login", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.2)
        clients = [
            Browser(
                base,
                name,
                superadmin_pages(deep) if scope is None else domain_admin_pages(scope[0]),
                think,
                i,
            )
            for i, (name, scope) in enumerate(people)
        ]
        for client in clients:
            client.login()
        # One warm-up pass: every worker's first request compiles templates.
        for client in clients[:8]:
            for page in client.pages:
                client.http.get(base + page, timeout=60)
        stop, samples = threading.Event(), []
        sampler = threading.Thread(target=connections, args=(args.url, stop, samples))
        sampler.start()
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [threading.Thread(target=c.browse, args=(until,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(30)

    times = sorted(t for c in clients for t in c.times)
    errors = [e for c in clients for e in c.errors]

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(len(times) * p))]

    print(f"{args.admins} admins, {args.workers} gunicorn workers, think {args.think} s, {elapsed:.0f} s")
    print(f"requests: {len(times):,} ({len(times) / elapsed:.1f}/s), errors: {len(errors)}")
    print(
        f"latency ms: p50 {statistics.median(times):.1f}, p95 {pct(0.95):.1f}, p99 {pct(0.99):.1f}, max {times[-1]:.1f}"
    )
    print(f"panel's PostgreSQL connections: max {max(samples)}, median {statistics.median(samples):.0f}")
    for error in errors[:10]:
        print("  error:", error)


if __name__ == "__main__":
    main()
