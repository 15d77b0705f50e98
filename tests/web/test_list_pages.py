"""The lists' finish: the mailbox list's state filter, limits shown as ∞
when there are none, the domain quota bar, alias domains on the domain
list, "New mailbox" disabled with its reason when the domain is full, and
a delete page that offers its button only for an empty domain."""

from __future__ import annotations

import re

import pytest

from panel import passwords
from panel.db import get_session
from panel.services import Actor, ServiceError, aliases, domains, lists, mailboxes
from tests.helpers import client_as, post


def _text(response) -> str:
    return response.get_data(as_text=True)


def _listed(response) -> str:
    """The mailbox list without the domain's recent changes below it (which
    name every mailbox created, whatever the filter)."""
    return _text(response).split('id="recent-changes"')[0]


@pytest.fixture
def full(app, world):
    """full.test: room for one mailbox, which it has; 2G of total quota, 1G given."""
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domains.create_domain(
            session, actor, "full.test", max_mailboxes=1, total_quota_bytes="2G", default_quota_bytes="1G"
        )
        mailboxes.create_mailbox(session, actor, "only@full.test", password="long-enough-1", quota="1G")
        session.commit()


def _addresses(page) -> list[str]:
    return [row[0].address for row in page.rows]


def test_state_filter_keeps_active_or_disabled(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    stored = passwords.hash_password("long-enough-1")
    for local in "abcdef":
        mailboxes.create_mailbox(session, actor, f"{local}@example.org", password_hash=stored)
    for local in "bdf":
        mailboxes.set_mailbox_active(
            session, actor, mailboxes.get_mailbox(session, actor, f"{local}@example.org"), False
        )
    session.commit()
    page = lambda **kw: _addresses(lists.mailbox_page(session, actor, domain, **kw))  # noqa: E731
    assert page(state="disabled") == ["b@example.org", "d@example.org", "f@example.org"]
    assert page(state="active") == ["a@example.org", "c@example.org", "e@example.org"]
    assert page(sort="changed", state="disabled") == ["f@example.org", "d@example.org", "b@example.org"]
    assert page(sort="login", state="active", unused="never") == ["a@example.org", "c@example.org", "e@example.org"]
    with pytest.raises(ServiceError) as refused:
        page(state="asleep")
    assert "state" in refused.value.fields
    with pytest.raises(ServiceError):
        page(sort="usage", state="disabled")


def test_state_filter_on_the_page(app, world):
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        mailboxes.create_mailbox(session, actor, "off@example.org", password="long-enough-1", active=False)
        session.commit()
    client = client_as(app, "domainadmin")
    html = _listed(client.get("/domains/example.org/mailboxes?state=disabled"))
    assert "off@example.org" in html and "alice@example.org" not in html
    assert 'aria-current="true">disabled</strong>' in html
    html = _listed(client.get("/domains/example.org/mailboxes?state=active"))
    assert "alice@example.org" in html and "off@example.org" not in html
    html = _listed(client.get("/domains/example.org/mailboxes?state=disabled&unused=never"))
    assert "off@example.org" in html  # never logged in either
    assert client.get("/domains/example.org/mailboxes?state=asleep").status_code in (400, 422)
    # Another tenant's admin sees none of it.
    assert client_as(app, "other_domainadmin").get("/domains/example.org/mailboxes?state=disabled").status_code == 404


def test_limits_are_shown_as_unlimited_not_zero(app, world):
    html = _text(client_as(app, "superadmin").get("/domains/"))
    other = html.split('href="/domains/other.org/mailboxes">other.org</a>')[1].split("</tr>")[0]
    # other.org has no limits: 1 mailbox of ∞, aliases of ∞, quota of "unlimited".
    assert re.search(r'1 / <abbr class="unlimited" title="unlimited">∞</abbr>', other)
    assert "unlimited" in other and " / 0<" not in other
    example = html.split('href="/domains/example.org/mailboxes">example.org</a>')[1].split("</tr>")[0]
    assert "1 / 10" in example  # a real limit stays a number
    tabs = _text(client_as(app, "domainadmin").get("/domains/example.org/mailboxes"))
    assert "1 / 10 mailboxes" in tabs and re.search(r"1 / <abbr[^>]*>∞</abbr> aliases", tabs)


def test_domain_quota_bar(app, world, full):
    html = _text(client_as(app, "superadmin").get("/domains/"))
    row = html.split('href="/domains/full.test/mailboxes">full.test</a>')[1].split("</tr>")[0]
    meter = re.search(r'<meter min="0" max="(\d+)"[^>]* value="(\d+)" title="([^"]+)">(\d+)%</meter>', row)
    assert meter, row
    assert (int(meter.group(1)), int(meter.group(2))) == (2 * 1024**3, 1024**3)
    assert meter.group(3) == "1G of 2G" and meter.group(4) == "50"
    assert "1G / 2G" in row


def test_alias_domains_on_the_domain_list(app, world):
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        aliases.create_alias_domain(session, actor, "example.com", "example.org")
        aliases.create_alias_domain(session, actor, "other.net", "other.org")
        session.commit()
    html = _text(client_as(app, "superadmin").get("/domains/"))
    assert "alias domains: example.com, example.net</small>" in html
    assert "alias domain: other.net</small>" in html
    # A domain admin's list has their domain's alias domains, never another's.
    html = _text(client_as(app, "domainadmin").get("/domains/"))
    assert "example.com, example.net" in html and "other.net" not in html


def test_new_mailbox_is_disabled_with_the_reason_when_full(app, world, full):
    html = _text(client_as(app, "superadmin").get("/domains/full.test/mailboxes"))
    assert 'href="/domains/full.test/mailboxes/new"' not in html
    assert '<span class="button disabled" aria-disabled="true">New mailbox</span>' in html
    assert "full.test has the 1 mailbox it may have: delete it" in html
    # A domain with room keeps its link.
    html = _text(client_as(app, "domainadmin").get("/domains/example.org/mailboxes"))
    assert 'href="/domains/example.org/mailboxes/new"' in html and "button disabled" not in html


def test_full_by_quota_says_so(session, actor):
    domain = domains.create_domain(session, actor, "q.test", total_quota_bytes="1G", default_quota_bytes="1G")
    mailboxes.create_mailbox(session, actor, "a@q.test", password="long-enough-1", quota="1G")
    assert "All of q.test's 1G of quota is given" in lists.mailbox_limit_reached(domain)
    assert lists.quota_share(domain) == 1.0
    assert lists.mailbox_limit_reached(domains.create_domain(session, actor, "free.test")) is None


def test_delete_page_of_a_non_empty_domain_offers_no_button(app, world):
    client = client_as(app, "superadmin")
    html = _text(client.get("/domains/example.org/delete"))
    assert "example.org cannot be deleted yet" in html
    assert "1 mailbox, 1 alias and 1 alias domain" in html
    assert 'type="submit" class="danger"' not in html and "Delete example.org</button>" not in html
    response = post(client, "/domains/example.org/delete")  # refused all the same
    assert response.status_code == 422 and 'class="danger"' not in _text(response)


def test_delete_page_of_an_empty_domain_does_not_contradict_itself(app, world):
    with app.app_context():
        domains.create_domain(get_session(), Actor.system("test"), "empty.test")
        get_session().commit()
    client = client_as(app, "superadmin")
    html = _text(client.get("/domains/empty.test/delete"))
    assert "Delete empty.test?" in html and "empty.test has no mailboxes, aliases or alias domains left" in html
    assert "Only an empty domain" not in html and "Delete empty.test</button>" in html
    assert post(client, "/domains/empty.test/delete").status_code == 302
