"""MAILSTACK_PG_REPLICAS: Postfix's and Dovecot's lookups on a hot standby.

The test builds its own primary and standby (tests/pg_cluster.py: a second
cluster made from a ``pg_basebackup -R`` of the first, streaming from it;
never the machine's main cluster) and points the stack at them:

- the lookups are served by the standby: while an SMTP session that passed
  RCPT and an IMAP session are open, the standby's ``pg_stat_activity`` holds
  the mail servers' connections and the primary's holds none of them;
- a mailbox created in the panel (on the primary) is accepted by Postfix and
  logs in once the standby has replayed it; the lag is printed, not asserted
  (docs/mail-server.md has the measurement);
- with the primary stopped, an existing mailbox still gets its mail and
  logs in over IMAP (the usage the quota dict could not write meanwhile is
  on the primary again after the next delivery once it is back);
- the settings that cannot work are refused with a reason before anything is
  written: on SQLite, next to MAILSTACK_PGBOUNCER, a malformed entry, the
  primary listed as its own replica.

The session's own stack configuration is put back afterwards.
"""

from __future__ import annotations

import imaplib
import pwd
import smtplib
import stat
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.mailstack_fixture import (
    HOST,
    IMAP_PORT,
    POSTFIX_LOG,
    SMTP_PORT,
    TIMEOUT,
    Mailstack,
    MailstackError,
    drop_queued,
    mailstack_command,
    message,
)
from tests.pg_cluster import own_cluster, own_standby, panel_cli

pytestmark = pytest.mark.e2e

DOMAIN = "replica.test"
BOX, LATE = f"box@{DOMAIN}", f"late@{DOMAIN}"
PASSWORD = "correct-horse-1"
LOOKUPS = "('mailstack-postfix', 'mailstack-dovecot')"
REPLICATION_WAIT_S = 60
PGPASS = Path("/etc/mailstack-postfix.pgpass")


def _refused(env: dict, match: str) -> None:
    with pytest.raises(MailstackError, match=match):
        mailstack_command("configure", env)


def _lookup_connections(cluster) -> int:
    return int(
        cluster.scalar(
            "postgres",
            f"SELECT count(*) FROM pg_stat_activity WHERE usename = 'mailserver' AND application_name IN {LOOKUPS}",
        )
    )


def _wait_for(predicate, timeout: float, what: str) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def _flushed_and_in(mail, subject: str) -> bool:
    if subject in mail.subjects(BOX, PASSWORD):
        return True
    subprocess.run(["postqueue", "-f"], check=False, capture_output=True, timeout=60)
    time.sleep(2)
    return False


def _log_since(offset: int) -> list[str]:
    with POSTFIX_LOG.open(errors="replace") as log:
        log.seek(offset)
        return log.read().splitlines()


def _usage_messages(primary, url_database: str, address: str) -> int | None:
    value = primary.scalar(url_database, f"SELECT messages FROM quota_usage WHERE username = '{address}'")
    return int(value) if value else None


@pytest.fixture
def on_replica(mailstack):
    """The stack on a primary of the test's own, its lookups on a standby."""
    if make_url(mailstack.database_url).get_backend_name() != "postgresql":
        yield None
        return
    drop_queued(DOMAIN)
    with own_cluster("mpprimary") as primary:
        url = primary.createdb("panel")
        panel_cli(url, "db", "upgrade")
        panel_cli(url, "domain", "add", DOMAIN)
        panel_cli(url, "mailbox", "add", BOX, "--password-stdin", stdin=PASSWORD + "\n")
        with own_standby(primary) as standby:
            env = dict(mailstack.env, MAILPANEL_DATABASE_URL=url, MAILSTACK_PG_REPLICAS=f"127.0.0.1:{standby.port}")
            try:
                # configure creates the mail servers' role on the primary; a
                # standby that has not replayed it yet would refuse the login
                # (libpq tries the next host on a failed connect, not on a
                # failed authentication), so start once it has.
                mailstack_command("configure", env)
                _wait_for(
                    lambda: (
                        standby.scalar("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'mailserver'") == "1"
                    ),
                    REPLICATION_WAIT_S,
                    "the standby replays the mail servers' role",
                )
                log_start = POSTFIX_LOG.stat().st_size
                mailstack_command("restart", env)
                warnings = [line for line in _log_since(log_start) if "postfix-script" in line and "warning" in line]
                assert not warnings, warnings  # e.g. `postfix check` on a file that is not root's
                yield primary, standby, Mailstack(database_url=url, mail_root=mailstack.mail_root, env=env)
            finally:
                drop_queued(DOMAIN)
                mailstack_command("configure", mailstack.env)
                mailstack_command("restart", mailstack.env)
        assert not PGPASS.exists(), "the password file outlived the replica setting"


def test_settings_that_cannot_work_are_refused(mailstack):
    env = dict(mailstack.env, MAILSTACK_PG_REPLICAS="127.0.0.1:5999")
    if make_url(mailstack.database_url).get_backend_name() == "sqlite":
        _refused(env, "MAILSTACK_PG_REPLICAS needs a PostgreSQL")
        return
    _refused(dict(env, MAILSTACK_PGBOUNCER="1"), "cannot be combined")
    _refused(dict(env, MAILSTACK_PG_REPLICAS="127.0.0.1:5999,not a host"), r"'not a host' is not host:port")
    _refused(dict(env, MAILSTACK_PG_REPLICAS="db2:99999"), r"'db2:99999' is not host:port")
    primary = make_url(mailstack.database_url)
    _refused(dict(env, MAILSTACK_PG_REPLICAS=f"{primary.host}:{primary.port or 5432}"), "lists the primary itself")
    # Nothing was written: the stack still runs on its own configuration.
    mailstack_command("status", mailstack.env)


def test_lookups_run_on_the_standby_and_survive_the_primary(on_replica, mailstack):
    if on_replica is None:  # the SQLite session: test_settings_that_cannot_work_are_refused covers it
        assert make_url(mailstack.database_url).get_backend_name() == "sqlite"
        return
    primary, standby, mail = on_replica
    database = make_url(mail.database_url).database

    # The role's password is in a file of Postfix's own (libpq ignores one
    # others may read), never in the host string Postfix writes to its log.
    role_password = Path("/etc/mailstack/pg-mailserver.password").read_text().strip()
    maps = sorted(Path("/etc/postfix/mailstack").glob("*.cf"))
    assert maps
    for map_file in maps:
        hosts = next(line for line in map_file.read_text().splitlines() if line.startswith("hosts = "))
        assert f"port={standby.port}%2C{primary.port}" in hosts and "passfile=" in hosts, hosts
        assert role_password not in hosts
    pgpass = PGPASS.stat()
    assert (stat.S_IMODE(pgpass.st_mode), pgpass.st_uid) == (0o600, pwd.getpwnam("postfix").pw_uid)

    # Lookups on the standby, none on the primary.
    with smtplib.SMTP(HOST, SMTP_PORT, timeout=TIMEOUT) as smtp:
        smtp.ehlo("e2e.client.test")
        assert smtp.mail("tester@example.com")[0] == 250
        code, reply = smtp.rcpt(BOX)
        assert code == 250, reply
        imap = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
        try:
            imap.login(BOX, PASSWORD)
            on_standby, on_primary = _lookup_connections(standby), _lookup_connections(primary)
        finally:
            imap.logout()
        smtp.rset()
    assert on_standby >= 2, "Postfix's and Dovecot's lookups should hold connections to the standby"
    assert on_primary == 0, "no lookup should reach the primary while the standby answers"

    # A mailbox made in the panel: accepted once the standby has it.
    panel_cli(primary.url(database), "mailbox", "add", LATE, "--password-stdin", stdin=PASSWORD + "\n")
    lag = _wait_for(lambda: mail.rcpt(LATE)[0] == 250, REPLICATION_WAIT_S, "Postfix accepts the new mailbox")
    assert mail.imap_login_ok(LATE, PASSWORD)
    print(f"\nreplica: new mailbox accepted by Postfix {lag:.2f} s after the panel's commit")

    mail.send([BOX], message("before the primary stops"))
    assert "before the primary stops" in mail.wait_for_subject(BOX, PASSWORD, "before the primary stops")
    _wait_for(lambda: _usage_messages(primary, database, BOX) == 1, 30, "quota usage written to the primary")

    # The primary away: mail still comes in, logins still work.
    primary.stop()
    try:
        code, reply = mail.rcpt(BOX)
        assert code == 250, reply
        mail.send([BOX], message("while the primary is down"))
        assert "while the primary is down" in mail.wait_for_subject(
            BOX, PASSWORD, "while the primary is down", timeout=60
        )
        assert mail.imap_login_ok(BOX, PASSWORD)
    finally:
        primary.start()

    # Back: the usage on the primary catches up at the next delivery the quota dict writes.
    delivered = 2
    deadline = time.monotonic() + 180
    while _usage_messages(primary, database, BOX) != delivered:
        assert time.monotonic() < deadline, "the quota usage never caught up on the primary"
        delivered += 1
        subject = f"after the primary is back {delivered}"
        mail.send([BOX], message(subject))
        assert subject in mail.wait_for_subject(BOX, PASSWORD, subject, timeout=60)
        time.sleep(2)
    assert _usage_messages(primary, database, BOX) == len(mail.subjects(BOX, PASSWORD))

    # The standby away: the lookups fall back to the primary by themselves
    # (libpq's next host; Dovecot reconnects on its own schedule, 1 s, 5 s, ...).
    standby.stop()
    try:
        fallback = _wait_for(
            lambda: mail.rcpt(BOX)[0] == 250 and mail.imap_login_ok(BOX, PASSWORD),
            120,
            "SMTP and IMAP answer through the primary with the standby stopped",
        )
        # The first query on a connection the standby's stop broke fails
        # once: LMTP defers (451 "unable to access necessary Sieve
        # scripts"), never bounces; the queue run delivers it.
        mail.send([BOX], message("while the standby is down"))
        _wait_for(lambda: _flushed_and_in(mail, "while the standby is down"), 120, "delivery via the primary")
        print(f"replica: with the standby stopped, SMTP and IMAP answered again after {fallback:.2f} s")
    finally:
        standby.start()
