"""Reading a log backwards from its end, in fixed blocks, stopping once it
has its lines: time and memory depend on how many lines are asked for, not
on the size of the file. When the current file is not enough it continues
into the rotated ``.1`` file; searches may also read older rotations,
compressed ones (``.2.gz``…) included."""

from __future__ import annotations

import gzip
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from .filters import LogFilter, Matcher
from .lines import BLOCK_SIZE, LINE_CAP, LogLine, decode

DEFAULT_LINES = 200
MAX_LINES = 5000
SCAN_BUDGET = 256 * 1024 * 1024  # bytes a filtered search reads before giving up
MAX_ROTATIONS = 9


def last_newline_end(fh, size: int) -> int:
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
    filt: LogFilter | None = None,
    rotated: bool = False,
    budget: int = SCAN_BUDGET,
) -> TailResult:
    """The last ``lines`` lines (matching ``filt``), oldest first.

    Reads the current file backwards, then ``.1``; with ``rotated`` also the
    older, compressed rotations. A filtered search stops after ``budget``
    bytes and says so.
    """
    filt = filt or LogFilter()
    return scan(path, filt.predicate(), max(1, min(int(lines), MAX_LINES)), rotated, budget)


def scan(path: str, matches: Matcher, want: int, rotated: bool, budget: int) -> TailResult:
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
            end = last_newline_end(fh, stat.st_size)
            result.cursor = format_cursor(stat.st_ino, end)
            _collect_backwards(fh, end, os.path.basename(path), matches, want, found, result, budget)
    for older, packed in _rotations(path, rotated):
        if len(found) >= want or result.exhausted_budget:
            break
        if packed:
            _collect_gzip(older, matches, want, found, result, budget)
        else:
            with open(older, "rb") as fh:
                end = last_newline_end(fh, os.fstat(fh.fileno()).st_size)
                _collect_backwards(fh, end, os.path.basename(older), matches, want, found, result, budget)
    found.reverse()
    result.lines = found
    return result


def _collect_backwards(fh, end, source, matches, want, found, result, budget) -> None:
    result.sources.append(source)
    start = result.scanned
    for raw, length, read in _backwards(fh, end, matches.may_contain):
        result.scanned = start + read
        if raw is not None and matches(raw):
            found.append(decode(raw, length, source))
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
                kept.append(decode(raw, length, source))
            if result.scanned > budget:
                result.exhausted_budget = True
                break
    found.extend(reversed(kept))


def format_cursor(inode: int, offset: int) -> str:
    """Where follow mode continues: the file (by inode) and a byte offset."""
    return f"{inode}:{offset}"
