"""A throw-away certificate authority and a server certificate it signs for
NAME, for the e2e tests that prove TLS as a real client does (the chain and
the host name verified). Shared by tests/e2e/test_tls.py and
test_client_setup_tls.py through the ``tls_stack`` fixture (conftest.py)."""

from __future__ import annotations

import contextlib
import datetime
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NAME = "mail.tls-e2e.test"


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_ca_and_cert(directory: Path, days: float = 1) -> None:
    """ca.pem, cert.pem (for NAME, valid ``days`` days) and key.pem in ``directory``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Throw-away test CA"))
        .issuer_name(_name("Throw-away test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days + 1))
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
        .not_valid_after(now + datetime.timedelta(days=days))
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


@contextlib.contextmanager
def stack_serving(mail, days: float = 1):
    """deploy/mailstack configured and restarted with a certificate for NAME
    valid ``days`` days (yields its directory: ca.pem, cert.pem, key.pem),
    then configured and restarted without it again."""
    directory = Path(tempfile.mkdtemp(prefix="mailstack-tls-", dir="/var/tmp"))
    directory.chmod(0o755)
    make_ca_and_cert(directory, days)
    env = dict(mail.env, MAILSTACK_TLS_CERT=str(directory / "cert.pem"), MAILSTACK_TLS_KEY=str(directory / "key.pem"))
    env["MAILSTACK_HOSTNAME"] = NAME
    plain_env = mail.env
    try:
        mail.env = env
        mail.command("configure")
        mail.command("restart")
        yield directory
    finally:
        mail.env = plain_env
        mail.command("configure")
        mail.command("restart")
        shutil.rmtree(directory, ignore_errors=True)
