"""Reading the traffic rollup: hours, days, totals and top lists, scoped to
the domains the actor sees (a domain admin: their domains; a superadmin:
every domain and ``""``, mail for or from domains not hosted here).

Sums run in SQL over at most ``hours`` rows per domain; days are made from
the hourly sums here, in UTC, so PostgreSQL and SQLite agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...languages import N_, Message
from ...mailserver import traffic as mt
from ...models import Domain, Role, TrafficHour, TrafficLog, TrafficTop, as_utc, utcnow
from ..actor import Actor
from ..errors import Forbidden, ServiceError
from ..lists import visible_domain
from ..lists.keyset import scope_clauses

READERS = (Role.SUPERADMIN, Role.DOMAINADMIN)
MAX_HOURS = 24 * 90
TOP_SHOWN = 10
STALE_AFTER = timedelta(minutes=10)  # cron runs ingestion every minute


@dataclass
class Report:
    domain: str  # "" : every domain the actor sees
    hours: list[tuple[datetime, dict[str, int]]]  # oldest first, every hour present
    totals: dict[str, int]
    top_rejects: list[tuple[str, int]] = field(default_factory=list)
    top_senders: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "domain": self.domain or None,
            "hours": [{"hour": start.isoformat(), **counts} for start, counts in self.hours],
            "totals": self.totals,
            "top_rejects": [{"reason": name, "count": count} for name, count in self.top_rejects],
            "top_senders": [{"sender": name, "count": count} for name, count in self.top_senders],
        }


def _require_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden(N_("traffic is for superadmins and domain admins"))


def _scope(session: Session, actor: Actor, column, domain: str | None) -> list:
    """The clauses limiting ``column`` (a domain name) to what the actor sees."""
    _require_reader(actor)
    if domain:
        return [column == visible_domain(session, actor, domain.strip().lower()).name]
    if actor.domain_ids is None:
        return []
    return [column.in_(select(Domain.name).where(*scope_clauses(Domain.id, actor)))]


def check_hours(hours: int, field_name: str = "hours") -> int:
    if not 1 <= hours <= MAX_HOURS:
        raise ServiceError(
            field_name, Message(N_("give 1 to %(hours)s hours (%(days)s days)"), hours=MAX_HOURS, days=MAX_HOURS // 24)
        )
    return hours


def _sums():
    return [func.coalesce(func.sum(getattr(TrafficHour, c)), 0) for c in mt.COUNTERS]


def hourly(session: Session, actor: Actor, since: int, until: int, domain: str | None = None) -> dict[int, dict]:
    """Hour number -> counts, for the hours in [since, until] that have any."""
    where = [TrafficHour.hour >= since, TrafficHour.hour <= until, *_scope(session, actor, TrafficHour.domain, domain)]
    query = select(TrafficHour.hour, *_sums()).where(*where).group_by(TrafficHour.hour)
    return {row[0]: mt.named(row[1:]) for row in session.execute(query)}


def _zero() -> dict[str, int]:
    return dict.fromkeys(mt.COUNTERS, 0)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for name, value in counts.items():
        into[name] += value


def top(session: Session, actor: Actor, kind: str, since: int, domain: str | None = None, limit: int = TOP_SHOWN):
    """The most frequent reject reasons or SASL senders since hour ``since``."""
    where = [TrafficTop.kind == kind, TrafficTop.hour >= since, *_scope(session, actor, TrafficTop.domain, domain)]
    total = func.sum(TrafficTop.count)
    query = select(TrafficTop.name, total).where(*where).group_by(TrafficTop.name)
    query = query.order_by(total.desc(), TrafficTop.name).limit(limit)
    return [(name, int(count)) for name, count in session.execute(query)]


def report(session: Session, actor: Actor, hours: int = 24, domain: str | None = None, now: datetime | None = None):
    """The last ``hours`` hours (the current one included), every hour listed."""
    check_hours(hours)
    last = mt.hour_number(now or utcnow())
    first = last - hours + 1
    found = hourly(session, actor, first, last, domain)
    rows = [(mt.hour_start(h), found.get(h) or _zero()) for h in range(first, last + 1)]
    totals = _zero()
    for _, counts in rows:
        _add(totals, counts)
    rejects = top(session, actor, mt.REJECTS, first, domain)
    senders = top(session, actor, mt.SENDERS, first, domain)
    return Report(domain or "", rows, totals, rejects, senders)


def daily(session: Session, actor: Actor, days: int = 30, domain: str | None = None, now: datetime | None = None):
    """The last ``days`` days (UTC, today included): [(date, counts)], oldest first."""
    now = now or utcnow()
    today = now.astimezone(timezone.utc).date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), timezone.utc)
    found = hourly(session, actor, mt.hour_number(start), mt.hour_number(now), domain)
    by_day: dict[date, dict[str, int]] = {today - timedelta(days=n): _zero() for n in range(days - 1, -1, -1)}
    for hour, counts in found.items():
        _add(by_day[mt.hour_start(hour).date()], counts)
    return list(by_day.items())


def today(session: Session, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """Counts since midnight UTC, over the actor's domains (the dashboard)."""
    now = now or utcnow()
    midnight = datetime.combine(now.astimezone(timezone.utc).date(), datetime.min.time(), timezone.utc)
    totals = _zero()
    for counts in hourly(session, actor, mt.hour_number(midnight), mt.hour_number(now)).values():
        _add(totals, counts)
    return totals


def by_domain(session: Session, actor: Actor, since: int, limit: int = 50) -> list[tuple[str, dict[str, int]]]:
    """Per domain since hour ``since``, the busiest first (by mail received + sent)."""
    where = [TrafficHour.hour >= since, *_scope(session, actor, TrafficHour.domain, None)]
    busy = func.sum(TrafficHour.received) + func.sum(TrafficHour.sent) + func.sum(TrafficHour.rejected)
    query = select(TrafficHour.domain, *_sums()).where(*where).group_by(TrafficHour.domain)
    query = query.order_by(busy.desc(), TrafficHour.domain).limit(limit)
    return [(row[0], mt.named(row[1:])) for row in session.execute(query)]


@dataclass
class Freshness:
    log: str
    ingested_at: datetime | None
    missed_at: datetime | None
    stale: bool


def freshness(session: Session, actor: Actor, now: datetime | None = None) -> list[Freshness]:
    """When each log was last ingested: a page says so when it is stale
    (``flask traffic ingest`` is not running from cron)."""
    _require_reader(actor)
    now = now or utcnow()
    rows = {r.name: r for r in session.scalars(select(TrafficLog))}
    found = []
    for name in ("postfix", "dovecot"):
        row = rows.get(name)
        at = as_utc(row.ingested_at) if row else None
        missed = as_utc(row.missed_at) if row else None
        found.append(Freshness(name, at, missed, at is None or now - at > STALE_AFTER))
    return found


def lifetime_totals(session: Session, actor: Actor) -> dict[str, int]:
    """Everything ever counted (not cut by the retention): /metrics' counters."""
    actor.require_superadmin()
    totals = _zero()
    for row in session.scalars(select(TrafficLog)):
        for name, value in (row.totals or {}).items():
            if name in totals:
                totals[name] += int(value)
    return totals
