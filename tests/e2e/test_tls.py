"""TLS a real client accepts, on the loopback stack given a certificate from
a throw-away CA: the client verifies the chain and the host name (never
CERT_NONE), implicit TLS on 993/995/465, STARTTLS on 143/587, TLS 1.1
refused, and a message sent over 465 is read over 993, DKIM-signed."""

from __future__ import annotations

import datetime
import imaplib
import poplib
import shutil
import smtplib
import ssl
import tempfile
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.test_dkim_signing import verify
from tests.mailstack_fixture import E2E_PASSWORD, HOST, TIMEOUT, message

pytestmark = pytest.mark.e2e
NAME = "mail.tls-e2e.test"


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _make_ca_and_cert(directory: Path) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Throw-away test CA"))
        .issuer_name(_name("Throw-away test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(NAME))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (directory / "key.pem").chmod(0o600)


@pytest.fixture
def tls_stack(mail):
    """The stack reconfigured with the test CA's certificate, put back after."""
    directory = Path(tempfile.mkdtemp(prefix="mailstack-tls-", dir="/var/tmp"))
    directory.chmod(0o755)
    _make_ca_and_cert(directory)
    env = dict(mail.env, MAILSTACK_TLS_CERT=str(directory / "cert.pem"), MAILSTACK_TLS_KEY=str(directory / "key.pem"))
    env["MAILSTACK_HOSTNAME"] = NAME
    plain_env = mail.env
    try:
        mail.env = env
        mail.command("configure")
        mail.command("restart")
        yield ssl.create_default_context(cafile=str(directory / "ca.pem"))
    finally:
        mail.env = plain_env
        mail.command("configure")
        mail.command("restart")
        shutil.rmtree(directory, ignore_errors=True)


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
