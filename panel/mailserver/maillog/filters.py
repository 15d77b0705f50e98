"""What a log search looks for: a filter typed on the page becomes a
:class:`Matcher`, a test on one raw line plus a cheap test on a whole block
(a block that cannot hold a matching line is skipped without splitting it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SEVERITIES = {
    "warning": (b"warning:",),
    "error": (b"error:", b"fatal:", b"panic:"),
    "reject": (b"reject",),
}


@dataclass(frozen=True)
class Matcher:
    """``matcher(line)``: does this raw line match? ``may_contain(block)``:
    could any line of this block match? (None: always worth reading.)"""

    line: Callable[[bytes], bool]
    block: Callable[[bytes], bool] | None = None

    def __call__(self, raw: bytes) -> bool:
        return self.line(raw)

    def may_contain(self, block: bytes) -> bool:
        return self.block is None or self.block(block)


def substring_matcher(needle: bytes) -> Matcher:
    """Lines containing ``needle`` in any case (a block contains it whenever
    one of its lines does)."""
    needle = needle.lower()

    def contains(raw: bytes) -> bool:
        return needle in raw.lower()

    return Matcher(contains, contains)


@dataclass(frozen=True)
class LogFilter:
    text: str = ""
    queue_id: str = ""
    address: str = ""
    severity: str = ""

    def __post_init__(self):
        object.__setattr__(self, "text", (self.text or "").strip())
        object.__setattr__(self, "queue_id", (self.queue_id or "").strip())
        object.__setattr__(self, "address", (self.address or "").strip().lower())
        severity = (self.severity or "").strip().lower()
        object.__setattr__(self, "severity", severity if severity in SEVERITIES else "")

    def predicate(self) -> Matcher:
        """A test on a raw line; built once, run on every line."""
        checks: list[Callable[[bytes], bool]] = []
        if self.text:
            needle = self.text.lower().encode("utf-8")
            checks.append(lambda low: needle in low)
        if self.address:
            addr = self.address.encode("utf-8", "replace")
            checks.append(lambda low: addr in low)
        if self.severity:
            marks = SEVERITIES[self.severity]
            checks.append(lambda low: any(m in low for m in marks))
        id_check = word_matcher([self.queue_id.encode("ascii", "replace")]) if self.queue_id else None

        def matches(line: bytes) -> bool:
            if id_check is not None and not id_check(line):
                return False
            if checks:
                low = line.lower()
                return all(check(low) for check in checks)
            return True

        if not (self.queue_id or checks):
            return Matcher(matches)
        queue_id = self.queue_id.encode("ascii", "replace")

        def may_contain(block: bytes) -> bool:
            if queue_id and queue_id not in block:
                return False
            if checks:
                low = block.lower()
                return all(check(low) for check in checks)
            return True

        return Matcher(matches, may_contain)


def word_matcher(words: Iterable[bytes]) -> Matcher:
    """True when one of ``words`` appears as a whole token (queue ids)."""
    alternatives = b"|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    pattern = re.compile(rb"(?<![0-9A-Za-z])(?:" + alternatives + rb")(?![0-9A-Za-z])")

    def matches(line: bytes) -> bool:
        return pattern.search(line) is not None

    return Matcher(matches, matches)  # a block without the word has no line with it
