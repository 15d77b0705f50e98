"""Reading an uploaded CSV file defensively, with physical line numbers.

Every problem becomes a :class:`Problem` (``line N: column: reason``) instead
of an exception, so one pass reports all bad rows. Memory stays bounded: the
file is read line by line and an over-long line is skipped, never held.
"""

from __future__ import annotations

import csv
import itertools
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from ..languages import N_, Message, Nn_, as_message

COLUMNS = ("email", "name", "password", "password_hash", "quota", "active", "aliases", "kind", "destinations")
# The file offered as "a sample CSV" on the import page: every kind of row,
# in the columns the export writes (a catch-all written '@..., as a cell
# starting with @ must be; docs/cli-csv-api.md). It imports cleanly where example.org is
# hosted and example.com is not (tests/bulk/test_import_kinds.py).
SAMPLE = (
    "email,name,password,password_hash,quota,active,aliases,kind,destinations\r\n"
    "anna@example.org,Anna Martin,change-me-now,,2G,true,anna.martin@example.org contact@example.org,mailbox,\r\n"
    "ben@example.org,Ben Roy,,,500M,false,,mailbox,\r\n"
    "team@example.org,,,,,true,,alias,anna@example.org ben@example.org\r\n"
    "'@example.org,,,,,true,,alias,anna@example.org\r\n"
    "example.com,,,,,true,,alias_domain,example.org\r\n"
)
# One physical line; a bigger cell is refused (a real row is a few hundred bytes).
MAX_LINE_BYTES = 64 * 1024
MAX_REPORTED = 200
# Spreadsheets run a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Passwords and hashes are never shown by a spreadsheet as formulas we create,
# and a password may well start with "-"; everything else is checked.
_FORMULA_EXEMPT = {"password", "password_hash"}


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: str | None
    reason: str  # an N_ string or a Message

    def message(self) -> Message:
        """``line N: column: reason``, English as a string (the CLI, the API),
        translated as a whole on the upload page."""
        if self.column:
            return Message(
                N_("line %(line)s: %(column)s: %(reason)s"),
                line=self.line,
                column=self.column,
                reason=as_message(self.reason),
            )
        return Message(N_("line %(line)s: %(reason)s"), line=self.line, reason=as_message(self.reason))

    def __str__(self) -> str:
        return str(self.message())


@dataclass
class Problems:
    """Every problem found, the first MAX_REPORTED of them kept."""

    items: list[Problem] = field(default_factory=list)
    total: int = 0
    bad_lines: set[int] = field(default_factory=set)

    def add(self, line: int, column: str | None, reason: str) -> None:
        self.total += 1
        self.bad_lines.add(line)
        if len(self.items) < MAX_REPORTED:
            self.items.append(Problem(line, column, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def lines(self) -> list[Message]:
        out = [p.message() for p in sorted(self.items, key=lambda p: p.line)]
        if self.total > len(self.items):
            more = self.total - len(self.items)
            out.append(Message(Nn_("... and %(count)s more problem", "... and %(count)s more problems"), count=more))
        return out


@dataclass(frozen=True, slots=True)
class Record:
    line: int  # the physical line the row starts on
    cells: dict[str, str]


def _physical_lines(stream: BinaryIO, problems: Problems) -> Iterator[str]:
    """Decoded lines, one per physical line, so csv's line_num is the file's.

    A line that cannot be used is reported and replaced by a stand-in with
    the same parity of quote characters, which keeps the parser in step.
    """
    for number in itertools.count(1):
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            quotes = raw.count(b'"') + _skip_rest_of_line(stream)
            too_long = N_("the line is longer than %(size)s KiB (a cell is too large)")
            problems.add(number, None, Message(too_long, size=MAX_LINE_BYTES // 1024))
            yield '"' * (quotes % 2) + "\n"
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\0" in raw:
            problems.add(number, None, N_("contains a NUL byte"))
            raw = raw.replace(b"\0", b"")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            not_utf8 = N_("not valid UTF-8 (byte %(byte)s of the line); save the file as UTF-8")
            problems.add(number, None, Message(not_utf8, byte=exc.start + 1))
            yield raw.decode("utf-8", "replace")


def _skip_rest_of_line(stream: BinaryIO) -> int:
    quotes = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES)
        if not chunk:
            return quotes
        quotes += chunk.count(b'"')
        if chunk.endswith(b"\n"):
            return quotes


def _delimiter(header_line: str) -> str:
    """`,` or `;`: whichever splits the header into names that include email."""
    best = ","
    for delimiter in (",", ";"):
        names = [n.strip().lower() for n in next(csv.reader([header_line], delimiter=delimiter), [])]
        if "email" in names:
            return delimiter
        if delimiter == ";" and len(names) > 1:
            best = ";"
    return best


def _header(header_line: str, delimiter: str, problems: Problems) -> list[str] | None:
    names = [n.strip().lower() for n in next(csv.reader([header_line], delimiter=delimiter), [])]
    unknown = [n or "(empty)" for n in names if n not in COLUMNS]
    if unknown:
        unknown_columns = N_("unknown columns: %(unknown)s (known: %(known)s)")
        problems.add(1, None, Message(unknown_columns, unknown=", ".join(unknown), known=", ".join(COLUMNS)))
    duplicated = sorted({n for n in names if names.count(n) > 1 and n})
    if duplicated:
        problems.add(1, None, Message(N_("columns given twice: %(columns)s"), columns=", ".join(duplicated)))
    if "email" not in names:
        problems.add(1, "email", N_("the header row needs an email column"))
    return None if (unknown or duplicated or "email" not in names) else names


def unescape_cell(column: str, value: str) -> tuple[str, str | None]:
    """(value, problem). Our export writes ``'=x`` for a cell ``=x``; take the
    quote off again. A bare formula cell is refused: it is either an attack
    on whoever opens the file or a spreadsheet formula that was never evaluated."""
    if value.startswith("'") and value[1:2] in FORMULA_STARTS and value[1:2]:
        return value[1:], None
    if column not in _FORMULA_EXEMPT and value.startswith(FORMULA_STARTS):
        formula = N_(
            "starts with %(quoted)s, which spreadsheets run as a formula; write '%(char)s to mean the character itself"
        )
        return value, Message(formula, quoted=repr(value[0]), char=value[0])
    return value, None


def read_records(stream: BinaryIO, problems: Problems) -> Iterator[Record]:
    """Yield the data rows of a CSV file; problems go to ``problems``.

    Rows touching a line that could not be decoded are not yielded (their
    problem is already reported).
    """
    lines = _physical_lines(stream, problems)
    first = next(lines, None)
    if first is None or not first.strip():
        empty = N_("the file is empty; the first line must be a header row like: %(header)s")
        problems.add(1, None, Message(empty, header=",".join(COLUMNS)))
        return
    try:
        delimiter = _delimiter(first)
        columns = _header(first, delimiter, problems)
    except csv.Error as exc:  # e.g. a lone CR inside the header line
        problems.add(1, None, Message(N_("the header row is not valid CSV: %(problem)s"), problem=str(exc)))
        return
    if columns is None:
        return
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    next(reader)  # the header, already read
    yield from _rows(reader, columns, problems)


def _rows(reader, columns: list[str], problems: Problems) -> Iterator[Record]:
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(start, None, Message(N_("not valid CSV: %(problem)s"), problem=str(exc)))
            continue
        end = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue  # blank line
        if any(n in problems.bad_lines for n in range(start, end + 1)):
            continue
        if len(cells) != len(columns):
            cells_count = Nn_(
                "has %(count)s cell but the header has %(header)s", "has %(count)s cells but the header has %(header)s"
            )
            problems.add(start, None, Message(cells_count, count=len(cells), header=len(columns)))
            continue
        record = _record(start, columns, cells, problems)
        if record is not None:
            yield record


def _record(line: int, columns: list[str], cells: list[str], problems: Problems) -> Record | None:
    values = {}
    ok = True
    for column, raw in zip(columns, cells, strict=True):
        value, problem = unescape_cell(column, raw)
        if problem:
            problems.add(line, column, problem)
            ok = False
        values[column] = value
    return Record(line, values) if ok else None


def write_generated_passwords(path, generated: list[tuple[str, str]], lineterminator: str = "\r\n") -> None:
    """The ``email,password`` file of an import's generated passwords: a new
    file (never an existing one), mode 0600 from the start — it holds
    passwords — so no moment exists where another user could read it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", newline="") as out:
        writer = csv.writer(out, lineterminator=lineterminator)
        writer.writerow(["email", "password"])
        writer.writerows(generated)
