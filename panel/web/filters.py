"""Template filters: sizes, dates and usage shares, shown the same everywhere."""

from __future__ import annotations

from datetime import datetime, timezone

from ..sizes import format_size


def size(number: int | None) -> str:
    """A quota limit: 0 means unlimited."""
    return format_size(number)


def used(number: int | None) -> str:
    """Bytes in use: 0 is just nothing."""
    return format_size(number) if number else "0"


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def percent(used_bytes: int | None, limit: int | None) -> str:
    if not limit:
        return ""
    return f"{min(100.0, 100.0 * (used_bytes or 0) / limit):.0f}%"


def in_future(value: datetime | None) -> bool:
    """For ``locked_until``: is that time still ahead?"""
    if value is None:
        return False
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value > datetime.now(timezone.utc)


def init_app(app) -> None:
    app.jinja_env.filters.update(size=size, used=used, when=when, percent=percent)
    app.jinja_env.tests["future"] = in_future
