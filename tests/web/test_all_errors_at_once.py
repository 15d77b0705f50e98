"""Issue 18, point 1: a form with several bad fields shows every field's
message on the first submit, next to its field, in plain words (sizes in
the units people type, no CLI flags, no raw ``field:`` prefixes), keeps
what was typed and writes nothing."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from panel.db import get_session
from panel.models import Mailbox
from panel.services import Actor, domains
from tests.helpers import DOMAIN_FORM_MISTAKES, PASSWORD, client_as, field_errors, post, world_state


def _text(response) -> str:
    return response.get_data(as_text=True)


def _typed(response, field: str) -> str:
    match = re.search(rf'name="{field}"[^>]*value="([^"]*)"', _text(response))
    assert match, f"{field} is not re-filled"
    return html.unescape(match.group(1))


def _refused_everything(response, world, before, expected: dict[str, str]) -> None:
    assert response.status_code == 422, _text(response)
    assert field_errors(response) == expected
    assert "error-box" not in _text(response)  # no message lost outside its field
    assert world_state(world) == before


def test_the_domain_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "superadmin"), world_state(world)
    response = post(client, "/domains/new", DOMAIN_FORM_MISTAKES)
    _refused_everything(
        response,
        world,
        before,
        {
            "name": "example..org has two dots in a row (or a dot at an end): each part between dots needs a name",
            "description": "must be a single line: it contains a line break (U+2028)",
            "max_mailboxes": "cannot be negative",
            "max_aliases": "must be a whole number",
            "total_quota_bytes": "'lots' is not a size; use bytes or a unit like 500M or 2G",
            "default_quota_bytes": "is larger than the largest quota of one mailbox (1G)",
        },
    )
    assert _typed(response, "name") == "example..org" and _typed(response, "total_quota_bytes") == "lots"


def test_the_domain_edit_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "superadmin"), world_state(world)
    form = {"description": "c1\x9b", "max_mailboxes": "0", "max_quota_bytes": "500M", "default_quota_bytes": "lots"}
    response = post(client, "/domains/example.org/edit", form)
    _refused_everything(
        response,
        world,
        before,
        {
            "description": "must not contain control characters (U+009B)",
            "default_quota_bytes": "'lots' is not a size; use bytes or a unit like 500M or 2G",
            # alice has 1G: the limit would be below what is in use
            "max_quota_bytes": "alice@example.org already has a quota of 1G, more than 500M",
        },
    )


def test_the_mailbox_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "domainadmin"), world_state(world)
    form = {
        "local_part": "-bob",
        "name": "a\u2066b\u2069",
        "quota": "lots",
        "password": "secret-123",
        "password_confirm": "secret-124",
    }
    response = post(client, "/domains/example.org/mailboxes/new", form)
    _refused_everything(
        response,
        world,
        before,
        {
            "local_part": "a new address must start with a letter or a digit",
            "name": "must not contain invisible characters that change the direction of text (U+2066)",
            "quota": "'lots' is not a size; use bytes or a unit like 500M or 2G",
            "password_confirm": "does not match the password",
        },
    )
    assert _typed(response, "local_part") == "-bob" and "secret-12" not in _text(response)


def test_the_mailbox_form_says_the_largest_quota_in_units(app, world):
    with app.app_context():
        session = get_session()
        domain = domains.get_domain(session, "example.org")
        domains.update_domain(session, Actor.system("test"), domain, max_quota_bytes="2G", total_quota_bytes="10G")
        session.commit()
    client = client_as(app, "domainadmin")
    page = _text(client.get("/domains/example.org/mailboxes/new"))
    assert "0 = unlimited" not in page and "Largest allowed: 2G" in page
    form = {"local_part": "bob", "quota": "3G", "password": "secret-123", "password_confirm": "secret-123"}
    response = post(client, "/domains/example.org/mailboxes/new", form)
    assert field_errors(response) == {"quota": "the largest mailbox allowed in example.org is 2G"}
    response = post(client, "/domains/example.org/mailboxes/new", dict(form, quota="0"))
    assert field_errors(response) == {"quota": "the largest mailbox allowed in example.org is 2G"}
    response = post(client, "/mailboxes/alice@example.org", {"name": "Alice", "quota": "3G", "active": "1"})
    assert field_errors(response) == {"quota": "the largest mailbox allowed in example.org is 2G"}
    assert "0 = unlimited" not in _text(client.get("/mailboxes/alice@example.org"))


def test_the_mailbox_form_says_how_much_of_the_domain_is_left(app, world):
    with app.app_context():
        session = get_session()
        domain = domains.get_domain(session, "example.org")
        domains.update_domain(session, Actor.system("test"), domain, total_quota_bytes="1124M")
        session.commit()
    client = client_as(app, "domainadmin")  # alice holds 1G of the 1124M
    form = {"local_part": "bob", "quota": "200M", "password": "secret-123", "password_confirm": "secret-123"}
    response = post(client, "/domains/example.org/mailboxes/new", form)
    assert response.status_code == 422
    assert field_errors(response) == {"quota": "only 100M of the domain's 1124M is left"}


def test_a_full_address_in_the_local_part_box(app, world):
    client = client_as(app, "domainadmin")
    form = {"local_part": "Bob@Example.org", "password": "secret-123", "password_confirm": "secret-123", "active": "1"}
    assert post(client, "/domains/example.org/mailboxes/new", form).status_code == 302
    with world() as session:
        assert session.scalar(select(Mailbox.address).where(Mailbox.address == "bob@example.org"))
    response = post(client, "/domains/example.org/mailboxes/new", dict(form, local_part="carl@other.org"))
    assert field_errors(response) == {
        "local_part": "type only the part before the @: this mailbox will be in example.org, not other.org"
    }
    response = post(
        client,
        "/domains/example.org/aliases/new",
        {"local_part": "sales@example.org", "destinations": "alice@example.org"},
    )
    assert response.status_code == 302
    response = post(
        client, "/domains/example.org/aliases/new", {"local_part": "x@other.org", "destinations": "alice@example.org"}
    )
    assert field_errors(response) == {
        "local_part": "type only the part before the @: this alias will be in example.org, not other.org"
    }


def test_the_alias_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "domainadmin"), world_state(world)
    form = {"local_part": "-sales", "destinations": "alice@example.org\nnot-an-address\nbob@@x", "active": "1"}
    response = post(client, "/domains/example.org/aliases/new", form)
    _refused_everything(
        response,
        world,
        before,
        {
            "local_part": "a new address must start with a letter or a digit",
            "destinations": "not-an-address: an address needs exactly one @; bob@@x: an address needs exactly one @",
        },
    )
    assert _typed(response, "local_part") == "-sales" and "not-an-address" in _text(response)


def test_the_admin_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "superadmin"), world_state(world)
    form = {
        "username": "-bad name",
        "role": "king",
        "domains": "nosuch.example",
        "password": "short",
        "password_confirm": "shorter",
    }
    response = post(client, "/admins/new", form)
    _refused_everything(
        response,
        world,
        before,
        {
            "username": "use 1-128 letters, digits or . _ + - (starting with a letter or digit)",
            "role": "must be superadmin, domainadmin or helpdesk",
            "domains": "the domain nosuch.example is not hosted here",
            "password": "must be at least 8 characters",
            "password_confirm": "does not match the password",
        },
    )
    assert _typed(response, "username") == "-bad name"


def test_the_account_form_tells_every_mistake_at_once(app, world):
    client, before = client_as(app, "domainadmin"), world_state(world)
    form = {"current_password": "wrong-password", "new_password": "short", "password_confirm": "other"}
    response = post(client, "/account/", form)
    _refused_everything(
        response,
        world,
        before,
        {
            "current_password": "is not your current password",
            "new_password": "must be at least 8 characters",
            "password_confirm": "does not match the new password",
        },
    )
    assert post(client, "/account/", dict(form, current_password=PASSWORD)).status_code == 422
