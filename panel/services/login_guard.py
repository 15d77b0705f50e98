"""Panel login, throttled by budgets that hold under concurrency.

Every attempt on an account is charged to its budget *before* the password
is checked, with one conditional UPDATE (``... WHERE key = ? AND not locked
RETURNING``): forty parallel guesses are forty charges, so the delays and
the lock hold however many arrive at once (at most SLOW_AFTER attempts on
one account are checked at the same moment). A budget is a row of
``login_throttles``:

- ``u:<name>``: the account, tried from a browser it never signed in from.
  Known and unknown names alike, so the answers and delays do not tell
  whether an account exists.
- ``a:<address>``: the client address, whatever names it tries. It counts
  failures only (an office behind one address logs in many times at once),
  atomically; an attempt is refused while it is locked.
- ``d:<device>``: a browser that once signed in to this account keeps a
  device cookie (OWASP's "slow down online guessing with device cookies")
  and is charged only to its own budget. An attacker who locks ``u:root``
  from a thousand addresses locks out unknown browsers, not the superadmin
  at their usual one.

After SLOW_AFTER failures in a row each attempt must wait 1, 2, 4 … 60 s
(refused early, never slept, so an attacker cannot tie up web workers);
after ACCOUNT_LOCK_AFTER (or ADDRESS_LOCK_AFTER) the budget is locked for
LOCK_FOR. A budget quiet for FORGET_AFTER starts afresh.

A login runs in three steps, so that the slow password check holds no
write lock (SQLite has one writer): :func:`begin` charges the budgets and
reads the account (the caller commits), :func:`password_matches` checks the
hash with no transaction open, and :func:`finish` settles the budgets and
audits (the caller commits). A second factor (services.second_factor) is
one more charged attempt on the same budgets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import passwords, text
from ..languages import N_, Message, Nn_
from ..models import Admin, LoginThrottle, Mailbox, Role, as_utc, utcnow
from . import audit
from .actor import Actor

SLOW_AFTER = 3  # failures before delays start
ACCOUNT_LOCK_AFTER = 10  # failures in a row before an account (or device) budget locks
ADDRESS_LOCK_AFTER = 30  # one address may try several accounts (NAT), so more
LOCK_FOR = timedelta(minutes=15)
MAX_DELAY = timedelta(seconds=60)
FORGET_AFTER = timedelta(hours=1)  # a budget quiet for an hour starts afresh
NAME_MAX = 128

WRONG = N_("Wrong username or password.")


class LoginRefused(Exception):
    """Wrong credentials, or throttled; ``message`` is safe to show."""

    def __init__(self, message: str, retry_after: int = 0):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both paths cost one password
    hash (no user enumeration by timing). Made on first use, not at import."""
    return passwords.hash_password("not-a-real-password-0")


@dataclass
class Attempt:
    """What :func:`begin` found, carried to the next steps."""

    name: str
    remote_addr: str | None
    admin_id: int | None
    stored_hash: str
    active: bool
    second_factor: bool = False  # the account signs in with a code too
    mailbox_id: int | None = None  # a mailbox's owner signing in to the portal
    budgets: dict[str, int] = field(default_factory=dict)  # key -> failures after this charge
    address: str | None = None  # the address's budget, charged only on failure

    @property
    def device_budget(self) -> str | None:
        return next((k for k in self.budgets if k.startswith("d:")), None)


def delay_for(failures: int) -> timedelta:
    """How long the next attempt must wait after ``failures`` failures in a row."""
    if failures < SLOW_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - SLOW_AFTER)), MAX_DELAY)


def clean_name(username: str | None) -> str:
    name = (username or "").strip().lower()[:NAME_MAX]
    if text.problem(name):
        return "?"  # no account has such a name (and PostgreSQL refuses NUL)
    return name


def account_budget(name: str, device: str | None) -> str:
    return f"d:{device}" if device else f"u:{name or '-'}"


def address_budget(remote_addr: str | None, device: str | None) -> str | None:
    """A browser with a device cookie is not held back by its address."""
    return f"a:{remote_addr[:64]}" if remote_addr and not device else None


def begin(session: Session, username: str, remote_addr: str | None, device: str | None = None) -> Attempt:
    """Charge the attempt to the account's budget and read the account;
    LoginRefused while that budget or the address is locked or delayed.
    ``device`` is the id of a device cookie the caller has verified belongs
    to this username."""
    name = clean_name(username)
    now = utcnow()
    attempt = _read_account(session, name, remote_addr)
    address = address_budget(remote_addr, device)
    if address and _wait(session, address, now, only_if_locked=True):
        raise _throttled(_wait(session, address, now))
    key = account_budget(name, device)
    failures = _charge(session, key, ACCOUNT_LOCK_AFTER, now)
    if failures is None:
        raise _throttled(_wait(session, key, now))
    attempt.budgets[key] = failures
    attempt.address = address
    return attempt


def _throttled(seconds: int) -> LoginRefused:
    if seconds < 90:
        wait = Nn_(
            "Too many failed logins. Try again in %(count)s second.",
            "Too many failed logins. Try again in %(count)s seconds.",
        )
        return LoginRefused(Message(wait, count=seconds), seconds)
    minutes = (seconds + 59) // 60
    wait = Nn_(
        "Too many failed logins. Try again in %(count)s minute.",
        "Too many failed logins. Try again in %(count)s minutes.",
    )
    return LoginRefused(Message(wait, count=minutes), seconds)


def _read_account(session: Session, name: str, remote_addr: str | None) -> Attempt:
    admin = session.scalar(select(Admin).where(Admin.username == name)) if name else None
    if admin is None and "@" in name:
        # A mailbox's owner: the address and the mailbox's own password
        # (any scheme Dovecot stores). An older admin named like an
        # address keeps its name: admins are looked up first.
        mailbox = session.scalar(select(Mailbox).where(Mailbox.address == name))
        if mailbox is not None:
            active = mailbox.is_active
            return Attempt(name, remote_addr, None, mailbox.password_hash, active, mailbox_id=mailbox.id)
    if admin is None:
        return Attempt(name, remote_addr, None, _dummy_hash(), False)
    return Attempt(
        name, remote_addr, admin.id, admin.password_hash, bool(admin.active), admin.totp_enabled_at is not None
    )


def password_matches(attempt: Attempt, password: str | None) -> bool:
    """The slow part, with no transaction open."""
    known = attempt.admin_id is not None or attempt.mailbox_id is not None
    return passwords.verify(password or "", attempt.stored_hash) and known and attempt.active


def finish(session: Session, attempt: Attempt, ok: bool, *, complete: bool = True) -> Admin | Mailbox:
    """Settle the budgets and audit. ``ok`` with ``complete`` (no second
    factor still to come) clears the account's budget; ``ok`` alone only
    takes back this attempt's charge. A failure also counts against the
    address. Raises LoginRefused(WRONG) when not ok."""
    now = utcnow()
    principal = _principal(session, attempt)
    if ok and principal is not None and principal.is_active:
        for key in attempt.budgets:
            _settle(session, key, reset=complete)
        if complete:
            who = (
                Actor.from_mailbox(principal, attempt.remote_addr)
                if principal.is_mailbox_user
                else Actor.from_admin(principal, attempt.remote_addr)
            )
            audit.record(session, who, "login.success", principal.username)
        return principal
    if attempt.address:
        # Counted even if a concurrent failure has just delayed the address.
        attempt.budgets[attempt.address] = _charge(session, attempt.address, ADDRESS_LOCK_AFTER, now, True)
    _audit_failure(session, attempt)
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < now - FORGET_AFTER,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    raise LoginRefused(WRONG)


def _principal(session: Session, attempt: Attempt) -> Admin | Mailbox | None:
    if attempt.admin_id is not None:
        return session.get(Admin, attempt.admin_id)
    if attempt.mailbox_id is not None:
        return session.get(Mailbox, attempt.mailbox_id)
    return None


def locked_accounts(session: Session, usernames: list[str]) -> dict[str, datetime]:
    """name -> until when the account's budget for unknown browsers is locked."""
    keys = {f"u:{name}": name for name in usernames}
    now = utcnow()
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now + MAX_DELAY
        )
    )
    return {keys[key]: as_utc(until) for key, until in rows}


def clear_account_budget(session: Session, username: str) -> None:
    """A superadmin's password reset lifts the lock on the account."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == f"u:{username}"))


def logout(session: Session, actor: Actor) -> None:
    """Audit the end of a panel session (the view ends the session row)."""
    audit.record(session, actor, "logout", actor.username)


def _audit_failure(session: Session, attempt: Attempt, action: str = "login.failure") -> None:
    # Only names who tried; the role is the lowest and grants nothing here.
    who = Actor(attempt.name or "-", Role.HELPDESK, frozenset(), attempt.remote_addr)
    known = attempt.admin_id is not None or attempt.mailbox_id is not None
    audit.record(session, who, action, attempt.name or "-", known=known)
    for key, failures in attempt.budgets.items():
        if failures == 0:  # this charge reached the threshold and locked the budget
            kind = {"u": "login.lock_account", "a": "login.lock_address", "d": "login.lock_device"}[key[0]]
            audit.record(session, who, kind, key[2:] if key[0] != "d" else attempt.name, minutes=LOCK_FOR.seconds // 60)


# -- budgets ---------------------------------------------------------------


def _insert_ignoring_duplicates(session: Session):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(LoginThrottle)


def _charge(session: Session, key: str, lock_after: int, now: datetime, even_if_locked: bool = False) -> int | None:
    """Count one more attempt on ``key``, unless it is locked (None; with
    ``even_if_locked`` it counts anyway, keeping a longer lock). Returns the
    failures now on the budget (0 when this charge locked it: the lock is
    the penalty, and the delays start over after it)."""
    insert = _insert_ignoring_duplicates(session).values(key=key, failures=0, last_failure_at=now)
    session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
    failures = case((LoginThrottle.last_failure_at < now - FORGET_AFTER, 1), else_=LoginThrottle.failures + 1)
    locked_until = _next_attempt(failures, lock_after, now)
    condition = [LoginThrottle.key == key]
    if even_if_locked:
        longer = and_(
            LoginThrottle.locked_until.is_not(None),
            or_(locked_until.is_(None), LoginThrottle.locked_until > locked_until),
        )
        locked_until = case((longer, LoginThrottle.locked_until), else_=locked_until)
    else:
        condition.append(or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now))
    statement = (
        update(LoginThrottle)
        .where(*condition)
        .values(
            failures=case((failures >= lock_after, 0), else_=failures),
            locked_until=locked_until,
            last_failure_at=now,
        )
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).scalar()


def _next_attempt(failures, lock_after: int, now: datetime):
    """The SQL for "no attempt before": the delay schedule as a CASE on the
    new failure count (computed in Python, compared in one statement)."""
    whens = [(failures >= lock_after, now + LOCK_FOR)]
    steps = range(SLOW_AFTER, lock_after)
    whens += [(failures == f, now + delay_for(f)) for f in steps if delay_for(f) < MAX_DELAY]
    whens.append((failures >= SLOW_AFTER, now + MAX_DELAY))
    return case(*whens, else_=None)


def _settle(session: Session, key: str, reset: bool) -> None:
    if reset:
        values = {"failures": 0, "locked_until": None}
    else:
        # Take back this attempt's charge; a delay it started goes with it.
        undone = case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0)
        lock_kept = and_(LoginThrottle.locked_until.is_not(None), undone >= SLOW_AFTER)
        values = {"failures": undone, "locked_until": case((lock_kept, LoginThrottle.locked_until), else_=None)}
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(values)
        .execution_options(synchronize_session=False)
    )


def _wait(session: Session, key: str, now: datetime, only_if_locked: bool = False) -> int:
    """Seconds until ``key`` takes attempts again (0 with ``only_if_locked``
    when it takes them now)."""
    until = as_utc(session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key == key)))
    if until is None or until <= now:
        return 0 if only_if_locked else 1
    return max(1, int((until - now).total_seconds()) + 1)
