"""What a mailbox's owner may change (out-of-office, forwarding, app
passwords, the portal's overview and sign-out), asked of the services
directly: the owner and the admins of the mailbox's domain may; another
mailbox's owner in the same domain, the helpdesk and another domain's admin
may not, and are refused before anything is read or written.

The web and the API refuse these people earlier (@allow, the portal only
ever loads the signed-in mailbox), so only this test notices a service that
forgets its check (tests/mutation/run.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.models import Mailbox
from panel.services import Actor, admins, app_passwords, forwarding, mailboxes, portal, vacation
from panel.services.errors import Forbidden, NotFound
from tests.helpers import MAILBOX_PASSWORD, USERS

ALLOWED = ("owner", "domainadmin", "superadmin")
REFUSED = ("neighbour", "helpdesk", "other_domainadmin")


def _app_password_id(s, alice) -> int:
    row, _secret = app_passwords.create(s, Actor.system(), alice, "laptop", ["imap"])
    s.flush()
    return row.id


OPERATIONS = {
    "get_vacation": lambda s, a, m: vacation.get_vacation(s, a, m),
    "set_vacation": lambda s, a, m: vacation.set_vacation(s, a, m, active=True, subject="Away", body="Back soon"),
    "switch_off": lambda s, a, m: vacation.switch_off(s, a, m),
    "get_forwarding": lambda s, a, m: forwarding.get_forwarding(s, a, m),
    "set_forwarding": lambda s, a, m: forwarding.set_forwarding(s, a, m, ["olga@other.org"], True),
    "stop_forwarding": lambda s, a, m: forwarding.stop_forwarding(s, a, m),
    "create_app_password": lambda s, a, m: app_passwords.create(s, a, m, "phone", ["imap"]),
    "list_app_passwords": lambda s, a, m: app_passwords.list_for(s, a, m),
    "get_app_password": lambda s, a, m: app_passwords.get(s, a, m, _app_password_id(s, m)),
    "find_app_password": lambda s, a, m: (_app_password_id(s, m), app_passwords.find_by_name(s, a, m, "laptop")),
    "revoke_app_password": lambda s, a, m: app_passwords.revoke(
        s, a, m, app_passwords.get(s, Actor.system(), m, _app_password_id(s, m))
    ),
    "overview": lambda s, a, m: portal.overview(s, a, m),
    "sign_out_everywhere": lambda s, a, m: portal.sign_out_everywhere(s, a, m),
}


def _actor(s, who: str) -> Actor:
    if who == "owner":
        return Actor.from_mailbox(s.scalar(select(Mailbox).where(Mailbox.address == USERS["mailbox"])))
    if who == "neighbour":
        return Actor.from_mailbox(s.scalar(select(Mailbox).where(Mailbox.address == "nina@example.org")))
    return Actor.from_admin(admins.get_admin(s, USERS[who]))


@pytest.fixture
def neighbour(world):
    with world() as s:
        mailboxes.create_mailbox(s, Actor.system(), "nina@example.org", password=MAILBOX_PASSWORD)
        s.commit()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_owner_and_the_domains_admins_may(world, neighbour, operation):
    for who in ALLOWED:
        with world() as s:
            alice = s.scalar(select(Mailbox).where(Mailbox.address == USERS["mailbox"]))
            OPERATIONS[operation](s, _actor(s, who), alice)
            s.rollback()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_neighbour_the_helpdesk_and_another_domains_admin_may_not(world, neighbour, operation):
    for who in REFUSED:
        with world() as s:
            alice = s.scalar(select(Mailbox).where(Mailbox.address == USERS["mailbox"]))
            with pytest.raises((Forbidden, NotFound)):
                OPERATIONS[operation](s, _actor(s, who), alice)
            s.rollback()
