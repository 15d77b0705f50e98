"""API fixtures: real admins with real tokens, made through the services."""

from __future__ import annotations

import pytest

from panel.services import admins, domains, mailboxes, tokens


@pytest.fixture
def world(session, actor):
    """Two domains, a mailbox in each, a superadmin and a domain admin of example.org."""
    domains.create_domain(session, actor, "example.org", max_mailboxes=5)
    domains.create_domain(session, actor, "other.org")
    mailboxes.create_mailbox(session, actor, "alice@example.org", password="secret123", name="Alice")
    mailboxes.create_mailbox(session, actor, "olga@other.org", password="secret123")
    root = admins.create_admin(session, actor, "root", "superadmin", "secret123")
    dora = admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"])
    helen = admins.create_admin(session, actor, "helen", "helpdesk", "secret123", ["example.org"])
    found = {
        name: tokens.create_token(session, actor, admin, "test")[1]
        for name, admin in (("root", root), ("dora", dora), ("helen", helen))
    }
    session.commit()
    return found


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
