"""deploy/mailstack's reading of MAILPANEL_DATABASE_URL (no servers needed)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
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
