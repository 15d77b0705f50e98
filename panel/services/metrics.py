"""The Prometheus text behind GET /metrics, built with prometheus_client.

A fresh registry per scrape: the values are read now (status checks from the
short cache, counts from the domains' counters), nothing is kept in-process,
so every gunicorn worker answers the same.
"""

from __future__ import annotations

import datetime as dt

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import func, select

from ..models import AuditEvent, LoginThrottle
from . import lists, status, traffic
from .actor import Actor


def render(session, actor: Actor, config) -> bytes:
    actor.require_superadmin()
    registry = CollectorRegistry()
    results = status.cached(session, config)
    check = Gauge("mailpanel_check_ok", "1 when the status check is ok, else 0", ["check"], registry=registry)
    state = Gauge("mailpanel_check_state", "1 for the check's current state", ["check", "state"], registry=registry)
    for result in results:
        check.labels(result.name).set(1 if result.state == status.OK else 0)
        for name in status.STATES:
            state.labels(result.name, name).set(1 if result.state == name else 0)
    _queue_metrics(results, registry)
    _login_failure_metrics(session, registry)
    totals = lists.domain_totals(session, actor)
    for key in ("domains", "mailboxes", "aliases"):
        Gauge(f"mailpanel_{key}", f"number of {key}", registry=registry).set(totals[key])
    _traffic_metrics(session, actor, registry)
    return generate_latest(registry)


def _queue_metrics(results, registry) -> None:
    size = Gauge("mailpanel_queue_messages", "messages in the Postfix queue", ["queue"], registry=registry)
    age = Gauge("mailpanel_queue_oldest_deferred_seconds", "age of the oldest deferred message", registry=registry)
    for result in results:
        if result.name == "queue_size" and result.values:
            for queue, count in result.values.items():
                size.labels(queue).set(count)
        if result.name == "queue_age" and result.values:
            age.set(result.values.get("age", 0))


LOGIN_FAILURE_WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24)}


def _login_failure_metrics(session, registry) -> None:
    """Panel sign-in failures from the audit trail (each failure is an
    audited ``login.failure``, on the (action, at) index) and the throttle
    budgets locked now. Gauges over a window, not counters: the audit trail
    may be pruned, and a counter must never go down. Mail (IMAP/POP3)
    login failures come from the traffic statistics."""
    now = dt.datetime.now(dt.timezone.utc)
    failures = Gauge("mailpanel_login_failures", "failed panel sign-ins in the window", ["window"], registry=registry)
    for window, span in LOGIN_FAILURE_WINDOWS.items():
        count = session.scalar(
            select(func.count()).where(AuditEvent.action == "login.failure", AuditEvent.at >= now - span)
        )
        failures.labels(window).set(count or 0)
    locked = session.scalar(select(func.count()).where(LoginThrottle.locked_until > now))
    Gauge(
        "mailpanel_login_locked_budgets",
        "sign-in budgets (accounts, addresses, browsers) locked now",
        registry=registry,
    ).set(locked or 0)


class _Collected:
    """A collector handing prometheus_client metric families built beforehand."""

    def __init__(self, *families):
        self.families = families

    def collect(self):
        return iter(self.families)


def _traffic_metrics(session, actor: Actor, registry) -> None:
    """Mail traffic counted from the logs since the first ingestion (not cut
    by the retention, so they only grow: ``rate()`` works on them), and when
    each log was last ingested."""
    counted = CounterMetricFamily("mailpanel_traffic", "mail traffic counted from the logs, by kind", labels=["kind"])
    for kind, value in traffic.lifetime_totals(session, actor).items():
        counted.add_metric([kind], value)
    registry.register(_Collected(counted))
    fresh = Gauge(
        "mailpanel_traffic_ingested_timestamp_seconds", "when each log was last ingested", ["log"], registry=registry
    )
    for item in traffic.freshness(session, actor):
        fresh.labels(item.log).set(item.ingested_at.timestamp() if item.ingested_at else 0)
