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

import ssl

import pytest

from tests.e2e.tls_ca import stack_serving


@pytest.fixture(scope="session")
def database_url(mail_database_url) -> str:
    return mail_database_url


@pytest.fixture
def tls_stack(mail):
    """The stack reconfigured with the test CA's certificate, put back after."""
    with stack_serving(mail, days=1) as directory:
        yield ssl.create_default_context(cafile=str(directory / "ca.pem"))
