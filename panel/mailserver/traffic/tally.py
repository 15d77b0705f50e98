"""Counting traffic events per hour and per domain, in memory, for one
batch of lines; panel/services/traffic.py adds the batch to the rollup.

Which domain an event counts for:

- a delivery status (delivered, deferred, bounced) and ``received``: the
  recipient's domain when it is hosted; otherwise (mail going out) the
  envelope sender's domain, from qmgr's ``from=`` line of the same queue id;
- ``received``: once per message and hosted recipient domain, at its first
  delivery attempt (a message deferred and delivered later counts once);
- ``rejected``: the recipient's domain, else the sender's;
- ``sent`` (SMTP AUTH): the domain of the SASL user name;
- IMAP/POP3 logins and failures, and failed SMTP AUTH: the domain of the
  login name (a failed SMTP AUTH without a user name counts server-wide).

A domain that is not hosted counts as ``""`` ("elsewhere"), so a spammer
trying random domains adds one row, not one per name. Alias domains count
for their target (its admins see them). Deferrals are attempts: a message
retried five times is deferred five times.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .lines import AUTH_FAILED, FAILED, LOGIN, QUEUED, REJECT, REMOVED, SASL, STATUS, Event, domain_of, parse

COUNTERS = (
    "received",
    "delivered",
    "deferred",
    "bounced",
    "rejected",
    "sent",
    "imap_logins",
    "imap_failed",
    "pop3_logins",
    "pop3_failed",
    "smtp_failed",
)
_INDEX = {name: i for i, name in enumerate(COUNTERS)}
REJECTS, SENDERS = "reject", "sender"  # the two kinds of top lists
_MONTHS = {m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def named(values) -> dict[str, int]:
    """Counter values in COUNTERS' order, by name."""
    return dict(zip(COUNTERS, map(int, values), strict=True))


def hour_number(moment: datetime) -> int:
    """Hours since the epoch (UTC): the rollup's key."""
    return int(moment.timestamp() // 3600)


def hour_start(number: int) -> datetime:
    return datetime.fromtimestamp(number * 3600, timezone.utc)


class Clock:
    """The hour (UTC) of a line's stamp. Syslog stamps have no year and are
    in the machine's local time: the year is the current one unless that
    puts the line more than a day in the future (December's lines read in
    January). Conversions are cached per minute."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(timezone.utc)
        self._cache: dict[bytes, int | None] = {}

    def hour(self, stamp: bytes) -> int | None:
        try:
            return self._cache[stamp]
        except KeyError:
            value = self._cache[stamp] = self._convert(stamp)
            return value

    def _convert(self, stamp: bytes) -> int | None:
        try:
            if stamp[:1].isdigit():
                moment = datetime.fromisoformat(stamp.decode("ascii").replace("Z", "+00:00"))
                return hour_number(moment if moment.tzinfo else moment.astimezone())
            month, day, hh, mm = _MONTHS[stamp[:3]], int(stamp[4:6]), int(stamp[7:9]), int(stamp[10:12])
            for year in (self.now.year, self.now.year - 1):
                moment = datetime(year, month, day, hh, mm).astimezone()  # naive: local time
                if moment <= self.now + timedelta(days=1):
                    return hour_number(moment)
        except (KeyError, ValueError, OverflowError):
            pass
        return None


@dataclass
class Message:
    """What the counting needs to remember about a queued message between
    its lines (and between batches, until qmgr says it was removed)."""

    sender: str = ""
    received: set[str] = field(default_factory=set)  # recipient domains already counted
    hour: int = 0  # when it was last seen, to forget messages whose end was never logged


@dataclass
class Tally:
    """One batch's counts. ``resolve`` maps a set of domain names to the
    hosted ones (name -> the domain they count for); answers are cached."""

    resolve: Callable[[set[str]], dict[str, str]]
    messages: dict[str, Message] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    counts: dict[tuple[int, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * len(COUNTERS)))
    tops: dict[tuple[int, str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    lines: int = 0
    _hosted: dict[str, str] = field(default_factory=dict)
    parse_seconds: float = 0.0

    def add_lines(self, raw_lines: Iterable[bytes]) -> None:
        started = time.perf_counter()
        events = []
        for raw in raw_lines:
            self.lines += 1
            event = parse(raw)
            if event is not None:
                events.append(event)
        self.parse_seconds += time.perf_counter() - started
        self._learn_domains(events)
        for event in events:
            hour = self.clock.hour(event.stamp)
            if hour is not None:
                self._apply(event, hour)

    def _learn_domains(self, events: list[Event]) -> None:
        names = {domain_of(e.address) for e in events} | {domain_of(e.sender) for e in events if e.sender}
        names |= {domain_of(m.sender) for m in self.messages.values()}
        unknown = {n for n in names if n and n not in self._hosted}
        if unknown:
            found = self.resolve(unknown)
            self._hosted.update({name: found.get(name, "") for name in unknown})

    def host(self, address: str) -> str:
        """The hosted domain an address counts for, or "" (elsewhere)."""
        return self._hosted.get(domain_of(address), "")

    def _add(self, hour: int, domain: str, counter: str, amount: int = 1) -> None:
        self.counts[(hour, domain)][_INDEX[counter]] += amount

    def _apply(self, event: Event, hour: int) -> None:
        kind = event.kind
        if kind == STATUS:
            self._status(event, hour)
        elif kind == QUEUED:
            message = self.messages.setdefault(event.queue_id, Message())
            message.sender, message.hour = event.address, hour
        elif kind == REMOVED:
            self.messages.pop(event.queue_id, None)
        elif kind == REJECT:
            domain = self.host(event.address) or self.host(event.sender)
            self._add(hour, domain, "rejected")
            self.tops[(hour, domain, REJECTS)][event.detail] += 1
        elif kind == SASL:
            domain = self.host(event.address)
            self._add(hour, domain, "sent")
            self.tops[(hour, domain, SENDERS)][event.address] += 1
        elif kind == LOGIN:
            self._add(hour, self.host(event.address), f"{event.detail}_logins")
        elif kind == FAILED:
            self._add(hour, self.host(event.address), f"{event.detail}_failed", event.count)
        elif kind == AUTH_FAILED:
            self._add(hour, self.host(event.address), "smtp_failed")

    def _status(self, event: Event, hour: int) -> None:
        message = self.messages.setdefault(event.queue_id, Message()) if event.queue_id else Message()
        message.hour = hour
        domain = self.host(event.address)
        if domain:
            if domain not in message.received:
                message.received.add(domain)
                self._add(hour, domain, "received")
        else:
            domain = self.host(message.sender)
        self._add(hour, domain, event.detail)

    def forget_before(self, hour: int) -> None:
        """Drop messages not seen since ``hour`` (their "removed" line was lost)."""
        self.messages = {qid: m for qid, m in self.messages.items() if m.hour >= hour}


def merge_top(kept: dict[str, int], batch: Counter, size: int) -> dict[str, int]:
    """Add a batch's counts to a top list of at most ``size`` names
    (Space-Saving: a new name past the limit takes the place of the
    smallest and inherits its count, so a name that is frequent overall is
    never lost and no count is ever too low; the tail's counts may be high)."""
    kept = dict(kept)
    for name, count in batch.most_common():
        if name in kept:
            kept[name] += count
        elif len(kept) < size:
            kept[name] = count
        else:
            smallest = min(kept, key=lambda n: (kept[n], n))
            kept[name] = kept.pop(smallest) + count
    return kept
