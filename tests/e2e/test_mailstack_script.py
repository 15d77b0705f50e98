"""deploy/mailstack itself: generated from panel/mailserver/queries, idempotent, and
the mail servers get no more access to the database than they need."""

from __future__ import annotations

import fcntl
import grp
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from panel.mailserver import queries as mailserver_queries
from tests.mailstack_fixture import PROJECT_ROOT

pytestmark = pytest.mark.e2e

MAP_DIR = Path("/etc/postfix/mailstack")
GENERATED = [
    Path("/etc/postfix/main.cf"),
    Path("/etc/postfix/master.cf"),
    Path("/etc/dovecot/dovecot.conf"),
    Path("/etc/dovecot/mailstack/sql.conf.ext"),
    Path("/etc/dovecot/mailstack/dict-sql.conf.ext"),
    Path("/etc/opendkim/mailstack.conf"),
]


def postconf(parameter: str) -> str:
    return subprocess.run(
        ["postconf", "-h", parameter], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def test_postfix_maps_run_the_text_of_deploy_queries_in_order(mailstack):
    database = make_url(mailstack.database_url).get_backend_name()
    kind = "pgsql" if database == "postgresql" else "sqlite"
    for parameter, names in mailserver_queries.POSTFIX_MAPS.items():
        assert postconf(parameter) == ", ".join(f"{kind}:{MAP_DIR / name}.cf" for name in names)
        for name in names:
            lines = (MAP_DIR / f"{name}.cf").read_text().splitlines()
            assert f"query = {mailserver_queries.load(name, database=database)}" in lines


def test_dovecot_runs_the_text_of_deploy_queries(mailstack):
    conf = Path("/etc/dovecot/mailstack/sql.conf.ext").read_text().splitlines()
    assert f"password_query = {mailserver_queries.load('dovecot-password')}" in conf
    assert f"user_query = {mailserver_queries.load('dovecot-user', mail_root=str(mailstack.mail_root))}" in conf
    assert f"iterate_query = {mailserver_queries.load('dovecot-iterate')}" in conf


def test_configure_again_changes_nothing_and_the_stack_keeps_serving(mailstack, cli):
    before = {path: path.read_text() for path in [*GENERATED, *sorted(MAP_DIR.iterdir())]}

    mailstack.command("configure")

    after = {path: path.read_text() for path in [*GENERATED, *sorted(MAP_DIR.iterdir())]}
    assert after == before
    assert "dovecot: running" in mailstack.command("status")
    cli("domain", "add", "e2e.test")
    cli("mailbox", "add", "lena@e2e.test", "--password-stdin", stdin="correct-horse-1\n")
    assert mailstack.rcpt("lena@e2e.test")[0] == 250


def test_status_exit_code_reports_a_running_stack(mailstack):
    result = subprocess.run(
        ["deploy/mailstack", "status"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout
    # On PostgreSQL the mail servers reach the database through PgBouncer by
    # default; on SQLite deploy/sqlite/keeper holds the file for them.
    postgresql = make_url(mailstack.database_url).get_backend_name() == "postgresql"
    first = ["pgbouncer:", "running"] if postgresql else ["sqlite-keeper:", "running"]
    assert result.stdout.split() == [*first, "dovecot:", "running", "opendkim:", "running", "postfix:", "running"]


def test_on_sqlite_the_keeper_holds_the_panels_file_and_nothing_on_postgresql(mailstack):
    url = make_url(mailstack.database_url)
    keeper = Path("/run/mailstack-sqlite-keeper.pid")
    if url.get_backend_name() == "postgresql":
        assert not Path("/etc/mailstack/sqlite.path").exists()
        assert not keeper.exists()
        return
    pid = int(keeper.read_text())
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    assert [arg.decode() for arg in args[-2:]] == [str(PROJECT_ROOT / "deploy/sqlite/keeper"), url.database]
    # No connection that closes can take the lock that makes a Postfix lookup
    # opening at that moment die (tests/test_sqlite_keeper.py).
    fd = os.open(url.database, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0x40000000)
    finally:
        os.close(fd)


def test_loopback_test_mode_listens_on_127_0_0_1_only_and_never_relays_out(mailstack):
    assert postconf("inet_interfaces") == "127.0.0.1"
    assert postconf("default_transport").startswith("error:")
    assert postconf("relay_transport").startswith("error:")
    listen = subprocess.run(
        ["doveconf", "-h", "listen"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    assert listen == "127.0.0.1"


def test_mail_servers_get_least_privilege(mailstack):
    url = make_url(mailstack.database_url)
    if url.get_backend_name() == "postgresql":
        assert_read_only_role(url)
    else:
        assert_sqlite_shared_with_postfix(Path(url.database))


def psql_as(url, role: str, sql: str) -> subprocess.CompletedProcess:
    """Run sql as one of the roles deploy/mailstack made (its generated password)."""
    password = Path(f"/etc/mailstack/pg-{role}.password").read_text().strip()
    env = dict(
        os.environ,
        PGHOST=url.host or "127.0.0.1",
        PGPORT=str(url.port or 5432),
        PGDATABASE=url.database,
        PGUSER=role,
        PGPASSWORD=password,
    )
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def assert_refused(url, role: str, statements: tuple[str, ...]) -> None:
    for forbidden in statements:
        result = psql_as(url, role, forbidden)
        assert result.returncode != 0 and "permission denied" in result.stderr, forbidden


def assert_read_only_role(url) -> None:
    assert psql_as(url, "mailserver", "SELECT count(*) FROM mailserver_mailboxes").returncode == 0
    assert psql_as(url, "mailserver", "SELECT count(*) FROM quota_usage").returncode == 0
    assert psql_as(url, "mailserver", "SELECT mailserver_alias_domain_mailbox('x', 'example.net')").returncode == 0
    assert_refused(
        url,
        "mailserver",
        (
            "SELECT count(*) FROM mailboxes",
            "SELECT count(*) FROM admins",
            "UPDATE mailboxes SET active = true",
            "DELETE FROM quota_usage",
            "CREATE TABLE intruder (id int)",
            # Postfix and Dovecot never read a DKIM private key.
            "SELECT count(*) FROM dkim_signing",
            "SELECT count(*) FROM dkim_keys",
        ),
    )


def test_the_dkim_signer_reads_its_view_and_nothing_else(mailstack):
    url = make_url(mailstack.database_url)
    conf = Path("/etc/opendkim/mailstack.conf").stat()
    assert stat.S_IMODE(conf.st_mode) == 0o640 and conf.st_uid == 0
    assert conf.st_gid == grp.getgrnam("opendkim").gr_gid  # not postfix's: it holds the signer's password
    if url.get_backend_name() != "postgresql":
        return  # one SQLite file: its permissions are the only boundary (docs/deliverability.md)
    assert psql_as(url, "dkimsigner", "SELECT count(*) FROM dkim_signing").returncode == 0
    assert_refused(
        url,
        "dkimsigner",
        (
            "SELECT count(*) FROM dkim_keys",
            "SELECT count(*) FROM mailboxes",
            "SELECT count(*) FROM mailserver_mailboxes",
            "UPDATE dkim_keys SET state = 'active'",
            "CREATE TABLE intruder (id int)",
        ),
    )


def assert_sqlite_shared_with_postfix(path: Path) -> None:
    postfix_gid = int(
        subprocess.run(
            ["getent", "group", "postfix"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.split(":")[2]
    )
    info, directory = path.stat(), path.parent.stat()
    # The mail servers' group reads and writes it (Dovecot writes quota
    # usage, WAL readers write -shm); nobody else may read the hashes.
    assert info.st_gid == postfix_gid and stat.S_IMODE(info.st_mode) == 0o660
    assert directory.st_gid == postfix_gid and directory.st_mode & stat.S_ISGID and directory.st_mode & 0o020
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
