"""/api/v1/domains/<name>/dkim: generate, list, activate, retire through
panel/services/dkim.py; the DNS tab's rule (the domain's admins and
superadmins); refusals in JSON with their reason; public keys only."""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from panel.models import DkimKey
from tests.helpers import audit_events, bearer

DKIM = "/api/v1/domains/example.org/dkim"
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _public_of(pem: str) -> str:
    """The TXT record's p= the stored private key implies."""
    public = serialization.load_pem_private_key(pem.encode(), None).public_key()
    try:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except ValueError:  # RSA: the DER SubjectPublicKeyInfo
        raw = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode()


def test_generate_list_activate_retire(client, session, app, api_tokens):
    dora = bearer(api_tokens["dora"])
    made = client.post(DKIM, json={"selector": "Jan2027", "algorithm": "ed25519"}, headers=dora)
    assert made.status_code == 201, made.json
    key = made.json
    assert (key["selector"], key["algorithm"], key["state"]) == ("jan2027", "ed25519", "published")
    assert UTC_Z.match(key["created_at"]) and key["activated_at"] is None and key["retired_at"] is None
    assert key["dns_name"] == "jan2027._domainkey.example.org."
    assert key["txt"] == f"v=DKIM1; k=ed25519; p={key['public_key']}"
    stored = session.scalar(select(DkimKey).where(DkimKey.selector == "jan2027"))
    assert key["public_key"] == _public_of(stored.private_key)
    assert client.get(DKIM, headers=dora).json == {"items": [key]}

    default = client.post(DKIM, json={}, headers=dora).json  # rsa, selector mpYYYYMM
    assert default["algorithm"] == "rsa" and re.match(r"^mp\d{6}$", default["selector"])
    assert default["txt"].startswith("v=DKIM1; k=rsa; p=MII")

    active = client.post(f"{DKIM}/jan2027/activate", headers=dora)
    assert active.status_code == 200 and active.json["state"] == "active"
    assert UTC_Z.match(active.json["activated_at"])
    client.post(f"{DKIM}/{default['selector']}/activate", headers=dora)
    states = {item["selector"]: item["state"] for item in client.get(DKIM, headers=dora).json["items"]}
    assert states == {"jan2027": "published", default["selector"]: "active"}  # the old key stays in DNS

    retired = client.post(f"{DKIM}/jan2027/retire", headers=dora)
    assert retired.status_code == 200 and retired.json["state"] == "retired"
    assert UTC_Z.match(retired.json["retired_at"])
    session.expire_all()
    assert session.scalar(select(DkimKey.private_key).where(DkimKey.selector == "jan2027")) == ""
    again = client.post(f"{DKIM}/jan2027/activate", headers=dora)
    assert again.status_code == 400 and "retired" in again.json["fields"]["selector"]
    actions = [(e.action, e.actor, e.target) for e in audit_events(app, "dkim.%")]
    assert actions == [
        ("dkim.generate", "dora", "example.org"),
        ("dkim.generate", "dora", "example.org"),
        ("dkim.activate", "dora", "example.org"),
        ("dkim.activate", "dora", "example.org"),
        ("dkim.retire", "dora", "example.org"),
    ]


def test_bad_selector_algorithm_or_body_is_400_with_the_reason(client, session, api_tokens):
    root = bearer(api_tokens["root"])
    for body, field in (
        ({"selector": "under_score"}, "selector"),
        ({"selector": "-dash"}, "selector"),
        ({"selector": "x" * 64}, "selector"),
        ({"algorithm": "dsa"}, "algorithm"),
        ({"selector": 7}, "selector"),
        ({"bits": 4096}, "bits"),
    ):
        response = client.post(DKIM, json=body, headers=root)
        assert response.status_code == 400, body
        assert response.json["fields"][field], body
    assert "DNS label" in client.post(DKIM, json={"selector": "a.b"}, headers=root).json["fields"]["selector"]
    bad_url = client.post(f"{DKIM}/bad_selector/activate", headers=root)
    assert bad_url.status_code == 400 and "DNS label" in bad_url.json["fields"]["selector"]
    assert client.post(DKIM, data="selector=x", headers=root).status_code == 400
    assert session.scalar(select(DkimKey)) is None


def test_unknown_domain_or_selector_is_404(client, api_tokens):
    root = bearer(api_tokens["root"])
    for method, url in (
        ("GET", "/api/v1/domains/nowhere.example/dkim"),
        ("POST", "/api/v1/domains/nowhere.example/dkim"),
        ("POST", "/api/v1/domains/nowhere.example/dkim/s1/activate"),
        ("POST", f"{DKIM}/nokey/activate"),
        ("POST", f"{DKIM}/nokey/retire"),
    ):
        response = client.open(url, method=method, json={}, headers=root)
        assert response.status_code == 404, url
        assert response.is_json and response.json["error"]


def test_duplicate_selector_is_409(client, api_tokens):
    root = bearer(api_tokens["root"])
    assert client.post(DKIM, json={"selector": "s1", "algorithm": "ed25519"}, headers=root).status_code == 201
    again = client.post(DKIM, json={"selector": "s1", "algorithm": "ed25519"}, headers=root)
    assert again.status_code == 409 and "already has a key s1" in again.json["fields"]["selector"]


def test_another_tenants_domain_and_the_helpdesk_are_refused(client, session, api_tokens):
    root, dora, helen = (bearer(api_tokens[name]) for name in ("root", "dora", "helen"))
    theirs = "/api/v1/domains/other.org/dkim"
    assert client.post(theirs, json={"selector": "s1", "algorithm": "ed25519"}, headers=root).status_code == 201
    for method, url in (
        ("GET", theirs),
        ("POST", theirs),
        ("POST", f"{theirs}/s1/activate"),
        ("POST", f"{theirs}/s1/retire"),
    ):
        response = client.open(url, method=method, json={"selector": "mine"}, headers=dora)
        assert response.status_code == 404 and response.json["error"], url
    for method, url in (("GET", DKIM), ("POST", DKIM)):
        assert client.open(url, method=method, json={}, headers=helen).status_code == 403
    assert client.get(DKIM).status_code == 401
    assert [(k.selector, k.state) for k in session.scalars(select(DkimKey))] == [("s1", "published")]


def test_no_private_key_material_in_any_dkim_answer(client, session, api_tokens):
    root = bearer(api_tokens["root"])
    answers = [
        client.post(DKIM, json={"selector": "rsa1", "algorithm": "rsa"}, headers=root),
        client.post(DKIM, json={"selector": "ed1", "algorithm": "ed25519"}, headers=root),
        client.post(f"{DKIM}/rsa1/activate", headers=root),
        client.post(f"{DKIM}/ed1/activate", headers=root),
        client.post(f"{DKIM}/rsa1/activate", headers=root),
        client.get(DKIM, headers=root),
        client.post(DKIM, json={"selector": "rsa1"}, headers=root),  # a 409 names the key too
        client.get("/api/v1/openapi.json"),
    ]
    pems = list(session.scalars(select(DkimKey.private_key)))
    assert len(pems) == 2 and all("PRIVATE KEY" in pem for pem in pems)
    secrets = [line for pem in pems for line in pem.splitlines() if line and not line.startswith("-----")]
    bodies = [answer.get_data(as_text=True) for answer in answers]
    assert all(answer.status_code < 500 for answer in answers)
    for body in bodies:
        assert "PRIVATE KEY" not in body
        assert not [line for line in secrets if line in body]
    whole = "".join(b64 for pem in pems for b64 in pem.splitlines()[1:-1])
    assert all(whole not in body.replace("\n", "") for body in bodies)
