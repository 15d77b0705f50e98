"""End-to-end tests: the real Postfix and Dovecot (deploy/mailstack, loopback
test mode) on the session's test database, driven through the panel's CLI
and plain SMTP, IMAP and POP3 on 127.0.0.1.

Every module here sets ``pytestmark = pytest.mark.e2e``. Run them under the machine-wide lock:
``flock /tmp/mailstack.lock .venv/bin/python -m pytest tests/e2e``.
"""

from __future__ import annotations

import pytest

from tests.mailstack_fixture import database_url, mailstack  # noqa: F401  (session fixtures)

PASSWORD = "correct-horse-1"


@pytest.fixture
def cli(runner):
    """Run a panel command (`flask --app app ...`) in-process; it must succeed."""

    def invoke(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(args=list(args), input=stdin)
        assert result.exit_code == 0, f"{' '.join(args)}: {result.output}"
        return result.output

    return invoke


@pytest.fixture
def mail(mailstack, cli):
    """The stack, plus a panel with one domain ``e2e.test`` to fill."""
    cli("domain", "add", "e2e.test")
    return mailstack


@pytest.fixture
def new_mailbox(cli):
    """new_mailbox(address, *options, password=PASSWORD) through `mailbox add`."""

    def create(address: str, *options: str, password: str = PASSWORD) -> str:
        cli("mailbox", "add", address, "--password-stdin", *options, stdin=password + "\n")
        return address

    return create
