"""Template filters: sizes, dates, ages and usage shares, shown the same
everywhere. The one formatting mechanism of the templates."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ..models import as_utc
from ..sizes import format_limit, format_size


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def epoch(stamp: int) -> str:
    """A Unix time (the queue's arrival times)."""
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: int) -> str:
    """A short age: "2d 3h", "4h 10m", "5m", "40s"."""
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes % 60}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def since(stamp: int) -> str:
    """How long ago a Unix time was (never negative: clocks differ)."""
    return duration(max(0, int(time.time()) - stamp))


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
    app.jinja_env.filters.update(
        size=format_limit, used=format_size, when=when, percent=percent, epoch=epoch, duration=duration, since=since
    )
    app.jinja_env.tests["future"] = in_future
