"""What a mail client needs to set itself up: the server names, ports and
security of deploy/mailstack (RFC 8314 implicit TLS first, STARTTLS as the
alternative), and whether a domain asked about is hosted here.

The anonymous autoconfig/autodiscover answers (panel/web/autoconfig.py)
depend only on the domain: the same for an existing and a non-existing
local part, so they tell nobody which mailboxes exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..addresses import AddressError, normalize_domain
from ..models import AliasDomain, Domain

EMAIL_MAX = 320


@dataclass(frozen=True)
class Server:
    protocol: str  # "imap", "pop3", "smtp"
    hostname: str
    port: int
    socket: str  # "SSL" (implicit TLS) or "STARTTLS", as Mozilla's clientConfig spells it


def servers(hostname: str) -> tuple[list[Server], list[Server]]:
    """(incoming, outgoing), preferred first."""
    incoming = [
        Server("imap", hostname, 993, "SSL"),
        Server("imap", hostname, 143, "STARTTLS"),
        Server("pop3", hostname, 995, "SSL"),
        Server("pop3", hostname, 110, "STARTTLS"),
    ]
    outgoing = [Server("smtp", hostname, 465, "SSL"), Server("smtp", hostname, 587, "STARTTLS")]
    return incoming, outgoing


def domain_of(email: str | None) -> str | None:
    """The normalized domain of an address a client sent, or None when it is no address."""
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        return None
    try:
        return normalize_domain(email.rsplit("@", 1)[1])
    except AddressError:
        return None


def is_hosted(session: Session, domain: str | None) -> bool:
    """An active domain, or an active alias domain of one."""
    if not domain:
        return False
    if session.scalar(select(Domain.id).where(Domain.name == domain, Domain.active.is_(True))):
        return True
    alias = session.scalar(select(AliasDomain).where(AliasDomain.name == domain, AliasDomain.active.is_(True)))
    return alias is not None and alias.target.active


def apple_profile(address: str, hostname: str) -> bytes:
    """An unsigned Apple configuration profile (com.apple.mail.managed) for
    one mailbox: IMAP 993 and SMTP 465 over TLS. No password inside (the
    device asks for it); unsigned, so the device shows it as "not verified"."""
    import plistlib
    import uuid

    reverse = ".".join(reversed(hostname.split(".")))
    account = {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{reverse}.mailpanel.mail.{uuid.uuid4()}",
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": address,
        "EmailAccountDescription": address,
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": address,
        "IncomingMailServerHostName": hostname,
        "IncomingMailServerPortNumber": 993,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerUsername": address,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": hostname,
        "OutgoingMailServerPortNumber": 465,
        "OutgoingMailServerUseSSL": True,
        "OutgoingMailServerUsername": address,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{reverse}.mailpanel.{uuid.uuid4()}",
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": f"Mail: {address}",
        "PayloadContent": [account],
    }
    return plistlib.dumps(profile)
