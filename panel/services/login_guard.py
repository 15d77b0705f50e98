"""Panel login with throttling per account and per client address.

Failures are counted on the admin row (per account) and in
``login_throttles`` (per address, which also covers unknown usernames).
After a few failures each further attempt must wait a growing delay —
refused early rather than slept, so an attacker cannot tie up the web
workers — and after more failures the account or address is locked for a
while. ``locked_until`` therefore means "no attempt before this time".
Failures and locks are audited; attempts refused while throttled are not
(an attacker could flood the trail) and never check the password.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import passwords, text
from ..models import Admin, LoginThrottle, Role, as_utc, utcnow
from . import audit
from .actor import Actor

SLOW_AFTER = 3  # failures before delays start
ACCOUNT_LOCK_AFTER = 10  # failures in a row before an account is locked
ADDRESS_LOCK_AFTER = 30  # one address may try several accounts (NAT), so more
LOCK_FOR = timedelta(minutes=15)
MAX_DELAY = timedelta(seconds=60)
FORGET_AFTER = timedelta(hours=1)  # an address quiet for an hour starts afresh


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both paths cost one password
    hash (no user enumeration by timing). Made on first use, not at import."""
    return passwords.hash_password("not-a-real-password-0")


WRONG = "Wrong username or password."


class LoginRefused(Exception):
    """Wrong credentials, or throttled; ``message`` is safe to show."""

    def __init__(self, message: str, retry_after: int = 0):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def delay_for(failures: int) -> timedelta:
    """How long the next attempt must wait after ``failures`` failures in a row."""
    if failures < SLOW_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - SLOW_AFTER)), MAX_DELAY)


def _seconds_left(until: datetime | None, now: datetime) -> int:
    until = as_utc(until) if until is not None else None
    return int((until - now).total_seconds()) + 1 if until and until > now else 0


def _human(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 90 else f"{(seconds + 59) // 60} minutes"


def _throttle_row(session: Session, remote_addr: str | None) -> LoginThrottle | None:
    if not remote_addr:
        return None
    row = session.get(LoginThrottle, remote_addr)
    if row is not None and utcnow() - as_utc(row.last_failure_at) > FORGET_AFTER:
        row.failures = 0
    return row


def authenticate(session: Session, username: str, password: str, remote_addr: str | None) -> Admin:
    """The active admin these credentials name, or LoginRefused.

    The caller commits in both cases: a failure's counters and audit event
    must be stored even though the login did not happen.
    """
    now = utcnow()
    name = (username or "").strip().lower()[:128]
    if text.problem(name):
        name = "?"  # no account has such a name (and PostgreSQL refuses NUL)
    admin = session.scalar(select(Admin).where(Admin.username == name)) if name else None
    row = _throttle_row(session, remote_addr)
    wait = max(
        _seconds_left(admin.locked_until if admin else None, now), _seconds_left(row.locked_until if row else None, now)
    )
    if wait:
        raise LoginRefused(f"Too many failed logins. Try again in {_human(wait)}.", wait)
    stored = admin.password_hash if admin is not None else _dummy_hash()
    ok = passwords.verify(password or "", stored) and admin is not None and admin.active
    if not ok:
        _record_failure(session, admin, name, row, remote_addr, now)
        raise LoginRefused(WRONG)
    admin.failed_logins = 0
    admin.locked_until = None
    if row is not None:
        session.delete(row)
    audit.record(session, Actor.from_admin(admin, remote_addr), "login.success", admin.username)
    return admin


def logout(session: Session, actor: Actor) -> None:
    """Audit the end of a panel session (the view clears the cookie)."""
    audit.record(session, actor, "logout", actor.username)


def _record_failure(session, admin, name, row, remote_addr, now) -> None:
    # Only names who tried; the role is the lowest and grants nothing here.
    actor = Actor(name or "-", Role.HELPDESK, frozenset(), remote_addr)
    audit.record(session, actor, "login.failure", name or "-", known=admin is not None)
    if admin is not None:
        admin.failed_logins = (admin.failed_logins or 0) + 1
        admin.locked_until = _next_attempt(admin.failed_logins, ACCOUNT_LOCK_AFTER, now)
        if admin.failed_logins >= ACCOUNT_LOCK_AFTER:
            admin.failed_logins = 0  # the lock is the penalty; afterwards delays start over
            audit.record(session, actor, "login.lock_account", admin.username, until=admin.locked_until)
    if remote_addr:
        if row is None:
            row = LoginThrottle(remote_addr=remote_addr[:64], failures=0)
            session.add(row)
        row.failures += 1
        row.last_failure_at = now
        row.locked_until = _next_attempt(row.failures, ADDRESS_LOCK_AFTER, now)
        if row.failures >= ADDRESS_LOCK_AFTER:
            row.failures = 0
            audit.record(session, actor, "login.lock_address", remote_addr, until=row.locked_until)


def _next_attempt(failures: int, lock_after: int, now: datetime) -> datetime | None:
    if failures >= lock_after:
        return now + LOCK_FOR
    delay = delay_for(failures)
    return now + delay if delay else None
