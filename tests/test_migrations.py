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


def _empty_postgres_url() -> str:
    url = make_url(normalize_url(PG_URL))
    return fresh_postgres(url.set(database=url.database + "_migrations").render_as_string(hide_password=False))


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_url(request, tmp_path):
    if request.param == "postgresql":
        return _empty_postgres_url()
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


def test_the_owners_map_functions_ignore_the_callers_search_path():
    """The recipient and mailbox maps run with their owner's rights and no SET
    search_path (migration 0026): a caller whose search_path puts its own
    always-true ``=`` and a ``text`` type of its own before pg_catalog must
    still get only the real answers."""
    url = _empty_postgres_url()
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO domains (name, description, active, max_mailboxes, max_aliases, max_quota_bytes,"
            " total_quota_bytes, default_quota_bytes, mailbox_count, alias_count, quota_allocated_bytes,"
            " created_at, updated_at) VALUES ('example.org', '', true, 0, 0, 0, 0, 0, 0, 1, 0, now(), now())"
        )
        conn.exec_driver_sql(
            "INSERT INTO aliases (domain_id, address, active, goto, created_at, updated_at)"
            " SELECT id, 'sales@example.org', true, 'boss@example.net', now(), now() FROM domains"
        )
        conn.exec_driver_sql("CREATE SCHEMA hijack")
        conn.exec_driver_sql(
            "CREATE FUNCTION hijack.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true'"
        )
        conn.exec_driver_sql("CREATE OPERATOR hijack.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hijack.always)")
        # PL/pgSQL resolves its variables' types on the caller's search_path
        # when a session first calls the function: a type of the caller's own.
        conn.exec_driver_sql("CREATE TYPE hijack.text AS (stolen integer)")
        conn.exec_driver_sql("SET LOCAL search_path = hijack, pg_catalog, public")
        # The control: this caller's own query does take the always-true '='.
        control = "SELECT count(*) FROM aliases WHERE address::pg_catalog.text = 'nobody'"
        assert conn.exec_driver_sql(control).scalar() == 1
        assert conn.exec_driver_sql("SELECT mailserver_recipient('sales', 'example.org')").scalars().all() == [
            "boss@example.net"
        ]
        assert conn.exec_driver_sql("SELECT mailserver_recipient('nobody', 'example.org')").scalars().all() == []
        assert conn.exec_driver_sql("SELECT mailserver_mailbox('nobody@example.org')").scalars().all() == []
    engine.dispose()
