"""The audit trail. ``record`` only adds its row: the caller's commit lands
the change and its audit event together, or neither."""
from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ..models import AuditEvent
from .actor import Actor

# Never let these reach the trail, whatever a caller passes.
_SECRET_KEYS = {"password", "password_hash", "token", "secret"}


def record(session: Session, actor: Actor, action: str, target: str, /, **details) -> AuditEvent:
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    event = AuditEvent(
        actor=actor.username,
        action=action,
        target=target,
        details=json.dumps(clean, sort_keys=True, default=str),
        remote_addr=actor.remote_addr,
    )
    session.add(event)
    return event
