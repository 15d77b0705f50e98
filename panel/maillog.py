"""Reading the mail logs: tail, filters, follow, and a message's journey.

Logs grow to gigabytes, so the tail reads *backwards* from the end in fixed
blocks and stops once it has its lines: time and memory depend on how many
lines are asked for, not on the size of the file. When the current file is
not enough it continues into the rotated ``.1`` file; searches may also read
older rotations, compressed ones (``.2.gz``…) included. Follow mode reads
from a byte offset, so it never re-reads what was already shown.

The paths come from configuration only. Log lines are untrusted: bytes that
are not UTF-8 are replaced, control characters are made visible, and very
long lines are cut with a visible mark. Callers escape the text (Jinja's
autoescape, ``textContent`` in the browser).
"""

from __future__ import annotations

import gzip
import os
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator

BLOCK_SIZE = 64 * 1024
LINE_CAP = 2000  # bytes of one line kept and shown
DEFAULT_LINES = 200
MAX_LINES = 5000
SCAN_BUDGET = 256 * 1024 * 1024  # bytes a filtered search reads before giving up
FOLLOW_CHUNK = 1024 * 1024  # bytes one follow poll reads at most
MAX_ROTATIONS = 9
SEVERITIES = {
    "warning": (b"warning:",),
    "error": (b"error:", b"fatal:", b"panic:"),
    "reject": (b"reject",),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class LogLine:
    text: str
    source: str  # file name, e.g. "postfix.log.1"
    cut: int = 0  # bytes left out of a very long line

    @property
    def display(self) -> str:
        return f"{self.text} … [{self.cut} more bytes cut]" if self.cut else self.text


def _decode(raw: bytes, full_length: int, source: str) -> LogLine:
    text = raw.decode("utf-8", "replace")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return LogLine(text, source, max(0, full_length - len(raw)))


# -- filters -----------------------------------------------------------------


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

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.queue_id or self.address or self.severity)

    def predicate(self) -> Callable[[bytes], bool]:
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

        if self.queue_id or checks:
            queue_id = self.queue_id.encode("ascii", "replace")

            def may_contain(block: bytes) -> bool:
                if queue_id and queue_id not in block:
                    return False
                if checks:
                    low = block.lower()
                    return all(check(low) for check in checks)
                return True

            matches.may_contain = may_contain
        return matches


def word_matcher(words: Iterable[bytes]) -> Callable[[bytes], bool]:
    """True when one of ``words`` appears as a whole token (queue ids)."""
    alternatives = b"|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    pattern = re.compile(rb"(?<![0-9A-Za-z])(?:" + alternatives + rb")(?![0-9A-Za-z])")

    def matches(line: bytes) -> bool:
        return pattern.search(line) is not None

    matches.may_contain = matches  # a block without the word has no line with it
    return matches


# -- reading backwards -------------------------------------------------------


def _last_newline_end(fh, size: int) -> int:
    """The offset just after the last newline: a half-written line is left
    for follow mode to pick up once it is complete."""
    pos = size
    while pos > 0:
        step = min(BLOCK_SIZE, pos)
        pos -= step
        fh.seek(pos)
        found = fh.read(step).rfind(b"\n")
        if found >= 0:
            return pos + found + 1
    return 0


def _backwards(fh, end: int, may_contain=None) -> Iterator[tuple[bytes | None, int, int]]:
    """Complete lines before ``end`` (which follows a newline), newest first,
    as (first LINE_CAP bytes, full length, bytes read so far).

    ``may_contain(bytes)`` is a cheap test on a whole block: when it says no
    line of the block can match, the block is not split into lines at all
    and only ``(None, 0, read)`` is yielded, so a search stays fast.
    """
    pos = end - 1 if end > 0 else 0  # skip the final newline
    frag, frag_len = b"", 0
    while pos > 0:
        step = min(BLOCK_SIZE, pos)
        pos -= step
        fh.seek(pos)
        block = fh.read(step)
        parts = block.split(b"\n") if may_contain is None or may_contain(block + frag) else None
        if parts is None:
            first_newline = block.find(b"\n")
            if first_newline < 0:
                frag_len += len(block)
                frag = (block + frag)[:LINE_CAP]
            else:
                frag, frag_len = block[: min(first_newline, LINE_CAP)], first_newline
            yield None, 0, end - pos
            continue
        # The block's last piece continues (to the left) the line being built;
        # we keep its *first* bytes, so cut from the right.
        frag_len += len(parts[-1])
        frag = (parts[-1] + frag)[:LINE_CAP]
        for piece in reversed(parts[:-1]):
            yield frag, frag_len, end - pos
            frag, frag_len = piece[:LINE_CAP], len(piece)
    if end > 0:
        yield frag, frag_len, end


def _forwards(stream, limit: int | None = None) -> Iterator[tuple[bytes, int]]:
    """Lines of a stream from where it is, as (first LINE_CAP bytes, length);
    a line longer than a block never sits whole in memory."""
    head, length = b"", 0
    while True:
        chunk = stream.read(BLOCK_SIZE)
        if not chunk:
            break
        parts = chunk.split(b"\n")
        for piece in parts[:-1]:
            if length < LINE_CAP:
                head += piece[: LINE_CAP - length]
            yield head, length + len(piece)
            head, length = b"", 0
        if length < LINE_CAP:
            head += parts[-1][: LINE_CAP - length]
        length += len(parts[-1])
    if length:
        yield head, length


@dataclass
class TailResult:
    lines: list[LogLine]
    cursor: str | None  # where follow mode continues
    scanned: int = 0  # bytes read
    exhausted_budget: bool = False
    sources: list[str] = field(default_factory=list)
    missing: bool = False  # the log file does not exist


def _rotations(path: str, compressed: bool) -> Iterator[tuple[str, bool]]:
    """Older files, newest first: (path, is_gzip). Only ``.1`` unless asked."""
    for number in range(1, MAX_ROTATIONS + 1):
        plain, packed = f"{path}.{number}", f"{path}.{number}.gz"
        if os.path.isfile(plain):
            yield plain, False
        elif compressed and os.path.isfile(packed):
            yield packed, True
        else:
            return
        if not compressed:
            return


def tail(
    path: str,
    lines: int = DEFAULT_LINES,
    filt: LogFilter = LogFilter(),
    rotated: bool = False,
    budget: int = SCAN_BUDGET,
) -> TailResult:
    """The last ``lines`` lines (matching ``filt``), oldest first.

    Reads the current file backwards, then ``.1``; with ``rotated`` also the
    older, compressed rotations. A filtered search stops after ``budget``
    bytes and says so.
    """
    return scan(path, filt.predicate(), max(1, min(int(lines), MAX_LINES)), rotated, budget)


def scan(path: str, matches: Callable[[bytes], bool], want: int, rotated: bool, budget: int) -> TailResult:
    """The last ``want`` lines for which ``matches`` (given the raw bytes) is true."""
    found: list[LogLine] = []  # newest first
    result = TailResult([], None)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        result.missing = True
        fh = None
    if fh is not None:
        with fh:
            stat = os.fstat(fh.fileno())
            end = _last_newline_end(fh, stat.st_size)
            result.cursor = format_cursor(stat.st_ino, end)
            _collect_backwards(fh, end, os.path.basename(path), matches, want, found, result, budget)
    for older, packed in _rotations(path, rotated):
        if len(found) >= want or result.exhausted_budget:
            break
        if packed:
            _collect_gzip(older, matches, want, found, result, budget)
        else:
            with open(older, "rb") as fh:
                end = _last_newline_end(fh, os.fstat(fh.fileno()).st_size)
                _collect_backwards(fh, end, os.path.basename(older), matches, want, found, result, budget)
    found.reverse()
    result.lines = found
    return result


def _collect_backwards(fh, end, source, matches, want, found, result, budget) -> None:
    result.sources.append(source)
    start = result.scanned
    for raw, length, read in _backwards(fh, end, getattr(matches, "may_contain", None)):
        result.scanned = start + read
        if raw is not None and matches(raw):
            found.append(_decode(raw, length, source))
            if len(found) >= want:
                return
        if result.scanned > budget:
            result.exhausted_budget = True
            return


def _collect_gzip(path, matches, want, found, result, budget) -> None:
    """gzip cannot be read backwards: read forwards, keep the last matches."""
    source = os.path.basename(path)
    result.sources.append(source)
    need = want - len(found)
    kept: deque = deque(maxlen=need)
    with gzip.open(path, "rb") as stream:
        for raw, length in _forwards(stream):
            result.scanned += length + 1
            if matches(raw):
                kept.append(_decode(raw, length, source))
            if result.scanned > budget:
                result.exhausted_budget = True
                break
    found.extend(reversed(kept))


# -- follow ------------------------------------------------------------------


def format_cursor(inode: int, offset: int) -> str:
    return f"{inode}:{offset}"


def parse_cursor(value: str | None) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,20}):(\d{1,20})", value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class FollowResult:
    lines: list[LogLine]
    cursor: str | None
    rotated: bool = False


def follow(path: str, cursor: str | None, filt: LogFilter = LogFilter(), chunk: int = FOLLOW_CHUNK) -> FollowResult:
    """Complete lines written since ``cursor`` (inode:offset), and the next
    cursor. Only new bytes are read; a rotation is noticed by the inode and
    the rest of the old file is read from ``.1`` before the new one."""
    matches = filt.predicate()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return FollowResult([], None)
    where = parse_cursor(cursor)
    if where is None:
        with open(path, "rb") as fh:
            return FollowResult([], format_cursor(stat.st_ino, _last_newline_end(fh, stat.st_size)))
    inode, offset = where
    lines: list[LogLine] = []
    rotated = inode != stat.st_ino or offset > stat.st_size
    if rotated:
        old = f"{path}.1"
        if inode != stat.st_ino and os.path.isfile(old) and os.stat(old).st_ino == inode:
            _read_from(old, offset, chunk, matches, lines)
        offset = 0
    offset = _read_from(path, offset, chunk, matches, lines)
    return FollowResult(lines, format_cursor(stat.st_ino, offset), rotated)


def _read_from(path: str, offset: int, chunk: int, matches, lines: list[LogLine]) -> int:
    source = os.path.basename(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(chunk)
    end = data.rfind(b"\n")
    if end < 0:
        if len(data) < chunk:
            return offset  # a half-written line: wait for its end
        end = len(data) - 1  # one enormous line: show its start, move on
        data = data + b"\n"
    for raw in data[:end].split(b"\n"):
        if matches(raw):
            lines.append(_decode(raw[:LINE_CAP], len(raw), source))
    return offset + end + 1


# -- a message's journey -----------------------------------------------------

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


def _matching(path: str, matches: Callable[[bytes], bool], budget: int, rotated: bool) -> tuple[list[LogLine], bool]:
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
        needle = address.encode("utf-8", "replace")

        def mentions(raw: bytes) -> bool:
            return needle in raw.lower()

        mentions.may_contain = mentions  # a block mentions it whenever one of its lines does
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

    matches.may_contain = matches
    return _matching(path, matches, budget, rotated)


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
