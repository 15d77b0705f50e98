"""A domain's mailboxes by last IMAP/POP3 login: "not used for 90 days",
longest unused first, keyset-paged; and the helpdesk's view of why a user
cannot log in (last login, recent failures)."""

from __future__ import annotations

import time

import pytest

from panel import passwords
from panel.models import LastLogin
from panel.services import ServiceError, domains, lists, mailbox_logins, mailboxes

DAY = 86_400


@pytest.fixture
def logins(session, actor):
    """example.org: a (today), b (100 days ago, via an app password too),
    c (400 days ago), d and e (never)."""
    domain = domains.create_domain(session, actor, "example.org")
    for local in "abcde":
        mailboxes.create_mailbox(session, actor, f"{local}@example.org", password="long-enough-1")
    now = int(time.time())
    session.add_all(
        [
            LastLogin(username="a@example.org", via="main", last_login=now - 60),
            LastLogin(username="b@example.org", via="main", last_login=now - 120 * DAY),
            LastLogin(username="b@example.org", via="7", last_login=now - 100 * DAY),
            LastLogin(username="c@example.org", via="main", last_login=now - 400 * DAY),
        ]
    )
    session.commit()
    return domain


def _addresses(page) -> list[str]:
    return [row[0].address for row in page.rows]


def test_not_used_for_some_days(session, actor, logins):
    page = lambda unused: _addresses(lists.mailbox_page(session, actor, logins, "address", unused=unused))  # noqa: E731
    assert page("90") == ["b@example.org", "c@example.org", "d@example.org", "e@example.org"]
    assert page("365") == ["c@example.org", "d@example.org", "e@example.org"]
    assert page("never") == ["d@example.org", "e@example.org"]
    assert page(None) == [f"{x}@example.org" for x in "abcde"]


def test_sorted_longest_unused_first_and_paged(session, actor, logins):
    found = lists.mailbox_page(session, actor, logins, "login")
    assert _addresses(found) == ["d@example.org", "e@example.org", "c@example.org", "b@example.org", "a@example.org"]
    stored = passwords.hash_password("long-enough-1")
    for n in range(lists.PAGE_SIZE):  # never used: they come first, by address
        mailboxes.create_mailbox(session, actor, f"n{n:02d}@example.org", password_hash=stored)
    session.commit()
    first = lists.mailbox_page(session, actor, logins, "login")
    second = lists.mailbox_page(session, actor, logins, "login", after=first.next_key)
    assert len(first.rows) == lists.PAGE_SIZE and first.prev_key is None
    assert _addresses(second) == ["n48@example.org", "n49@example.org", *_addresses(found)[2:]]
    back = lists.mailbox_page(session, actor, logins, "login", before=second.prev_key)
    assert _addresses(back) == _addresses(first)


def test_bad_choices_are_refused(session, actor, logins):
    with pytest.raises(ServiceError) as refused:
        lists.mailbox_page(session, actor, logins, "address", unused="45")
    assert "unused" in refused.value.fields
    with pytest.raises(ServiceError):
        lists.mailbox_page(session, actor, logins, "usage", unused="90")
    with pytest.raises(ServiceError):
        lists.mailbox_page(session, actor, logins, "login", after="not-a-number|x")


def test_last_logins_of_a_page(session, actor, logins):
    found = mailbox_logins.last_logins(session, ["a@example.org", "b@example.org", "d@example.org"])
    assert set(found) == {"a@example.org", "b@example.org"}
    assert int(time.time()) - found["b@example.org"].timestamp() == pytest.approx(100 * DAY, abs=5)
