"""DKIM keys of a hosted domain: make one, make it the signing key, retire it.

Rotation without a gap: ``generate`` makes a *published* key (put its TXT
record in DNS and wait for it to spread), ``activate`` makes it the one
signing key. The key it replaces goes back to *published*, not retired:
mail it signed minutes ago is still in transit or in queues, and its
receivers must still find the old TXT record. ``retire`` takes a key out
of DNS and wipes its private key; retiring the active key stops signing
for the domain.

The private key never leaves this module except to the signer's view:
list functions return :class:`KeyInfo` (no private key), and audit
events carry the selector and algorithm only.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..languages import N_, Message
from ..models import DkimKey, Domain, as_utc, utcnow
from ..models.dkim import ALGORITHMS, SELECTOR_MAX
from . import audit
from .actor import Actor
from .errors import Conflict, NotFound, ServiceError
from .persist import insert_unique

RSA_BITS = 2048
LIVE_STATES = ("published", "active")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class KeyInfo:
    """What pages, the CLI and the API may show of a key."""

    selector: str
    algorithm: str
    state: str
    public_key: str
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, key: DkimKey) -> KeyInfo:
        return cls(
            key.selector,
            key.algorithm,
            key.state,
            key.public_key,
            as_utc(key.created_at),
            as_utc(key.activated_at),
            as_utc(key.retired_at),
        )


def parse_selector(value: str | None) -> str:
    selector = (value or "").strip().lower()
    if len(selector) > SELECTOR_MAX or not _LABEL.match(selector):
        raise ServiceError("selector", N_("use one DNS label: letters, digits and inner hyphens, at most 63"))
    return selector


def parse_algorithm(value: str | None) -> str:
    algorithm = (value or "rsa").strip().lower()
    if algorithm not in ALGORITHMS:
        raise ServiceError("algorithm", Message(N_("choose among %(choices)s"), choices=", ".join(ALGORITHMS)))
    return algorithm


def make_key_pair(algorithm: str) -> tuple[str, str]:
    """(private key as PKCS#8 PEM, the TXT record's p= value)."""
    if algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, base64.b64encode(public).decode()


def _keys(session: Session, domain: Domain) -> list[DkimKey]:
    return list(
        session.scalars(select(DkimKey).where(DkimKey.domain_id == domain.id).order_by(DkimKey.created_at, DkimKey.id))
    )


def _default_selector(session: Session, domain: Domain) -> str:
    """mpYYYYMM, then mpYYYYMMb, c, ... when this month already has one."""
    taken = {key.selector for key in _keys(session, domain)}
    base = "mp" + utcnow().strftime("%Y%m")
    for suffix in ["", *"bcdefghijklmnopqrstuvwxyz"]:
        if base + suffix not in taken:
            return base + suffix
    raise Conflict("selector", N_("name the selector: this month's default names are all taken"))


def _get(session: Session, domain: Domain, selector: str) -> DkimKey:
    key = session.scalar(
        select(DkimKey).where(DkimKey.domain_id == domain.id, DkimKey.selector == parse_selector(selector))
    )
    if key is None:
        raise NotFound(
            "selector", Message(N_("%(domain)s has no DKIM key %(selector)s"), domain=domain.name, selector=selector)
        )
    return key


def generate(
    session: Session, actor: Actor, domain: Domain, selector: str | None = None, algorithm: str | None = None
) -> KeyInfo:
    """A new published key (not signing yet: see ``activate``)."""
    actor.require_manage(domain.id)
    algorithm = parse_algorithm(algorithm)
    selector = parse_selector(selector) if selector else _default_selector(session, domain)
    private_pem, public = make_key_pair(algorithm)
    key = DkimKey(
        domain_id=domain.id, selector=selector, algorithm=algorithm, private_key=private_pem, public_key=public
    )
    key.state = "published"
    insert_unique(
        session,
        key,
        "selector",
        Message(N_("%(domain)s already has a key %(selector)s"), domain=domain.name, selector=selector),
    )
    audit.record(
        session, actor, "dkim.generate", domain.name, domain_id=domain.id, selector=selector, algorithm=algorithm
    )
    return KeyInfo.of(key)


def activate(session: Session, actor: Actor, domain: Domain, selector: str) -> KeyInfo:
    """Make ``selector`` the domain's signing key; the previous one stays published."""
    actor.require_manage(domain.id)
    key = _get(session, domain, selector)
    if key.state == "retired":
        raise ServiceError(
            "selector", Message(N_("%(selector)s is retired: generate a new key"), selector=key.selector)
        )
    if key.state == "active":
        return KeyInfo.of(key)
    previous = [k for k in _keys(session, domain) if k.state == "active"]
    try:
        with session.begin_nested():
            for old in previous:
                old.state = "published"
            session.flush()
            key.state, key.activated_at = "active", utcnow()
    except IntegrityError:
        raise Conflict("selector", N_("another key was activated at the same time: try again")) from None
    audit.record(
        session,
        actor,
        "dkim.activate",
        domain.name,
        domain_id=domain.id,
        selector=key.selector,
        previous=[k.selector for k in previous],
    )
    return KeyInfo.of(key)


def retire(session: Session, actor: Actor, domain: Domain, selector: str) -> KeyInfo:
    """Stop signing with the key and wipe it; its TXT record can be removed."""
    actor.require_manage(domain.id)
    key = _get(session, domain, selector)
    if key.state != "retired":
        was = key.state
        key.state, key.retired_at, key.private_key = "retired", utcnow(), ""
        session.flush()
        audit.record(session, actor, "dkim.retire", domain.name, domain_id=domain.id, selector=key.selector, was=was)
    return KeyInfo.of(key)


def list_keys(session: Session, actor: Actor, domain: Domain) -> list[KeyInfo]:
    actor.require_manage(domain.id)
    return [KeyInfo.of(key) for key in _keys(session, domain)]


def live_keys(session: Session, actor: Actor, domain: Domain) -> list[KeyInfo]:
    """The keys whose TXT record belongs in DNS (published or active)."""
    return [key for key in list_keys(session, actor, domain) if key.state in LIVE_STATES]
