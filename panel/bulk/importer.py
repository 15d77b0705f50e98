"""The one CSV importer behind ``flask users import``, the upload page and
``POST /api/v1/import``.

Three passes over the file, so memory stays bounded by the number of
distinct addresses rather than the size of the rows, and so the database's
write lock (SQLite has one writer) is held only to write:

1. **check** every row with the services' own rules (:mod:`.plan`: address
   syntax, domain permission through the Actor, name, quota against the
   domain's limits, hash scheme), find duplicates inside the file and check
   each domain's limits for the whole batch, in a transaction that only
   reads. Any problem: nothing is written and every bad row is reported as
   ``line N: column: reason``. A dry run stops here with the counts.
2. **hash** plain passwords (and generate the missing ones) on all cores,
   with no transaction open.
3. **write**: read the file again in chunks, plan each chunk against the
   database as it is now, insert new mailboxes per domain in one statement
   (:mod:`panel.services.bulk`) and update existing ones through the normal
   services. Nothing is committed here: the caller commits once, so a
   failure or a killed process leaves no row behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from .. import passwords
from ..db import reading, writing
from ..languages import N_, Message, Nn_, joined
from ..services import Actor, ServiceError, aliases, audit, bulk, mailboxes
from .csvfile import Problem, Problems, Record, read_records
from .hashing import hasher
from .plan import PlannedRow, Planner

CHUNK = 1000
# A dry run lists this many of the rows it would write, then counts the rest.
PREVIEW = 100

Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    update: bool = False
    dry_run: bool = False
    create_domains: bool = False
    scheme: str = passwords.DEFAULT_SCHEME
    # False when the caller has nowhere to hand generated passwords to (the
    # CLI without --passwords-out): such rows are then refused before writing.
    generate_passwords: bool = True
    # How this caller's user turns ``update`` / ``create_domains`` on, for
    # the advice in a refusal: the CLI's flags, the web page's checkboxes.
    update_advice: str = "use --update to change it"
    create_domains_advice: str = "use --create-domains to add it"


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One row a dry run would write, for the list it shows."""

    line: int
    kind: str  # mailbox | alias | alias_domain
    address: str
    action: str  # create | update
    detail: str  # a Message: the CLI prints its English, the page translates it


@dataclass
class Result:
    dry_run: bool = False
    rows: int = 0
    # Mailboxes (the counts a file of mailboxes only has always had).
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Aliases: from the aliases column and alias rows; alias domains.
    aliases_created: int = 0
    aliases_updated: int = 0
    aliases_unchanged: int = 0
    alias_domains_created: int = 0
    alias_domains_updated: int = 0
    alias_domains_unchanged: int = 0
    domains_created: list[str] = field(default_factory=list)
    # The check pass: the first PREVIEW rows that would be written, and how
    # many more there are.
    preview: list[PreviewRow] = field(default_factory=list)
    preview_more: int = 0
    # (address, password) for rows that had none; handed back once.
    generated: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Messages: English as strings

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> Message:
        """``3 rows: 2 mailboxes would be created, 1 updated, 0 unchanged;
        1 alias would be created``: English as a string (the CLI), the page
        translates it."""
        clauses = [_counted(_MAILBOXES[self.dry_run], self.created, self.updated, self.unchanged)]
        if self.aliases_updated or self.aliases_unchanged:
            aliases = _counted(
                _ALIASES[self.dry_run], self.aliases_created, self.aliases_updated, self.aliases_unchanged
            )
        else:
            aliases = Message(_ALIASES_CREATED[self.dry_run], count=self.aliases_created)
        clauses.append(aliases)
        if self.alias_domains_created or self.alias_domains_updated or self.alias_domains_unchanged:
            counts = (self.alias_domains_created, self.alias_domains_updated, self.alias_domains_unchanged)
            clauses.append(_counted(_ALIAS_DOMAINS[self.dry_run], *counts))
        if self.domains_created:
            clauses.append(Message(N_("new domains: %(names)s"), names=", ".join(self.domains_created)))
        return Message(
            N_("%(rows)s: %(what)s"),
            rows=Message(Nn_("%(count)s row", "%(count)s rows"), count=self.rows),
            what=joined(clauses, N_("%(first)s; %(rest)s")),
        )


# What a summary says of each kind, by dry run (True) or not; the count of
# created rows picks the form.
_MAILBOXES = {
    True: Nn_(
        "%(count)s mailbox would be created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s mailboxes would be created, %(updated)s updated, %(unchanged)s unchanged",
    ),
    False: Nn_(
        "%(count)s mailbox was created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s mailboxes were created, %(updated)s updated, %(unchanged)s unchanged",
    ),
}
_ALIASES = {
    True: Nn_(
        "%(count)s alias would be created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s aliases would be created, %(updated)s updated, %(unchanged)s unchanged",
    ),
    False: Nn_(
        "%(count)s alias was created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s aliases were created, %(updated)s updated, %(unchanged)s unchanged",
    ),
}
_ALIASES_CREATED = {
    True: Nn_("%(count)s alias would be created", "%(count)s aliases would be created"),
    False: Nn_("%(count)s alias was created", "%(count)s aliases were created"),
}
_ALIAS_DOMAINS = {
    True: Nn_(
        "%(count)s alias domain would be created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s alias domains would be created, %(updated)s updated, %(unchanged)s unchanged",
    ),
    False: Nn_(
        "%(count)s alias domain was created, %(updated)s updated, %(unchanged)s unchanged",
        "%(count)s alias domains were created, %(updated)s updated, %(unchanged)s unchanged",
    ),
}


def _counted(template: tuple[str, str], created: int, updated: int, unchanged: int) -> Message:
    return Message(template, count=created, updated=updated, unchanged=unchanged)


class ImportFailed(Exception):
    """A write failed after validation (a concurrent change); nothing stays."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def run_import(
    session: Session, actor: Actor, stream: BinaryIO, options: Options, progress: Progress | None = None
) -> Result:
    """Check, then (unless a dry run) hash and write. The caller commits; on
    a result with problems or an ImportFailed it must roll back."""
    with reading():
        result, planner = _check(session, actor, stream, options, progress)
        session.rollback()  # the check only read: end it before the slow part
    if result.problems or options.dry_run:
        return result
    stream.seek(0)
    hashes = _hash_passwords(stream, planner, options, result, progress)
    stream.seek(0)
    with writing():
        written = Result(rows=result.rows, generated=result.generated)
        _write(session, actor, stream, options, hashes, written, progress)
    return written


def _check(session, actor, stream, options, progress) -> tuple[Result, Planner]:
    result = Result(dry_run=options.dry_run)
    problems = Problems()
    planner = Planner(session, actor, options, problems, checking=True)
    for chunk in _chunks(read_records(stream, problems)):
        for row in planner.chunk(chunk):
            _count(result, row)
            _preview(result, row)
        result.rows += len(chunk)
        if progress:
            progress("checking", result.rows, 0)
    if problems:
        return Result(dry_run=options.dry_run, rows=result.rows, problems=problems.lines()), planner
    if planner.generate_lines and not options.generate_passwords:
        result = Result(
            dry_run=options.dry_run,
            rows=result.rows,
            problems=[
                f"{len(planner.generate_lines)} rows have neither password nor password_hash; "
                "say where the generated passwords should go (--passwords-out FILE)"
            ],
        )
        return result, planner
    result.domains_created = sorted(planner.new_domains)
    return result, planner


def _hash_passwords(stream, planner: Planner, options: Options, result: Result, progress) -> dict[int, str]:
    """line -> stored hash, for every row with a plain password or none (a
    generated one, handed back once in ``result.generated``)."""
    wanted: list[tuple[int, str]] = []
    for record in read_records(stream, Problems()):
        if record.line in planner.generate_lines:
            password = passwords.generate()
            result.generated.append((planner.generate_lines[record.line], password))
            wanted.append((record.line, password))
        elif record.line in planner.hash_lines:
            wanted.append((record.line, record.cells["password"]))
    hashes: dict[int, str] = {}
    with hasher(options.scheme) as pool:
        for start in range(0, len(wanted), CHUNK):
            batch = wanted[start : start + CHUNK]
            for (line, _), digest in zip(batch, pool.hash_all([p for _, p in batch]), strict=True):
                hashes[line] = digest
            if progress:
                progress("hashing", min(start + CHUNK, len(wanted)), len(wanted))
    return hashes


_COUNTERS = {
    "mailbox": ("created", "updated", "unchanged"),
    "alias": ("aliases_created", "aliases_updated", "aliases_unchanged"),
    "alias_domain": ("alias_domains_created", "alias_domains_updated", "alias_domains_unchanged"),
}


def _count(result: Result, row: PlannedRow) -> None:
    created, updated, unchanged = _COUNTERS[row.row_kind]
    counter = {"create": created, "update": updated}.get(row.kind, unchanged)
    setattr(result, counter, getattr(result, counter) + 1)
    result.aliases_created += len(row.new_aliases)


def _preview(result: Result, row: PlannedRow) -> None:
    if row.kind == "unchanged":
        return
    if len(result.preview) >= PREVIEW:
        result.preview_more += 1
        return
    result.preview.append(PreviewRow(row.line, row.row_kind, row.address, row.kind, row.describe()))


def _chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(session, actor, stream, options: Options, hashes: dict[int, str], result: Result, progress) -> None:
    problems = Problems()
    planner = Planner(session, actor, options, problems, checking=False)
    done = 0
    for chunk in _chunks(read_records(stream, problems)):
        rows = planner.chunk(chunk)
        if problems:  # the database changed since the check
            raise ImportFailed(problems.lines())
        _write_chunk(session, actor, rows, hashes, options, result)
        done += len(chunk)
        if progress:
            progress("writing", done, result.rows)
    result.domains_created = sorted(planner.new_domains)
    audit_total(session, actor, result)


def audit_total(session: Session, actor: Actor, result: Result) -> None:
    """One event for the import as a whole, beside the per-mailbox ones."""
    audit.record(
        session,
        actor,
        "mailbox.import",
        f"{result.rows} rows",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        aliases_created=result.aliases_created,
        aliases_updated=result.aliases_updated,
        alias_domains_created=result.alias_domains_created,
        domains_created=result.domains_created,
    )


def _write_chunk(session, actor, rows: list[PlannedRow], hashes: dict[int, str], options: Options, result) -> None:
    creates = [r for r in rows if r.kind == "create" and r.row_kind == "mailbox"]
    for row in creates:
        if row.new.password_hash is None:
            row.new.password_hash = hashes[row.line]
    by_domain: dict[int, list[PlannedRow]] = {}
    for row in creates:
        by_domain.setdefault(row.domain.id, []).append(row)
    for group in by_domain.values():
        with _guard(group[0].line):
            bulk.create_mailboxes(session, actor, group[0].domain, [r.new for r in group])
    for row in rows:
        if row.row_kind != "mailbox":
            if row.kind != "unchanged":
                with _guard(row.line):
                    _write_alias_row(session, actor, row)
            continue
        if row.kind == "update":
            with _guard(row.line):
                _update(session, actor, row, hashes.get(row.line), options)
        for alias in row.new_aliases:
            with _guard(row.line, "aliases"):
                aliases.create_alias(session, actor, alias, [row.address])
    for row in rows:
        _count(result, row)


def _update(session: Session, actor: Actor, row: PlannedRow, hashed: str | None, options: Options) -> None:
    if row.changes:
        mailboxes.update_mailbox(session, actor, row.mailbox, **row.changes)
    if hashed or row.password_hash:
        mailboxes.set_password(session, actor, row.mailbox, password_hash=hashed or row.password_hash)


def _write_alias_row(session: Session, actor: Actor, row: PlannedRow) -> None:
    """An alias or alias domain row, through the services' own functions."""
    active = True if row.active is None else row.active
    if row.row_kind == "alias" and row.alias is None:
        aliases.create_alias(session, actor, row.address, row.destinations, active)
    elif row.row_kind == "alias":
        aliases.update_alias(session, actor, row.alias, destinations=row.destinations, active=row.active)
    elif row.alias_domain is None:
        aliases.create_alias_domain(session, actor, row.address, row.destinations[0], active)
    else:
        aliases.set_alias_domain_active(session, actor, row.alias_domain, active)


@contextmanager
def _guard(line: int, column: str | None = None) -> Iterator[None]:
    """A service refusal inside becomes the file's ``line N: column:`` error;
    so does a value the database refuses that the checks let through (said
    without the value: a batch's parameters are other rows' hashes)."""
    try:
        yield
    except ServiceError as exc:
        where = column or next(iter(exc.fields), None)
        raise ImportFailed([Problem(line, where, exc.message).message()]) from None
    except (DataError, IntegrityError):
        refused = N_("the database refused a value (of this row or a later one)")
        raise ImportFailed([Problem(line, None, refused).message()]) from None
