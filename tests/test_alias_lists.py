"""Aliases are found like mailboxes: the staff's search finds the address a
user quotes when it is an alias (and the mailbox it delivers to), a
domain's alias list is searched and keyset-paged, and nobody sees another
tenant's aliases."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from panel import passwords
from panel.models import Role
from panel.services import Actor, ServiceError, aliases, domains, lists, mailboxes
from panel.services.lists import aliases as alias_lists
from panel.services.lists import search as list_search
from tests.helpers import client_as


@pytest.fixture
def many(session, actor):
    """example.org: 30 aliases sales00..29 and support; other.org: sales@other.org."""
    stored = passwords.hash_password("fast-enough-1", "SHA512-CRYPT")
    for name in ("example.org", "other.org"):
        domains.create_domain(session, actor, name)
    mailboxes.create_mailbox(session, actor, "anna@example.org", password_hash=stored)
    for i in range(30):
        aliases.create_alias(session, actor, f"sales{i:02d}@example.org", ["anna@example.org"])
    aliases.create_alias(session, actor, "support@example.org", ["anna@example.org"])
    aliases.create_alias(session, actor, "sales@other.org", ["x@elsewhere.test"])
    session.commit()
    return domains.get_domain(session, "example.org")


def _addresses(page) -> list[str]:
    return [row[0].address for row in page.rows]


def _walk(fetch, size):
    """Every page forwards, then back from the last one by ``before`` keys."""
    forward, pages, after = [], [], None
    while True:
        page = fetch(after=after, before=None, size=size)
        pages.append(page)
        forward += _addresses(page)
        if not page.next_key:
            break
        after = page.next_key
    backward, before = _addresses(pages[-1]), pages[-1].prev_key
    while before:
        page = fetch(after=None, before=before, size=size)
        backward = _addresses(page) + backward
        before = page.prev_key
    return forward, backward, pages


@pytest.mark.parametrize("sorted_max", [10**6, 3], ids=["trigram", "walk"])
def test_search_pages_forward_and_back_by_key(session, many, monkeypatch, sorted_max):
    # PostgreSQL gathers few matches through the trigram index and walks
    # the address index past SORTED_MATCHES_MAX; both give the same pages.
    monkeypatch.setattr(list_search, "SORTED_MATCHES_MAX", sorted_max)  # shared with the mailbox search
    expected = [f"sales{i:02d}@example.org" for i in range(30)] + ["sales@other.org"]

    def fetch(after, before, size):
        return lists.search_aliases(session, Actor.system("t"), "SALES", after, before, size)

    forward, backward, pages = _walk(fetch, 7)
    assert forward == backward == sorted(expected)
    assert len(pages) == 5 and pages[0].prev_key is None and all(len(p.rows) <= 7 for p in pages)


def test_a_domains_alias_list_is_searched_and_paged(session, actor, many):
    def fetch(after, before, size):
        return lists.alias_page(session, actor, many, after, before, text="sales", size=size)

    forward, backward, _ = _walk(fetch, 8)
    assert forward == backward == [f"sales{i:02d}@example.org" for i in range(30)]
    assert _addresses(lists.alias_page(session, actor, many, text="supp")) == ["support@example.org"]


def test_alias_list_pages_next_and_previous(session, actor, many):
    def fetch(after, before, size):
        return lists.alias_page(session, actor, many, after, before, size=size)

    forward, backward, pages = _walk(fetch, 10)
    assert forward == backward == [f"sales{i:02d}@example.org" for i in range(30)] + ["support@example.org"]
    assert len(pages) == 4 and pages[0].prev_key is None and pages[1].prev_key
    back = lists.alias_page(session, actor, many, before=pages[2].prev_key, size=10)
    assert _addresses(back) == _addresses(pages[1])


def test_tenants_never_see_each_others_aliases(session, many):
    other = domains.get_domain(session, "other.org")
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({many.id}))
    helpdesk = Actor("help", Role.HELPDESK, frozenset({other.id}))
    assert "sales@other.org" not in _addresses(lists.search_aliases(session, admin, "sales", size=100))
    assert _addresses(lists.search_aliases(session, helpdesk, "sales")) == ["sales@other.org"]
    with pytest.raises(ServiceError):  # another tenant's list is not theirs
        lists.alias_page(session, admin, other, text="sales")


def test_delivered_mailboxes_are_those_the_actor_sees(session, many):
    page = lists.search_aliases(session, Actor.system("t"), "sales", size=100)
    assert lists.delivered_mailboxes(session, Actor.system("t"), page) == {"anna@example.org"}
    other = Actor("help", Role.HELPDESK, frozenset({domains.get_domain(session, "other.org").id}))
    assert lists.delivered_mailboxes(session, other, page) == set()


def test_too_short_a_search_is_refused(session, many):
    with pytest.raises(ServiceError) as refused:
        lists.search_aliases(session, Actor.system("t"), "s")
    assert "q" in refused.value.fields


def test_postgresql_search_can_use_the_trigram_index(session, many, backend):
    if backend != "postgresql":
        assert session.get_bind().dialect.name == "sqlite"  # SQLite walks the address index
        return
    query = select(alias_lists.Alias.address).where(alias_lists.contains(alias_lists.Alias.address, "sales1"))
    compiled = query.compile(dialect=session.get_bind().dialect)
    # Enough rows that walking a B-tree for a rare match costs more than the
    # trigram index (only the plan is read: no counter needs to agree).
    rows = [{"domain_id": many.id, "address": f"x{i:05d}@example.org", "goto": "a@b.c"} for i in range(5000)]
    session.execute(insert(alias_lists.Alias), rows)
    connection = session.connection()
    # New rows wait in the GIN index's pending list, which the planner
    # prices high; a live server's autovacuum merges it.
    connection.exec_driver_sql("SELECT gin_clean_pending_list('ix_aliases_address_trgm')")
    connection.exec_driver_sql("ANALYZE aliases")
    plan = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars().all()
    assert any("ix_aliases_address_trgm" in line for line in plan), plan


def test_helpdesk_search_by_an_alias_finds_it_and_its_mailbox(app, world):
    """The user quotes info@example.org: an alias delivering to alice."""
    html = client_as(app, "helpdesk").get("/mailboxes?q=info@example").get_data(as_text=True)
    aliases_part = html.split('id="alias-results"')[1]
    assert "info@example.org" in aliases_part
    assert 'href="/mailboxes?q=alice@example.org"' in aliases_part  # the mailbox it delivers to
    assert 'href="/aliases/info@example.org"' not in aliases_part  # helpdesk: read only
    found = client_as(app, "helpdesk").get("/mailboxes?q=alice%40example.org").get_data(as_text=True)
    assert "/mailboxes/alice@example.org/password" in found
    # The domain admin of other.org finds none of example.org's.
    html = client_as(app, "other_domainadmin").get("/mailboxes?q=info@example").get_data(as_text=True)
    assert "info@example.org" not in html and "No alias matches" in html
    # A manager's result links to the alias itself.
    html = client_as(app, "domainadmin").get("/mailboxes?q=info@").get_data(as_text=True)
    assert 'href="/aliases/info@example.org"' in html


def test_alias_list_page_searches(app, world):
    client = client_as(app, "domainadmin")
    html = client.get("/domains/example.org/aliases?q=inf").get_data(as_text=True)
    assert 'href="/aliases/info@example.org"' in html
    html = client.get("/domains/example.org/aliases?q=nothing-like-it").get_data(as_text=True)
    assert "No alias of example.org matches" in html
    response = client.get("/domains/example.org/aliases?q=x")
    assert response.status_code == 200 and 'id="e-q"' in response.get_data(as_text=True)
