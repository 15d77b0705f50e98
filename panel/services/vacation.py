"""Out-of-office replies: the settings, and the Sieve script they become.

Dovecot's Pigeonhole runs the script at delivery (LMTP), reading it from
the database through the dict service (view ``mailserver_sieve_scripts``),
so the panel never writes into mail homes. The script is generated here,
on every change, from the row alone; every string in it is a Sieve quoted
string with ``\\`` and ``"`` escaped, and the texts people type are checked
for characters that have no place in a mail (controls, bidi overrides), so
nothing typed can change what the script does.

Dates are days in UTC, both inclusive. The script never answers mailing
lists, bulk or automatic mail, bounces (Pigeonhole's vacation already skips
an empty return path, MAILER-DAEMON, owner-/-request senders and
Auto-Submitted mail) or noreply senders, and answers one sender at most
once in ``interval_days``.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from .. import text
from ..languages import N_, Message
from ..models import Mailbox, Vacation
from . import audit
from .actor import Actor
from .errors import ServiceError
from .mailbox_access import require_self_or_manager

SUBJECT_MAX = 200
BODY_MAX = 10_000
DEFAULT_INTERVAL = 7
INTERVAL_MAX = 365
# Senders whose mail is never answered, whatever their headers say.
NO_REPLY_SENDERS = (
    "noreply*",
    "no-reply*",
    "no_reply*",
    "donotreply*",
    "do-not-reply*",
    "do_not_reply*",
    "mailer-daemon",
    "postmaster",
    "bounce*",
    "bounces*",
)


def get_vacation(session: Session, actor: Actor, mailbox: Mailbox) -> Vacation | None:
    require_self_or_manager(actor, mailbox)
    return session.get(Vacation, mailbox.id)


def set_vacation(
    session: Session,
    actor: Actor,
    mailbox: Mailbox,
    *,
    active: bool,
    subject: str = "",
    body: str = "",
    first_day: date | str | None = None,
    last_day: date | str | None = None,
    interval_days: int | str | None = None,
) -> Vacation:
    """Store the settings and their script; every field's problem is
    reported at once."""
    require_self_or_manager(actor, mailbox)
    problems: dict[str, str] = {}
    subject = _checked(problems, "subject", subject, SUBJECT_MAX, multiline=False)
    body = _checked(problems, "body", body, BODY_MAX, multiline=True)
    first = _day(problems, "first_day", first_day)
    last = _day(problems, "last_day", last_day)
    days = _interval(problems, interval_days)
    if first and last and last < first:
        problems["last_day"] = N_("is before the first day")
    if active and not body.strip():
        problems["body"] = N_("write the reply people will get")
    if problems:
        raise ServiceError(None, N_("the out-of-office reply was not saved"), **problems)
    row = session.get(Vacation, mailbox.id) or Vacation(mailbox_id=mailbox.id)
    row.active, row.subject, row.body = bool(active), subject, body
    row.first_day, row.last_day, row.interval_days = first, last, days
    row.script = sieve_script(mailbox.address, row) if row.active else ""
    row.script_id = hashlib.sha256(row.script.encode()).hexdigest() if row.script else ""
    session.add(row)
    audit.record(
        session,
        actor,
        "mailbox.vacation",
        mailbox.address,
        domain_id=mailbox.domain_id,
        active=row.active,
        subject=subject,
        first_day=first,
        last_day=last,
        interval_days=days,
    )
    return row


def switch_off(session: Session, actor: Actor, mailbox: Mailbox) -> None:
    require_self_or_manager(actor, mailbox)
    row = session.get(Vacation, mailbox.id)
    if row is not None and row.active:
        row.active, row.script, row.script_id = False, "", ""
        audit.record(session, actor, "mailbox.vacation", mailbox.address, domain_id=mailbox.domain_id, active=False)


def _checked(problems: dict, field: str, value: str | None, limit: int, multiline: bool) -> str:
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.strip()
    if len(value) > limit:
        problems[field] = Message(N_("is at most %(limit)s characters"), limit=f"{limit:,}")
        return value
    lines = value.split("\n") if multiline else [value]
    for line in lines:
        problem = text.problem(line.replace("\t", " "))
        if problem:
            problems[field] = problem
            break
    return value


def _day(problems: dict, field: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems[field] = N_("use a date like 2026-12-24")
        return None


def _interval(problems: dict, value) -> int:
    if value in (None, ""):
        return DEFAULT_INTERVAL
    raw = str(value).strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= INTERVAL_MAX:
        problems["interval_days"] = Message(N_("is a whole number of days from 1 to %(max)s"), max=INTERVAL_MAX)
        return DEFAULT_INTERVAL
    return int(raw)


# -- the script ----------------------------------------------------------------


def quote(value: str) -> str:
    """A Sieve quoted string (RFC 5228 2.4.2): backslash and double quote
    escaped; nothing else is special without the extensions we do not load
    (variables, encoded-character)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _string_list(values) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def reply_state(row: Vacation | None, today: date | None = None) -> str:
    """Whether the reply goes out today, as the script decides it (days in
    UTC): "off", "on", "scheduled" (its first day is ahead) or "ended" (its
    last day has passed)."""
    if row is None or not row.active:
        return "off"
    today = today or datetime.now(timezone.utc).date()
    if row.first_day and today < row.first_day:
        return "scheduled"
    if row.last_day and today > row.last_day:
        return "ended"
    return "on"


def sieve_script(address: str, row: Vacation) -> str:
    """The script of an active out-of-office reply for ``address``."""
    window = []
    if row.first_day:
        window.append(f'currentdate :zone "+0000" :value "ge" "date" {quote(row.first_day.isoformat())}')
    if row.last_day:
        window.append(f'currentdate :zone "+0000" :value "le" "date" {quote(row.last_day.isoformat())}')
    reply = [f":days {int(row.interval_days)}", f":from {quote(address)}"]
    if row.subject:
        reply.append(f":subject {quote(row.subject)}")
    lines = [
        f"# Generated by Mailpanel for {address.replace(chr(10), ' ')}: the out-of-office reply. Do not edit.",
        'require ["vacation", "date", "relational", "envelope"];',
        "if anyof (",
        f'    envelope :localpart :matches "from" {_string_list(NO_REPLY_SENDERS)},',
        f'    address :localpart :matches "from" {_string_list(NO_REPLY_SENDERS)},',
        '    exists ["list-id", "list-unsubscribe", "list-post", "list-help"],',
        '    header :contains "precedence" ["bulk", "list", "junk"],',
        '    allof (exists "auto-submitted", not header :is "auto-submitted" "no")',
        ") {",
        "    stop;",
        "}",
    ]
    action = f"vacation {' '.join(reply)} {quote(row.body)};"
    if window:
        lines += [f"if allof ({', '.join(window)}) {{", f"    {action}", "}"]
    else:
        lines.append(action)
    return "\n".join(lines) + "\n"
