"""Follow mode: the lines written since a cursor (inode:offset), read from
that offset, so nothing already shown is read again; a rotation is noticed
by the inode and the rest of the old file is read from ``.1`` first."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .filters import LogFilter, Matcher
from .lines import LINE_CAP, LogLine, decode
from .reading import format_cursor, last_newline_end

FOLLOW_CHUNK = 1024 * 1024  # bytes one follow poll reads at most


def parse_cursor(value: str | None) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,20}):(\d{1,20})", value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class FollowResult:
    lines: list[LogLine]
    cursor: str | None
    rotated: bool = False


def follow(path: str, cursor: str | None, filt: LogFilter | None = None, chunk: int = FOLLOW_CHUNK) -> FollowResult:
    """Complete lines written since ``cursor`` (inode:offset), and the next
    cursor. Only new bytes are read; a rotation is noticed by the inode and
    the rest of the old file is read from ``.1`` before the new one."""
    matches = (filt or LogFilter()).predicate()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return FollowResult([], None)
    where = parse_cursor(cursor)
    if where is None:
        with open(path, "rb") as fh:
            return FollowResult([], format_cursor(stat.st_ino, last_newline_end(fh, stat.st_size)))
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


def _read_from(path: str, offset: int, chunk: int, matches: Matcher, lines: list[LogLine]) -> int:
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
            lines.append(decode(raw[:LINE_CAP], len(raw), source))
    return offset + end + 1
