"""Logins and writes under real concurrency: the panel served by gunicorn's
sync workers (as deploy/mailpanel.service runs it) on the test database,
hit by many HTTP clients at the same moment.

What the audit saw: 40 parallel wrong passwords for one account got 16
checked (the design allows 3 before delays), a racing first failure of an
address answered HTTP 500, and on SQLite 80 parallel logins gave twelve
500s ("database is locked") while an import held the write lock through
its password hashing, starving Dovecot's quota writes (it waits 1 s).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from panel import passwords
from panel.db import get_session
from panel.models import AuditEvent, LoginThrottle, Mailbox
from panel.services import Actor, admins, domains, login_guard
from tests.helpers import PASSWORD, token_in
from tests.live import gunicorn_server

ROOT = Path(__file__).resolve().parents[2]


class Browser:
    """One HTTP client with its own cookies, ready to post the login form."""

    def __init__(self, base: str, forwarded_for: str | None = None):
        self.base, self.http = base, requests.Session()
        if forwarded_for:
            self.http.headers["X-Forwarded-For"] = forwarded_for
        self.token = token_in(self.http.get(base + "/login", timeout=30).text)

    def login(self, username: str, password: str) -> int:
        data = {"username": username, "password": password, "csrf_token": self.token}
        return self.http.post(self.base + "/login", data=data, allow_redirects=False, timeout=60).status_code

    def get(self, path: str) -> int:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60).status_code

    def csrf(self, path: str) -> str:
        return token_in(self.http.get(self.base + path, timeout=30).text)


def _all_at_once(calls) -> list:
    """Run the calls in parallel threads, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def accounts(app):
    """Forty domain admins sharing one (pre-hashed) password."""
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domains.create_domain(session, actor, "example.org")
        shared = passwords.prepare(PASSWORD)
        for i in range(40):
            admins.create_admin(session, actor, f"dom{i}", "domainadmin", shared, ["example.org"])
        session.commit()
    return [f"dom{i}" for i in range(40)]


def _count(app, query) -> int:
    with app.app_context():
        return get_session().scalar(query)


def test_forty_parallel_guesses_on_one_account_are_forty_charges(app, database_url, accounts):
    with gunicorn_server(database_url) as base:
        browsers = [Browser(base) for _ in range(40)]
        statuses = _all_at_once([lambda b=b: b.login("dom0", "wrong-guess") for b in browsers])
    assert all(s < 500 for s in statuses), statuses
    checked = statuses.count(401)
    # At most SLOW_AFTER attempts were in flight before the delay began
    # (one more if the first delay ran out while the last stragglers came in).
    assert 1 <= checked <= login_guard.SLOW_AFTER + 1, statuses
    assert statuses.count(429) == 40 - checked
    failures = _count(app, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failure"))
    assert failures == checked
    assert _count(app, select(LoginThrottle.failures).where(LoginThrottle.key == "u:dom0")) == checked


def test_a_new_addresses_first_failures_race_without_an_error(app, database_url, accounts):
    """Every attempt from a new address inserts its budget row at once."""
    with gunicorn_server(database_url, PROXY_FIX="1") as base:
        browsers = [Browser(base, forwarded_for="198.51.100.77") for _ in range(20)]
        statuses = _all_at_once([lambda b=b, i=i: b.login(f"dom{i}", "wrong-guess") for i, b in enumerate(browsers)])
    assert set(statuses) <= {401, 429} and statuses.count(401) >= 1, statuses
    # Each checked failure counted once on the address (later ones met its delay).
    assert _count(app, select(LoginThrottle.failures).where(LoginThrottle.key == "a:198.51.100.77")) == statuses.count(
        401
    )


def test_eighty_parallel_logins_all_succeed(app, database_url, accounts):
    with gunicorn_server(database_url) as base:
        browsers = [Browser(base) for _ in range(80)]
        statuses = _all_at_once([lambda b=b, i=i: b.login(f"dom{i % 40}", PASSWORD) for i, b in enumerate(browsers)])
        pages = [b.get("/") for b in browsers]
    assert statuses == [302] * 80
    assert pages == [200] * 80


def _quota_writer(path: str, stop: threading.Event, errors: list, writes: list) -> None:
    """What Dovecot's dict does for quota_clone on SQLite: one upsert at a
    time, waiting at most 1 s for the write lock."""
    conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
    n = 0
    while not stop.is_set():
        n += 1
        try:
            conn.execute(
                "INSERT INTO quota_usage (username, bytes, messages) VALUES ('probe@example.org', ?, 1) "
                "ON CONFLICT (username) DO UPDATE SET bytes = excluded.bytes",
                (n,),
            )
            writes.append(n)
        except sqlite3.OperationalError as exc:
            errors.append(str(exc))
        time.sleep(0.02)
    conn.close()


@pytest.fixture
def sqlite_panel(tmp_path):
    """A SQLite database of its own (SQLite's single writer is the subject;
    PostgreSQL has row locks), with two accounts."""
    from panel import create_app, migrate

    url = f"sqlite:///{tmp_path}/load.sqlite"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domains.create_domain(session, actor, "example.org")
        shared = passwords.prepare(PASSWORD)
        for i in range(2):
            admins.create_admin(session, actor, f"dom{i}", "domainadmin", shared, ["example.org"])
        session.commit()
    yield app, url
    from panel import db

    db.engine_for(app).dispose()


def test_sqlite_stays_writable_while_an_import_hashes_passwords(sqlite_panel):
    app, database_url = sqlite_panel
    rows = 200
    body = "email,name\n" + "".join(f"user{i}@example.org,User {i}\n" for i in range(rows))
    path = make_url(database_url).database
    stop, quota_errors, quota_writes = threading.Event(), [], []
    with gunicorn_server(database_url) as base:
        importer, reader = Browser(base), Browser(base)
        assert importer.login("dom0", PASSWORD) == 302 and reader.login("dom1", PASSWORD) == 302
        writer = threading.Thread(target=_quota_writer, args=(path, stop, quota_errors, quota_writes))
        writer.start()
        with ThreadPoolExecutor(1) as pool:
            started = pool.submit(
                importer.http.post,
                base + "/import",
                data={"csrf_token": importer.csrf("/import")},
                files={"file": ("users.csv", body.encode())},
                timeout=300,
            )
            pages, cli = [], []
            while not started.done():
                pages.append(reader.get("/domains/example.org/mailboxes"))
                cli.append(_cli(database_url, "domain", "add", f"cli{len(cli)}.example"))
            imported = started.result()
        stop.set()
        writer.join(10)
    assert imported.status_code == 200, imported.text[-2000:]
    assert _count(app, select(func.count()).select_from(Mailbox)) == rows
    assert pages and all(status == 200 for status in pages), pages
    assert cli and all(code == 0 for code in cli), cli
    assert quota_writes and quota_errors == [], quota_errors[:3]


def _cli(database_url: str, *args: str) -> int:
    env = {"MAILPANEL_DATABASE_URL": database_url, "MAILPANEL_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    return result.returncode
