"""The audit trail. ``record`` only adds its row: the caller's commit lands
the change and its audit event together, or neither."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ..models import AuditEvent
from .actor import Actor

# Never let these reach the trail, whatever a caller passes.
_SECRET_KEYS = {"password", "password_hash", "token", "secret"}


def event_values(actor: Actor, action: str, target: str, /, domain_id: int | None = None, **details) -> dict:
    """The columns of one audit row; the bulk importer inserts many at once.
    ``domain_id``: the domain the event concerns, so its admins see it."""
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    return {
        "actor": actor.username,
        "action": action,
        "target": target,
        "details": json.dumps(clean, sort_keys=True, default=str),
        "remote_addr": actor.remote_addr,
        "domain_id": domain_id,
    }


def record(
    session: Session, actor: Actor, action: str, target: str, /, domain_id: int | None = None, **details
) -> AuditEvent:
    event = AuditEvent(**event_values(actor, action, target, domain_id=domain_id, **details))
    session.add(event)
    return event
