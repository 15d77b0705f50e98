"""Secrets shown once: a generated password, a new API token, recovery
codes. The POST that makes one stores it here and redirects; the GET that
follows shows it and deletes it, so reloading the page neither re-posts the
form (a second new password, silently) nor shows the secret again.

The row holds the secret sealed with a random key that is handed back to
the caller (the web layer keeps it in the browser's signed session cookie):
the database alone cannot open it, and the cookie alone finds nothing once
the row is gone. Rows belong to a web session and die with it; unclaimed
ones are purged after LIFETIME.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .. import crypto
from ..models import OneTimeSecret, utcnow

LIFETIME = timedelta(minutes=10)
PURPOSE = "secret shown once"


def _row_id(display_id: str) -> str:
    return hashlib.sha256(display_id.encode("utf-8", "surrogatepass")).hexdigest()


def hold(session: Session, web_session_id: int, payload: dict) -> tuple[str, str]:
    """Store ``payload`` (JSON-able) for one display; returns (display id,
    key). The caller's commit stores it with the change that made it."""
    session.execute(delete(OneTimeSecret).where(OneTimeSecret.created_at < utcnow() - LIFETIME))
    display_id, key = secrets.token_urlsafe(18), secrets.token_urlsafe(32)
    sealed = crypto.seal(json.dumps(payload), key, PURPOSE)
    session.add(OneTimeSecret(id=_row_id(display_id), web_session_id=web_session_id, payload=sealed))
    return display_id, key


def take(session: Session, web_session_id: int | None, display_id: str, key: str | None) -> dict | None:
    """The payload, once; None if it was shown already, expired, belongs to
    another session or the key does not open it. Deletes the row (the
    caller commits before showing anything)."""
    if not key or not display_id or len(display_id) > 64:
        return None
    row = session.get(OneTimeSecret, _row_id(display_id))
    if row is None or row.web_session_id != web_session_id:
        return None
    session.delete(row)
    try:
        return json.loads(crypto.unseal(row.payload, key, PURPOSE))
    except (crypto.Unreadable, ValueError):
        return None
