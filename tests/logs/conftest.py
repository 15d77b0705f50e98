"""Fixtures for the log pages: log files under tmp_path named by the
configuration, and logged-in clients for each role."""
from __future__ import annotations

import re

import pytest

from panel.db import get_session
from panel.services import admins, domains

PASSWORD = "logs-tests-pass-1"
ROLES = {"superadmin": ("lroot", ()), "domainadmin": ("ldom", ("logs.test",)), "helpdesk": ("lhelp", ())}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def log_files(app, tmp_path):
    postfix, dovecot = tmp_path / "postfix.log", tmp_path / "dovecot.log"
    postfix.write_bytes(b"")
    dovecot.write_bytes(b"")
    app.config.update(POSTFIX_LOG=str(postfix), DOVECOT_LOG=str(dovecot))
    return postfix, dovecot


@pytest.fixture
def log_accounts(app, actor):
    with app.app_context():   # popped at once: requests must not share g
        session = get_session()
        domains.create_domain(session, actor, "logs.test")
        for role, (username, scope) in ROLES.items():
            admins.create_admin(session, actor, username, role, PASSWORD, list(scope))
        session.commit()


def log_client(app, role: str | None):
    client = app.test_client()
    if role is not None:
        token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post("/login", data={"username": ROLES[role][0], "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
    return client
