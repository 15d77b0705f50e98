"""Mail traffic per hour and domain, from the Postfix and Dovecot logs:
:mod:`.ingest` adds new log lines to the rollup, :mod:`.reads` answers the
page, the CLI, the dashboard and /metrics, scoped to the actor's domains."""

from .ingest import LOGS, TOP_KEPT, Busy, Step, expire, hosted, ingest_step
from .reads import (
    MAX_HOURS,
    READERS,
    Freshness,
    Report,
    by_domain,
    check_hours,
    daily,
    freshness,
    hourly,
    lifetime_totals,
    report,
    today,
    top,
)

__all__ = [
    "LOGS",
    "MAX_HOURS",
    "READERS",
    "TOP_KEPT",
    "Busy",
    "Freshness",
    "Report",
    "Step",
    "by_domain",
    "check_hours",
    "daily",
    "expire",
    "freshness",
    "hosted",
    "hourly",
    "ingest_step",
    "lifetime_totals",
    "report",
    "today",
    "top",
]
