"""deploy/mailstack's reading of MAILPANEL_DATABASE_URL (no servers needed)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "mailstack"


@pytest.fixture(scope="module")
def script():
    loader = importlib.machinery.SourceFileLoader("mailstack_script_under_test", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_postgresql_url_with_driver_port_and_encoded_password(script):
    db = script.parse_database("postgresql+psycopg2://panel:p%40ss%2Fword@db.internal:6543/mail")
    assert db == {
        "kind": "postgresql",
        "host": "db.internal",
        "port": "6543",
        "database": "mail",
        "user": "panel",
        "password": "p@ss/word",
    }


def test_postgresql_url_without_host_uses_the_unix_socket(script):
    db = script.parse_database("postgresql:///mail")
    assert db["host"] == "/var/run/postgresql"
    assert "hosts = unix:/var/run/postgresql/.s.PGSQL.5432" in script.map_file_text(db, "postfix-domains")


def test_sqlite_url_becomes_an_absolute_path(script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert script.parse_database("sqlite:///panel.sqlite") == {"kind": "sqlite", "path": str(tmp_path / "panel.sqlite")}
    assert script.parse_database("sqlite:////srv/panel.sqlite")["path"] == "/srv/panel.sqlite"


@pytest.mark.parametrize("url", ["mysql://x@y/z", "sqlite://", "sqlite:///:memory:", "postgresql://host/"])
def test_unusable_urls_are_refused_with_a_reason(script, url):
    with pytest.raises(script.Failure):
        script.parse_database(url)


def test_a_template_placeholder_without_a_value_is_an_error(script):
    assert script.fill("a = {{x}}", {"x": 1}) == "a = 1"
    with pytest.raises(script.Failure):
        script.fill("a = {{missing}}", {})


POSTGRESQL = {
    "kind": "postgresql",
    "host": "127.0.0.1",
    "port": "5432",
    "database": "mail",
    "user": "u",
    "password": "p",
}
SQLITE = {"kind": "sqlite", "path": "/srv/panel.sqlite"}


@pytest.mark.parametrize(
    ("value", "db", "standbys", "wanted"),
    [
        (None, POSTGRESQL, [], True),  # the default on PostgreSQL: the outage recovery needs it
        (None, POSTGRESQL, [("10.0.0.2", "5432")], False),  # replicas: libpq's host list instead
        (None, SQLITE, [], False),
        ("0", POSTGRESQL, [], False),
        ("off", POSTGRESQL, [], False),
        ("1", POSTGRESQL, [], True),
        ("yes", POSTGRESQL, [], True),
    ],
)
def test_pgbouncer_is_the_default_on_postgresql(script, monkeypatch, value, db, standbys, wanted):
    if value is None:
        monkeypatch.delenv("MAILSTACK_PGBOUNCER", raising=False)
    else:
        monkeypatch.setenv("MAILSTACK_PGBOUNCER", value)
    assert script.pgbouncer_wanted(db, standbys) is wanted


def test_pgbouncer_settings_that_cannot_work_are_refused_with_a_reason(script, monkeypatch, tmp_path):
    monkeypatch.setenv("MAILSTACK_PGBOUNCER", "maybe")
    with pytest.raises(script.Failure, match="must be 1 or 0"):
        script.pgbouncer_wanted(POSTGRESQL, [])
    monkeypatch.setenv("MAILSTACK_PGBOUNCER", "1")
    with pytest.raises(script.Failure, match="needs a PostgreSQL"):
        script.pgbouncer_wanted(SQLITE, [])
    # The default asks for a program that is not there: say so, and how to do without.
    monkeypatch.delenv("MAILSTACK_PGBOUNCER")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(script.Failure, match="MAILSTACK_PGBOUNCER=0"):
        script.pgbouncer_wanted(POSTGRESQL, [])
    assert script.pgbouncer_wanted(SQLITE, []) is False  # SQLite never needs it


def test_the_keeper_is_known_by_its_command_line_not_by_the_pid_file_alone(script, tmp_path, monkeypatch):
    """stop kills what sqlite_keeper() names: never a process that took a
    dead keeper's pid, and also a keeper started from another checkout."""
    db = tmp_path / "panel.sqlite"
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").connection.close()
    pid_file = tmp_path / "keeper.pid"
    monkeypatch.setattr(script, "SQLITE_KEEPER_PID", pid_file)
    other = subprocess.Popen(["sleep", "60"])
    elsewhere = tmp_path / "elsewhere" / "sqlite" / "keeper"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(script.SQLITE_KEEPER.read_bytes())
    keeper = subprocess.Popen([sys.executable, str(elsewhere), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert keeper.stdout.readline() == f"holding {db}\n"
        assert script.sqlite_keeper() is None  # no pid file
        pid_file.write_text(f"{other.pid}\n")
        assert script.sqlite_keeper() is None  # a live process, not a keeper
        pid_file.write_text(f"{keeper.pid}\n")
        assert script.sqlite_keeper() == (keeper.pid, str(db))
    finally:
        for process in (other, keeper):
            process.terminate()
            process.wait(timeout=10)
