"""When did this mailbox last log in, and why can it not now? What the
helpdesk looks at when a user calls: the last IMAP/POP3 login Dovecot's
last_login plugin wrote (per password used), and the mailbox's recent
authentication failures from Dovecot's log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..mailserver import maillog
from ..models import LastLogin, Mailbox
from .actor import Actor

# What Dovecot logs when a login fails (auth worker and login processes).
_FAILURE_MARKS = (b"password mismatch", b"auth failed", b"unknown user", b"authentication failed")
RECENT_FAILURES = 10
# A helpdesk page reads at most this much of the log for them.
FAILURE_SCAN_BUDGET = 32 * 1024 * 1024


@dataclass
class LoginFailures:
    lines: list[maillog.LogLine]
    log_missing: bool = False
    gave_up: bool = False  # read FAILURE_SCAN_BUDGET without finding RECENT_FAILURES


def last_login(session: Session, mailbox: Mailbox) -> datetime | None:
    at = session.scalar(select(func.max(LastLogin.last_login)).where(LastLogin.username == mailbox.address))
    return datetime.fromtimestamp(at, timezone.utc) if at else None


def last_logins(session: Session, addresses: list[str]) -> dict[str, datetime]:
    """address -> last login, for one page of a list (one query)."""
    if not addresses:
        return {}
    query = (
        select(LastLogin.username, func.max(LastLogin.last_login))
        .where(LastLogin.username.in_(addresses), LastLogin.last_login > 0)
        .group_by(LastLogin.username)
    )
    return {name: datetime.fromtimestamp(at, timezone.utc) for name, at in session.execute(query)}


def recent_failures(actor: Actor, mailbox: Mailbox, dovecot_log: str) -> LoginFailures:
    """The mailbox's last authentication failures, newest last."""
    actor.require_password_reset(mailbox.domain_id)
    needle = f"<{mailbox.address}>".encode(), f"({mailbox.address},".encode()

    def matches(raw: bytes) -> bool:
        low = raw.lower()
        return any(n in low for n in needle) and any(mark in low for mark in _FAILURE_MARKS)

    def may_contain(block: bytes) -> bool:
        low = block.lower()
        return any(n in low for n in needle)

    found = maillog.scan(
        dovecot_log, maillog.Matcher(matches, may_contain), RECENT_FAILURES, False, FAILURE_SCAN_BUDGET
    )
    return LoginFailures(found.lines, found.missing, found.exhausted_budget)
