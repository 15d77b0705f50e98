"""The JSON API: tokens, scoping by the token's admin, JSON errors, audit."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from panel import passwords
from panel.models import AuditEvent
from panel.services import admins, mailboxes, tokens
from panel.services.actor import Actor
from tests.helpers import bearer


def test_no_token_bad_token_and_revoked_token_get_401(client, session, actor, api_tokens):
    assert client.get("/api/v1/mailboxes").status_code == 401
    response = client.get("/api/v1/mailboxes", headers=bearer("mpt_nope"))
    assert response.status_code == 401 and response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    row = tokens.list_tokens(session, actor)[-1]
    assert client.get("/api/v1/mailboxes", headers=bearer(api_tokens[row.admin.username])).status_code == 200
    tokens.revoke_token(session, actor, row)
    session.commit()
    assert client.get("/api/v1/mailboxes", headers=bearer(api_tokens[row.admin.username])).status_code == 401


def test_token_is_stored_as_a_digest_only(session, actor, api_tokens):
    rows = tokens.list_tokens(session, actor)
    for row in rows:
        assert len(row.token_digest) == 64 and row.token_digest not in api_tokens.values()
        assert any(t.startswith(row.prefix) and tokens.digest(t) == row.token_digest for t in api_tokens.values())


def test_disabled_admin_token_stops_working(client, session, actor, api_tokens):
    admins.update_admin(session, actor, admins.get_admin(session, "dora"), active=False)
    session.commit()
    assert client.get("/api/v1/domains", headers=bearer(api_tokens["dora"])).status_code == 401


def test_mailbox_lifecycle_is_audited(client, session, api_tokens):
    h = bearer(api_tokens["root"])
    created = client.post("/api/v1/mailboxes", json={"email": "bob@example.org", "name": "Bob"}, headers=h)
    assert created.status_code == 201
    generated = created.json["password"]
    assert created.json["mailbox"]["email"] == "bob@example.org"
    changed = client.patch("/api/v1/mailboxes/bob@example.org", json={"quota": "1G", "name": "Bobby"}, headers=h)
    assert changed.status_code == 200 and changed.json["quota"] == 1024**3
    assert (
        client.post(
            "/api/v1/mailboxes/bob@example.org/password", json={"password": "another-secret"}, headers=h
        ).status_code
        == 200
    )
    assert client.post("/api/v1/mailboxes/bob@example.org/disable", headers=h).json["active"] is False
    box = mailboxes.get_mailbox(session, Actor.system(), "bob@example.org")
    session.refresh(box)
    assert passwords.verify("another-secret", box.password_hash) and not passwords.verify(generated, box.password_hash)
    assert client.delete("/api/v1/mailboxes/bob@example.org", headers=h).status_code == 204
    assert client.get("/api/v1/mailboxes/bob@example.org", headers=h).status_code == 404
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == "bob@example.org").order_by(AuditEvent.id)
    ).all()
    assert actions == ["mailbox.create", "mailbox.update", "mailbox.password", "mailbox.update", "mailbox.delete"]
    actors = set(session.scalars(select(AuditEvent.actor).where(AuditEvent.target == "bob@example.org")))
    assert actors == {"root"}


def test_keyset_pages_and_search(client, api_tokens):
    h = bearer(api_tokens["root"])
    for i in range(3):
        client.post("/api/v1/mailboxes", json={"email": f"p{i}@example.org", "password": "secret123"}, headers=h)
    first = client.get("/api/v1/mailboxes?domain=example.org&limit=2", headers=h).json
    assert [m["email"] for m in first["items"]] == ["alice@example.org", "p0@example.org"]
    second = client.get(f"/api/v1/mailboxes?domain=example.org&limit=2&after={first['next']}", headers=h).json
    assert [m["email"] for m in second["items"]] == ["p1@example.org", "p2@example.org"] and second["next"] is None
    found = client.get("/api/v1/mailboxes?q=ALI", headers=h).json["items"]
    assert [m["email"] for m in found] == ["alice@example.org"]
    assert client.get("/api/v1/mailboxes?q=%25", headers=h).json["items"] == []
    # A search pages like the list, within a domain or across the actor's.
    url, seen = "/api/v1/mailboxes?q=.ORG&limit=2", []
    while url:
        body = client.get(url, headers=h).json
        seen += [(m["email"], m["domain"]) for m in body["items"]]
        url = body["next"] and f"/api/v1/mailboxes?q=.ORG&limit=2&after={body['next']}"
    assert seen == sorted(seen) and len(seen) == 5 and ("olga@other.org", "other.org") in seen
    in_domain = client.get("/api/v1/mailboxes?q=o&domain=other.org", headers=h).json
    assert [m["email"] for m in in_domain["items"]] == ["olga@other.org"] and in_domain["next"] is None
    assert client.get("/api/v1/mailboxes?q=o&domain=nowhere.org", headers=h).status_code == 404


def test_domain_admin_token_is_scoped_to_its_domains(client, session, api_tokens):
    h = bearer(api_tokens["dora"])
    assert [m["email"] for m in client.get("/api/v1/mailboxes", headers=h).json["items"]] == ["alice@example.org"]
    assert client.get("/api/v1/mailboxes/olga@other.org", headers=h).status_code == 404
    for query in ("domain=other.org", "domain=other.org&q=olga"):  # listed or searched, another domain is not there
        refused = client.get(f"/api/v1/mailboxes?{query}", headers=h)
        assert refused.status_code == 404 and refused.json["fields"] == {"domain": "no domain other.org"}
    assert client.get("/api/v1/mailboxes?q=olga", headers=h).json["items"] == []
    # Another tenant's domain gets the answer of a domain nobody hosts (README: a 404).
    for domain in ("other.org", "nowhere.org"):
        refused = client.post("/api/v1/mailboxes", json={"email": f"x@{domain}", "password": "secret123"}, headers=h)
        assert refused.status_code == 404
        assert refused.json["fields"] == {"address": f"{domain} is not one of your domains"}
    assert client.post("/api/v1/domains", json={"name": "new.org"}, headers=h).status_code == 403
    body = "email,password\nok@example.org,secret123\nx@other.org,secret123\n"
    response = client.post("/api/v1/import", data=body, headers={**h, "Content-Type": "text/csv"})
    assert response.status_code == 400
    assert response.json["problems"] == ["line 3: email: other.org is not one of your domains"]
    assert client.get("/api/v1/mailboxes/ok@example.org", headers=h).status_code == 404


def test_helpdesk_may_reset_passwords_but_not_create(client, api_tokens):
    h = bearer(api_tokens["helen"])
    assert client.post("/api/v1/mailboxes/alice@example.org/password", json={}, headers=h).json["password"]
    assert client.post("/api/v1/mailboxes", json={"email": "x@example.org"}, headers=h).status_code == 403
    assert client.post("/api/v1/import", data="email\n", headers={**h, "Content-Type": "text/csv"}).status_code == 403


def test_errors_are_json_never_500(client, api_tokens):
    h = bearer(api_tokens["root"])
    cases = [
        client.post("/api/v1/mailboxes", data="{not json", headers={**h, "Content-Type": "application/json"}),
        client.post(
            "/api/v1/mailboxes", data="email=x", headers={**h, "Content-Type": "application/x-www-form-urlencoded"}
        ),
        client.post("/api/v1/mailboxes", json=["a"], headers=h),
        client.post("/api/v1/mailboxes", json={"email": 5, "name": ["x"], "bogus": 1}, headers=h),
        client.post("/api/v1/mailboxes", json={"email": "x@example.org", "password": "x" * 2_000_000}, headers=h),
        client.get("/api/v1/mailboxes?limit=0", headers=h),
        client.get("/api/v1/mailboxes/not-an-address", headers=h),
        client.get("/api/v1/nothing-here", headers=h),
        client.put("/api/v1/mailboxes", headers=h),
        client.post("/api/v1/mailboxes", json={"email": "alice@example.org", "password": "secret123"}, headers=h),
    ]
    statuses = [r.status_code for r in cases]
    assert statuses == [400, 400, 400, 400, 413, 400, 400, 404, 405, 409]
    for response in cases:
        assert response.is_json and set(response.json) >= {"error", "fields"}
    assert cases[3].json["fields"] == {
        "email": "must be a string",
        "name": "must be a string",
        "bogus": "unknown field",
    }


def test_import_and_export_over_the_api(client, session, api_tokens):
    h = bearer(api_tokens["root"])
    body = "email,name,aliases\nnew@example.org,New,hello@example.org\n"
    dry = client.post("/api/v1/import?dry_run=1", data=body, headers={**h, "Content-Type": "text/csv"})
    assert dry.status_code == 200 and dry.json["created"] == 1 and dry.json["generated_passwords"] == []
    assert client.get("/api/v1/mailboxes/new@example.org", headers=h).status_code == 404
    done = client.post("/api/v1/import", data=body, headers={**h, "Content-Type": "text/csv"})
    assert done.status_code == 200 and done.json["aliases_created"] == 1
    [generated] = done.json["generated_passwords"]
    box = mailboxes.get_mailbox(session, Actor.system(), "new@example.org")
    assert passwords.verify(generated["password"], box.password_hash)
    exported = client.get("/api/v1/export?domain=example.org", headers=h)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(r["email"], r["aliases"]) for r in rows] == [
        ("alice@example.org", ""),
        ("new@example.org", "hello@example.org"),
    ]
    assert rows[0]["password_hash"].startswith("{ARGON2ID}")
    limited = client.get("/api/v1/export", headers=bearer(api_tokens["dora"])).get_data(as_text=True)
    assert "password_hash" not in limited.splitlines()[0] and "olga@other.org" not in limited


def test_openapi_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.")
    assert "/mailboxes/{email}/password" in response.json["paths"]


def test_api_is_csrf_exempt_but_needs_a_token(app, client, api_tokens):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/domains", json={"name": "csrf.org"}, headers=bearer(api_tokens["root"]))
    assert response.status_code == 201


def test_oversized_csv_upload_is_413_and_imports_nothing(client, api_tokens, monkeypatch):
    import panel.api.bulk

    monkeypatch.setattr(panel.api.bulk, "MAX_CSV_BYTES", 10_000)
    body = "email,password\n" + "".join(f"u{i}@example.org,secret123\n" for i in range(1000))
    response = client.post(
        "/api/v1/import", data=body, headers={**bearer(api_tokens["root"]), "Content-Type": "text/csv"}
    )
    assert response.status_code == 413 and response.json["error"]
    listed = client.get("/api/v1/mailboxes?domain=example.org", headers=bearer(api_tokens["root"])).json["items"]
    assert [m["email"] for m in listed] == ["alice@example.org"]


def test_every_time_in_an_answer_is_utc_with_its_zone(client, session, actor, api_tokens):
    import re

    from panel.services import aliases, app_passwords

    aliases.create_alias(session, actor, "info@example.org", ["alice@example.org"])
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    box = mailboxes.get_mailbox(session, actor, "alice@example.org")
    app_passwords.create(session, actor, box, "phone", ["imap"], "2031-01-01")
    session.commit()
    token = bearer(api_tokens["root"])
    answers = [
        client.get(url, headers=token).json
        for url in (
            "/api/v1/domains",
            "/api/v1/mailboxes",
            "/api/v1/aliases",
            "/api/v1/alias-domains",
            "/api/v1/mailboxes/alice@example.org/app-passwords",
        )
    ]
    times = re.findall(r'"(\w+_at)": ("[^"]*"|null)', str(answers).replace("'", '"'))
    names = {name for name, _ in times}
    assert {"created_at", "password_changed_at", "expires_at"} <= names, names
    stamped = [value for _, value in times if value != "null"]
    assert stamped and all(re.fullmatch(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', v) for v in stamped), stamped


def test_a_request_with_several_bad_fields_gets_every_field_back(client, api_tokens):
    body = {"email": "-bob@example.org", "quota": "lots", "name": "a\u202eb", "password": "short"}
    response = client.post("/api/v1/mailboxes", json=body, headers=bearer(api_tokens["root"]))
    assert response.status_code == 400 and response.is_json
    assert set(response.json["fields"]) == {"address", "quota", "name", "password"}
    assert response.json["fields"]["quota"] == "'lots' is not a size; use bytes or a unit like 500M or 2G"
    assert client.get("/api/v1/mailboxes/bob@example.org", headers=bearer(api_tokens["root"])).status_code == 404
