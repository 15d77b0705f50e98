"""Reading ``postqueue -j`` as a stream: totals, filters, sorting, pages.

``postqueue -j`` prints one JSON object per queued message. A queue can hold
hundreds of thousands of them, so nothing here keeps the whole output: one
pass counts the totals and keeps only the current page in a bounded heap
(:func:`heapq.nsmallest` holds ``per_page + 1`` items). Pages are keyset
pages: a cursor is the sort key of the last row shown, so a deep page costs
the same as the first.

Everything in a message (sender, recipients, reasons) is untrusted text.
"""

from __future__ import annotations

import heapq
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..languages import N_
from .tools import is_queue_id

QUEUES = ("active", "deferred", "hold", "incoming", "maildrop")

# Upper bounds (seconds, exclusive) of the age groups shown in the totals
# (the labels in English; the queue page translates them).
AGE_GROUPS = (
    (N_("under 1 hour"), 3600),
    (N_("1 to 6 hours"), 6 * 3600),
    (N_("6 to 24 hours"), 24 * 3600),
    (N_("1 to 7 days"), 7 * 24 * 3600),
    (N_("over 7 days"), None),
)

# name -> (field, descending)
SORTS = {
    "oldest": ("arrival_time", False),
    "newest": ("arrival_time", True),
    "largest": ("size", True),
    "smallest": ("size", False),
}
DEFAULT_SORT = "oldest"
MAX_PER_PAGE = 500

_CURSOR = re.compile(r"(-?\d{1,20})\.([0-9A-Za-z]{6,40})")


@dataclass(frozen=True)
class Recipient:
    address: str
    reason: str


@dataclass(frozen=True)
class QueuedMessage:
    queue_id: str
    queue_name: str
    arrival_time: int
    size: int
    sender: str
    recipients: tuple[Recipient, ...]
    forced_expire: bool = False

    def age(self, now: float) -> int:
        return max(0, int(now) - self.arrival_time)

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(r.reason for r in self.recipients if r.reason))


def parse_line(line: bytes | str) -> QueuedMessage | None:
    """One ``postqueue -j`` line, or None when it is not a message we can use."""
    try:
        raw = json.loads(line)
        queue_id = raw["queue_id"]
        if not isinstance(queue_id, str) or not is_queue_id(queue_id):
            return None
        recipients = tuple(
            Recipient(str(r.get("address", "")), str(r.get("delay_reason", "") or ""))
            for r in raw.get("recipients") or ()
            if isinstance(r, dict)
        )
        return QueuedMessage(
            queue_id=queue_id,
            queue_name=str(raw.get("queue_name", "")),
            arrival_time=int(raw.get("arrival_time") or 0),
            size=int(raw.get("message_size") or 0),
            sender=str(raw.get("sender", "")),
            recipients=recipients,
            forced_expire=bool(raw.get("forced_expire", False)),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower() if "@" in address else ""


@dataclass(frozen=True)
class QueueFilter:
    """What the page is narrowed to; empty fields match everything."""

    queue: str = ""
    sender: str = ""  # substring, case-insensitive
    recipient: str = ""  # substring of any recipient, case-insensitive
    domain: str = ""  # the sender's or any recipient's domain, exactly
    reason: str = ""  # substring of any delay reason, case-insensitive
    min_age: int | None = None  # seconds
    max_age: int | None = None

    def __post_init__(self):
        for name in ("sender", "recipient", "domain", "reason"):
            object.__setattr__(self, name, (getattr(self, name) or "").strip().lower())
        object.__setattr__(self, "queue", (self.queue or "").strip().lower())

    def matches(self, msg: QueuedMessage, now: float) -> bool:
        if self.queue and msg.queue_name != self.queue:
            return False
        if self.min_age is not None or self.max_age is not None:
            age = msg.age(now)
            if self.min_age is not None and age < self.min_age:
                return False
            if self.max_age is not None and age > self.max_age:
                return False
        if self.sender and self.sender not in msg.sender.lower():
            return False
        if self.recipient and not any(self.recipient in r.address.lower() for r in msg.recipients):
            return False
        if (
            self.domain
            and _domain(msg.sender) != self.domain
            and not any(_domain(r.address) == self.domain for r in msg.recipients)
        ):
            return False
        if self.reason and not any(self.reason in r.reason.lower() for r in msg.recipients):
            return False
        return True


@dataclass
class QueueTotals:
    """Counted over every message in the queue, whatever the filter."""

    messages: int = 0
    bytes: int = 0
    matched: int = 0
    unreadable: int = 0
    by_queue: Counter = field(default_factory=Counter)
    by_age: Counter = field(default_factory=Counter)

    def add(self, msg: "QueuedMessage | Head", now: float) -> None:
        self.messages += 1
        self.bytes += msg.size
        self.by_queue[msg.queue_name] += 1
        age = max(0, int(now) - msg.arrival_time)
        for label, limit in AGE_GROUPS:
            if limit is None or age < limit:
                self.by_age[label] += 1
                break

    def queue_rows(self) -> list[tuple[str, int]]:
        extra = sorted(q for q in self.by_queue if q not in QUEUES)
        return [(q, self.by_queue.get(q, 0)) for q in (*QUEUES, *extra)]

    def age_rows(self) -> list[tuple[str, int]]:
        return [(label, self.by_age.get(label, 0)) for label, _ in AGE_GROUPS]


@dataclass
class QueuePage:
    totals: QueueTotals
    messages: list[QueuedMessage]
    sort: str
    next_cursor: str | None
    prev_cursor: str | None


def sort_key(sort: str) -> Callable[["QueuedMessage | Head"], tuple[int, str]]:
    """A key in which "earlier on the page" is always "smaller"."""
    name, descending = SORTS[sort]
    sign = -1 if descending else 1
    return lambda m: (sign * getattr(m, name), m.queue_id)


def parse_cursor(value: str | None) -> tuple[int, str] | None:
    match = _CURSOR.fullmatch(value or "")
    return (int(match.group(1)), match.group(2)) if match else None


def format_cursor(key: tuple[int, str]) -> str:
    return f"{key[0]}.{key[1]}"


# The fields every line needs (totals, age, sort) are read with one regular
# expression; the full JSON parse is kept for the rows shown and for lines a
# text filter might match. In JSON a key's quotes cannot occur unescaped
# inside a string value, so a string cannot fake these fields.
_HEAD_FIELDS = re.compile(rb'"(queue_name|queue_id|arrival_time|message_size)": ?(?:"([^"\\]*)"|(-?\d{1,20}))')


@dataclass(slots=True)
class Head:
    """What one line says about totals and order, and the line itself."""

    queue_id: str
    queue_name: str
    arrival_time: int
    size: int
    line: bytes


def parse_head(line: bytes) -> Head | None:
    found = {name: text or number for name, text, number in _HEAD_FIELDS.findall(line)}
    try:
        queue_id = found[b"queue_id"].decode("ascii")
        head = Head(
            queue_id,
            found.get(b"queue_name", b"").decode("ascii", "replace"),
            int(found.get(b"arrival_time") or 0),
            int(found.get(b"message_size") or 0),
            line,
        )
    except (KeyError, ValueError):
        return None
    return head if is_queue_id(queue_id) else None


def _text_matcher(filt: QueueFilter, now: float):
    """The full test, parsing the line only when a text filter could match."""
    needles = [n.encode("utf-8") for n in (filt.sender, filt.recipient, filt.domain, filt.reason) if n]
    # bytes.lower() folds ASCII only: a non-ASCII needle always takes the full parse.
    prefilter = all(n.isascii() for n in needles)

    def matches(head: Head) -> bool:
        if filt.queue and head.queue_name != filt.queue:
            return False
        age = max(0, int(now) - head.arrival_time)
        if filt.min_age is not None and age < filt.min_age:
            return False
        if filt.max_age is not None and age > filt.max_age:
            return False
        if not needles:
            return True
        if prefilter and b"\\" not in head.line:  # no JSON escapes: the raw bytes tell
            low = head.line.lower()
            if not all(n in low for n in needles):
                return False
        msg = parse_line(head.line)
        return msg is not None and filt.matches(msg, now)

    return matches


def messages(lines: Iterable[bytes], totals: QueueTotals, filt: QueueFilter, now: float) -> Iterator[Head]:
    """The messages that match, counting every line into ``totals`` on the way."""
    matches = _text_matcher(filt, now)
    for line in lines:
        if not line.strip():
            continue
        head = parse_head(line)
        if head is None:
            totals.unreadable += 1
            continue
        totals.add(head, now)
        if matches(head):
            totals.matched += 1
            yield head


def read_page(
    lines: Iterable[bytes],
    filt: QueueFilter = QueueFilter(),
    sort: str = DEFAULT_SORT,
    per_page: int = 50,
    after: str | None = None,
    before: str | None = None,
    now: float | None = None,
) -> QueuePage:
    """One page of matching messages plus the totals, in one pass.

    ``after``/``before`` are cursors from a previous page; memory is
    ``per_page`` messages whatever the size of the queue.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    now = time.time() if now is None else now
    key = sort_key(sort)
    totals = QueueTotals()
    matching = messages(lines, totals, filt, now)
    after_key, before_key = parse_cursor(after), parse_cursor(before)
    if before_key is not None:
        window = heapq.nlargest(per_page + 1, (m for m in matching if key(m) < before_key), key=key)
        _drain(matching)
        rows = list(reversed(window[:per_page]))
        more_before = len(window) > per_page
        prev_cursor = format_cursor(key(rows[0])) if rows and more_before else None
        next_cursor = format_cursor(key(rows[-1])) if rows else None
    else:
        candidates = matching if after_key is None else (m for m in matching if key(m) > after_key)
        window = heapq.nsmallest(per_page + 1, candidates, key=key)
        _drain(matching)
        rows = window[:per_page]
        next_cursor = format_cursor(key(rows[-1])) if len(window) > per_page else None
        prev_cursor = format_cursor(key(rows[0])) if rows and after_key is not None else None
    shown = [msg for msg in (parse_line(head.line) for head in rows) if msg is not None]
    return QueuePage(totals, shown, sort, next_cursor, prev_cursor)


def matching_ids(lines: Iterable[bytes], filt: QueueFilter, now: float | None = None) -> Iterator[str]:
    """Queue ids of every matching message, streamed (for "act on all matching")."""
    now = time.time() if now is None else now
    for head in messages(lines, QueueTotals(), filt, now):
        yield head.queue_id


def find(lines: Iterable[bytes], queue_id: str) -> QueuedMessage | None:
    for line in lines:
        if queue_id.encode() in line:
            msg = parse_line(line)
            if msg is not None and msg.queue_id == queue_id:
                return msg
    return None


def _drain(iterator: Iterator) -> None:
    """Finish the pass so the totals count every message."""
    for _ in iterator:
        pass
