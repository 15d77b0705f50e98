"""A message's journey: the Postfix lines of one queue id (or of an
address's recent messages), the bounces it caused, and Dovecot's LMTP
delivery lines, merged in time order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .filters import Matcher, substring_matcher, word_matcher
from .lines import LogLine
from .reading import SCAN_BUDGET, scan

_POSTFIX_ID = re.compile(rb"postfix[^\s\[]*/[\w-]+\[\d+\]: ([0-9A-Za-z]{6,40}): ")
_CHILD_ID = re.compile(rb"notification: ([0-9A-Za-z]{6,40})")
_MESSAGE_ID = re.compile(rb"message-id=(<[^>\s]{1,500}>)")
_LMTP_SESSION = re.compile(rb"status=\w+ \(\d{3} [\d.]+ <[^>]*> ([A-Za-z0-9+/]{8,40}) ")
MAX_JOURNEY_IDS = 20
MAX_JOURNEY_LINES = 2000

_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_ISO_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?")
_SYSLOG_TIME = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?")


def line_time(text: str, year: int) -> tuple | None:
    """A sortable time from the start of a log line (ISO or syslog style)."""
    if match := _ISO_TIME.match(text):
        y, mo, d, h, mi, s, frac = match.groups()
        return (int(y), int(mo), int(d), int(h), int(mi), int(s), int((frac or "0").ljust(6, "0")))
    if match := _SYSLOG_TIME.match(text):
        mon, d, h, mi, s, frac = match.groups()
        month = _MONTHS.get(mon.lower())
        if month:
            return (year, month, int(d), int(h), int(mi), int(s), int((frac or "0").ljust(6, "0")))
    return None


@dataclass
class Journey:
    queue_ids: list[str]
    lines: list[LogLine]  # Postfix and Dovecot lines, in time order
    exhausted_budget: bool = False
    truncated: bool = False


def _matching(path: str, matches: Matcher, budget: int, rotated: bool) -> tuple[list[LogLine], bool]:
    result = scan(path, matches, MAX_JOURNEY_LINES, rotated, budget)
    return result.lines, result.exhausted_budget


def journey(
    postfix_log: str,
    dovecot_log: str,
    *,
    queue_id: str = "",
    address: str = "",
    rotated: bool = False,
    budget: int = SCAN_BUDGET,
    year: int | None = None,
) -> Journey:
    """The log lines of one message (by queue id) or of an address's recent
    messages: smtpd, cleanup, qmgr, lmtp/smtp, bounces, and Dovecot's LMTP
    delivery lines, merged in time order."""
    address = address.strip().lower()
    year = year or datetime.now().year
    postfix: list[LogLine] = []
    exhausted = False
    ids: list[str] = [queue_id] if queue_id else []
    if address:
        mentions = substring_matcher(address.encode("utf-8", "replace"))
        hits, exhausted = _matching(postfix_log, mentions, budget, rotated)
        postfix.extend(hits)
        for line in reversed(hits):  # newest first
            match = _POSTFIX_ID.search(line.text.encode())
            if match and match.group(1) != b"NOQUEUE" and match.group(1).decode() not in ids:
                ids.append(match.group(1).decode())
            if len(ids) >= MAX_JOURNEY_IDS:
                break
    if ids:
        hits, more = _matching(postfix_log, word_matcher([i.encode() for i in ids]), budget, rotated)
        exhausted |= more
        children = [c.decode() for line in hits for c in _CHILD_ID.findall(line.text.encode())]
        children = [c for c in dict.fromkeys(children) if c not in ids][:MAX_JOURNEY_IDS]
        if children:
            child_hits, more = _matching(postfix_log, word_matcher([c.encode() for c in children]), budget, rotated)
            exhausted |= more
            hits.extend(child_hits)
            ids.extend(children)
        postfix.extend(hits)
    postfix = list({(line.source, line.text): line for line in postfix}.values())
    dovecot, more = _dovecot_lines(dovecot_log, postfix, address, budget, rotated)
    exhausted |= more
    merged = _merge_by_time(postfix + dovecot, year)
    truncated = len(merged) > MAX_JOURNEY_LINES
    return Journey(ids, merged[-MAX_JOURNEY_LINES:], exhausted, truncated)


def _dovecot_lines(path: str, postfix: list[LogLine], address: str, budget: int, rotated: bool):
    """Dovecot LMTP lines tied to these Postfix lines: by the LMTP session id
    Postfix logged in ``status=sent (250 … <addr> SESSION Saved)``, by the
    Message-ID, or by the mailbox address."""
    keys: set[bytes] = set()
    for line in postfix:
        raw = line.text.encode()
        keys.update(_LMTP_SESSION.findall(raw))
        keys.update(m.lower() for m in _MESSAGE_ID.findall(raw))
    if address:
        keys.add(f"lmtp({address})".encode())
    if not keys:
        return [], False

    def matches(raw: bytes) -> bool:
        if b"lmtp" not in raw:
            return False
        low = raw.lower()
        return any(key.lower() in low for key in keys)

    return _matching(path, Matcher(matches, matches), budget, rotated)


def _merge_by_time(lines: list[LogLine], year: int) -> list[LogLine]:
    """Stable sort by the time at the start of each line; a line without a
    time keeps the time of the line before it."""
    keyed, last = [], (0,)
    for index, line in enumerate(lines):
        stamp = line_time(line.text, year) or last
        last = stamp
        keyed.append((stamp, index, line))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in keyed]
