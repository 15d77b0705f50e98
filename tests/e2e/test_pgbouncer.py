"""MAILSTACK_PGBOUNCER (the default on PostgreSQL): Postfix and Dovecot reach
PostgreSQL through the PgBouncer deploy/mailstack runs, so many SMTP sessions
hold no more server connections than the pool (docs/performance.md, "Mail
servers' database connections"); MAILSTACK_PGBOUNCER=0 connects them
directly. On SQLite the setting is refused with a reason."""

from __future__ import annotations

import smtplib
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.mailstack_fixture import HOST, SMTP_PORT, MailstackError

pytestmark = pytest.mark.e2e

POOL = 3
PORT = "6432"
SESSIONS = 24


def postgresql(mail) -> bool:
    return make_url(mail.database_url).get_backend_name() == "postgresql"


@pytest.fixture
def pooled(mail):
    """The stack reconfigured through a PgBouncer of POOL connections, then
    back to the session's configuration."""
    plain_env = mail.env
    try:
        mail.env = dict(plain_env, MAILSTACK_PGBOUNCER="1", MAILSTACK_PGBOUNCER_POOL=str(POOL))
        mail.command("configure")
        mail.command("restart")
        yield mail
    finally:
        mail.env = plain_env
        mail.command("configure")
        mail.command("restart")


def mailserver_backends(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE usename = 'mailserver'")).scalar()
    finally:
        engine.dispose()


def refused_on_sqlite(mail, new_mailbox) -> None:
    plain_env = mail.env
    mail.env = dict(plain_env, MAILSTACK_PGBOUNCER="1")
    try:
        with pytest.raises(MailstackError, match="MAILSTACK_PGBOUNCER needs a PostgreSQL"):
            mail.command("configure")
    finally:
        mail.env = plain_env
    new_mailbox("sqlite-direct@e2e.test")
    assert mail.rcpt("sqlite-direct@e2e.test")[0] == 250


def test_mail_flows_through_pgbouncer_within_its_pool(request, mail, new_mailbox):
    if not postgresql(mail):
        refused_on_sqlite(mail, new_mailbox)  # and the stack keeps serving directly
        return
    stack = request.getfixturevalue("pooled")
    assert "pgbouncer: running" in stack.command("status")
    maps = sorted(Path("/etc/postfix/mailstack").glob("*.cf"))
    assert maps and all(f"hosts = inet:127.0.0.1:{PORT}\n" in path.read_text() for path in maps)
    assert f"port={PORT} " in Path("/etc/dovecot/mailstack/sql.conf.ext").read_text()

    address = new_mailbox("pooled@e2e.test")
    stack.send([address], sender="tester@example.com")
    stack.wait_for_subject(address, "correct-horse-1", "test")
    assert stack.imap_login_ok(address, "correct-horse-1")
    assert not stack.imap_login_ok(address, "wrong-password-1")

    # Many SMTP sessions at once, each in its own smtpd process with its own
    # map connections: PostgreSQL still sees no more than the pool.
    replies: list[int] = []
    ready = threading.Barrier(SESSIONS + 1)
    done = threading.Event()

    def session() -> None:
        with smtplib.SMTP(HOST, SMTP_PORT, timeout=60) as smtp:
            smtp.ehlo("e2e.client.test")
            smtp.mail("tester@example.com")
            replies.append(smtp.rcpt(address)[0])
            ready.wait(timeout=60)
            done.wait(timeout=60)

    threads = [threading.Thread(target=session) for _ in range(SESSIONS)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    peak = max(mailserver_backends(stack.database_url) for _ in range(5) if not time.sleep(0.2))
    clients = subprocess.run(
        ["ss", "-Htn", "state", "established", f"( sport = :{PORT} )"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    done.set()
    for thread in threads:
        thread.join(timeout=60)

    assert replies == [250] * SESSIONS
    assert len(clients) > POOL  # the processes' connections end at the pooler ...
    assert 0 < peak <= POOL  # ... and PostgreSQL sees the pool


def test_pooled_by_default_on_postgresql_and_direct_with_0(mail, new_mailbox):
    """The session's stack was configured with no MAILSTACK_PGBOUNCER."""
    maps = sorted(Path("/etc/postfix/mailstack").glob("*.cf"))
    dovecot_sql = Path("/etc/dovecot/mailstack/sql.conf.ext")
    if not postgresql(mail):
        assert "pgbouncer" not in mail.command("status")
        return
    assert "pgbouncer: running" in mail.command("status")
    assert maps and all(f"hosts = inet:127.0.0.1:{PORT}\n" in path.read_text() for path in maps)
    database_port = str(make_url(mail.database_url).port or 5432)
    plain_env = mail.env
    try:
        mail.env = dict(plain_env, MAILSTACK_PGBOUNCER="0")
        mail.command("configure")
        mail.command("restart")
        assert "pgbouncer" not in mail.command("status")
        assert all(f":{database_port}\n" in path.read_text() for path in maps)
        assert f"port={database_port} " in dovecot_sql.read_text()
        address = new_mailbox("direct@e2e.test")
        assert mail.rcpt(address)[0] == 250
        assert mail.imap_login_ok(address, "correct-horse-1")
    finally:
        mail.env = plain_env
        mail.command("configure")
        mail.command("restart")
    assert "pgbouncer: running" in mail.command("status")
