"""Signed-in browsers, kept on the server so that a session really ends.

A signed cookie alone stays valid until it expires, whatever happens to
the account; here the cookie carries a random token whose SHA-256 digest
names a ``web_sessions`` row, and a session is over when its row is gone.
Rows go when the user logs out (that one), signs out everywhere (all of
them), changes their password (all but the one in use), and when a
superadmin resets the password, disables the account or changes its role
or domains (all). A session also ends after IDLE without a request and,
whatever the activity, LIFETIME after it began.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import WebSession, as_utc, utcnow
from .actor import Actor

# Where the web layer keeps the token in its signed cookie.
COOKIE_KEY = "sid"
IDLE = timedelta(hours=8)
LIFETIME = timedelta(hours=24)
# last_seen_at is written at most this often (a write per page would
# serialise SQLite's readers behind its one writer).
TOUCH_INTERVAL = timedelta(minutes=2)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(
    session: Session,
    admin_id: int | None,
    remote_addr: str | None,
    user_agent: str | None,
    mailbox_id: int | None = None,
) -> tuple[WebSession, str]:
    """A new session for the admin (or, with ``mailbox_id``, a mailbox's owner); returns the row and the cookie's token
    (never stored). Sessions past their lifetime are purged on the way."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.created_at < now - LIFETIME))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_digest=_digest(token),
        admin_id=admin_id,
        mailbox_id=mailbox_id,
        created_at=now,
        last_seen_at=now,
        remote_addr=(remote_addr or "")[:64] or None,
        user_agent=(user_agent or "")[:255],
    )
    session.add(row)
    session.flush()
    return row, token


def is_current(row: WebSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return as_utc(row.created_at) > now - LIFETIME and as_utc(row.last_seen_at) > now - IDLE


def find(session: Session, token: str | None) -> WebSession | None:
    """The live session a cookie's token names, or None (unknown, ended or expired)."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_digest == _digest(token)))
    return row if row is not None and is_current(row) else None


def needs_touch(row: WebSession) -> bool:
    return utcnow() - as_utc(row.last_seen_at) > TOUCH_INTERVAL


def touch(session: Session, session_id: int) -> None:
    """Record activity (the caller commits, in a short write of its own)."""
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=utcnow()))


def end(session: Session, session_id: int | None) -> None:
    # The database deletes its secrets waiting to be shown (ON DELETE CASCADE).
    if session_id is not None:
        session.execute(delete(WebSession).where(WebSession.id == session_id))


def end_all(session: Session, admin_id: int | None, keep: int | None = None, *, mailbox_id: int | None = None) -> int:
    """End the admin's (or the mailbox owner's) sessions but ``keep``;
    returns how many ended."""
    owner = WebSession.admin_id == admin_id if admin_id is not None else WebSession.mailbox_id == mailbox_id
    ids = [i for i in session.scalars(select(WebSession.id).where(owner)) if i != keep]
    if ids:
        session.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    return len(ids)


def list_own(session: Session, actor: Actor) -> list[WebSession]:
    """The actor's live sessions, newest first (for the account page)."""
    if actor.admin_id is not None:
        owner = WebSession.admin_id == actor.admin_id
    elif actor.mailbox_id is not None:
        owner = WebSession.mailbox_id == actor.mailbox_id
    else:
        return []
    rows = session.scalars(select(WebSession).where(owner).order_by(WebSession.created_at.desc()))
    return [row for row in rows if is_current(row)]
