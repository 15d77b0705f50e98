"""The signer's view (migration 0016) through the very queries OpenDKIM runs.

deploy/mailstack writes the SigningTable and KeyTable as dsn: data sets on
dkim_signing; OpenDKIM turns each into ``SELECT <datacol> FROM <table>
WHERE <keycol> = '<key>'`` (README.SQL). The tests build that SELECT from
the DSN mailstack writes and run it on PostgreSQL and SQLite."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text

from panel.services import dkim, domains

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "mailstack"
DB = {"kind": "postgresql", "host": "127.0.0.1", "port": "5432", "database": "mp", "user": "u", "password": "p"}


def _mailstack():
    loader = importlib.machinery.SourceFileLoader("mailstack_for_dkim_view", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


MAILSTACK = _mailstack()


def opendkim_select(columns: str) -> str:
    """The SELECT OpenDKIM composes from the data set mailstack writes."""
    options = dict(part.split("=", 1) for part in MAILSTACK.opendkim_dsn(DB, columns).split("/")[-1].split("?"))
    return f"SELECT {options['datacol']} FROM {options['table']} WHERE {options['keycol']} = :key"


def signing(session, sender_domain: str):
    """(KeyTable answer) for a sender of the domain, or None: what OpenDKIM would sign with."""
    label = session.execute(text(opendkim_select("domain")), {"key": sender_domain}).scalar()
    if label is None:
        return None
    return tuple(session.execute(text(opendkim_select("domain,selector,private_key")), {"key": label}).one())


@pytest.fixture
def domain(session, actor):
    made = domains.create_domain(session, actor, "example.org")
    session.commit()
    return made


def test_only_the_active_key_signs_and_rotation_shows_at_once(session, actor, domain):
    dkim.generate(session, actor, domain, "one")
    session.commit()
    assert signing(session, "example.org") is None  # published only
    dkim.activate(session, actor, domain, "one")
    session.commit()
    name, selector, pem = signing(session, "example.org")
    assert (name, selector) == ("example.org", "one") and pem.startswith("-----BEGIN PRIVATE KEY-----")
    dkim.generate(session, actor, domain, "two")
    dkim.activate(session, actor, domain, "two")
    session.commit()
    assert signing(session, "example.org")[1] == "two"
    dkim.retire(session, actor, domain, "two")
    session.commit()
    assert signing(session, "example.org") is None  # "one" is published again, not signing
    assert signing(session, "other.org") is None


def test_a_disabled_domain_or_an_ed25519_key_signs_nothing(session, actor, domain):
    dkim.generate(session, actor, domain, "ed", "ed25519")
    dkim.activate(session, actor, domain, "ed")
    session.commit()
    # Debian 12's OpenDKIM signs rsa-sha256 only: an Ed25519 key would fail every message.
    assert signing(session, "example.org") is None
    dkim.generate(session, actor, domain, "rsa")
    dkim.activate(session, actor, domain, "rsa")
    domains.set_domain_active(session, actor, domain, False)
    session.commit()
    assert signing(session, "example.org") is None


def test_the_dsn_names_no_socket_and_refuses_what_it_cannot_quote():
    socket_db = dict(DB, host="/var/run/postgresql")
    assert "@5432+127.0.0.1/mp/" in MAILSTACK.opendkim_dsn(socket_db, "domain")
    sqlite = MAILSTACK.opendkim_dsn({"kind": "sqlite", "path": "/var/lib/mp/mailpanel.sqlite"}, "domain")
    # OpenDBX glues host and database name into one path, relative to OpenDKIM's cwd.
    assert sqlite.startswith("dsn:sqlite3://m/ailpanel.sqlite/table=dkim_signing?")
    with pytest.raises(MAILSTACK.Failure):
        MAILSTACK.opendkim_dsn(dict(DB, database="a+b"), "domain")
