"""Logging in as each role, for the log page tests."""

from __future__ import annotations

import re

PASSWORD = "logs-tests-pass-1"
ROLES = {"superadmin": ("lroot", ()), "domainadmin": ("ldom", ("logs.test",)), "helpdesk": ("lhelp", ("logs.test",))}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log_client(app, role: str | None):
    client = app.test_client()
    if role is not None:
        token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post("/login", data={"username": ROLES[role][0], "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
    return client
