"""The reads behind the CSV export, ``flask mailbox list`` and ``flask domain
list``: in the services, with the web's rules (a manager's domains only; the
helpdesk finds one mailbox and gets no full list)."""

from __future__ import annotations

import pytest

from panel.models import Role
from panel.services import Actor, Forbidden, NotFound, aliases, domains, forwarding, lists, mailboxes


@pytest.fixture
def two_tenants(session, actor):
    mine = domains.create_domain(session, actor, "mine.org")
    theirs = domains.create_domain(session, actor, "theirs.org")
    for address in ("b@mine.org", "a@mine.org", "z@theirs.org"):
        mailboxes.create_mailbox(session, actor, address, password="long-enough-1")
    aliases.create_alias(session, actor, "info@mine.org", ["a@mine.org"])
    aliases.create_alias(session, actor, "spy@theirs.org", ["a@mine.org"])  # theirs, pointing at mine
    aliases.create_alias(session, actor, "both@mine.org", ["a@mine.org", "b@mine.org"])
    session.commit()
    return mine, theirs


def _exported(session, who, domain=None) -> list[str]:
    return [row.address for chunk in lists.export_chunks(session, who, domain, chunk=1) for row in chunk]


def test_export_sees_the_managers_domains_only(session, actor, two_tenants):
    mine, theirs = two_tenants
    admin = Actor("da", Role.DOMAINADMIN, frozenset({mine.id}))
    assert _exported(session, actor) == ["a@mine.org", "b@mine.org", "z@theirs.org"]
    assert _exported(session, admin) == ["a@mine.org", "b@mine.org"]
    assert _exported(session, admin, mine) == ["a@mine.org", "b@mine.org"]
    with pytest.raises(NotFound):
        _exported(session, admin, theirs)
    assert _exported(session, Actor("none", Role.DOMAINADMIN, frozenset())) == []


def test_the_helpdesk_gets_no_full_list(session, two_tenants):
    mine, _ = two_tenants
    helpdesk = Actor("hd", Role.HELPDESK, frozenset({mine.id}))
    with pytest.raises(Forbidden):
        _exported(session, helpdesk)
    with pytest.raises(Forbidden):
        list(lists.usage_rows(session, helpdesk))
    with pytest.raises(Forbidden):
        list(lists.all_domains(session, helpdesk))


def _aliases_column(session, who) -> dict[str, list[str]]:
    rows = [row for chunk in lists.export_chunks(session, who, chunk=1) for row in chunk]
    return {row.address: sorted(row.aliases.split(" ")) for row in rows if row.aliases}


def test_aliases_column_only_the_actors_single_destination_aliases(session, actor, two_tenants):
    mine, _ = two_tenants
    admin = Actor("da", Role.DOMAINADMIN, frozenset({mine.id}))
    assert _aliases_column(session, admin) == {"a@mine.org": ["info@mine.org"]}
    assert _aliases_column(session, actor) == {"a@mine.org": ["info@mine.org", "spy@theirs.org"]}


def test_a_forwarding_and_an_alias_whose_destinations_changed_are_not_in_the_aliases_column(
    session, actor, two_tenants
):
    """A mailbox's forwarding to another mailbox is a setting, not its alias;
    an alias that had one destination and got a second one leaves the
    column (``goto``, which the column is read from, follows the change)."""
    b = mailboxes.get_mailbox(session, actor, "b@mine.org")
    forwarding.set_forwarding(session, actor, b, ["a@mine.org"], keep_copy=False)
    info = aliases.get_alias(session, actor, "info@mine.org")
    aliases.update_alias(session, actor, info, destinations=["a@mine.org", "z@theirs.org"])
    session.commit()
    assert _aliases_column(session, actor) == {"a@mine.org": ["spy@theirs.org"]}


def test_usage_rows_and_all_domains_are_scoped(session, actor, two_tenants):
    mine, theirs = two_tenants
    admin = Actor("da", Role.DOMAINADMIN, frozenset({mine.id}))
    assert [r.address for r in lists.usage_rows(session, admin)] == ["a@mine.org", "b@mine.org"]
    assert [r.address for r in lists.usage_rows(session, actor, theirs)] == ["z@theirs.org"]
    with pytest.raises(NotFound):
        list(lists.usage_rows(session, admin, theirs))
    assert [d.name for d in lists.all_domains(session, admin)] == ["mine.org"]
    assert [d.name for d in lists.all_domains(session, actor)] == ["mine.org", "theirs.org"]
