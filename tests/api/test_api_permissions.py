"""Walk every /api/v1 endpoint × {anonymous, helpdesk, domain admin of
another domain, domain admin, superadmin} against the expected table: the
twin of tests/test_permissions.py, so the API obeys the web's role table
(docs/web-panel.md). An endpoint without a row here fails the test.

Each role gets a fresh world (the requests change it) and sends a body that
would succeed for someone allowed, so a refusal is the rule's and never a
malformed request's. Deletes go last, sub-resources before their parents.
"""

from __future__ import annotations

import pytest

from panel.services import Actor, admins, aliases, app_passwords, dkim, mailboxes, tokens
from tests.helpers import bearer

ANON, HD, OD, DA, SA = "anonymous", "helen", "otto", "dora", "root"
ROLES = (ANON, HD, OD, DA, SA)
ALICE = "alice@example.org"

# (method, path, body) of each endpoint, with the world's names of example.org.
REQUESTS = {
    "api.list_domains": ("GET", "/domains", None),
    "api.create_domain": ("POST", "/domains", {"name": "new.example"}),
    "api.get_domain": ("GET", "/domains/example.org", None),
    "api.update_domain": ("PATCH", "/domains/example.org", {"description": "the shop"}),
    "api.delete_domain": ("DELETE", "/domains/example.org", None),
    "api.list_dkim_keys": ("GET", "/domains/example.org/dkim", None),
    "api.generate_dkim_key": ("POST", "/domains/example.org/dkim", {"selector": "new", "algorithm": "ed25519"}),
    "api.activate_dkim_key": ("POST", "/domains/example.org/dkim/mp1/activate", None),
    "api.retire_dkim_key": ("POST", "/domains/example.org/dkim/mp1/retire", None),
    "api.list_mailboxes": ("GET", "/mailboxes?domain=example.org", None),
    "api.create_mailbox": ("POST", "/mailboxes", {"email": "new@example.org", "password": "long-enough-42"}),
    "api.get_mailbox": ("GET", f"/mailboxes/{ALICE}", None),
    "api.update_mailbox": ("PATCH", f"/mailboxes/{ALICE}", {"name": "Alice A."}),
    "api.set_password": ("POST", f"/mailboxes/{ALICE}/password", {"password": "long-enough-43"}),
    "api.disable_mailbox": ("POST", f"/mailboxes/{ALICE}/disable", None),
    "api.enable_mailbox": ("POST", f"/mailboxes/{ALICE}/enable", None),
    "api.delete_mailbox": ("DELETE", f"/mailboxes/{ALICE}", None),
    "api.bulk_mailboxes": ("POST", "/domains/example.org/mailboxes/bulk", {"action": "disable", "emails": [ALICE]}),
    "api.get_vacation": ("GET", f"/mailboxes/{ALICE}/vacation", None),
    "api.put_vacation": ("PUT", f"/mailboxes/{ALICE}/vacation", {"active": True, "body": "Away."}),
    "api.delete_vacation": ("DELETE", f"/mailboxes/{ALICE}/vacation", None),
    "api.get_forwarding": ("GET", f"/mailboxes/{ALICE}/forwarding", None),
    "api.put_forwarding": ("PUT", f"/mailboxes/{ALICE}/forwarding", {"destinations": ["boss@elsewhere.net"]}),
    "api.delete_forwarding": ("DELETE", f"/mailboxes/{ALICE}/forwarding", None),
    "api.list_app_passwords": ("GET", f"/mailboxes/{ALICE}/app-passwords", None),
    "api.create_app_password": ("POST", f"/mailboxes/{ALICE}/app-passwords", {"name": "Phone"}),
    "api.revoke_app_password": ("DELETE", f"/mailboxes/{ALICE}/app-passwords/{{app_password}}", None),
    "api.list_aliases": ("GET", "/aliases?domain=example.org", None),
    "api.create_alias": ("POST", "/aliases", {"address": "sales@example.org", "destinations": [ALICE]}),
    "api.get_alias": ("GET", "/aliases/info@example.org", None),
    "api.update_alias": ("PATCH", "/aliases/info@example.org", {"active": False}),
    "api.delete_alias": ("DELETE", "/aliases/info@example.org", None),
    "api.list_alias_domains": ("GET", "/alias-domains", None),
    "api.create_alias_domain": ("POST", "/alias-domains", {"name": "shop.example", "target": "example.org"}),
    "api.get_alias_domain": ("GET", "/alias-domains/example.net", None),
    "api.update_alias_domain": ("PATCH", "/alias-domains/example.net", {"active": False}),
    "api.delete_alias_domain": ("DELETE", "/alias-domains/example.net", None),
    "api.import_csv": ("POST", "/import", "email,password\nnew2@example.org,long-enough-44\n"),
    "api.export": ("GET", "/export?domain=example.org", None),
    "api.openapi_json": ("GET", "/openapi.json", None),
}


def _row(anon=401, helen=403, otto=404, dora=200, root=200) -> dict:
    return {ANON: anon, HD: helen, OD: otto, DA: dora, SA: root}


SUPERADMIN_ONLY = _row(otto=403, dora=403)
MANAGED = _row()  # the domain's admins and superadmins; another domain's admin learns nothing (404)
FOUND = _row(helen=200)  # the helpdesk finds mailboxes and resets passwords, as on the web
EXPECTED = {
    "api.list_domains": _row(otto=200),  # their own domains
    "api.create_domain": {**SUPERADMIN_ONLY, SA: 201},
    "api.get_domain": MANAGED,
    "api.update_domain": {**SUPERADMIN_ONLY, OD: 404},  # limits and description are a superadmin's
    "api.delete_domain": {**SUPERADMIN_ONLY, OD: 404, SA: 409},  # not empty
    # DKIM keys: the web's DNS tab rule (superadmins and the domain's admins; not the helpdesk).
    "api.list_dkim_keys": MANAGED,
    "api.generate_dkim_key": {**MANAGED, DA: 201, SA: 201},
    "api.activate_dkim_key": MANAGED,
    "api.retire_dkim_key": MANAGED,
    "api.list_mailboxes": FOUND,
    "api.create_mailbox": {**MANAGED, DA: 201, SA: 201},
    "api.get_mailbox": FOUND,
    "api.update_mailbox": MANAGED,
    "api.set_password": FOUND,
    "api.disable_mailbox": MANAGED,
    "api.enable_mailbox": MANAGED,
    "api.delete_mailbox": {**MANAGED, DA: 204, SA: 204},
    "api.bulk_mailboxes": MANAGED,  # the web's rule: not the helpdesk
    "api.get_vacation": MANAGED,
    "api.put_vacation": MANAGED,
    "api.delete_vacation": {**MANAGED, DA: 204, SA: 204},
    "api.get_forwarding": MANAGED,
    "api.put_forwarding": MANAGED,
    "api.delete_forwarding": {**MANAGED, DA: 204, SA: 204},
    "api.list_app_passwords": MANAGED,
    "api.create_app_password": {**MANAGED, DA: 201, SA: 201},
    "api.revoke_app_password": {**MANAGED, DA: 204, SA: 204},
    "api.list_aliases": MANAGED,
    "api.create_alias": {**MANAGED, DA: 201, SA: 201},
    "api.get_alias": MANAGED,
    "api.update_alias": MANAGED,
    "api.delete_alias": {**MANAGED, DA: 204, SA: 204},
    "api.list_alias_domains": _row(otto=200),  # theirs: none
    "api.create_alias_domain": {**SUPERADMIN_ONLY, SA: 201},  # only a superadmin brings a name in
    "api.get_alias_domain": MANAGED,
    "api.update_alias_domain": MANAGED,
    "api.delete_alias_domain": {**MANAGED, DA: 204, SA: 204},
    "api.import_csv": {**MANAGED, OD: 400},  # the row names a domain that is not theirs: a line error
    "api.export": MANAGED,
    "api.openapi_json": _row(anon=200, helen=200, otto=200),
}
UNROUTED = {"api.not_found"}  # the JSON 404/405 for unknown paths


def _order(item) -> tuple:
    endpoint, (method, path, _) = item
    return (method == "DELETE", -path.count("/"), endpoint)


@pytest.fixture
def api_world(session):
    actor = Actor.system("test")
    from panel.services import domains

    shop = domains.create_domain(session, actor, "example.org", max_mailboxes=5)
    domains.create_domain(session, actor, "other.org")
    dkim.generate(session, actor, shop, "mp1", "ed25519")
    alice = mailboxes.create_mailbox(session, actor, ALICE, password="secret123", name="Alice")
    aliases.create_alias(session, actor, "info@example.org", [ALICE])
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    row, _ = app_passwords.create(session, actor, alice, "Laptop")
    people = {
        SA: admins.create_admin(session, actor, SA, "superadmin", "secret123"),
        DA: admins.create_admin(session, actor, DA, "domainadmin", "secret123", ["example.org"]),
        OD: admins.create_admin(session, actor, OD, "domainadmin", "secret123", ["other.org"]),
        HD: admins.create_admin(session, actor, HD, "helpdesk", "secret123", ["example.org"]),
    }
    found = {name: tokens.create_token(session, actor, admin, "test")[1] for name, admin in people.items()}
    session.commit()
    return found, row.id


def test_every_endpoint_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert endpoints - UNROUTED == set(REQUESTS) == set(EXPECTED)
    for endpoint in endpoints - UNROUTED - {"api.openapi_json"}:
        assert app.view_functions[endpoint].access[0] == "token", endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(client, api_world, role):
    found, app_password = api_world
    headers = bearer(found[role]) if role != ANON else {}
    wrong = []
    for endpoint, (method, path, body) in sorted(REQUESTS.items(), key=_order):
        url = "/api/v1" + path.replace("{app_password}", str(app_password))
        if isinstance(body, str):
            response = client.open(url, method=method, data=body, content_type="text/csv", headers=headers)
        else:
            response = client.open(url, method=method, json=body, headers=headers)
        expected = EXPECTED[endpoint][role]
        if response.status_code != expected:
            wrong.append(f"{method} {path}: {response.status_code} (expected {expected}) {response.get_data()[:120]}")
        if response.status_code >= 400:
            assert response.is_json and response.json["error"], (endpoint, response.get_data()[:200])
    assert not wrong, "\n".join(wrong)
