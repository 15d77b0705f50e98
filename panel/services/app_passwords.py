"""App passwords: one password per mail client, for chosen protocols,
shown once, revocable, optionally expiring (panel/models/mailbox_user.py
says how Dovecot checks them). Revoking or expiring one stops it at the
next login, with no reload; the main password keeps working, and a
disabled mailbox refuses both (the view holds active mailboxes only)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import passwords, text
from ..languages import N_, Message
from ..models import AppPassword, LastLogin, Mailbox, as_utc, utcnow
from . import audit
from .actor import Actor
from .errors import NotFound, ServiceError
from .mailbox_access import require_self_or_manager

PROTOCOLS = ("imap", "pop3", "smtp")
NAME_MAX = 128
MAX_PER_MAILBOX = 50


def parse_protocols(value) -> list[str]:
    if value is None or value == "":
        return list(PROTOCOLS)
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = [p.strip().lower() for p in items if p and p.strip()]
    unknown = [p for p in chosen if p not in PROTOCOLS]
    if unknown or not chosen:
        raise ServiceError("protocols", Message(N_("choose among %(choices)s"), choices=", ".join(PROTOCOLS)))
    return [p for p in PROTOCOLS if p in chosen]


def _expiry(value) -> datetime | None:
    """The end of the chosen day (UTC): valid through that day."""
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError("expires", N_("use a date like 2027-06-30")) from None
    if day < utcnow().date():
        raise ServiceError("expires", N_("is in the past"))
    return datetime.combine(day, time(23, 59, 59), timezone.utc)


def create(
    session: Session, actor: Actor, mailbox: Mailbox, name: str, protocols=None, expires=None
) -> tuple[AppPassword, str]:
    """A new app password; returns the row and the secret (shown once)."""
    require_self_or_manager(actor, mailbox)
    problems = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = N_("name the device or program it is for")
    elif len(name) > NAME_MAX or text.problem(name):
        problems["name"] = text.problem(name) or Message(N_("is at most %(limit)s characters"), limit=NAME_MAX)
    chosen, expires_at = None, None
    try:
        chosen = parse_protocols(protocols)
    except ServiceError as exc:
        problems.update(exc.fields)
    try:
        expires_at = _expiry(expires)
    except ServiceError as exc:
        problems.update(exc.fields)
    if problems:
        raise ServiceError(None, N_("the app password was not made"), **problems)
    live = select(func.count()).where(AppPassword.mailbox_id == mailbox.id, AppPassword.revoked_at.is_(None))
    if session.scalar(live) >= MAX_PER_MAILBOX:
        raise ServiceError(
            "name",
            Message(N_("a mailbox has at most %(limit)s app passwords: revoke one first"), limit=MAX_PER_MAILBOX),
        )
    row = AppPassword(
        mailbox_id=mailbox.id, name=name, secret_hash="-", protocols="," + ",".join(chosen) + ",", expires_at=expires_at
    )
    session.add(row)
    session.flush()  # the id goes in front of the secret
    secret = f"{row.id}-{secrets.token_urlsafe(24)}"  # 192 random bits
    row.secret_hash = passwords.hash_random_secret(secret)
    audit.record(
        session,
        actor,
        "mailbox.app_password.create",
        mailbox.address,
        domain_id=mailbox.domain_id,
        app_password=row.id,
        name=name,
        protocols=chosen,
        expires=expires_at,
    )
    return row, secret


def list_for(session: Session, actor: Actor, mailbox: Mailbox) -> list[AppPassword]:
    """The mailbox's app passwords not revoked, newest first."""
    require_self_or_manager(actor, mailbox)
    query = select(AppPassword).where(AppPassword.mailbox_id == mailbox.id, AppPassword.revoked_at.is_(None))
    return list(session.scalars(query.order_by(AppPassword.created_at.desc(), AppPassword.id.desc())))


def last_used(session: Session, mailbox: Mailbox) -> dict[int, datetime]:
    """app password id -> its last IMAP/POP3 login (Dovecot's last_login)."""
    rows = session.execute(select(LastLogin.via, LastLogin.last_login).where(LastLogin.username == mailbox.address))
    return {int(via): datetime.fromtimestamp(at, timezone.utc) for via, at in rows if via.isdigit() and at}


def get(session: Session, actor: Actor, mailbox: Mailbox, ident) -> AppPassword:
    require_self_or_manager(actor, mailbox)
    try:
        number = int(str(ident))
    except ValueError:
        raise NotFound("app_password", N_("no such app password")) from None
    row = session.get(AppPassword, number) if 0 < number < 2**31 else None
    if row is None or row.mailbox_id != mailbox.id or row.revoked_at is not None:
        raise NotFound("app_password", N_("no such app password"))
    return row


def find_by_name(session: Session, actor: Actor, mailbox: Mailbox, name: str) -> AppPassword:
    for row in list_for(session, actor, mailbox):
        if row.name == name:
            return row
    raise NotFound(
        "name", Message(N_("%(address)s has no app password called %(name)s"), address=mailbox.address, name=repr(name))
    )


def revoke(session: Session, actor: Actor, mailbox: Mailbox, row: AppPassword) -> None:
    require_self_or_manager(actor, mailbox)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "mailbox.app_password.revoke",
            mailbox.address,
            domain_id=mailbox.domain_id,
            app_password=row.id,
            name=row.name,
        )


def is_expired(row: AppPassword) -> bool:
    return row.expires_at is not None and as_utc(row.expires_at) < utcnow()
