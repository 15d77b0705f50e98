"""Regressions from the audit (issue 11, items 9 and 10) on the web pages:
each hostile value gets a page that says what is wrong, never a 500, and
changes nothing. (tests/web/test_fuzz.py sends such values everywhere.)"""

from __future__ import annotations

import re

from sqlalchemy import select

from panel.models import Domain, Mailbox
from tests.helpers import PASSWORD, client_as, csrf_token, post

DIGITS_400 = "9" * 400


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error(response, field: str) -> str:
    match = re.search(rf'id="e-{field}" class="error" role="alert">([^<]+)<', _text(response))
    assert match, f"no error shown for {field}"
    return match.group(1)


def test_huge_quotas_and_limits_are_form_errors(app, world):
    client = client_as(app, "superadmin")
    for field in ("max_quota_bytes", "total_quota_bytes", "default_quota_bytes"):
        response = post(client, "/domains/new", {"name": "huge.example", field: DIGITS_400})
        assert response.status_code == 422 and _error(response, field) == "that size is too large"
        response = post(client, "/domains/example.org/edit", {field: DIGITS_400 + "G"})
        assert response.status_code == 422 and _error(response, field) == "that size is too large"
    for field in ("max_mailboxes", "max_aliases"):
        for value in (DIGITS_400, "²", "٣"):
            response = post(client, "/domains/new", {"name": "huge.example", field: value})
            assert response.status_code == 422 and _error(response, field) in ("is too large", "must be a whole number")
    form = {"local_part": "huge", "quota": DIGITS_400, "password": "secret-123", "password_confirm": "secret-123"}
    response = post(client, "/domains/example.org/mailboxes/new", form)
    assert response.status_code == 422 and _error(response, "quota") == "that size is too large"
    response = post(client, "/mailboxes/alice@example.org", {"name": "Alice", "quota": DIGITS_400, "active": "1"})
    assert response.status_code == 422 and _error(response, "quota") == "that size is too large"
    with world() as session:
        assert session.scalar(select(Domain.id).where(Domain.name == "huge.example")) is None
        assert session.scalar(select(Mailbox.id).where(Mailbox.address == "huge@example.org")) is None
        assert session.scalar(select(Mailbox.quota_bytes).where(Mailbox.address == "alice@example.org")) == 1024**3


def test_an_unchanged_form_keeps_an_odd_quota_exactly(app, world):
    # The form shows 1100 bytes as "1100", not "1.1K" (which reads back as 1126).
    client = client_as(app, "superadmin")
    assert (
        post(client, "/mailboxes/alice@example.org", {"name": "Alice", "quota": "1100", "active": "1"}).status_code
        == 302
    )
    page = _text(client.get("/mailboxes/alice@example.org"))
    shown = re.search(r'name="quota"[^>]*value="([^"]*)"', page).group(1)
    assert (
        post(client, "/mailboxes/alice@example.org", {"name": "Alice", "quota": shown, "active": "1"}).status_code
        == 302
    )
    with world() as session:
        assert session.scalar(select(Mailbox.quota_bytes).where(Mailbox.address == "alice@example.org")) == 1100


def test_audit_dates_at_the_ends_of_the_calendar(app, world):
    client = client_as(app, "superadmin")
    for query in ("until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"):
        response = client.get(f"/audit/?{query}")
        assert response.status_code == 200 and "mailbox.create" in _text(response), query
    for query in ("until=0000-00-00", "since=9999-13-01", "since=٢٠٢٦-٠١-٠١"):
        response = client.get(f"/audit/?{query}")
        assert response.status_code == 422 and "use a date like 2026-01-31" in _text(response), query


def test_page_keys_with_huge_numbers_or_odd_times_are_invalid_links(app, world):
    client = client_as(app, "superadmin")
    for url in (
        f"/domains/example.org/mailboxes?sort=usage&after=u|{DIGITS_400}|a@example.org",
        f"/domains/example.org/mailboxes?sort=usage&before=u|{2**63}|a@example.org",
        f"/domains/example.org/mailboxes?sort=changed&after=2026-01-01T00:00:00%2B00:00|{DIGITS_400}",
        "/domains/example.org/mailboxes?sort=changed&after=0001-01-01T00:00:00%2B14:00|1",
        f"/mailboxes?q=alice&sort=usage&after={DIGITS_400}|a@example.org",
        f"/audit/?after=2026-01-01T00:00:00%2B00:00|{DIGITS_400}",
        "/audit/?before=0001-01-01T00:00:00%2B01:00|1",
    ):
        response = client.get(url)
        assert response.status_code in (400, 422) or url.startswith("/mailboxes?"), url  # the search says it inline
        assert "this page link is not valid; start from the first page" in _text(response), url
    # The largest key the panel could have written is still a key.
    assert client.get(f"/domains/example.org/mailboxes?sort=usage&after=u|{2**63 - 1}|a").status_code == 200


def test_next_never_splits_a_header_or_leaves_the_site(app, world):
    client = client_as(app, "superadmin")
    for target in ("/%0d%0aX", "/%0aSet-Cookie:%20x=1", "/%09/evil.example", "/%E2%80%AE", "//evil.example"):
        response = client.get(f"/login?next={target}")
        assert response.status_code == 302 and response.headers["Location"] == "/", target
    response = client.get("/login?next=/domains/b%C3%BCcher.example/mailboxes")
    assert response.headers["Location"] == "/domains/b%C3%BCcher.example/mailboxes"  # ASCII, same path
    anonymous = app.test_client()
    response = anonymous.post(
        "/login?next=/%0d%0aX", data={"username": "root", "password": PASSWORD, "csrf_token": csrf_token(anonymous)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


INVISIBLE = {
    "\u202egro.elpmaxe": "must not contain invisible characters that change the direction of text (U+202E)",
    "a\u2066b\u2069": "must not contain invisible characters that change the direction of text (U+2066)",
    "one\u2028two": "must be a single line: it contains a line break (U+2028)",
    "one\x85two": "must be a single line: it contains a line break (U+0085)",
    "c1\x9b": "must not contain control characters (U+009B)",
}


def test_names_and_descriptions_refuse_invisible_characters_in_plain_words(app, world):
    client = client_as(app, "superadmin")
    for value, message in INVISIBLE.items():
        response = post(client, "/domains/example.org/edit", {"description": value})
        assert response.status_code == 422 and _error(response, "description") == message
        response = post(client, "/mailboxes/alice@example.org", {"name": value, "quota": "1G", "active": "1"})
        assert response.status_code == 422 and _error(response, "name") == message
        response = post(client, "/tokens/", {"name": value})
        assert response.status_code == 422 and message in _text(response)
    with world() as session:
        assert session.scalar(select(Mailbox.name).where(Mailbox.address == "alice@example.org")) == "Alice"
        assert session.scalar(select(Domain.description).where(Domain.name == "example.org")) == ""
