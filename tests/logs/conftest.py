"""Fixtures for the log pages: log files under tmp_path named by the
configuration, and logged-in clients for each role."""

from __future__ import annotations

import pytest

from panel.db import get_session
from panel.services import admins, domains
from tests.logs.logs_web import PASSWORD, ROLES


@pytest.fixture
def log_files(app, tmp_path):
    postfix, dovecot = tmp_path / "postfix.log", tmp_path / "dovecot.log"
    postfix.write_bytes(b"")
    dovecot.write_bytes(b"")
    app.config.update(POSTFIX_LOG=str(postfix), DOVECOT_LOG=str(dovecot))
    return postfix, dovecot


@pytest.fixture
def log_accounts(app, actor):
    with app.app_context():  # popped at once: requests must not share g
        session = get_session()
        domains.create_domain(session, actor, "logs.test")
        for role, (username, scope) in ROLES.items():
            admins.create_admin(session, actor, username, role, PASSWORD, list(scope))
        session.commit()
