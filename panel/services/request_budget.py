"""Rate limits for anonymous requests, per client address, that hold across
web workers.

Mail clients ask for their settings before anyone signs in (autoconfig,
autodiscover), so those answers are open to anyone; a budget per client
address keeps one client from walking the list of hosted domains or
loading the database. A budget is a row of ``request_budgets`` counting the
hits in a fixed window: one upsert and one conditional UPDATE ...
RETURNING, so concurrent requests in any number of gunicorn workers are all
counted (an in-process counter would give each worker its own budget and
forget it at every restart).

An IPv6 client is counted by its /64: one host usually holds a whole /64,
so counting single addresses would let it pick a fresh one per request.
Nothing here is audited: a hit is not an event anyone must answer for, and
writing client data to the audit log is how mailcow's admin log got an XSS.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import RequestBudget, as_utc, utcnow


def client_key(kind: str, remote_addr: str | None) -> str:
    """The budget of a client address: ``<kind>:<address>``, an IPv6
    address as its /64 network."""
    address = (remote_addr or "-")[:64]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"{kind}:{address}"
    if parsed.version == 6 and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1
    if parsed.version == 6:
        return f"{kind}:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"{kind}:{parsed}"


def charge(session: Session, key: str, limit: int, window: timedelta, now: datetime | None = None) -> int:
    """Count one request on ``key``; the seconds until the budget takes
    requests again when it is spent (the caller refuses with 429 and
    Retry-After), else 0. A ``limit`` of 0 or less turns the limit off."""
    if limit <= 0:
        return 0
    now = now or utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(RequestBudget).values(key=key, window_start=now, hits=0)
    session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
    expired = RequestBudget.window_start <= now - window
    statement = (
        update(RequestBudget)
        .where(RequestBudget.key == key)
        .values(
            hits=case((expired, 1), else_=RequestBudget.hits + 1),
            window_start=case((expired, now), else_=RequestBudget.window_start),
        )
        .returning(RequestBudget.hits, RequestBudget.window_start)
        .execution_options(synchronize_session=False)
    )
    hits, started = session.execute(statement).one()
    if hits == 1:  # a new window: forget the budgets of windows long past
        session.execute(delete(RequestBudget).where(RequestBudget.window_start < now - window))
    if hits <= limit:
        return 0
    return max(1, int((as_utc(started) + window - now).total_seconds() + 0.999))
