"""How a test acts as someone: the account of each role, logging in through
the real login form, posting with the session's CSRF token as a browser
does, a bearer token for the API; and what the tests read back (audit
events, the world's state, a sample URL of each route).

The accounts are the ones the ``world`` fixture creates
(tests/fixtures/world.py). Every test that logs in or posts a form goes
through these functions, so a refusal a test asserts is the panel's rule
and never a missing or stale token.
"""

from __future__ import annotations

import datetime
import html
import re

from flask import url_for
from sqlalchemy import func, select

from panel.db import get_session
from panel.models import Admin, Alias, AliasDomain, AuditEvent, DnsCheck, Domain, Mailbox

PASSWORD = "correct-horse-42"  # every admin of the world
MAILBOX_PASSWORD = "mailbox-pass-42"  # alice@example.org and olga@other.org

# Who is who in the permission table.
USERS = {
    "superadmin": "root",
    "domainadmin": "dom",  # manages example.org
    "other_domainadmin": "otherdom",  # manages other.org
    "helpdesk": "help",  # finds and resets mailboxes of example.org
    "mailbox": "alice@example.org",  # a mailbox user: the portal under /me/ and nothing else
}

# URL arguments by name, for walking the URL map: everything points into example.org.
SAMPLE_ARGS = {"domain": "example.org", "name": "example.net", "username": "help", "filename": "style.css"}
ADDRESS_BY_BLUEPRINT = {
    "mailboxes": "alice@example.org",
    "mailbox_settings": "alice@example.org",
    "aliases": "info@example.org",
}

# The hidden input of every form, whatever order its attributes come in
# (the csrf_field() macro puts name first; a WTForms form.csrf_token puts id first).
_CSRF_INPUT = re.compile(r'<input\b(?=[^>]*\bname="csrf_token")[^>]*\bvalue="([^"]+)"')


def token_in(page: str) -> str:
    """The CSRF token of the first form in an HTML page (for tests that talk
    HTTP to a real server instead of Flask's test client)."""
    match = _CSRF_INPUT.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def csrf_token(client) -> str:
    """This client's session token, from the login page or, once logged in
    (the login page then redirects), from the account page's log-out form."""
    response = client.get("/login")
    if response.status_code == 302:  # an admin's account page, or a mailbox user's portal
        response = client.get("/account/")
        if response.status_code != 200:
            response = client.get("/me/")
    return token_in(response.get_data(as_text=True))


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST with a valid CSRF token, as the browser would."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def login(client, username: str, password: str = PASSWORD):
    """Submit the login form; the response says how it went."""
    return post(client, "/login", {"username": username, "password": password})


def client_as(app, role: str | None):
    """A test client logged in as the world's account of ``role`` (None: anonymous)."""
    client = app.test_client()
    if role is not None:
        username = USERS[role]
        response = login(client, username, MAILBOX_PASSWORD if "@" in username else PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def bearer(token: str) -> dict:
    """The API's Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def audit_events(app, action: str) -> list[AuditEvent]:
    """Audit events whose action is LIKE ``action``, in the order they were written."""
    with app.app_context():  # closed at once: requests must not share its g
        query = select(AuditEvent).where(AuditEvent.action.like(action)).order_by(AuditEvent.id)
        return list(get_session().scalars(query))


def sample_url(app, rule) -> str:
    """A URL of ``rule`` whose arguments name the world's things in example.org."""
    args = {}
    for arg in rule.arguments:
        if arg in ("address", "email"):  # the <address:...> converter needs an @
            args[arg] = ADDRESS_BY_BLUEPRINT.get(rule.endpoint.split(".")[0], "alice@example.org")
        else:
            args[arg] = SAMPLE_ARGS.get(arg, "x1")
    with app.test_request_context():
        try:
            return url_for(rule.endpoint, **args)
        except ValueError:  # an <int:...> argument
            return url_for(rule.endpoint, **{k: (1 if v == "x1" else v) for k, v in args.items()})


def world_state(world) -> tuple:
    """What a refused POST must not change."""
    with world() as session:
        return (
            session.scalar(select(func.count()).select_from(Mailbox)),
            session.scalar(select(func.count()).select_from(Alias)),
            session.scalar(select(func.count()).select_from(AliasDomain)),
            session.scalar(select(func.count()).select_from(DnsCheck)),
            tuple(session.execute(select(Domain.name, Domain.active, Domain.description).order_by(Domain.name))),
            tuple(
                session.execute(
                    select(Admin.username, Admin.role, Admin.active, Admin.password_hash).order_by(Admin.username)
                )
            ),
            tuple(
                session.execute(
                    select(Mailbox.address, Mailbox.password_hash, Mailbox.active).order_by(Mailbox.address)
                )
            ),
        )


def certificate_file(path, days: float):
    """A self-signed PEM certificate at ``path`` that expires in ``days`` days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days, minutes=30))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def field_errors(response) -> dict[str, str]:
    """Each message a form shows next to its field (the span its input points to)."""
    found = re.findall(r'id="e-([a-z_]+)" class="error" role="alert">([^<]+)<', response.get_data(as_text=True))
    return {field: html.unescape(message) for field, message in found}


# The domain form with six mistakes at once (issue 18, point 1); the same
# form is refused in English and in French.
DOMAIN_FORM_MISTAKES = {
    "name": "example..org",
    "description": "one\u2028two",
    "max_mailboxes": "-3",
    "max_aliases": "many",
    "max_quota_bytes": "1G",
    "total_quota_bytes": "lots",
    "default_quota_bytes": "2G",
}


_BEFORE_PUNCTUATION = re.compile(r"(?<=\S) ([;?!:])(?=\s|$|[)»\"'<])")


def fr(text: str) -> str:
    """French as the catalogue writes it: a no-break space (narrow before
    ; ? !, U+00A0 before : and inside « ») where the literal has an
    ordinary one, so a test's expected French stays readable and still
    proves the typography reached the page (tests/test_translations.py
    checks the catalogue itself)."""
    text = _BEFORE_PUNCTUATION.sub(lambda m: ("\u00a0" if m.group(1) == ":" else "\u202f") + m.group(1), text)
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")
