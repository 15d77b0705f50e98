"""Where the traffic ingestion stopped in a log, and the next lines after it.

A cursor is (inode, offset, head): the file by its inode, how far it was
read (always just after a newline), and a hash of its first line. Each read
goes on from the cursor, so its cost is the new bytes only. Rotation:

- logrotate renames ``postfix.log`` to ``postfix.log.1`` and the daemon
  starts a new file: the cursor's inode is now ``.1``'s; it is read to its
  end first, then the new file from 0;
- ``copytruncate`` (same inode, file cut to 0): the copy ``.1`` starts with
  the same first line, so it is found by the head and read from the
  offset; then the truncated file from 0;
- a file replaced in place whose inode is reused has another first line:
  read from 0.

When the old file cannot be found (rotated twice between two runs, or
compressed at once), the new file is read from 0 and ``missed`` says that
lines may have been skipped. A line is never read twice.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

CHUNK = 8 * 1024 * 1024  # bytes read per step
HEAD_MAX = 4096  # bytes of the first line hashed


@dataclass(frozen=True)
class Cursor:
    inode: int = 0
    offset: int = 0
    head: str = ""  # sha256 of the first line; "" while nothing was read


@dataclass
class Chunk:
    lines: list[bytes]
    cursor: Cursor
    source: str  # the file read, e.g. "postfix.log.1"
    bytes_read: int
    more: bool  # the file has more complete lines after this chunk
    missed: bool = False  # the old file was gone: lines may have been skipped


def head_of(path: str) -> str:
    """The hash of the file's first complete line, "" when it has none yet."""
    with open(path, "rb") as fh:
        first = fh.read(HEAD_MAX)
    end = first.find(b"\n")
    if end < 0 and len(first) < HEAD_MAX:
        return ""
    return hashlib.sha256(first[: end if end >= 0 else HEAD_MAX]).hexdigest()


def _same_file(path: str, cursor: Cursor, by_inode: bool) -> bool:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return False
    if stat.st_size < cursor.offset:
        return False
    if by_inode and stat.st_ino != cursor.inode:
        return False
    return head_of(path) == cursor.head


def where_to_read(path: str, cursor: Cursor | None) -> tuple[str, Cursor, bool]:
    """Which file to read from which offset: (path, cursor, missed)."""
    inode = os.stat(path).st_ino  # FileNotFoundError: the caller says the log is missing
    if cursor is None or cursor.offset == 0:
        return path, Cursor(inode, 0, ""), False
    if _same_file(path, cursor, by_inode=True):
        return path, cursor, False
    old = f"{path}.1"
    if _same_file(old, cursor, by_inode=False):  # renamed (same inode) or copied (same head)
        old_cursor = Cursor(os.stat(old).st_ino, cursor.offset, cursor.head)
        if os.stat(old).st_size > cursor.offset:
            return old, old_cursor, False
        return path, Cursor(inode, 0, ""), False  # the old file is done: the new one from its start
    return path, Cursor(inode, 0, ""), True


def read_chunk(path: str, cursor: Cursor | None, limit: int = CHUNK) -> Chunk:
    """The complete lines after ``cursor`` (at most ``limit`` bytes of them),
    and the cursor after them. A half-written last line waits for the next
    read; a single line longer than ``limit`` is skipped."""
    source, start, missed = where_to_read(path, cursor)
    with open(source, "rb") as fh:
        fh.seek(start.offset)
        data = fh.read(limit)
        size = os.fstat(fh.fileno()).st_size
    end = data.rfind(b"\n")
    if end < 0:
        if len(data) < limit and source == path:
            return Chunk([], start, os.path.basename(source), 0, False, missed)
        # One enormous line (no traffic line is that long), or the unfinished
        # last line of a rotated file that nothing will finish: step over it.
        consumed, lines = len(data), []
    else:
        consumed, lines = end + 1, data[:end].split(b"\n")
    offset = start.offset + consumed
    head = start.head or (head_of(source) if offset else "")
    more = offset < size or source != path  # after ``.1`` comes the new file
    return Chunk(lines, Cursor(start.inode, offset, head), os.path.basename(source), consumed, more, missed)
