"""Fixtures for the web panel: a small world built through the services,
and a client that logs in through the real login form (CSRF included)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import sessionmaker

from panel.db import engine_for, get_session
from panel.services import Actor, admins, aliases, domains, mailboxes

PASSWORD = "correct-horse-42"
MAILBOX_PASSWORD = "mailbox-pass-42"

# Who is who in the permission table.
USERS = {
    "superadmin": "root",
    "domainadmin": "dom",
    "other_domainadmin": "otherdom",
    "helpdesk": "help",
}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client) -> str:
    """The token of this client's session, from the login page (or, once
    logged in, from the log-out form every page carries)."""
    response = client.get("/login")
    if response.status_code == 302:
        response = client.get("/account/")
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
    )
    return response


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST with a valid CSRF token, as the browser would."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client)
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def world(app):
    """Two domains, one account per role, a mailbox, an alias and an alias domain.

    Built inside an app context that is closed again: a test client request
    run inside an open app context would share its ``g`` (Flask-Login's
    cached user, the CSRF token) with every other request. It returns a
    session factory bound to the engine for checks between requests: use
    ``with world() as s:`` so a transaction never stays open (on SQLite an
    open transaction holds the write lock the panel needs).
    """
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domains.create_domain(session, actor, "example.org", max_mailboxes=10, default_quota_bytes="1G")
        domains.create_domain(session, actor, "other.org")
        admins.create_admin(session, actor, "root", "superadmin", PASSWORD)
        admins.create_admin(session, actor, "dom", "domainadmin", PASSWORD, ["example.org"])
        admins.create_admin(session, actor, "otherdom", "domainadmin", PASSWORD, ["other.org"])
        admins.create_admin(session, actor, "help", "helpdesk", PASSWORD, ["example.org"])
        mailboxes.create_mailbox(session, actor, "alice@example.org", password=MAILBOX_PASSWORD, name="Alice")
        mailboxes.create_mailbox(session, actor, "olga@other.org", password=MAILBOX_PASSWORD)
        aliases.create_alias(session, actor, "info@example.org", ["alice@example.org"])
        aliases.create_alias_domain(session, actor, "example.net", "example.org")
        session.commit()
    return sessionmaker(engine_for(app), expire_on_commit=False)


def client_as(app, role: str | None):
    client = app.test_client()
    if role is not None:
        response = login(client, USERS[role])
        assert response.status_code == 302, response.get_data(as_text=True)
    return client
