"""The API reaches every stored address, whatever its local part holds, sent
plain or percent-encoded; a new one with a refused character is a 400 that
names it."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select, update

from panel import passwords
from panel.models import Alias, Mailbox
from panel.services import aliases, mailboxes
from tests.helpers import bearer
from tests.test_addresses import REFUSED_IN_NEW


def _stored(session, actor, model, address: str, make) -> str:
    make(session, actor, "placeholder@example.org")
    values = {"address": address}
    if model is Mailbox:
        values["local_part"] = address.split("@")[0]
    session.execute(update(model).where(model.address == "placeholder@example.org").values(**values))
    session.commit()
    return address


def _paths(address: str) -> list[str]:
    # A careful client encodes everything (/ as %2F); url_for keeps / as is.
    return [quote(address, safe="@"), quote(address, safe="@/")]


def test_a_stored_mailbox_of_any_shape_is_read_changed_reset_disabled_and_deleted(client, session, actor, api_tokens):
    for special in REFUSED_IN_NEW:
        _check_mailbox(client, session, actor, api_tokens, special)


def _check_mailbox(client, session, actor, api_tokens, special):
    address = _stored(
        session,
        actor,
        Mailbox,
        f"x{special}y@example.org",
        lambda s, a, e: mailboxes.create_mailbox(s, a, e, password="secret123"),
    )
    headers = bearer(api_tokens["dora"])
    for path in _paths(address):
        url = f"/api/v1/mailboxes/{path}"
        assert client.get(url, headers=headers).json["email"] == address
        assert client.patch(url, json={"name": "Old Row"}, headers=headers).json["name"] == "Old Row"
        reset = client.post(f"{url}/password", json={"password": "brand-new-1"}, headers=headers)
        assert reset.status_code == 200
        assert client.post(f"{url}/disable", headers=headers).json["active"] is False
        assert client.post(f"{url}/enable", headers=headers).json["active"] is True
    session.expire_all()
    assert passwords.verify(
        "brand-new-1", session.scalar(select(Mailbox.password_hash).where(Mailbox.address == address))
    )
    assert client.delete(f"/api/v1/mailboxes/{_paths(address)[0]}", headers=headers).status_code == 204
    session.expire_all()
    assert session.scalar(select(Mailbox.id).where(Mailbox.address == address)) is None


def test_a_stored_alias_of_any_shape_is_read_changed_and_deleted(client, session, actor, api_tokens):
    for special in REFUSED_IN_NEW:
        _check_alias(client, session, actor, api_tokens, special)


def _check_alias(client, session, actor, api_tokens, special):
    address = _stored(
        session,
        actor,
        Alias,
        f"l{special}t@example.org",
        lambda s, a, e: aliases.create_alias(s, a, e, ["alice@example.org"]),
    )
    headers = bearer(api_tokens["dora"])
    for path in _paths(address):
        url = f"/api/v1/aliases/{path}"
        assert client.get(url, headers=headers).json["address"] == address
        changed = client.patch(url, json={"destinations": ["alice@example.org", "far@example.net"]}, headers=headers)
        assert changed.json["destinations"] == ["alice@example.org", "far@example.net"]
    assert client.delete(f"/api/v1/aliases/{_paths(address)[0]}", headers=headers).status_code == 204
    session.expire_all()
    assert session.scalar(select(Alias.id).where(Alias.address == address)) is None


def test_a_new_mailbox_or_alias_with_a_refused_character_is_a_400_naming_it(client, session, api_tokens):
    for special in REFUSED_IN_NEW:
        _check_refused(client, api_tokens, special)
    assert session.scalar(select(Alias.id)) is None
    assert session.scalars(select(Mailbox.address)).all() == ["alice@example.org", "olga@other.org"]


def _check_refused(client, api_tokens, special):
    headers = bearer(api_tokens["dora"])
    created = client.post(
        "/api/v1/mailboxes", json={"email": f"a{special}b@example.org", "password": "secret123"}, headers=headers
    )
    assert created.status_code == 400
    # The services name the field "address" (the API's create has always said so).
    assert created.json["fields"]["address"].startswith(f"{special!r} is not allowed in a new address")
    created = client.post(
        "/api/v1/aliases",
        json={"address": f"a{special}b@example.org", "destinations": ["alice@example.org"]},
        headers=headers,
    )
    assert created.status_code == 400
    assert created.json["fields"]["address"].startswith(f"{special!r} is not allowed in a new address")


def test_a_path_that_is_no_address_is_a_json_error(client, api_tokens):
    headers = bearer(api_tokens["root"])
    response = client.get("/api/v1/mailboxes/no-at-sign", headers=headers)
    assert response.status_code == 400 and response.json["fields"]["email"] == "an address needs exactly one @"
    # Several segments and no @: no route at all.
    response = client.get("/api/v1/mailboxes/no/at/sign", headers=headers)
    assert response.status_code == 404 and response.is_json
