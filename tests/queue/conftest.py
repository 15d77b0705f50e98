"""Fixtures for the queue tests: a fake queue program behind the command
prefix (unit tests), generated ``postqueue -j`` streams, and logged-in
clients for each role."""

from __future__ import annotations

import pytest

from panel.db import get_session
from panel.services import admins, domains
from tests.queue.queue_fakes import FakeQueue
from tests.queue.queue_web import PASSWORD, ROLES, client_as


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


@pytest.fixture
def superadmin(queue_app, accounts):
    return client_as(queue_app, "superadmin")
