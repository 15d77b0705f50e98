"""Template filters: sizes, dates and usage shares, shown the same everywhere."""

from __future__ import annotations

from datetime import datetime, timezone

from ..models import as_utc
from ..sizes import format_limit, format_size


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def percent(used_bytes: int | None, limit: int | None) -> str:
    if not limit:
        return ""
    return f"{min(100.0, 100.0 * (used_bytes or 0) / limit):.0f}%"


def in_future(value: datetime | None) -> bool:
    """For ``locked_until``: is that time still ahead?"""
    if value is None:
        return False
    return as_utc(value) > datetime.now(timezone.utc)


def init_app(app) -> None:
    # size: a quota limit (0 is unlimited); used: bytes in use (0 is nothing).
    app.jinja_env.filters.update(size=format_limit, used=format_size, when=when, percent=percent)
    app.jinja_env.tests["future"] = in_future
