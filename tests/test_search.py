"""The global search in address order takes three roads (services.lists.
_search_by_address): a bounded walk of the address index, the trigram
index for few or clustered matches, and a walk on when even that is too
broad. Whichever road a page takes, the pages must be the same."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from panel import passwords
from panel.models import Role
from panel.services import Actor, ServiceError, domains, lists, mailboxes
from panel.services.lists import search as list_search


@pytest.fixture
def clustered(session):
    """60 mailboxes; the "zoe" ones sit together at the end of address
    order (as a name search's matches do), two more are spread out."""
    actor, stored = Actor.system("test"), passwords.hash_password("fast-enough-1", "SHA512-CRYPT")
    for name in ("example.org", "other.org"):
        domains.create_domain(session, actor, name, max_mailboxes=0)
    for i in range(40):
        mailboxes.create_mailbox(session, actor, f"a{i:02d}@example.org", password_hash=stored, name=f"Anna {i}")
    for i in range(18):
        mailboxes.create_mailbox(session, actor, f"z{i:02d}@example.org", password_hash=stored, name=f"Zoe {i}")
    mailboxes.create_mailbox(session, actor, "m-zoe@example.org", password_hash=stored)
    mailboxes.create_mailbox(session, actor, "zoe@other.org", password_hash=stored)
    session.commit()
    expected = sorted([f"z{i:02d}@example.org" for i in range(18)] + ["m-zoe@example.org", "zoe@other.org"])
    return expected


def _walk(session, actor, needle, size):
    """Every page forwards, then every page backwards from the last one."""
    forward, pages, after = [], [], None
    while True:
        page = lists.search_mailboxes(session, actor, needle, after=after, size=size)
        pages.append(page)
        forward += [row[0].address for row in page.rows]
        assert len(page.rows) <= size
        if not page.next_key:
            break
        after = page.next_key
    backward, before = [row[0].address for row in pages[-1].rows], pages[-1].prev_key
    while before:
        page = lists.search_mailboxes(session, actor, needle, before=before, size=size)
        backward = [row[0].address for row in page.rows] + backward
        before = page.prev_key
    return forward, backward


# "trigram-first" needs PostgreSQL's estimate; SQLite has none and walks.
@pytest.mark.parametrize(
    "budget, few",
    [(10**6, 0), (3, 0), (3, 10**9), (25, 0)],
    ids=["walk-only", "walk-then-trigram", "trigram-first", "walk-fills-some"],
)
def test_every_road_gives_the_same_pages(session, clustered, monkeypatch, budget, few):
    monkeypatch.setattr(list_search, "SEARCH_WALK_BUDGET", budget)
    monkeypatch.setattr(list_search, "FEW_MATCHES", few)
    forward, backward = _walk(session, Actor.system("t"), "ZOE", 7)
    assert forward == clustered and backward == clustered
    # A domain admin's search stays in their domain on every road.
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({domains.get_domain(session, "example.org").id}))
    forward, backward = _walk(session, admin, "zoe", 7)
    assert forward == backward == [a for a in clustered if a.endswith("@example.org")]
    # A helpdesk seeing both domains finds what the superadmin finds (by the
    # domain index when the budget covers their 60 mailboxes).
    both = frozenset(domains.get_domain(session, name).id for name in ("example.org", "other.org"))
    assert list_search._scope_size(session, Actor("help", Role.HELPDESK, both)) == 60
    forward, backward = _walk(session, Actor("help", Role.HELPDESK, both), "zoe", 7)
    assert forward == backward == clustered


@pytest.mark.parametrize("walk, sort_max", [(3, 5), (1, 1)], ids=["two-rounds", "many-rounds"])
def test_too_many_clustered_matches_for_the_trigram_index_are_walked_on(
    session, clustered, monkeypatch, walk, sort_max
):
    # Fewer than the 20 matches may be sorted: the search goes in rounds,
    # each sorting twice as many matches or walking twice as far as the last.
    monkeypatch.setattr(list_search, "SEARCH_WALK_BUDGET", walk)
    monkeypatch.setattr(list_search, "SORTED_MATCHES_MAX", sort_max)
    forward, backward = _walk(session, Actor.system("t"), "zoe", 7)
    assert forward == backward == clustered


@pytest.mark.parametrize("estimate, gathers", [(0, True), (10**6, False)], ids=["unknown", "far-above-the-cap"])
def test_a_round_skips_the_gather_when_more_matches_are_expected_than_it_may_sort(
    session, clustered, monkeypatch, estimate, gathers
):
    # Past the first walk, each round may gather SORTED_MATCHES_MAX matches
    # through the trigram index; with an estimate far above that cap the
    # gather would only come back full, so the rounds walk instead, and the
    # pages stay the same.
    monkeypatch.setattr(list_search, "SEARCH_WALK_BUDGET", 3)
    monkeypatch.setattr(list_search, "SORTED_MATCHES_MAX", 2)
    monkeypatch.setattr(list_search, "FEW_MATCHES", -1)  # never the trigram-first road
    monkeypatch.setattr(list_search, "_estimated_matches", lambda session, needle: estimate)
    statements = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        forward, backward = _walk(session, Actor.system("t"), "zoe", 7)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)
    assert forward == backward == clustered
    assert any("matches AS MATERIALIZED" in statement for statement in statements) is gathers


def test_needles_without_a_trigram_still_search_but_do_not_sort(session, clustered, monkeypatch):
    monkeypatch.setattr(list_search, "SEARCH_WALK_BUDGET", 3)
    actor = Actor.system("t")
    found = [row[0].address for row in lists.search_mailboxes(session, actor, "z1").rows]
    assert found == [f"z{i:02d}@example.org" for i in range(10, 18)]
    for needle in ("z1", "a.b", "@ex"):
        with pytest.raises(ServiceError, match="at least 3 characters"):
            lists.search_mailboxes(session, actor, needle, sort="usage")
    assert len(lists.search_mailboxes(session, actor, "zoe", sort="changed").rows) == 20


def test_the_apis_search_loads_every_rows_domain_in_one_query(session, clustered):
    rows = lists.api_mailboxes(session, Actor.system("t"), None, 50, "zoe")
    assert [mailbox.address for mailbox in rows] == clustered
    statements = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        assert {mailbox.domain.name for mailbox in rows} == {"example.org", "other.org"}
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)
    assert statements == []
