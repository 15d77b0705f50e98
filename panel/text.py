"""What a line of free text may hold: names, descriptions, search words, filters.

One rule, used by every service that stores or looks up text someone typed
(and by the address parser, the login form and the API's query parameters):
no control characters (C0, DEL, C1), no line breaks of any kind (U+2028 and
U+2029 too), no invisible characters that change the direction of text
(Unicode's Bidi_Control set: an override such as U+202E shows ``gro.elpmaxe``
as ``example.org`` — "Trojan Source"), and no lone UTF-16 surrogates (they are
not text: they cannot be encoded, so no database can store them).

The same set is made visible in log lines (:func:`visible`), which are shown
rather than refused.
"""

from __future__ import annotations

import re

from .languages import N_, Message

_LINE_BREAKS = "\n\x0b\x0c\r\x85\u2028\u2029"
# Bidi_Control: the Arabic letter mark, LRM/RLM, embeddings, overrides and isolates.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
# One regex search instead of a Python loop per character: the CSV importer
# checks every address and name of a 100k-row file.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029{_SURROGATES}]")


class TextError(ValueError):
    """Text that cannot be accepted; the message is for people."""


def _describe(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    if ch in _LINE_BREAKS:
        return Message(N_("must be a single line: it contains a line break (%(code)s)"), code=code)
    if "\ud800" <= ch <= "\udfff":
        return Message(N_("contains a broken character (%(code)s, half of a UTF-16 pair)"), code=code)
    if ch == "\u061c" or "\u200e" <= ch <= "\u200f" or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
        return Message(
            N_("must not contain invisible characters that change the direction of text (%(code)s)"), code=code
        )
    return Message(N_("must not contain control characters (%(code)s)"), code=code)


def problem(value: str) -> str | None:
    """Why ``value`` cannot be taken as a line of text, in plain words; None if it can."""
    found = _UNSAFE.search(value)
    return _describe(found.group()) if found else None


def check(value: str) -> str:
    """``value`` unchanged, or TextError saying which character is refused."""
    reason = problem(value)
    if reason:
        raise TextError(reason)
    return value


def one_line(value: str | None, max_length: int) -> str:
    """A name or description as stored: stripped, at most ``max_length``
    characters, and safe by :func:`check`."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise TextError(Message(N_("is at most %(count)s characters"), count=max_length))
    return check(text)


def has_surrogates(value: str) -> bool:
    """Is this not encodable text (a lone surrogate, e.g. ``"\\ud800"`` from JSON)?"""
    return re.search(f"[{_SURROGATES}]", value) is not None


def visible(value: str, keep: str = "\t") -> str:
    """``value`` with each refused character (except those in ``keep``) written
    as an escape (``\\x1b``, ``\\u202e``), for showing untrusted lines."""

    def escape(match: re.Match) -> str:
        ch = match.group()
        if ch in keep:
            return ch
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _UNSAFE.sub(escape, value)
