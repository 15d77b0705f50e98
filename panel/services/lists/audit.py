"""Admin accounts and the audit log, for superadmins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Admin, AuditEvent
from ..actor import Actor
from ..errors import ServiceError, safe_text
from .keyset import Page, decode_key, iso, keyset_page, typed_key


def admin_page(session: Session, actor: Actor, after: str | None = None, before: str | None = None) -> Page:
    actor.require_superadmin()
    return keyset_page(
        session,
        select(Admin),
        [(Admin.username, True)],
        lambda r: (r[0].username,),
        decode_key(after, 1),
        decode_key(before, 1),
    )


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, args) -> "AuditFilter":
        result = cls(
            actor=safe_text((args.get("actor") or "").strip()[:128], "actor"),
            action=safe_text((args.get("action") or "").strip()[:64], "action"),
            target=safe_text((args.get("target") or "").strip()[:255], "target"),
        )
        for name in ("since", "until"):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    setattr(result, name, date.fromisoformat(raw))
                except ValueError:
                    raise ServiceError(name, "use a date like 2026-01-31") from None
        if result.since and result.until and result.since > result.until:
            raise ServiceError("until", "is before the start date")
        return result


def audit_page(
    session: Session, actor: Actor, filters: AuditFilter, after: str | None = None, before: str | None = None
) -> Page:
    """Audit events, newest first. Actor and action match exactly; target
    matches exactly or, ending in ``*``, by prefix (both use an index)."""
    actor.require_superadmin()
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor.lower())
    if filters.action:
        if filters.action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(filters.action[:-1], autoescape=True))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.target:
        if filters.target.endswith("*"):
            query = query.where(AuditEvent.target.startswith(filters.target[:-1].lower(), autoescape=True))
        else:
            query = query.where(AuditEvent.target == filters.target.lower())
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), timezone.utc))
    if filters.until:
        # Through the last microsecond of that day (the day after 9999-12-31 is no date).
        query = query.where(AuditEvent.at <= datetime.combine(filters.until, time.max, timezone.utc))
    order = [(AuditEvent.at, False), (AuditEvent.id, False)]
    key = lambda r: (iso(r[0].at), r[0].id)  # noqa: E731
    return keyset_page(
        session,
        query,
        order,
        key,
        typed_key(decode_key(after, 2), "changed"),
        typed_key(decode_key(before, 2), "changed"),
    )


def recent_events(session: Session, actor: Actor, limit: int = 10) -> list[AuditEvent]:
    """The newest audit events the actor may see: superadmins see all; others
    see nothing here (events name accounts of other domains)."""
    if not actor.is_superadmin:
        return []
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def audit_details(event: AuditEvent) -> str:
    """The details as short ``key: value`` text for display (escaped by the template)."""
    try:
        data = json.loads(event.details or "{}")
    except ValueError:
        return event.details or ""
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in data.items())
