"""Quota sizes as people type them: ``500M``, ``2G``, ``1.5G``, plain bytes; 0 = unlimited."""

from __future__ import annotations

import re

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?$", re.IGNORECASE)
# PostgreSQL BIGINT; also far beyond any real mailbox.
MAX_BYTES = 2**63 - 1


class SizeError(ValueError):
    pass


def parse_size(value) -> int:
    """Bytes from an int or a string with an optional binary unit."""
    if isinstance(value, bool):
        raise SizeError("not a size")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        match = _SIZE_RE.match(text)
        if not match:
            raise SizeError(f"{text!r} is not a size; use bytes or a unit like 500M or 2G")
        number = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if number < 0:
        raise SizeError("a size cannot be negative")
    if number > MAX_BYTES:
        raise SizeError("that size is too large")
    return number


def format_size(number: int | None) -> str:
    """Short human form: 0 -> 'unlimited', 524288000 -> '500M'."""
    if not number:
        return "unlimited"
    for unit in ("T", "G", "M", "K"):
        factor = _UNITS[unit]
        if number >= factor:
            value = number / factor
            return f"{value:.0f}{unit}" if value == int(value) else f"{value:.1f}{unit}"
    return f"{number}B"
