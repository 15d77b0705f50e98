"""A domain admin learns nothing of other tenants (README: "A domain admin
asking for another domain's page gets a 404"): whatever it asks about
another tenant's domain or alias domain, the answer is the one a name
nobody hosts gets, word for word."""

from __future__ import annotations

from panel.services import aliases
from tests.helpers import bearer


def _answer(response, name: str) -> tuple[int, dict]:
    """Status and body, with the domain asked about written as NAME."""
    body = response.get_data(as_text=True).replace(name, "NAME")
    return response.status_code, body


def _same(client, token: str, make_request, theirs: str, nobodys: str = "nowhere.example"):
    a, b = make_request(theirs), make_request(nobodys)
    assert _answer(a, theirs) == _answer(b, nobodys)
    return a


def test_another_tenants_domain_answers_like_no_domain(client, session, actor, api_tokens):
    aliases.create_alias_domain(session, actor, "other.net", "other.org")
    session.commit()
    h = bearer(api_tokens["dora"])
    for theirs in ("other.org", "other.net"):  # a hosted domain and an alias domain of another tenant
        answer = _same(
            client,
            api_tokens["dora"],
            lambda d: client.post("/api/v1/mailboxes", json={"email": f"x@{d}", "password": "secret123"}, headers=h),
            theirs,
        )
        assert answer.status_code == 404 and answer.json["fields"] == {
            "address": f"{theirs} is not one of your domains"
        }
        answer = _same(
            client,
            api_tokens["dora"],
            lambda d: client.post(
                "/api/v1/aliases", json={"address": f"x@{d}", "destinations": ["a@b.example"]}, headers=h
            ),
            theirs,
        )
        assert answer.status_code == 404
        answer = _same(
            client,
            api_tokens["dora"],
            lambda d: client.post("/api/v1/alias-domains", json={"name": "mine.example", "target": d}, headers=h),
            theirs,
        )
        # A domain admin adds no alias domain at all (issue 11, item 1).
        assert answer.status_code == 403 and "superadmin" in answer.json["error"]
        for url in (
            "/api/v1/domains/{}",
            "/api/v1/alias-domains/{}",
            "/api/v1/mailboxes?domain={}",
            "/api/v1/export?domain={}",
        ):
            answer = _same(client, api_tokens["dora"], lambda d, url=url: client.get(url.format(d), headers=h), theirs)
            assert answer.status_code == 404
    body = "email,password\nx@other.org,secret123\ny@nowhere.example,secret123\n"
    response = client.post("/api/v1/import", data=body, headers={**h, "Content-Type": "text/csv"})
    assert response.json["problems"] == [
        "line 2: email: other.org is not one of your domains",
        "line 3: email: nowhere.example is not one of your domains",
    ]


def test_a_superadmin_is_still_told_what_a_name_is(client, session, actor, api_tokens):
    aliases.create_alias_domain(session, actor, "other.net", "other.org")
    session.commit()
    h = bearer(api_tokens["root"])
    answer = client.post("/api/v1/mailboxes", json={"email": "x@other.net", "password": "secret123"}, headers=h)
    assert answer.status_code == 400 and answer.json["fields"] == {
        "address": "other.net is an alias domain of other.org"
    }
    answer = client.post("/api/v1/mailboxes", json={"email": "x@nowhere.example", "password": "secret123"}, headers=h)
    assert answer.status_code == 404
    assert answer.json["fields"] == {"address": "the domain nowhere.example is not hosted here"}
    answer = client.post("/api/v1/alias-domains", json={"name": "other.org", "target": "example.org"}, headers=h)
    assert answer.status_code == 409 and answer.json["fields"] == {"name": "other.org is already a hosted domain"}


def test_a_domain_admin_naming_another_tenants_domain_as_alias_is_told_nothing_more(client, session, actor, api_tokens):
    """Only a superadmin adds alias domains: a domain admin gets the same
    refusal whether the name is taken, another tenant's or free."""
    aliases.create_alias_domain(session, actor, "other.net", "other.org")
    session.commit()
    h = bearer(api_tokens["dora"])
    answers = set()
    for name in ("other.org", "other.net", "free.example", "example.org"):
        answer = client.post("/api/v1/alias-domains", json={"name": name, "target": "example.org"}, headers=h)
        answers.add((answer.status_code, answer.json["error"]))
    assert answers == {(403, "only a superadmin may add an alias domain")}
