"""Production's rule, proved on the loopback stack: no password before
STARTTLS on 587, 143 and 110 (MAILSTACK_TEST_TLS_ONLY_AUTH=1 applies the
production authentication settings to the test mode)."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import socket

import pytest

from tests.e2e.tls_ca import NAME
from tests.mailstack_fixture import E2E_PASSWORD, HOST, TIMEOUT

pytestmark = pytest.mark.e2e
ADDRESS = "pia@e2e.test"
# Dovecot counts a connection whose source is its own address as secured
# (the same host), so the client comes from another loopback address, as a
# remote client comes from elsewhere.
ELSEWHERE = ("127.0.0.2", 0)


class _RemoteIMAP(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=ELSEWHERE)


class _RemotePOP3(poplib.POP3):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=ELSEWHERE)


@pytest.fixture
def strict_stack(tls_stack, mail):
    plain_env = mail.env
    mail.env = dict(plain_env, MAILSTACK_TEST_TLS_ONLY_AUTH="1")
    try:
        mail.command("configure")
        mail.command("restart")
        yield tls_stack
    finally:
        mail.env = plain_env  # tls_stack puts the plain stack back


def test_no_password_is_taken_before_starttls(strict_stack, new_mailbox):
    new_mailbox(ADDRESS)
    with smtplib.SMTP(HOST, 587, timeout=TIMEOUT, source_address=ELSEWHERE) as smtp:
        smtp.ehlo("client.test")
        assert not smtp.has_extn("auth")
        with pytest.raises(smtplib.SMTPException):
            smtp.login(ADDRESS, E2E_PASSWORD)
    imap = _RemoteIMAP(HOST, 143, timeout=TIMEOUT)
    assert "LOGINDISABLED" in imap.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        imap.login(ADDRESS, E2E_PASSWORD)
    imap.logout()
    pop = _RemotePOP3(HOST, 110, timeout=TIMEOUT)
    with pytest.raises(poplib.error_proto):
        pop.user(ADDRESS)
        pop.pass_(E2E_PASSWORD)
    pop.quit()


def test_the_same_clients_log_in_after_starttls(strict_stack, new_mailbox):
    """The refusals above are about TLS, not about the other address."""
    new_mailbox(ADDRESS)
    named = _Named(strict_stack)
    with smtplib.SMTP(HOST, 587, timeout=TIMEOUT, source_address=ELSEWHERE) as smtp:
        smtp.ehlo("client.test")
        smtp.starttls(context=named)
        smtp.ehlo("client.test")
        smtp.login(ADDRESS, E2E_PASSWORD)
    imap = _RemoteIMAP(HOST, 143, timeout=TIMEOUT)
    imap.starttls(ssl_context=named)
    imap.login(ADDRESS, E2E_PASSWORD)
    imap.logout()
    pop = _RemotePOP3(HOST, 110, timeout=TIMEOUT)
    pop.stls(context=named)
    pop.user(ADDRESS)
    pop.pass_(E2E_PASSWORD)
    pop.quit()


class _Named:
    def __init__(self, context):
        self._context = context

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        return self._context.wrap_socket(sock, server_hostname=NAME, **kwargs)

    def __getattr__(self, name):
        return getattr(self._context, name)
