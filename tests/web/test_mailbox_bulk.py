"""Bulk actions from a domain's mailbox list: ticked rows or all matching,
one confirmation that says what will happen, then applied (all or none)
and flashed on the list with its filter; CSRF and roles refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from panel import passwords
from panel.models import Domain, Mailbox
from panel.services import Actor, domains, mailboxes
from tests.helpers import audit_events, client_as, post, world_state

HASH = passwords.hash_password("long-enough-1", "SHA512-CRYPT")
LIST = "/domains/example.org/mailboxes"
BULK = "/domains/example.org/mailboxes/bulk"


@pytest.fixture
def crowd(world):
    """example.org: alice plus bob, cid, dee (active) and eve (disabled); its
    largest mailbox 2G."""
    with world() as session:
        actor = Actor.system("test")
        for local in ("bob", "cid", "dee", "eve"):
            mailboxes.create_mailbox(session, actor, f"{local}@example.org", password_hash=HASH, active=local != "eve")
        example = session.scalar(select(Domain).where(Domain.name == "example.org"))
        domains.update_domain(session, actor, example, max_quota_bytes="2G")
        session.commit()
    return world


def _ids(world, *locals_) -> list[str]:
    with world() as session:
        addresses = [f"{x}@example.org" for x in locals_]
        return [str(i) for i in session.scalars(select(Mailbox.id).where(Mailbox.address.in_(addresses)))]


def _states(world) -> dict:
    with world() as session:
        return {address: active for address, active in session.execute(select(Mailbox.address, Mailbox.active))}


def _hidden(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)


def _confirm(client, page: str):
    """Press the confirmation's one button: its form, as the browser posts it."""
    data: dict = {}
    for name, value in _hidden(page):
        if name != "csrf_token":
            data.setdefault(name, []).append(value)
    return post(client, BULK, data)


def test_the_list_offers_the_bulk_form_to_the_domains_admins_only(app, crowd):
    page = client_as(app, "domainadmin").get(LIST + "?state=active").get_data(as_text=True)
    assert 'aria-label="Select bob@example.org"' in page
    assert "select all matching (4)" in page
    assert '<input type="hidden" name="state" value="active">' in page
    helpdesk = client_as(app, "helpdesk").get(LIST).get_data(as_text=True)
    assert "bob@example.org" in helpdesk and "Select bob@example.org" not in helpdesk and BULK not in helpdesk


def test_two_ticked_mailboxes_are_disabled_after_one_confirmation(app, crowd):
    client = client_as(app, "domainadmin")
    selection = _ids(crowd, "bob", "cid")
    asked = post(client, BULK, {"action": "disable", "id": selection, "state": "active"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Disable 2 mailboxes in example.org?" in page
    assert "bob@example.org, cid@example.org" in page and "Disable 2 mailboxes</button>" in page
    assert _states(crowd)["bob@example.org"] is True  # nothing yet
    done = _confirm(client, page)
    assert done.status_code == 302 and done.headers["Location"].endswith(LIST + "?state=active")
    states = _states(crowd)
    assert not states["bob@example.org"] and not states["cid@example.org"] and states["dee@example.org"]
    assert sorted(e.target for e in audit_events(app, "mailbox.update")) == ["bob@example.org", "cid@example.org"]
    assert "Disabled 2 mailboxes in example.org." in client.get(done.headers["Location"]).get_data(as_text=True)


def test_all_matching_carries_the_filter_and_names_the_first_three(app, crowd):
    client = client_as(app, "domainadmin")
    asked = post(client, BULK, {"action": "disable", "all": "matching", "state": "active", "id": _ids(crowd, "bob")})
    page = asked.get_data(as_text=True)
    assert "Disable 4 mailboxes in example.org?" in page
    assert "All mailboxes of the list: state active" in page
    assert "alice@example.org, bob@example.org, cid@example.org and 1 more" in page
    assert ("all", "matching") in _hidden(page) and ("expected", "4") in _hidden(page)
    _confirm(client, page)
    assert not any(_states(crowd).get(f"{x}@example.org") for x in ("alice", "bob", "cid", "dee"))
    assert len(audit_events(app, "mailbox.update")) == 4
    assert _states(crowd)["olga@other.org"] is True


def test_delete_confirms_in_the_single_delete_pages_words(app, crowd):
    client = client_as(app, "superadmin")
    page = post(client, BULK, {"action": "delete", "id": _ids(crowd, "eve", "dee")}).get_data(as_text=True)
    assert "Delete 2 mailboxes in example.org?" in page
    assert "stop receiving mail and cannot log in" in page and "This cannot be undone" in page
    assert "Their stored mail is <strong>not</strong> deleted" in page
    done = _confirm(client, page)
    assert "eve@example.org" not in _states(crowd) and "dee@example.org" not in _states(crowd)
    assert [e.target for e in audit_events(app, "mailbox.delete")] == ["dee@example.org", "eve@example.org"]
    assert "Deleted 2 mailboxes in example.org" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_set_quota_takes_units_and_tells_problems_in_them(app, crowd):
    client = client_as(app, "domainadmin")
    refused = post(client, BULK, {"action": "quota", "quota": "3G", "all": "matching"})
    assert refused.status_code == 302
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "the largest mailbox allowed in example.org is 2G" in shown
    # Posted confirmed past that check: every row's problem, nothing changed.
    before = world_state(crowd)
    page = post(client, BULK, {"action": "quota", "quota": "3G", "all": "matching", "confirmed": "yes"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nothing was changed" in text
    assert "The largest mailbox allowed in example.org is 2G: alice@example.org, bob@example.org," in text
    assert "and 2 more" in text and "</button>" not in text.split("<h1>Nothing was changed")[1]
    assert world_state(crowd) == before and not audit_events(app, "mailbox.update")
    asked = post(client, BULK, {"action": "quota", "quota": "1536M", "id": _ids(crowd, "bob")}).get_data(as_text=True)
    assert "Set the quota of 1 mailbox in example.org to 1536M?" in asked
    done = _confirm(client, asked)
    assert "Set the quota of 1 mailbox in example.org to 1536M." in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_another_domains_mailbox_in_the_selection_changes_nothing(app, crowd):
    client = client_as(app, "domainadmin")
    before = world_state(crowd)
    with crowd() as session:
        olga = str(session.scalar(select(Mailbox.id).where(Mailbox.address == "olga@other.org")))
    response = post(client, BULK, {"action": "delete", "id": [*_ids(crowd, "bob"), olga], "confirmed": "yes"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"not mailboxes of example.org: {olga}; nothing was changed" in shown
    assert world_state(crowd) == before


def test_a_post_without_a_token_is_refused_for_the_token(app, crowd):
    client = client_as(app, "domainadmin")
    before = world_state(crowd)
    data = {"action": "disable", "id": _ids(crowd, "bob"), "confirmed": "yes"}
    refused = client.post(BULK, data=data)
    assert refused.status_code == 400 and "Form expired" in refused.get_data(as_text=True)
    assert world_state(crowd) == before
    assert post(client, BULK, data).status_code == 302  # the same form with its token acts
    assert world_state(crowd) != before


def test_the_helpdesk_and_another_domains_admin_are_refused_with_a_valid_token(app, crowd):
    before = world_state(crowd)
    data = {"action": "disable", "all": "matching", "confirmed": "yes"}
    assert post(client_as(app, "helpdesk"), BULK, data).status_code == 403
    assert post(client_as(app, "other_domainadmin"), BULK, data).status_code == 404
    assert world_state(crowd) == before and not audit_events(app, "mailbox.update")


def test_nothing_selected_or_nothing_matching_says_so(app, crowd):
    client = client_as(app, "domainadmin")
    empty = post(client, BULK, {"action": "disable"})
    assert "select at least one mailbox" in client.get(empty.headers["Location"]).get_data(as_text=True)
    with crowd() as session:
        mailboxes.delete_mailbox(session, Actor.system("test"), session.scalar(select(Mailbox).where(~Mailbox.active)))
        session.commit()
    none = post(client, BULK, {"action": "enable", "all": "matching", "state": "disabled"})
    assert none.headers["Location"].endswith(LIST + "?state=disabled")
    assert "No mailbox matches: nothing to do." in client.get(none.headers["Location"]).get_data(as_text=True)
