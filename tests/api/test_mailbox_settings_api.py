"""/api/v1/mailboxes/<email>/{vacation,forwarding,app-passwords} and the
domain's user rights: the portal's settings for the admins who manage the
mailbox, through the same services; the helpdesk and other tenants refused."""

from __future__ import annotations

from sqlalchemy import select

from panel import passwords
from panel.models import AppPassword, AuditEvent, Domain, Vacation
from tests.helpers import bearer

ALICE = "/api/v1/mailboxes/alice@example.org"
OLGA = "/api/v1/mailboxes/olga@other.org"


def test_vacation_set_read_and_switch_off(client, session, api_tokens):
    dora = bearer(api_tokens["dora"])
    body = {"active": True, "subject": "Away", "body": "Back on Monday.", "last_day": "2030-07-14", "days": 3}
    response = client.put(f"{ALICE}/vacation", json=body, headers=dora)
    assert response.status_code == 200, response.json
    assert response.json == {
        "active": True,
        "subject": "Away",
        "body": "Back on Monday.",
        "first_day": None,
        "last_day": "2030-07-14",
        "days": 3,
    }
    assert "Back on Monday." in session.scalar(select(Vacation.script))
    assert client.get(f"{ALICE}/vacation", headers=dora).json["subject"] == "Away"
    assert client.delete(f"{ALICE}/vacation", headers=dora).status_code == 204
    answer = client.get(f"{ALICE}/vacation", headers=dora).json
    assert answer["active"] is False and answer["body"] == "Back on Monday."


def test_vacation_bad_input_names_every_field_and_keeps_nothing(client, session, api_tokens):
    body = {"active": True, "body": "", "first_day": "soon", "days": 0}
    response = client.put(f"{ALICE}/vacation", json=body, headers=bearer(api_tokens["root"]))
    assert response.status_code == 400
    assert set(response.json["fields"]) == {"body", "first_day", "interval_days"}
    assert client.put(f"{ALICE}/vacation", json={"subject": "x"}, headers=bearer(api_tokens["root"])).json[
        "fields"
    ] == {"active": "is required"}
    assert session.scalar(select(Vacation)) is None


def test_forwarding_put_get_delete(client, api_tokens):
    dora = bearer(api_tokens["dora"])
    body = {"destinations": ["boss@elsewhere.net"], "keep_copy": True}
    response = client.put(f"{ALICE}/forwarding", json=body, headers=dora)
    assert response.status_code == 200, response.json
    assert response.json == {"destinations": ["boss@elsewhere.net"], "keep_copy": True, "active": True}
    assert client.get(f"{ALICE}/forwarding", headers=dora).json["destinations"] == ["boss@elsewhere.net"]
    bad = client.put(f"{ALICE}/forwarding", json={"destinations": ["not an address"]}, headers=dora)
    assert bad.status_code == 400 and "destinations" in bad.json["fields"]
    assert client.get(f"{ALICE}/forwarding", headers=dora).json["destinations"] == ["boss@elsewhere.net"]
    assert client.delete(f"{ALICE}/forwarding", headers=dora).status_code == 204
    assert client.get(f"{ALICE}/forwarding", headers=dora).json == {
        "destinations": [],
        "keep_copy": True,
        "active": False,
    }


def test_app_password_secret_shown_once_and_revoked(client, session, api_tokens):
    dora = bearer(api_tokens["dora"])
    made = client.post(f"{ALICE}/app-passwords", json={"name": "Phone", "protocols": ["imap"]}, headers=dora)
    assert made.status_code == 201, made.json
    secret, ident = made.json["secret"], made.json["app_password"]["id"]
    assert made.json["app_password"]["protocols"] == ["imap"]
    assert passwords.verify(secret, session.scalar(select(AppPassword.secret_hash)))
    listing = client.get(f"{ALICE}/app-passwords", headers=dora)
    assert [item["name"] for item in listing.json["items"]] == ["Phone"]
    assert secret not in listing.get_data(as_text=True) and "secret" not in listing.json["items"][0]
    assert client.delete(f"{ALICE}/app-passwords/{ident}", headers=dora).status_code == 204
    assert client.delete(f"{ALICE}/app-passwords/{ident}", headers=dora).status_code == 404
    assert client.delete(f"{ALICE}/app-passwords/nope", headers=dora).status_code == 404
    assert client.get(f"{ALICE}/app-passwords", headers=dora).json == {"items": []}
    bad = client.post(f"{ALICE}/app-passwords", json={"name": "", "protocols": ["ftp"]}, headers=dora)
    assert bad.status_code == 400 and set(bad.json["fields"]) == {"name", "protocols"}
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.target == "alice@example.org")))
    assert {"mailbox.app_password.create", "mailbox.app_password.revoke"} <= actions


def test_helpdesk_other_tenants_and_anonymous_are_refused(client, session, api_tokens):
    helen, dora = bearer(api_tokens["helen"]), bearer(api_tokens["dora"])
    for path in ("vacation", "forwarding", "app-passwords"):
        assert client.get(f"{ALICE}/{path}").status_code == 401
        assert client.get(f"{ALICE}/{path}", headers=helen).status_code == 403
        assert client.get(f"{OLGA}/{path}", headers=dora).status_code == 404
    assert client.put(f"{OLGA}/forwarding", json={"destinations": ["x@example.org"]}, headers=dora).status_code == 404
    assert client.post(f"{OLGA}/app-passwords", json={"name": "x"}, headers=dora).status_code == 404
    assert client.put(f"{ALICE}/vacation", json={"active": False}, headers=helen).status_code == 403
    assert session.scalar(select(AppPassword)) is None


def test_domain_user_rights_over_the_api(client, session, api_tokens):
    dora = bearer(api_tokens["dora"])
    answer = client.get("/api/v1/domains/example.org", headers=dora).json
    assert (answer["users_change_password"], answer["users_forward_outside"]) == (True, False)
    response = client.patch(
        "/api/v1/domains/example.org",
        json={"users_change_password": False, "users_forward_outside": True},
        headers=dora,
    )
    assert response.status_code == 200, response.json
    assert (response.json["users_change_password"], response.json["users_forward_outside"]) == (False, True)
    session.expire_all()
    domain = session.scalar(select(Domain).where(Domain.name == "example.org"))
    assert (domain.users_change_password, domain.users_forward_outside) == (False, True)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "domain.user_rights")) is not None
    assert client.patch(
        "/api/v1/domains/other.org", json={"users_forward_outside": True}, headers=dora
    ).status_code in (
        403,
        404,
    )
