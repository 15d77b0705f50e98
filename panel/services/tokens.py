"""API bearer tokens: created once, stored as a SHA-256 digest, revocable.

A token is 256 random bits, so a fast digest is enough (no dictionary to
attack) and lookup stays one index probe. It acts with its admin's role and
domains; a disabled admin's tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..languages import N_, Message
from ..models import Admin, ApiToken, as_utc, utcnow
from ..sizes import MAX_BYTES, SizeError, parse_count
from . import audit
from .actor import Actor
from .errors import Forbidden, NotFound, ServiceError, one_line

TOKEN_PREFIX = "mpt_"
PREFIX_SHOWN = 12
NAME_MAX = 128
# last_used_at is a hint for people, not a log: write it at most this often.
TOUCH_INTERVAL = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _name(value: str | None) -> str:
    return one_line(value, "name", NAME_MAX)


def _may_manage(actor: Actor, admin_id: int) -> None:
    if not actor.is_superadmin and actor.admin_id != admin_id:
        raise Forbidden(N_("you may only manage your own API tokens"))


def create_token(session: Session, actor: Actor, admin: Admin, name: str = "") -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    _may_manage(actor, admin.id)
    if not admin.active:
        raise ServiceError("username", Message(N_("%(username)s is disabled"), username=admin.username))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(admin=admin, name=_name(name), token_digest=digest(token), prefix=token[:PREFIX_SHOWN])
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_token.create", admin.username, token_id=row.id, prefix=row.prefix, name=row.name)
    return row, token


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not actor.is_superadmin:
        query = query.where(ApiToken.admin_id == actor.admin_id)
    return list(session.scalars(query))


def get_token(session: Session, actor: Actor, token_id) -> ApiToken:
    try:
        ident = parse_count(token_id, MAX_BYTES)  # a larger id overflows SQLite's integers
    except SizeError:
        raise NotFound("token", N_("no such token")) from None
    row = session.get(ApiToken, ident)
    if row is None or (not actor.is_superadmin and row.admin_id != actor.admin_id):
        raise NotFound("token", N_("no such token"))
    return row


def revoke_token(session: Session, actor: Actor, row: ApiToken) -> ApiToken:
    _may_manage(actor, row.admin_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "api_token.revoke", row.admin.username, token_id=row.id, prefix=row.prefix)
    return row


def revoke_all(session: Session, admin: Admin) -> int:
    """Revoke every live token of ``admin`` (when it is disabled); returns how many."""
    live = list(session.scalars(select(ApiToken).where(ApiToken.admin_id == admin.id, ApiToken.revoked_at.is_(None))))
    for row in live:
        row.revoked_at = utcnow()
    return len(live)


def authenticate(session: Session, token: str | None) -> tuple[Admin, ApiToken] | None:
    """The active admin behind a live token, or None. Updates last_used_at
    now and then (the caller commits)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_digest == digest(token)))
    if row is None or row.revoked_at is not None or not row.admin.active:
        return None
    now = utcnow()
    last = row.last_used_at
    if last is None or now - as_utc(last) > TOUCH_INTERVAL:
        row.last_used_at = now
    return row.admin, row
