"""TLS a real client accepts, on the loopback stack given a certificate from
a throw-away CA: the client verifies the chain and the host name (never
CERT_NONE), implicit TLS on 993/995/465, STARTTLS on 143/587, TLS 1.1
refused, and a message sent over 465 is read over 993, DKIM-signed."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl
import time

import pytest
from cryptography import x509

from panel.services import status
from tests.e2e.test_dkim_signing import verify
from tests.e2e.tls_ca import NAME, stack_serving
from tests.helpers import certificate_file
from tests.mailstack_fixture import E2E_PASSWORD, HOST, TIMEOUT, message

pytestmark = pytest.mark.e2e


def test_implicit_tls_and_starttls_log_in_with_a_verified_certificate(tls_stack, new_mailbox):
    context = tls_stack
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    new_mailbox("tina@e2e.test")
    imap = imaplib.IMAP4_SSL(HOST, 993, ssl_context=_named(context), timeout=TIMEOUT)
    imap.login("tina@e2e.test", E2E_PASSWORD)
    imap.logout()
    pop = poplib.POP3_SSL(HOST, 995, context=_named(context), timeout=TIMEOUT)
    pop.user("tina@e2e.test")
    pop.pass_(E2E_PASSWORD)
    pop.quit()
    imap = imaplib.IMAP4(HOST, 143, timeout=TIMEOUT)
    imap.starttls(ssl_context=_named(context))
    imap.login("tina@e2e.test", E2E_PASSWORD)
    imap.logout()
    with smtplib.SMTP(HOST, 587, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        smtp.starttls(context=_named(context))
        smtp.ehlo("client.test")
        smtp.login("tina@e2e.test", E2E_PASSWORD)


def test_a_message_sent_over_465_is_read_over_993_and_signed(tls_stack, new_mailbox, cli):
    context = tls_stack
    new_mailbox("tom@e2e.test")
    cli("domain", "dkim", "generate", "e2e.test", "--selector", "tls")
    cli("domain", "dkim", "activate", "e2e.test", "tls")
    with smtplib.SMTP_SSL(HOST, 465, context=_named(context), timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        smtp.login("tom@e2e.test", E2E_PASSWORD)
        smtp.send_message(message("over tls", sender="tom@e2e.test", to="tom@e2e.test"))
    found = []
    for _ in range(50):
        imap = imaplib.IMAP4_SSL(HOST, 993, ssl_context=_named(context), timeout=TIMEOUT)
        imap.login("tom@e2e.test", E2E_PASSWORD)
        imap.select("INBOX", readonly=True)
        _, data = imap.search(None, "SUBJECT", '"over tls"')
        _, listed = imap.list()
        found = data[0].split()
        raw = imap.fetch(found[-1], "(BODY.PEEK[])")[1][0][1] if found else b""
        imap.logout()
        if found:
            break
        time.sleep(0.2)
    assert found
    # Submission on 465 is signed like 587 (master.cf copies its milter).
    assert verify(raw, cli) == "tls"
    assert any(b"\\Sent" in line and b"Sent" in line for line in listed)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize("port", [25, 587, 993])
def test_tls_1_1_is_refused(tls_stack, port):
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False  # the handshake must fail on the version, before any certificate check
    old.verify_mode = ssl.CERT_REQUIRED
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    # The server refuses (Postfix: a protocol_version alert; Dovecot closes the
    # connection), not a client unable to say hello (NO_PROTOCOLS_AVAILABLE).
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION|UNEXPECTED_EOF"):
        if port == 993:
            imaplib.IMAP4_SSL(HOST, 993, ssl_context=old, timeout=TIMEOUT)
        else:
            with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as smtp:
                smtp.ehlo("client.test")
                smtp.starttls(context=old)


def test_a_certificate_the_stack_serves_for_3_more_days_fails_flask_status(mail, app, runner, tmp_path):
    # A good certificate in MAILPANEL_TLS_CERT: the check must not read it
    # once it is told where the servers serve TLS.
    decoy = certificate_file(tmp_path / "decoy.pem", days=90)
    with stack_serving(mail, days=3) as directory:
        served = x509.load_pem_x509_certificate((directory / "cert.pem").read_bytes()).not_valid_after_utc
        app.config.update(TLS_CERT=str(decoy), TLS_CHECK_ADDRESSES=f"{HOST}:993 {HOST}:465")
        status.clear_cache()
        result = runner.invoke(args=["status"])
        assert result.exit_code == 1, result.output
        (line,) = [line for line in result.output.splitlines() if line.split()[1:2] == ["certificate"]]
        assert line.startswith("failing ")
        assert f"served on {HOST}:" in line and f"({NAME}) expires in 3 days, {served:%Y-%m-%d %H:%M} UTC" in line
        assert "renew it" in line
        # The other port serves the same certificate: both were read.
        for port in (993, 465):
            cert = status.served_certificate(f"{HOST}:{port}")
            assert cert.not_valid_after_utc == served
    # Back without TLS: nothing answers on 993, and the check says so.
    status.clear_cache()
    result = runner.invoke(args=["status"])
    (line,) = [line for line in result.output.splitlines() if line.split()[1:2] == ["certificate"]]
    assert line.startswith("failing ") and f"no certificate served on {HOST}:" in line
    app.config.update(TLS_CHECK_ADDRESSES="")
    status.clear_cache()
    line = next(line for line in runner.invoke(args=["status"]).output.splitlines() if " certificate " in line)
    assert line.startswith("ok ") and "decoy.pem expires in 90 days" in line


def _named(context):
    """The clients connect to 127.0.0.1 but check the name clients are told."""
    return _NamedContext(context)


class _NamedContext:
    def __init__(self, context):
        self._context = context

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        return self._context.wrap_socket(sock, server_hostname=NAME, **kwargs)

    def __getattr__(self, name):
        return getattr(self._context, name)
