"""Database errors never carry a statement's parameters: they reach the
logs, and a batch insert's parameters are other people's password hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from panel.db import make_engine

SECRET = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0$not-for-the-logs"


def test_errors_hide_the_parameters(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises((DBAPIError, StatementError)) as raised:
            # A statement that fails after binding its parameters, on both databases.
            conn.execute(text("INSERT INTO no_such_table (secret) VALUES (:secret)"), {"secret": SECRET})
    finally:
        engine.dispose()
    assert SECRET not in str(raised.value) and "not-for-the-logs" not in repr(raised.value)
    assert "hidden" in str(raised.value)
