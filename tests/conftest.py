"""Fixtures: every test runs against real PostgreSQL and real SQLite.

Databases come from the environment:
- MAILPANEL_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/mailpanel_test);
  the database is dropped and re-created, then migrated with our migrations.
- MAILPANEL_TEST_DATABASES: which to run, default "postgresql,sqlite".
A database that cannot be reached is an error, never a skip.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from panel import create_app, migrate
from panel.db import normalize_url
from panel.models import Base
from panel.services import Actor

PG_URL = os.environ.get("MAILPANEL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/mailpanel_test")
BACKENDS = [b.strip() for b in os.environ.get("MAILPANEL_TEST_DATABASES", "postgresql,sqlite").split(",") if b.strip()]


def _fresh_postgres(url: str) -> str:
    target = make_url(normalize_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "postgresql":
        url = _fresh_postgres(PG_URL)
    elif request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "mailpanel.sqlite")
    else:
        raise ValueError(f"unknown backend {request.param}")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def backend(database_url) -> str:
    return make_url(database_url).get_backend_name()


def _empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "HASH_SCHEME": "ARGON2ID",
        }
    )
    # create_app puts a fresh instance path per run; keep the repo clean.
    app.instance_path = str(tmp_path / "instance")
    yield app
    from panel import db

    engine = db.engine_for(app)
    _empty_all_tables(engine)
    engine.dispose()


@pytest.fixture
def session(app):
    with app.app_context():
        from panel.db import get_session

        yield get_session()


@pytest.fixture
def actor() -> Actor:
    return Actor.system("test")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def client(app):
    return app.test_client()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the whole run, shared by every
    browser test: Playwright's sync API allows one running instance per
    thread, so a second sync_playwright() in another fixture would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
