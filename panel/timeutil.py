"""Timestamps: everything stored is UTC; SQLite hands it back naive."""

from __future__ import annotations

from datetime import datetime, timezone


def aware(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (SQLite drops the zone on the way back)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
