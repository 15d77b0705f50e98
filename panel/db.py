"""The one place that owns the engine and the session factory.

A request (or CLI command) gets one session from :func:`get_session`; it is
closed at app-context teardown. Services receive that session and never
commit: the caller owns the transaction.

SQLite has one writer at a time. A transaction that will write takes the
write lock when it begins (``BEGIN IMMEDIATE``): one that began as a reader
and then writes fails at once if anyone committed in between. A transaction
that only reads must not take it, or a page view would queue behind an
import and a login behind a page view. So the web panel reads in plain
``BEGIN`` transactions for GET requests (:func:`reading`), and the slow
steps of a write (hashing a password, checking an uploaded file) run before
its transaction begins: the lock is held only to write.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

_EXTENSION = "mailpanel.db"

# What a busy (SQLite's lock held past the busy timeout) or unreachable
# database raises: the web and the API answer 503 for these.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)

# What a request is told when the database refuses a value the checks let
# through (a gap in them, a bug): a 400, not a 500, and never the value.
DATABASE_REFUSED = "The database refused a value (too long or malformed); nothing was changed."


# Postfix's SQLite client has no busy timeout and dies on "database is
# locked"; WAL lets its readers proceed while we write (and deploy/sqlite/keeper
# keeps a closing connection from locking out an opening one). Our own
# writers wait.
SQLITE_BUSY_TIMEOUT_MS = 5000


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# Whether a SQLite transaction begun now will write (the default: a CLI
# command, a POST). GET requests read with this off.
_WILL_WRITE = contextvars.ContextVar("mailpanel_sqlite_will_write", default=True)


def _begin(connection) -> None:
    # pysqlite starts a transaction lazily, so two writers can both read and
    # then fight over the lock (SQLITE_BUSY without waiting). BEGIN IMMEDIATE
    # takes the write lock up front; the busy timeout then queues writers.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _WILL_WRITE.get() else "BEGIN")


@contextmanager
def reading():
    """SQLite transactions begun inside read without the write lock."""
    token = _WILL_WRITE.set(False)
    try:
        yield
    finally:
        _WILL_WRITE.reset(token)


@contextmanager
def writing():
    """SQLite transactions begun inside take the write lock at BEGIN."""
    token = _WILL_WRITE.set(True)
    try:
        yield
    finally:
        _WILL_WRITE.reset(token)


def read_only_from_here() -> contextvars.Token:
    """For a request: until :func:`restore`, transactions read only."""
    return _WILL_WRITE.set(False)


def restore(token: contextvars.Token) -> None:
    _WILL_WRITE.reset(token)


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs mean psycopg2, our driver (SQLAlchemy 2.1
    would otherwise pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable by its owner only: it
    holds every password hash. (deploy/mailstack later opens it to the mail
    servers' group, 0660: Dovecot writes quota usage into it.) SQLite gives
    its -wal and -shm files the database file's mode."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


def make_engine(url: str) -> Engine:
    """The engine for ``url``. Its errors never carry the statement's
    parameters: they end up in logs, and a batch insert's parameters are
    other people's password hashes."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"isolation_level": None, "check_same_thread": False}
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin)
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
    from .config import reserved_domains

    engine = make_engine(app.config["DATABASE_URL"])
    # What the services need to know of the deployment travels with the session.
    factory = sessionmaker(
        bind=engine,
        expire_on_commit=False,
        info={"reserved_domains": reserved_domains(app.config), "secret_key": app.config["SECRET_KEY"]},
    )
    app.extensions[_EXTENSION] = factory
    app.teardown_appcontext(_close_session)


def engine_for(app) -> Engine:
    return app.extensions[_EXTENSION].kw["bind"]


def engine() -> Engine:
    return engine_for(current_app)


@contextmanager
def short_write():
    """A session of its own for a small write in the middle of a request
    that otherwise only reads (a session's last-seen time, a token's last
    use): it takes SQLite's write lock briefly and commits at once."""
    session = current_app.extensions[_EXTENSION]()
    try:
        with writing():
            yield session
            session.commit()
    finally:
        session.close()


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
