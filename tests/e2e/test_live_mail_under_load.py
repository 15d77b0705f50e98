"""Mail keeps flowing while the panel works hard on the same database
(issue 17 point 7, "the SQLite default under live mail"; PostgreSQL too).

While a separate `flask users import` writes 5,000 mailboxes in one
transaction, admins log in to the panel over HTTP and a user logs in over
IMAP, 200 messages arrive on port 25. Afterwards: every message is in the
mailbox, Postfix logged no fatal error and bounced nothing, the import made
its 5,000 mailboxes, and no page answered 5xx.

On SQLite this is the case Postfix's client is weakest at: it sets no busy
timeout and treats a lock met while preparing a query as fatal (the process
dies; the mail waits for a retry). The panel keeps its writes short and the
database in WAL mode, where readers never wait for a writer, and
deploy/sqlite/keeper keeps closing connections from locking out opening
ones (tests/test_sqlite_keeper.py); this test is the proof.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from passlib.hash import sha512_crypt

from tests.helpers import PASSWORD, token_in
from tests.live import live_server
from tests.mailstack_fixture import E2E_PASSWORD, POSTFIX_LOG, PROJECT_ROOT, message

pytestmark = pytest.mark.e2e

MESSAGES = 200
IMPORTED = 5000
SENDERS = 4


def _import_file(path) -> None:
    digest = "{SHA512-CRYPT}" + sha512_crypt.using(rounds=5000).hash("imported-secret")
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "password", "password_hash"])
        for n in range(IMPORTED):
            writer.writerow([f"bulk{n:05d}@load.test", f"Bulk {n}", "", digest])


def _web_logins(base: str, stop: threading.Event, statuses: list[int]) -> None:
    """Admins logging in and looking around, as long as the mail flows."""
    while not stop.is_set():
        http = requests.Session()
        page = http.get(base + "/login", timeout=60)
        statuses.append(page.status_code)
        data = {"username": "loadroot", "password": PASSWORD, "csrf_token": token_in(page.text)}
        answer = http.post(base + "/login", data=data, allow_redirects=False, timeout=60)
        statuses.append(answer.status_code)
        for path in ("/", "/domains/", "/domains/e2e.test/mailboxes", "/mailboxes?q=bulk"):
            statuses.append(http.get(base + path, timeout=60).status_code)


def _imap_logins(mail, address: str, stop: threading.Event, results: list[bool]) -> None:
    while not stop.is_set():
        results.append(mail.imap_login_ok(address, E2E_PASSWORD))
        time.sleep(0.05)


def test_mail_flows_while_the_panel_imports_and_serves_logins(mail, app, cli, new_mailbox, tmp_path):
    address = new_mailbox("live@e2e.test")
    cli("domain", "add", "load.test")
    cli("admin", "create", "loadroot", "--role", "superadmin", "--password-stdin", stdin=PASSWORD + "\n")
    source = tmp_path / "users.csv"
    _import_file(source)
    log_start = POSTFIX_LOG.stat().st_size

    stop = threading.Event()
    statuses: list[int] = []
    imap_results: list[bool] = []
    env = {**mail.env, "PYTHONPATH": str(PROJECT_ROOT)}
    with live_server(app) as base:
        helpers = [
            threading.Thread(target=_web_logins, args=(base, stop, statuses), daemon=True),
            threading.Thread(target=_imap_logins, args=(mail, address, stop, imap_results), daemon=True),
        ]
        for thread in helpers:
            thread.start()
        importer = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "panel:create_app", "users", "import", str(source)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def send(n: int) -> str:
            return mail.send([address], message(f"live {n:03d}", to=address))

        try:
            with ThreadPoolExecutor(SENDERS) as pool:
                queued = list(pool.map(send, range(MESSAGES)))
            output, _ = importer.communicate(timeout=600)
        finally:
            stop.set()
            for thread in helpers:
                thread.join(timeout=120)
            if importer.poll() is None:
                importer.kill()

    assert importer.returncode == 0, output
    assert f"{IMPORTED} mailboxes were created" in output, output
    assert len(set(queued)) == MESSAGES

    wanted = {f"live {n:03d}" for n in range(MESSAGES)}
    deadline = time.monotonic() + 180
    while True:
        arrived = set(mail.subjects(address, E2E_PASSWORD)) & wanted
        if arrived == wanted or time.monotonic() > deadline:
            break
        subprocess.run(["/usr/sbin/postqueue", "-f"], check=False, timeout=30)  # a deferred one: retry now
        time.sleep(1)
    assert sorted(wanted - arrived) == [], f"{len(wanted - arrived)} of {MESSAGES} messages never arrived"

    with POSTFIX_LOG.open("rb") as log:
        log.seek(log_start)
        lines = log.read().decode(errors="replace").splitlines()
    # The mail path's processes only: a `postmap -q` is the panel's own
    # status probe (the dashboard after each login runs it), which logs a
    # lock as fatal and is retried by the panel (tests/status/test_probes.py).
    fatal = [
        line for line in lines
        if (" fatal: " in line or " panic: " in line) and "postfix/postmap[" not in line
    ]  # fmt: skip
    assert fatal == [], fatal[:5]
    assert [line for line in lines if "status=bounced" in line] == []
    assert statuses and all(code < 500 for code in statuses), sorted(set(statuses))
    assert imap_results and all(imap_results), f"{imap_results.count(False)} IMAP logins failed"
