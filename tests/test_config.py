import os
import stat

import pytest
from flask import Flask
from sqlalchemy import text

from panel import config, create_app, db
from tests.fixtures.databases import PG_URL


def _app(tmp_path):
    app = Flask("t", instance_path=str(tmp_path / "instance"))
    return app


def test_production_without_secret_fails_loudly(tmp_path):
    with pytest.raises(config.ConfigError, match="MAILPANEL_SECRET_KEY"):
        config.load(_app(tmp_path), environ={"MAILPANEL_ENV": "production"})


def test_secret_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    app = _app(tmp_path)
    config.load(app, environ={"MAILPANEL_ENV": "production", "MAILPANEL_SECRET_KEY_FILE": str(secret)})
    assert app.config["SECRET_KEY"] == "from-a-file"


def test_unreadable_secret_file_names_the_variable(tmp_path):
    with pytest.raises(config.ConfigError, match="MAILPANEL_SECRET_KEY_FILE"):
        config.load(_app(tmp_path), environ={"MAILPANEL_SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_development_defaults_sqlite_and_a_private_generated_secret(tmp_path):
    app = _app(tmp_path)
    config.load(app, environ={})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/instance/mailpanel.sqlite"
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) > 40
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = _app(tmp_path)
    config.load(again, environ={})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_then_overrides(tmp_path):
    app = _app(tmp_path)
    config.load(
        app,
        {"HASH_SCHEME": "BLF-CRYPT"},
        environ={
            "MAILPANEL_HASH_SCHEME": "SHA512-CRYPT",
            "MAILPANEL_SESSION_COOKIE_SECURE": "true",
            "MAILPANEL_SECRET_KEY": "k",
        },
    )
    assert app.config["HASH_SCHEME"] == "BLF-CRYPT"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/x.sqlite")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_postgres_urls_use_psycopg2():
    assert db.normalize_url("postgresql://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert db.normalize_url("postgres://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert db.normalize_url("sqlite:///x") == "sqlite:///x"


def test_postgres_sessions_run_without_jit_and_keep_the_urls_own_options():
    from sqlalchemy.engine import make_url

    # The server's maintenance database: this test needs no schema.
    url = (
        make_url(db.normalize_url(PG_URL))
        .set(database="postgres")
        .update_query_dict({"options": "-c statement_timeout=4321"})
    )
    engine = db.make_engine(url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "4321ms"
    engine.dispose()


def test_app_factory_applies_overrides(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/y.sqlite", "SECRET_KEY": "s", "TESTING": True})
    assert app.config["SECRET_KEY"] == "s" and app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_hash_scheme_fails_at_start(tmp_path):
    with pytest.raises(config.ConfigError, match="MAILPANEL_HASH_SCHEME"):
        config.load(_app(tmp_path), environ={"MAILPANEL_HASH_SCHEME": "MD5", "MAILPANEL_SECRET_KEY": "k"})
    app = _app(tmp_path)
    config.load(app, environ={"MAILPANEL_HASH_SCHEME": "blf-crypt", "MAILPANEL_SECRET_KEY": "k"})
    assert app.config["HASH_SCHEME"] == "BLF-CRYPT"


def test_request_size_is_capped_and_configurable(tmp_path):
    app = _app(tmp_path)
    config.load(app, environ={"MAILPANEL_SECRET_KEY": "k"})
    assert app.config["MAX_CONTENT_LENGTH"] == 65 * 1024 * 1024
    config.load(app, environ={"MAILPANEL_SECRET_KEY": "k", "MAILPANEL_MAX_CONTENT_LENGTH": "1024"})
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    with pytest.raises(config.ConfigError, match="MAILPANEL_MAX_CONTENT_LENGTH"):
        config.load(app, environ={"MAILPANEL_SECRET_KEY": "k", "MAILPANEL_MAX_CONTENT_LENGTH": "big"})


def test_deferred_thresholds_are_durations_checked_at_start(tmp_path):
    assert [config.duration_seconds(v) for v in ("90", "90s", "30m", "2h", "1d", 5)] == [90, 90, 1800, 7200, 86400, 5]
    for value in ("1 hour", "-5m", "0s"):
        with pytest.raises(config.ConfigError, match="MAILPANEL_STATUS_DEFERRED_WARN"):
            config.load(_app(tmp_path), environ={"MAILPANEL_STATUS_DEFERRED_WARN": value, "MAILPANEL_SECRET_KEY": "k"})
    with pytest.raises(config.ConfigError, match="must not be longer"):
        environ = {"MAILPANEL_STATUS_DEFERRED_WARN": "2d", "MAILPANEL_STATUS_DEFERRED_FAIL": "1d"}
        config.load(_app(tmp_path), environ={**environ, "MAILPANEL_SECRET_KEY": "k"})
