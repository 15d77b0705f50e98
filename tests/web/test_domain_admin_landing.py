"""A domain admin's questions: they land on their one domain, and see its
recent changes (their domains' audit, never the rest of the trail)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.db import get_session
from panel.models import Admin, Domain
from panel.services import Actor, NotFound, admins, domains, lists, mailboxes
from tests.helpers import PASSWORD, USERS, client_as, login, post


def test_a_one_domain_admin_lands_on_it_others_on_the_dashboard(app, world):
    # Not the `session` fixture: the app context it keeps pushed would share
    # Flask-WTF's cached CSRF token (in g) between the test clients.
    with app.app_context():
        session = get_session()
        admins.create_admin(session, Actor.system(), "two", "domainadmin", PASSWORD, ["example.org", "other.org"])
        admins.create_admin(session, Actor.system(), "every", "domainadmin", PASSWORD, all_domains=True)
        session.commit()
    clients = {name: app.test_client() for name in ("dom", "root", "help", "two", "every", "next")}
    assert login(clients["dom"], USERS["domainadmin"]).headers["Location"] == "/domains/example.org/mailboxes"
    assert login(clients["root"], USERS["superadmin"]).headers["Location"] == "/"
    assert login(clients["help"], USERS["helpdesk"]).headers["Location"] == "/"
    assert login(clients["two"], "two").headers["Location"] == "/"
    assert login(clients["every"], "every").headers["Location"] == "/"
    # A page asked for by name still wins.
    response = post(clients["next"], "/login?next=/account/", {"username": USERS["domainadmin"], "password": PASSWORD})
    assert response.headers["Location"] == "/account/"


def test_a_domain_admin_sees_their_domains_changes_and_not_the_others(app, world):
    with app.app_context():
        session, system = get_session(), Actor.system("root-shell")
        mine = mailboxes.create_mailbox(session, system, "mine@example.org", password="password-1")
        mailboxes.update_mailbox(session, system, mine, quota="2G")
        theirs = mailboxes.create_mailbox(session, system, "secret-name@other.org", password="password-1")
        mailboxes.update_mailbox(session, system, theirs, quota="3G")
        domains.create_domain(session, system, "third.example")
        session.commit()

    page = client_as(app, "domainadmin").get("/domains/example.org/mailboxes").get_data(as_text=True)
    assert "Recent changes in example.org" in page
    assert "mine@example.org" in page and "quota 1G → 2G" in page and "mailbox changed" in page
    assert "secret-name" not in page and "third.example" not in page
    dashboard = client_as(app, "domainadmin").get("/").get_data(as_text=True)
    assert "Recent changes in your domains" in dashboard and "mine@example.org" in dashboard
    assert "secret-name" not in dashboard and "Full audit log" not in dashboard
    # The other tenant's admin sees theirs only; the helpdesk sees none.
    other_page = client_as(app, "other_domainadmin").get("/domains/other.org/mailboxes").get_data(as_text=True)
    assert "secret-name@other.org" in other_page and "mine@example.org" not in other_page
    with app.app_context():
        session = get_session()
        assert lists.recent_events(session, Actor.from_admin(_admin(session, "helpdesk"))) == []
        third = session.scalar(select(Domain).where(Domain.name == "third.example"))
        with pytest.raises(NotFound):  # another tenant's domain: as if nobody hosted it
            lists.domain_events(session, Actor.from_admin(_admin(session, "domainadmin")), third)


def _admin(session, role):
    return session.scalar(select(Admin).where(Admin.username == USERS[role]))
