"""Template filters: sizes, dates, ages and usage shares, shown the same
everywhere. The one formatting mechanism of the templates.

In the page's language (panel/i18n.py): English keeps the panel's ISO
dates ("2025-03-12 14:05 UTC"); French reads "12 mars 2025 14:05 UTC".
Sizes keep the units people type in the forms (``1.5G``, ``500M``: the
parser takes those, so what is shown can be typed back); French writes the
decimal comma ("1,5G") and "illimité". A form's value is never localized.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

from babel.numbers import get_decimal_symbol
from flask_babel import format_date, format_decimal, format_time, get_locale, gettext, pgettext

from ..languages import DEFAULT
from ..models import as_utc
from ..services.lists.audit import ACTION_WORDS, audit_details
from ..services.lists.audit import action_words as english_action_words
from ..sizes import format_size


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def page_language() -> str:
    """The ``lang`` of the page."""
    return _language()


def role_name(role: str) -> str:
    """A role as pages name it (in English, the code's word)."""
    names = {
        "superadmin": pgettext("role", "superadmin"),
        "domainadmin": pgettext("role", "domainadmin"),
        "helpdesk": pgettext("role", "helpdesk"),
        "mailbox": pgettext("role", "mailbox"),
    }
    return names.get(role, role)


def _localized_size(text: str) -> str:
    if _language() == DEFAULT:
        return text
    return text.replace(".", get_decimal_symbol(get_locale()))


def size(number: int | None) -> str:
    """A quota limit, where 0 means none."""
    return _localized_size(format_size(number)) if number else gettext("unlimited")


def used(number: int | None) -> str:
    """Bytes in use: 0 is "0B", with its unit like any other amount."""
    return _localized_size(format_size(number) if number else "0B")


def queue_words(name: str) -> str:
    """A Postfix queue in words ("deferred" is "waiting to retry"); the
    pages add Postfix's own name, the one mailq and the logs use."""
    words = {
        "active": pgettext("queue", "Being delivered"),
        "deferred": pgettext("queue", "Waiting to retry"),
        "hold": pgettext("queue", "On hold"),
        "incoming": pgettext("queue", "Arriving"),
        "maildrop": pgettext("queue", "Submitted, not yet picked up"),
    }
    return words.get(name, name)


def check_words(name: str) -> str:
    """A status check in words; its name (as /health and /metrics give it) stays beside."""
    words = {
        "postfix": gettext("Postfix running"),
        "dovecot": gettext("Dovecot running"),
        "database": gettext("Database"),
        "queue": gettext("Mail queue"),
        "queue_size": gettext("Messages waiting"),
        "queue_age": gettext("Oldest message waiting to retry"),
        "mail_lookups": gettext("Mail servers' lookups"),
        "maps": gettext("Postfix maps"),
        "dovecot passdb": gettext("Dovecot password lookup"),
        "dovecot userdb": gettext("Dovecot mailbox lookup"),
        "quota-status": gettext("Quota check before accepting mail"),
        "quota_clone": gettext("Mailbox usage copied to the panel"),
        "certificate": gettext("TLS certificate"),
        "disk": gettext("Disk space for mail"),
        "postfix_log": gettext("Postfix log"),
        "dovecot_log": gettext("Dovecot log"),
    }
    if name.startswith("map "):
        return gettext("Postfix map %(map)s", map=name[4:])
    return words.get(name, name)


def number(value: int | None) -> str:
    """A count, with the locale's grouping ("12,345"; "12 345")."""
    return format_decimal(value or 0)


def day(value: date | None) -> str:
    if value is None:
        return "—"
    if _language() == DEFAULT:
        return value.isoformat()
    return format_date(value, "d MMMM y")


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    value = as_utc(value)
    if _language() == DEFAULT:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return f"{format_date(value, 'd MMMM y')} {format_time(value, 'HH:mm')} UTC"


def epoch(stamp: int) -> str:
    """A Unix time (the queue's arrival times)."""
    value = datetime.fromtimestamp(stamp, timezone.utc)
    if _language() == DEFAULT:
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{format_date(value, 'd MMMM y')} {format_time(value, 'HH:mm:ss')} UTC"


def duration(seconds: int) -> str:
    """A short age: "2d 3h", "4h 10m", "5m", "40s" (French "2 j 3 h",
    "4 h 10 min", "5 min", "40 s")."""
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return gettext("%(days)sd %(hours)sh", days=number(days), hours=hours % 24)
    if hours:
        return gettext("%(hours)sh %(minutes)sm", hours=hours, minutes=minutes % 60)
    if minutes:
        return gettext("%(minutes)sm", minutes=minutes)
    return gettext("%(seconds)ss", seconds=seconds)


def since(stamp: int) -> str:
    """How long ago a Unix time was (never negative: clocks differ)."""
    return duration(max(0, int(time.time()) - stamp))


def percent(used_bytes: int | None, limit: int | None) -> str:
    if not limit:
        return ""
    return f"{min(100.0, 100.0 * (used_bytes or 0) / limit):.0f}%"


def action_words(action: str) -> str:
    """An audit action in words, in the page's language (the service's
    ``N_`` words; an action it has no words for reads as its code)."""
    if action in ACTION_WORDS:
        return gettext(ACTION_WORDS[action])
    return english_action_words(action)


def shown_details(event) -> str:
    """An audit event's details with their words in the page's language."""
    return audit_details(event, gettext)


def in_future(value: datetime | None) -> bool:
    """For ``locked_until``: is that time still ahead?"""
    if value is None:
        return False
    return as_utc(value) > datetime.now(timezone.utc)


def init_app(app) -> None:
    # size: a quota limit (0 is unlimited); used: bytes in use (0 is nothing).
    app.jinja_env.filters.update(
        size=size,
        used=used,
        when=when,
        percent=percent,
        epoch=epoch,
        duration=duration,
        since=since,
        number=number,
        day=day,
        queue_words=queue_words,
        check_words=check_words,
    )
    app.jinja_env.globals.update(page_language=page_language, role_name=role_name)
    app.jinja_env.tests["future"] = in_future
    app.jinja_env.filters.update(action_words=action_words, audit_details=shown_details)
