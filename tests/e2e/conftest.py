"""End-to-end tests: the real Postfix and Dovecot (deploy/mailstack, loopback
test mode) on the session's test database, driven through the panel's CLI,
its pages and plain SMTP, IMAP and POP3 on 127.0.0.1.

Every test that needs the mail stack lives here, because here
``database_url`` is the database the mail servers read
(``mail_database_url``, tests/mailstack_fixture.py): what the ``app``,
``session`` and ``cli`` fixtures write, Postfix and Dovecot see at once.
Every module sets ``pytestmark = pytest.mark.e2e``. The ``mailstack``
fixture takes the machine-wide lock itself, so run pytest plainly:
``.venv/bin/python -m pytest tests/e2e``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def database_url(mail_database_url) -> str:
    return mail_database_url
