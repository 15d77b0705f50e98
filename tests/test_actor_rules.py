"""The Actor's rules as questions (may_*, which pages ask to show a link or a
button) and as requirements (require_*, which services call): for each of
the world's accounts, in its own domain, in another and with no domain
named, the expected answer, and the requirement raising exactly when the
question says no.

The actors are built from the world's rows (Actor.from_admin and
from_mailbox), so their scope is the one the database holds.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.models import Domain, Mailbox, Role
from panel.services import Actor, admins
from panel.services.errors import Forbidden, NotFound
from tests.helpers import USERS

HERE, THERE, NONE = "example.org", "other.org", None
# role -> {domain: (may_manage, may_reset_password)}
EXPECTED = {
    "superadmin": {HERE: (True, True), THERE: (True, True), NONE: (True, True)},
    "domainadmin": {HERE: (True, True), THERE: (False, False), NONE: (True, True)},
    "other_domainadmin": {HERE: (False, False), THERE: (True, True), NONE: (True, True)},
    "helpdesk": {HERE: (False, True), THERE: (False, False), NONE: (False, True)},
    "mailbox": {HERE: (False, False), THERE: (False, False), NONE: (False, False)},
}


def _actors_and_domains(world) -> tuple[dict, dict]:
    with world() as s:
        ids = {d.name: d.id for d in s.scalars(select(Domain))}
        actors = {}
        for role, username in USERS.items():
            if "@" in username:
                actors[role] = Actor.from_mailbox(s.scalar(select(Mailbox).where(Mailbox.address == username)))
            else:
                actors[role] = Actor.from_admin(admins.get_admin(s, username))
    return actors, ids


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_questions_answer_as_the_table_says(world, role):
    actors, ids = _actors_and_domains(world)
    actor = actors[role]
    for name, (manage, reset) in EXPECTED[role].items():
        domain_id = ids[name] if name else None
        assert (actor.may_manage(domain_id), actor.may_reset_password(domain_id)) == (manage, reset), name


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_requirements_raise_exactly_when_the_question_says_no(world, role):
    actors, ids = _actors_and_domains(world)
    actor = actors[role]
    for name in (HERE, THERE):
        manage, reset = EXPECTED[role][name]
        for allowed, require in ((manage, actor.require_manage), (reset, actor.require_password_reset)):
            if allowed:
                require(ids[name])
            else:
                # Outside the actor's domains: missing, not forbidden.
                with pytest.raises(NotFound if not actor.sees_domain(ids[name]) else Forbidden):
                    require(ids[name])
    manages_some, _ = EXPECTED[role][NONE]
    if manages_some:
        actor.require_manager()
    else:
        with pytest.raises(Forbidden):
            actor.require_manager()


def test_the_mailbox_role_gets_no_staff_right_whatever_scope_it_is_given(world):
    """The portal's actor has no domain (Actor.from_mailbox), so its sight
    refuses first; the role is refused too, should a scope ever reach it."""
    _, ids = _actors_and_domains(world)
    for scope in (None, frozenset(ids.values())):
        actor = Actor("alice@example.org", Role.MAILBOX, scope)
        assert not actor.may_manage() and not actor.may_reset_password()
        for require in (actor.require_manage, actor.require_password_reset):
            with pytest.raises(Forbidden):
                require(ids[HERE])
