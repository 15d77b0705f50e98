"""A value the database refuses that the checks let through (a gap in
them) is a 400 that says so, rolls back and logs no parameter, on the web
and in the API (tests/api/test_bad_input.py). tests/web/test_fuzz.py fails on that answer: it marks a
check to add."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError

from panel.db import DATABASE_REFUSED, get_session
from panel.models import Domain
from panel.web.access import public

SECRET = "{ARGON2ID}$argon2id$other-rows-hash"


def _refusing_view():
    get_session().add(Domain(name="half-written.example"))
    get_session().flush()
    raise DataError("INSERT INTO mailboxes ...", {"password_hash": SECRET}, Exception("value too long"))


def test_a_refused_value_is_a_400_that_changes_nothing(app, caplog):
    app.add_url_rule("/refuse", "refuse", public(_refusing_view), methods=["GET"])
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/refuse")
    assert page.status_code == 400 and DATABASE_REFUSED in page.get_data(as_text=True)
    assert SECRET not in caplog.text and "database refused a value: GET /refuse (Exception)" in caplog.text
    with app.app_context():
        assert get_session().query(Domain).filter_by(name="half-written.example").count() == 0
