"""Live checks of a domain's DNS records, and the last result kept per domain.

``run`` asks DNS (panel/services/dns_rules.py says what each record should
be) and keeps the result in ``dns_checks``, replacing the previous one;
the domain list marks a domain whose last check found a record missing or
wrong. When DNS could not be asked at all, nothing is kept: an outage of
the resolver says nothing about the domain's records, and the previous
result stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import dns_resolver
from ..models import DnsCheck, Domain, as_utc, utcnow
from . import dkim
from .actor import Actor
from .dns_lookup import Lookup
from .dns_rules import UNKNOWN, Finding, check_records


@dataclass(frozen=True)
class Report:
    checked_at: datetime
    findings: list[Finding]
    # Did DNS answer at least one question? (A kept result always had.)
    reached: bool = True

    @property
    def problems(self) -> list[Finding]:
        """The records missing or wrong (an optional record may be missing)."""
        return [f for f in self.findings if f.problem]

    @property
    def unknown(self) -> list[Finding]:
        return [f for f in self.findings if f.status == UNKNOWN]

    @property
    def all_ok(self) -> bool:
        return not self.problems and not self.unknown


def lookup_for(settings) -> Lookup:
    """The resolver MAILPANEL_DNS_RESOLVER names (the system's when empty)."""
    return Lookup.using(dns_resolver(settings.get("DNS_RESOLVER")))


def run(session: Session, actor: Actor, domain: Domain, mail_host: str, lookup: Lookup) -> Report:
    """Check every record of the domain now; keep the result if DNS answered."""
    actor.require_manage(domain.id)
    findings = check_records(domain.name, mail_host, dkim.live_keys(session, actor, domain), lookup)
    report = Report(utcnow(), findings, reached=lookup.answered > 0)
    if report.reached:
        _keep(session, domain, report)
    return report


def last(session: Session, actor: Actor, domain: Domain) -> Report | None:
    """The result of the domain's last check, None if it was never checked."""
    actor.require_manage(domain.id)
    row = session.get(DnsCheck, domain.id)
    if row is None:
        return None
    return Report(as_utc(row.checked_at), [Finding.of(item) for item in row.results])


def _keep(session: Session, domain: Domain, report: Report) -> None:
    values = {
        "checked_at": report.checked_at,
        "problems": len(report.problems),
        "results": [f.as_dict() for f in report.findings],
    }
    row = session.get(DnsCheck, domain.id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(DnsCheck(domain_id=domain.id, **values))
            return
        except IntegrityError:  # a check of the same domain ran at the same time: ours is newer
            row = session.get(DnsCheck, domain.id, populate_existing=True)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
