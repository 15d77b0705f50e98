"""Logging in and posting forms as each role, for the queue tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from panel.db import get_session
from panel.models import AuditEvent

PASSWORD = "queue-tests-pass-1"
ROLES = {"superadmin": ("qroot", ()), "domainadmin": ("qdom", ("queue.test",)), "helpdesk": ("qhelp", ("queue.test",))}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        # In the order they were written (a LIKE can be served by the action index, in action order).
        return list(
            get_session().scalars(select(AuditEvent).where(AuditEvent.action.like(action)).order_by(AuditEvent.id))
        )


def csrf_token(client, url: str = "/login") -> str:
    match = _CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def client_as(app, role: str | None):
    client = app.test_client()
    if role is not None:
        response = client.post(
            "/login", data={"username": ROLES[role][0], "password": PASSWORD, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client, url: str, data: dict, **kwargs):
    data = dict(data, csrf_token=csrf_token(client, "/queue/"))
    return client.post(url, data=data, **kwargs)
