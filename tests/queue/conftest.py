"""Fixtures for the queue tests: a fake queue program behind the command
prefix (unit tests), generated ``postqueue -j`` streams, and logged-in
clients for each role."""
from __future__ import annotations

import re

import pytest

from sqlalchemy import select

from panel.db import get_session
from panel.models import AuditEvent
from panel.services import admins, domains
from queue_fakes import FakeQueue

PASSWORD = "queue-tests-pass-1"
ROLES = {"superadmin": ("qroot", ()), "domainadmin": ("qdom", ("queue.test",)), "helpdesk": ("qhelp", ())}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@pytest.fixture
def fake_queue(tmp_path) -> FakeQueue:
    directory = tmp_path / "fake-queue"
    directory.mkdir()
    return FakeQueue(directory)


@pytest.fixture
def queue_app(app, fake_queue):
    app.config.update(QUEUE_COMMAND_PREFIX=fake_queue.prefix, QUEUE_COMMAND_TIMEOUT=10)
    return app


@pytest.fixture
def accounts(app, actor):
    # Its own app context, popped at once: a test that keeps one pushed (the
    # ``session`` fixture) makes every request share ``g``, and with it a
    # stale CSRF token.
    with app.app_context():
        session = get_session()
        domains.create_domain(session, actor, "queue.test")
        for role, (username, scope) in ROLES.items():
            admins.create_admin(session, actor, username, role, PASSWORD, list(scope))
        session.commit()


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(get_session().scalars(select(AuditEvent).where(AuditEvent.action.like(action))))


def csrf_token(client, url: str = "/login") -> str:
    match = _CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def client_as(app, role: str | None):
    client = app.test_client()
    if role is not None:
        response = client.post("/login", data={"username": ROLES[role][0], "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client, url: str, data: dict, **kwargs):
    data = dict(data, csrf_token=csrf_token(client, "/queue/"))
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def superadmin(queue_app, accounts):
    return client_as(queue_app, "superadmin")
