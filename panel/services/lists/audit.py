"""Admin accounts and the audit log, for superadmins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...languages import N_, SEMICOLONS
from ...models import Admin, AuditEvent
from ...sizes import format_limit
from ..actor import Actor
from ..errors import ServiceError, safe_text
from .keyset import Page, decode_key, iso, keyset_page, scope_clauses, typed_key


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
                    raise ServiceError(name, N_("use a date like 2026-01-31")) from None
        if result.since and result.until and result.since > result.until:
            raise ServiceError("until", N_("is before the start date"))
        return result


def audit_page(
    session: Session, actor: Actor, filters: AuditFilter, after: str | None = None, before: str | None = None
) -> Page:
    """Audit events, newest first. Actor and action match exactly; target
    matches exactly or, ending in ``*``, by prefix (both use an index)."""
    actor.require_superadmin()
    order = [(AuditEvent.at, False), (AuditEvent.id, False)]
    key = lambda r: (iso(r[0].at), r[0].id)  # noqa: E731
    return keyset_page(
        session,
        _filtered(filters),
        order,
        key,
        typed_key(decode_key(after, 2), "changed"),
        typed_key(decode_key(before, 2), "changed"),
    )


def audit_rows(session: Session, actor: Actor, filters: AuditFilter, chunk: int = 1000) -> Iterator[list[AuditEvent]]:
    """Every event the filters match, newest first, ``chunk`` at a time from a
    server-side cursor (the CSV export of the audit page)."""
    actor.require_superadmin()
    query = _filtered(filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    yield from session.scalars(query.execution_options(yield_per=chunk)).partitions()


def _filtered(filters: AuditFilter):
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
    return query


def recent_events(session: Session, actor: Actor, limit: int = 10) -> list[AuditEvent]:
    """The newest audit events the actor may see: superadmins see all; a
    domain admin their domains' events (by ix_audit_events_domain_at),
    never the rest of the trail, which names other tenants' accounts."""
    query = select(AuditEvent)
    if not actor.is_superadmin:
        if not actor.may_manage():
            return []
        if actor.domain_ids is None:  # an "all domains" grant: every domain's events
            query = query.where(AuditEvent.domain_id.is_not(None))
        else:
            query = query.where(*scope_clauses(AuditEvent.domain_id, actor))
    return list(session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def domain_events(session: Session, actor: Actor, domain, limit: int = 10) -> list[AuditEvent]:
    """The newest events of one domain, for its page: its admins and superadmins."""
    actor.require_manage(domain.id)
    query = select(AuditEvent).where(AuditEvent.domain_id == domain.id)
    return list(session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


# What each action did, in words (the filter still takes the code). English
# here; the pages show them translated (panel/web/filters.py), the CSV
# export and the API keep the codes.
ACTION_WORDS = {
    "admin.create": N_("admin created"),
    "admin.update": N_("admin changed"),
    "admin.password": N_("admin's password set"),
    "admin.sessions_ended": N_("admin's sessions ended"),
    "admin.totp_enabled": N_("second factor turned on"),
    "admin.totp_disabled": N_("second factor turned off"),
    "alias.create": N_("alias created"),
    "alias.update": N_("alias changed"),
    "alias.delete": N_("alias deleted"),
    "alias_domain.create": N_("alias domain created"),
    "alias_domain.enable": N_("alias domain enabled"),
    "alias_domain.disable": N_("alias domain disabled"),
    "alias_domain.delete": N_("alias domain deleted"),
    "api_token.create": N_("API token made"),
    "api_token.revoke": N_("API token revoked"),
    "dkim.generate": N_("DKIM key made"),
    "dkim.activate": N_("DKIM key now signs"),
    "dkim.retire": N_("DKIM key retired"),
    "domain.create": N_("domain created"),
    "domain.update": N_("domain changed"),
    "domain.user_rights": N_("users' rights changed"),
    "domain.enable": N_("domain enabled"),
    "domain.disable": N_("domain disabled"),
    "domain.delete": N_("domain deleted"),
    "login.success": N_("logged in"),
    "login.failure": N_("login failed"),
    "login.lock_account": N_("account locked after failed logins"),
    "login.lock_address": N_("address locked after failed logins"),
    "login.lock_device": N_("device locked after failed logins"),
    "login.recovery_code_used": N_("recovery code used"),
    "logout": N_("logged out"),
    "mailbox.create": N_("mailbox created"),
    "mailbox.update": N_("mailbox changed"),
    "mailbox.password": N_("mailbox password set"),
    "mailbox.delete": N_("mailbox deleted"),
    "mailbox.forwarding": N_("forwarding set"),
    "mailbox.vacation": N_("out-of-office set"),
    "mailbox.sessions_ended": N_("mailbox's sessions ended"),
    "mailbox.app_password.create": N_("app password made"),
    "mailbox.app_password.revoke": N_("app password revoked"),
    "queue.flush": N_("queue flushed"),
    "queue.hold": N_("queued mail held"),
    "queue.release": N_("queued mail released"),
    "queue.requeue": N_("queued mail requeued"),
    "queue.delete": N_("queued mail deleted"),
}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action) or action.replace("_", " ").replace(".", ": ")


# The detail keys the services record, in words (a key not listed reads as
# itself, underscores as spaces). Values are the events' own data, except
# the few words below.
DETAIL_WORDS = {
    "active": N_("active"),
    "affected": N_("affected"),
    "algorithm": N_("algorithm"),
    "alias_domains_created": N_("alias domains created"),
    "aliases_created": N_("aliases created"),
    "aliases_updated": N_("aliases updated"),
    "app_password": N_("app password"),
    "created": N_("created"),
    "default_quota_bytes": N_("default quota"),
    "description": N_("description"),
    "destinations": N_("destinations"),
    "domains": N_("domains"),
    "domains_created": N_("domains created"),
    "expires": N_("expires"),
    "filter": N_("filter"),
    "first_day": N_("first day"),
    "ids": N_("queue ids"),
    "interval_days": N_("days between replies"),
    "keep_copy": N_("keep a copy"),
    "known": N_("known user"),
    "last_day": N_("last day"),
    "maildir": N_("maildir"),
    "max_aliases": N_("max aliases"),
    "max_mailboxes": N_("max mailboxes"),
    "max_quota_bytes": N_("max quota"),
    "minutes": N_("minutes"),
    "name": N_("name"),
    "prefix": N_("prefix"),
    "previous": N_("previous"),
    "protocols": N_("protocols"),
    "quota_bytes": N_("quota"),
    "role": N_("role"),
    "scheme": N_("scheme"),
    "selector": N_("selector"),
    "sessions_ended": N_("sessions ended"),
    "subject": N_("subject"),
    "target": N_("target"),
    "token_id": N_("token id"),
    "tokens_revoked": N_("tokens revoked"),
    "total_quota_bytes": N_("total quota"),
    "unchanged": N_("unchanged"),
    "updated": N_("updated"),
    "users_change_password": N_("users change their password"),
    "users_forward_outside": N_("users forward outside"),
}
VALUE_WORDS = {
    True: N_("yes"),
    False: N_("no"),
    "none": N_("none"),
    "unlimited": N_("unlimited"),
    "(all domains)": N_("(all domains)"),
}


CHANGED, STATED = N_("%(key)s %(old)s → %(new)s"), N_("%(key)s: %(value)s")


def _same(text: str) -> str:
    return text


def _label(key: str, words=_same) -> str:
    if key in DETAIL_WORDS:
        return words(DETAIL_WORDS[key])
    return key.removesuffix("_bytes").replace("_", " ")


def _shown(key: str, value, words=_same) -> str:
    if isinstance(value, bool):
        return words(VALUE_WORDS[value])
    if isinstance(value, list):
        return ", ".join(
            words(VALUE_WORDS[v]) if isinstance(v, str) and v in VALUE_WORDS else str(v) for v in value
        ) or words(VALUE_WORDS["none"])
    if value is None or value == "":
        return words(VALUE_WORDS["none"])
    if key.endswith("_bytes") and isinstance(value, int):
        return format_limit(value) if value else words(VALUE_WORDS["unlimited"])
    if key.startswith("max_") and value == 0:
        return words(VALUE_WORDS["unlimited"])
    return str(value)


def audit_details(event: AuditEvent, words=_same) -> str:
    """The details as short text for display (escaped by the template): a
    change as "quota 1G → 2G" where the event kept what it was, else
    "key: value". ``words`` translates the keys' and values' words (the
    page passes gettext; the CSV and the API keep English)."""
    try:
        data = json.loads(event.details or "{}")
    except ValueError:
        return event.details or ""
    if not isinstance(data, dict):
        return str(data)
    was = data.pop("was", None)
    was = was if isinstance(was, dict) else {}
    parts = []
    for key, value in data.items():
        if key in was:
            old, new = _shown(key, was[key], words), _shown(key, value, words)
            parts.append(words(CHANGED) % {"key": _label(key, words), "old": old, "new": new})
        else:
            parts.append(words(STATED) % {"key": _label(key, words), "value": _shown(key, value, words)})
    if not parts:
        return ""
    # "a; b" in the reader's typography (French: "a ; b").
    between, shown = words(SEMICOLONS), parts[-1]
    for part in reversed(parts[:-1]):
        shown = between % {"first": part, "rest": shown}
    return shown
