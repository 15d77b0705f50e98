"""No DKIM private key in any page, API answer, export or CLI output.

The domain example.org holds an active and a published key; every GET route
is fetched as a superadmin and as the domain's admin, every API GET with a
superadmin's token, and the CLI's export and DKIM commands are run. None
may contain a line of either private key's base64 body."""

from __future__ import annotations

import os

from sqlalchemy import select

from panel.db import get_session
from panel.models import Admin, DkimKey, Domain
from panel.services import dkim, tokens
from panel.services.actor import Actor
from tests.helpers import bearer, client_as, sample_url


def _keys_of_example_org(app, world) -> list[str]:
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domain = session.scalar(select(Domain).where(Domain.name == "example.org"))
        dkim.generate(session, actor, domain, "signing")
        dkim.activate(session, actor, domain, "signing")
        dkim.generate(session, actor, domain, "next")
        session.commit()
    with world() as session:
        pems = list(session.scalars(select(DkimKey.private_key)))
    assert len(pems) == 2 and all(pems)
    return [line for pem in pems for line in pem.splitlines() if line and not line.startswith("-----")]


def _superadmin_token(app) -> str:
    with app.app_context():
        session = get_session()
        root = session.scalar(select(Admin).where(Admin.role == "superadmin"))
        token = tokens.create_token(session, Actor.system("test"), root, "leak check")[1]
        session.commit()
    return token


def _get_routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static" and "GET" in rule.methods]


def test_no_private_key_in_pages_api_answers_exports_or_cli_output(app, world, runner, tmp_path):
    key_lines = _keys_of_example_org(app, world)
    (tmp_path / "master.pid").write_text(f"{os.getpid()}\n")  # the queue page wants a Postfix master
    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "master.pid")
    answers: dict[str, str] = {}
    for role in ("superadmin", "domainadmin"):
        client = client_as(app, role)
        for rule in _get_routes(app):
            if not rule.rule.startswith("/api/"):
                url = sample_url(app, rule)
                answers[f"{role} {url}"] = client.get(url).get_data(as_text=True)
    headers = bearer(_superadmin_token(app))
    api_client = app.test_client()
    for rule in _get_routes(app):
        if rule.rule.startswith("/api/"):
            url = sample_url(app, rule)
            answers[f"api {url}"] = api_client.get(url, headers=headers).get_data(as_text=True)
    for command in (["users", "export"], ["domain", "dkim", "list", "example.org"], ["domain", "dns", "example.org"]):
        answers[" ".join(command)] = runner.invoke(args=command).output
    # The walk reached the pages that show keys at all.
    assert any("signing._domainkey.example.org" in text for text in answers.values())
    assert "example.org" in answers["api /api/v1/domains"]  # the token was accepted
    leaks = [where for where, text in answers.items() if "PRIVATE KEY" in text or any(k in text for k in key_lines)]
    assert leaks == []
