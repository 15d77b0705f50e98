"""Alembic environment: the URL comes from the caller (``flask db upgrade``)
or from MAILPANEL_DATABASE_URL when alembic is run by hand."""

from __future__ import annotations

import os

from alembic import context

from panel.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ["MAILPANEL_DATABASE_URL"]


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from panel.db import make_engine

        connectable = make_engine(_url())
        with connectable.connect() as connection:
            _run(connection)
        connectable.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
