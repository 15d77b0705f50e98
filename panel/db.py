"""The one place that owns the engine and the session factory.

A request (or CLI command) gets one session from :func:`get_session`; it is
closed at app-context teardown. Services receive that session and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

_EXTENSION = "mailpanel.db"

# What a request is told when the database refuses a value the checks let
# through (a gap in them, a bug): a 400, not a 500, and never the value.
DATABASE_REFUSED = "The database refused a value (too long or malformed); nothing was changed."


# Postfix's SQLite client has no busy timeout and dies on "database is
# locked"; WAL lets its readers proceed while we write. Our own writers wait.
SQLITE_BUSY_TIMEOUT_MS = 5000


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection) -> None:
    # pysqlite starts a transaction lazily, so two writers can both read and
    # then fight over the lock (SQLITE_BUSY without waiting). BEGIN IMMEDIATE
    # takes the write lock up front; the busy timeout then queues writers.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs mean psycopg2, our driver (SQLAlchemy 2.1
    would otherwise pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """The engine for ``url``. Its errors never carry the statement's
    parameters: they end up in logs, and a batch insert's parameters are
    other people's password hashes."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"isolation_level": None, "check_same_thread": False}
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # JIT compilation (PostgreSQL >= 12, for plans costed over 100k) spends
    # 15-20 ms compiling the panel's short queries, more than they run. Added
    # to any ``options`` the URL carries (connect_args would replace them).
    parsed = make_url(url)
    options = " ".join(filter(None, [parsed.query.get("options"), "-c jit=off"]))
    return create_engine(
        parsed.difference_update_query(["options"]),
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"options": options},
    )


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions[_EXTENSION] = factory
    app.teardown_appcontext(_close_session)


def engine_for(app) -> Engine:
    return app.extensions[_EXTENSION].kw["bind"]


def engine() -> Engine:
    return engine_for(current_app)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions[_EXTENSION]()
    return g.db_session


def refused_value(error) -> None:
    """For the error handlers of a request whose statement the database
    refused (DataError): roll back, and log which request without the
    statement's parameters."""
    get_session().rollback()
    current_app.logger.warning(
        "database refused a value: %s %s (%s)", request.method, request.path, type(error.orig).__name__
    )


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
