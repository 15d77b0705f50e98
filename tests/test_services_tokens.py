"""API tokens belong to their admin: only that admin, or a superadmin,
lists, finds, creates or revokes them (the services, as the web, the API
and the CLI call them)."""

from __future__ import annotations

import pytest

from panel.services import Actor, Forbidden, NotFound, admins, domains, tokens


@pytest.fixture
def people(session, actor):
    """A superadmin and two domain admins of one domain, as actors, and one token of ``dom``."""
    domains.create_domain(session, actor, "example.org")
    found = {
        name: admins.create_admin(session, actor, name, role, "password-123", scope)
        for name, role, scope in (
            ("root", "superadmin", []),
            ("dom", "domainadmin", ["example.org"]),
            ("peer", "domainadmin", ["example.org"]),
        )
    }
    row, _ = tokens.create_token(session, Actor.from_admin(found["dom"]), found["dom"], "dom's")
    session.commit()
    return {name: Actor.from_admin(admin) for name, admin in found.items()}, found, row


def test_another_admin_neither_lists_nor_finds_a_token(session, people):
    actors, _, row = people
    assert tokens.list_tokens(session, actors["peer"]) == []
    with pytest.raises(NotFound):
        tokens.get_token(session, actors["peer"], row.id)
    assert tokens.list_tokens(session, actors["dom"]) == [row]
    assert tokens.get_token(session, actors["dom"], row.id) is row
    assert tokens.get_token(session, actors["root"], row.id) is row


def test_another_admin_cannot_revoke_a_token(session, people):
    actors, _, row = people
    with pytest.raises(Forbidden):
        tokens.revoke_token(session, actors["peer"], row)
    assert row.revoked_at is None
    tokens.revoke_token(session, actors["root"], row)
    assert row.revoked_at is not None


def test_an_admin_creates_tokens_only_for_their_own_account(session, people):
    actors, admin_rows, _ = people
    with pytest.raises(Forbidden):
        tokens.create_token(session, actors["peer"], admin_rows["dom"], "not mine")
    assert len(tokens.list_tokens(session, actors["dom"])) == 1
    row, _ = tokens.create_token(session, actors["root"], admin_rows["dom"], "made for dom")
    assert row.admin_id == admin_rows["dom"].id
