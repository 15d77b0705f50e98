"""The totals on the dashboard and the domain list: exact on a host of
ordinary size and for a scoped account; on a host past
TOTALS_EXACT_UP_TO domains, recounted at most every TOTALS_MAX_AGE_S
seconds and said to be so (bench/web.py: the sum over 100k domain rows
cost 10-20 ms a page)."""

from __future__ import annotations

import pytest

from panel.models import Role
from panel.services import Actor, domains, mailboxes
from panel.services.lists import domain_totals
from panel.services.lists import domains as domain_lists
from tests.helpers import client_as


@pytest.fixture
def kept(monkeypatch):
    """A host that counts as big from its second domain on, with a cache of its own."""
    monkeypatch.setattr(domain_lists, "_all_domains_totals", {})
    monkeypatch.setattr(domain_lists, "TOTALS_EXACT_UP_TO", 1)


def _add(session, actor, name: str) -> None:
    domains.create_domain(session, actor, name)
    session.commit()


def test_a_host_of_ordinary_size_counts_every_time(session, actor, monkeypatch):
    monkeypatch.setattr(domain_lists, "_all_domains_totals", {})
    _add(session, actor, "a.example")
    assert domain_totals(session, actor)["domains"] == 1
    _add(session, actor, "b.example")
    totals = domain_totals(session, actor)
    assert (totals["domains"], totals["counted_at"]) == (2, None)


def test_a_big_host_keeps_the_count_for_a_while_and_says_when_it_was_made(session, actor, kept, monkeypatch):
    _add(session, actor, "a.example")
    _add(session, actor, "b.example")
    first = domain_totals(session, actor)
    assert first["domains"] == 2 and first["counted_at"] is not None
    _add(session, actor, "c.example")
    mailboxes.create_mailbox(session, actor, "x@c.example", password="password-1", scheme="SHA512-CRYPT")
    session.commit()
    assert domain_totals(session, actor) == first  # kept: not recounted yet

    # A scoped account's totals are its own domains', counted now, always.
    c = domains.get_domain(session, "c.example")
    scoped = domain_totals(session, Actor("admin", Role.DOMAINADMIN, frozenset({c.id})))
    assert (scoped["domains"], scoped["mailboxes"], scoped["counted_at"]) == (1, 1, None)

    monkeypatch.setattr(domain_lists, "TOTALS_MAX_AGE_S", 0.0)  # the minute is over
    again = domain_totals(session, actor)
    assert (again["domains"], again["mailboxes"]) == (3, 1) and again["counted_at"] >= first["counted_at"]


def test_the_pages_say_the_totals_were_counted_earlier(app, world, kept):
    client = client_as(app, "superadmin")
    for page in ("/", "/domains/"):
        html = client.get(page).get_data(as_text=True)
        assert "with this many domains the totals are recounted once a minute" in html, page


def test_the_pages_of_an_ordinary_host_say_nothing_of_it(app, world, monkeypatch):
    monkeypatch.setattr(domain_lists, "_all_domains_totals", {})
    client = client_as(app, "superadmin")
    for page in ("/", "/domains/"):
        assert "recounted" not in client.get(page).get_data(as_text=True), page
