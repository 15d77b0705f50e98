"""Numbers as people type them, and as the panel shows them: counts (limits,
page sizes, keys) and quota sizes (``500M``, ``2G``, ``1.5G``, plain bytes;
0 = unlimited).

Only ASCII digits count: ``int()`` and ``\\d`` would also take ``٣`` or
``1_000``, and ``str.isdigit`` takes ``²``, which ``int()`` then refuses.
Sizes are computed in integers, never through a float (400 digits made
``int(float(...))`` overflow).
"""

from __future__ import annotations

import re

from .languages import N_, Message

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE_RE = re.compile(r"^(\d+)(?:\.(\d+))?\s*([KMGT]?)(?:I?B)?$", re.IGNORECASE | re.ASCII)
_DIGITS = re.compile(r"^\d+$", re.ASCII)
# PostgreSQL BIGINT; also far beyond any real mailbox.
MAX_BYTES = 2**63 - 1
# PostgreSQL INTEGER, the type of counts and limits of things.
MAX_COUNT = 2**31 - 1
# More digits than any number we accept has (BIGINT has 19): refused before
# any conversion, so no input makes the conversion itself expensive.
_MAX_DIGITS = 20
_MAX_DECIMALS = 9


class SizeError(ValueError):
    """Not a number or size we take; the message is for people."""


def parse_count(value, maximum: int = MAX_COUNT) -> int:
    """A whole number from 0 to ``maximum``: an int, or a string of ASCII digits."""
    if isinstance(value, bool):
        raise SizeError(N_("must be a whole number"))
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if text.startswith("-") and _DIGITS.match(text[1:]):
            raise SizeError(N_("cannot be negative"))
        if not _DIGITS.match(text):
            raise SizeError(N_("must be a whole number"))
        if len(text.lstrip("0")) > _MAX_DIGITS:
            raise SizeError(N_("is too large"))
        number = int(text)
    if number < 0:
        raise SizeError(N_("cannot be negative"))
    if number > maximum:
        raise SizeError(N_("is too large"))
    return number


def parse_size(value) -> int:
    """Bytes from an int or a string with an optional binary unit."""
    if isinstance(value, bool):
        raise SizeError(N_("not a size"))
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        match = _SIZE_RE.match(text)
        if text.startswith("-") and _SIZE_RE.match(text[1:]):
            raise SizeError(N_("a size cannot be negative"))
        if not match:
            raise SizeError(
                Message(N_("%(text)s is not a size; use bytes or a unit like 500M or 2G"), text=repr(text[:40]))
            )
        whole, decimals, unit = match.groups()
        if len(whole.lstrip("0")) > _MAX_DIGITS:
            raise SizeError(N_("that size is too large"))
        if decimals and len(decimals) > _MAX_DECIMALS:
            raise SizeError(Message(N_("use at most %(count)s decimals"), count=_MAX_DECIMALS))
        factor = _UNITS[unit.upper()]
        number = int(whole) * factor + (int(decimals) * factor // 10 ** len(decimals) if decimals else 0)
    if number < 0:
        raise SizeError(N_("a size cannot be negative"))
    if number > MAX_BYTES:
        raise SizeError(N_("that size is too large"))
    return number


def format_size(number: int | None, exact: bool = False) -> str:
    """An amount of bytes in short form: 0 -> '0', 524288000 -> '500M', 1536 -> '1.5K'.

    ``exact``: a form's value, which must parse back to the same number (a
    mailbox saved unchanged keeps its quota): the largest unit that divides it.
    """
    if not number:
        return "0"
    for unit in ("T", "G", "M", "K"):
        factor = _UNITS[unit]
        if exact and number % factor == 0:
            return f"{number // factor}{unit}"
        if not exact and number >= factor:
            value = number / factor
            return f"{value:.0f}{unit}" if value == int(value) else f"{value:.1f}{unit}"
    return str(number) if exact else f"{number}B"


def format_amount(number: int | None) -> str:
    """An amount in a message, in the units people type: exact when that
    is short (``1124M`` as typed, not ``1.1G``), else rounded (``1.1G``)."""
    exact = format_size(number, exact=True)
    return exact if len(exact) <= 6 else format_size(number)


def format_limit(number: int | None) -> str:
    """A quota limit, where 0 means none: 'unlimited', else :func:`format_size`."""
    return format_size(number) if number else "unlimited"
