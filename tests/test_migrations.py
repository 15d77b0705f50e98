"""The same migrations build PostgreSQL and SQLite, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from panel import migrate
from panel.db import make_engine, normalize_url
from panel.models import Base
from tests.fixtures.databases import PG_URL, fresh_postgres

VIEWS = {
    "mailserver_domains",
    "mailserver_alias_domains",
    "mailserver_mailboxes",
    "mailserver_aliases",
    "mailserver_mailbox_addresses",
}


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_url(request, tmp_path):
    if request.param == "postgresql":
        url = make_url(normalize_url(PG_URL))
        return fresh_postgres(url.set(database=url.database + "_migrations").render_as_string(hide_password=False))
    return f"sqlite:///{tmp_path}/empty.sqlite"


def _ignore_extras(obj, name, type_, reflected, compare_to):
    # PostgreSQL-only trigram indexes live in migrations, not in the models.
    return not (type_ == "index" and name and name.endswith("_trgm"))


def test_upgrade_downgrade_upgrade_on_empty_database(empty_url):
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    assert VIEWS <= set(inspect(engine).get_view_names())
    engine.dispose()
    migrate.downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    assert not (VIEWS & set(inspect(engine).get_view_names()))
    assert "mailboxes" not in inspect(engine).get_table_names()
    engine.dispose()
    migrate.upgrade(empty_url)


def test_models_match_migrations(empty_url):
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _ignore_extras, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_views_answer_on_both_databases(empty_url):
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        for view in VIEWS:
            assert conn.execute(text(f"SELECT count(*) FROM {view}")).scalar() == 0
    engine.dispose()
