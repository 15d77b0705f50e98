"""The one CSV importer behind ``flask users import``, the upload page and
``POST /api/v1/import``.

Two passes over the file, so memory stays bounded by the number of distinct
addresses rather than the size of the rows:

1. **validate** every row with the services' own rules (address syntax,
   domain permission through the Actor, name, quota against the domain's
   limits, hash scheme), find duplicates inside the file and check each
   domain's limits for the whole batch. Any problem: nothing is written and
   every bad row is reported as ``line N: column: reason``. A dry run stops
   here with the created/updated/unchanged counts.
2. **write**: read the file again in chunks; hash plain passwords on all
   cores, insert new mailboxes per domain in one statement (through
   :mod:`panel.services.bulk`) and update existing ones through the normal
   services. Nothing is committed here: the caller commits once, so a failure
   or a killed process leaves no row behind.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from .. import passwords
from ..models import Alias, Domain, Mailbox
from ..services import Actor, ServiceError, aliases, audit, bulk, domains, mailboxes
from ..services.errors import NotFound
from .csvfile import Problems, Record, read_records
from .hashing import hasher

CHUNK = 1000
_TRUE = {"", "true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_ALIAS_SEPARATORS = (";", " ", "\t", "\n", "\r")

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


@dataclass
class Result:
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases_created: int = 0
    domains_created: list[str] = field(default_factory=list)
    # (address, password) for rows that had none; handed back once.
    generated: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        text = (
            f"{self.rows} rows: {self.created} mailboxes {verb} created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.aliases_created} aliases {verb} created"
        )
        if self.domains_created:
            text += f"; new domains: {', '.join(self.domains_created)}"
        return text


class ImportFailed(Exception):
    """A write failed after validation (a concurrent change); nothing stays."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(slots=True)
class _Row:
    line: int
    kind: str  # create | update | unchanged
    domain: Domain
    address: str
    new: bulk.NewMailbox | None = None
    mailbox: Mailbox | None = None
    changes: dict = field(default_factory=dict)
    password: str | None = None
    password_hash: str | None = None
    generate: bool = False
    new_aliases: list[str] = field(default_factory=list)


@dataclass
class _Usage:
    """What the batch adds to one domain, to hold its limits for the whole file."""

    mailboxes: int = 0
    quota: int = 0
    aliases: int = 0


def run_import(
    session: Session, actor: Actor, stream: BinaryIO, options: Options, progress: Progress | None = None
) -> Result:
    """Validate, then (unless a dry run) write. The caller commits; on a
    result with problems or an ImportFailed it must roll back."""
    result = Result(dry_run=options.dry_run)
    problems = Problems()
    checker = _Validator(session, actor, options, problems, check_limits=True)
    for chunk in _chunks(read_records(stream, problems)):
        for row in checker.chunk(chunk):
            _count(result, row)
        result.rows += len(chunk)
        if progress:
            progress("checking", result.rows, 0)
    if problems:
        return Result(dry_run=options.dry_run, rows=result.rows, problems=problems.lines())
    if checker.to_generate and not options.generate_passwords:
        return Result(
            dry_run=options.dry_run,
            rows=result.rows,
            problems=[
                f"{checker.to_generate} rows have neither password nor password_hash; "
                "say where the generated passwords should go (--passwords-out FILE)"
            ],
        )
    if options.dry_run:
        result.domains_created = sorted(checker.new_domains)
        return result
    stream.seek(0)
    written = Result(rows=result.rows)
    _write(session, actor, stream, options, written, progress)
    return written


def _count(result: Result, row: _Row) -> None:
    if row.kind == "create":
        result.created += 1
    elif row.kind == "update":
        result.updated += 1
    else:
        result.unchanged += 1
    result.aliases_created += len(row.new_aliases)


def _chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(
    session: Session, actor: Actor, stream: BinaryIO, options: Options, result: Result, progress: Progress | None
) -> None:
    problems = Problems()
    writer = _Validator(session, actor, options, problems, check_limits=False)
    done = 0
    with hasher(options.scheme) as pool:
        for chunk in _chunks(read_records(stream, problems)):
            rows = writer.chunk(chunk)
            if problems:  # the database changed since the check
                raise ImportFailed(problems.lines())
            _write_chunk(session, actor, rows, pool, options, result)
            done += len(chunk)
            if progress:
                progress("writing", done, result.rows)
    result.domains_created = sorted(writer.new_domains)
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
        domains_created=result.domains_created,
    )


def _write_chunk(session: Session, actor: Actor, rows: list[_Row], pool, options: Options, result: Result) -> None:
    creates = [r for r in rows if r.kind == "create"]
    needs_hash = [r for r in creates if r.new.password_hash is None]
    for row in needs_hash:
        if row.generate:
            row.password = passwords.generate()
            result.generated.append((row.address, row.password))
    for row, digest in zip(needs_hash, pool.hash_all([r.password for r in needs_hash]), strict=True):
        row.new.password_hash = digest
    by_domain: dict[int, list[_Row]] = {}
    for row in creates:
        by_domain.setdefault(row.domain.id, []).append(row)
    for group in by_domain.values():
        with _guard(group[0].line):
            bulk.create_mailboxes(session, actor, group[0].domain, [r.new for r in group])
    for row in rows:
        if row.kind == "update":
            with _guard(row.line):
                _update(session, actor, row, options)
        for alias in row.new_aliases:
            with _guard(row.line, "aliases"):
                aliases.create_alias(session, actor, alias, [row.address])
    _count_all(result, rows)


def _count_all(result: Result, rows: list[_Row]) -> None:
    for row in rows:
        _count(result, row)


def _update(session: Session, actor: Actor, row: _Row, options: Options) -> None:
    if row.changes:
        mailboxes.update_mailbox(session, actor, row.mailbox, **row.changes)
    if row.password or row.password_hash:
        mailboxes.set_password(
            session, actor, row.mailbox, password=row.password, password_hash=row.password_hash, scheme=options.scheme
        )


@contextmanager
def _guard(line: int, column: str | None = None) -> Iterator[None]:
    """A service refusal inside becomes the file's ``line N: column:`` error;
    so does a value the database refuses that the checks let through (said
    without the value: a batch's parameters are other rows' hashes)."""
    try:
        yield
    except ServiceError as exc:
        where = column or next(iter(exc.fields), None)
        prefix = f"line {line}: {where}: " if where else f"line {line}: "
        raise ImportFailed([prefix + exc.message]) from None
    except (DataError, IntegrityError):
        raise ImportFailed([f"line {line}: the database refused a value (of this row or a later one)"]) from None


def _parse_active(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return None if text == "" else True
    if text in _FALSE:
        return False
    raise ServiceError("active", f"{value.strip()[:20]!r} is not true/false/1/0/yes/no")


def _split_aliases(value: str | None) -> list[str]:
    text = value or ""
    for separator in _ALIAS_SEPARATORS[1:]:
        text = text.replace(separator, _ALIAS_SEPARATORS[0])
    return [part for part in text.split(_ALIAS_SEPARATORS[0]) if part]


class _Validator:
    """Turns records into planned rows, reporting problems by line."""

    def __init__(self, session: Session, actor: Actor, options: Options, problems: Problems, check_limits: bool):
        self.session, self.actor, self.options, self.problems = session, actor, options, problems
        self.check_limits = check_limits
        self.seen: dict[str, int] = {}  # address -> line, for mailboxes and aliases alike
        self.domain_cache: dict[str, Domain | ServiceError] = {}
        self.alias_domain_cache: dict[str, ServiceError | None] = {}
        self.new_domains: set[str] = set()
        self.usage: dict[str, _Usage] = {}
        self.to_generate = 0

    # -- per chunk --------------------------------------------------------

    def chunk(self, records: list[Record]) -> list[_Row]:
        parsed = [p for p in (self._parse(r) for r in records) if p is not None]
        addresses = [p[1] for p in parsed]
        alias_addresses = [a for p in parsed for a in p[3]]
        existing = (
            {m.address: m for m in self.session.scalars(select(Mailbox).where(Mailbox.address.in_(addresses)))}
            if addresses
            else {}
        )
        wanted = addresses + alias_addresses
        alias_rows = (
            {a.address: a for a in self.session.scalars(select(Alias).where(Alias.address.in_(wanted)))}
            if wanted
            else {}
        )
        rows = []
        for record, address, domain, alias_list in parsed:
            row = self._plan(record, address, domain, existing.get(address), alias_rows)
            if row is not None:
                self._plan_aliases(row, record, alias_list, alias_rows)
                rows.append(row)
        return rows

    def _problem(self, record: Record, exc: ServiceError, column: str | None = None) -> None:
        self.problems.add(record.line, column or next(iter(exc.fields), None), exc.message)

    def _parse(self, record: Record):
        cells = record.cells
        ok = True
        try:
            local, domain_name = mailboxes.parse_address(cells.get("email", ""), "email")
            address = f"{local}@{domain_name}"
        except ServiceError as exc:
            self._problem(record, exc, "email")
            return None
        if address in self.seen:
            self.problems.add(record.line, "email", f"{address} appears twice (also on line {self.seen[address]})")
            ok = False
        else:
            self.seen[address] = record.line
        domain = self._domain(record, domain_name)
        alias_list = []
        for raw in _split_aliases(cells.get("aliases")):
            try:
                alias, alias_domain = aliases.parse_alias_address(raw)
                self._alias_domain(alias_domain)
            except ServiceError as exc:
                self._problem(record, exc, "aliases")
                ok = False
                continue
            if alias in self.seen:
                self.problems.add(record.line, "aliases", f"{alias} appears twice (also on line {self.seen[alias]})")
                ok = False
                continue
            self.seen[alias] = record.line
            alias_list.append(alias)
        if domain is None or not ok:
            return None
        return record, address, domain, alias_list

    def _domain(self, record: Record, name: str) -> Domain | None:
        if name not in self.domain_cache:
            self.domain_cache[name] = self._resolve_domain(name)
        found = self.domain_cache[name]
        if isinstance(found, ServiceError):
            self._problem(record, found, "email")
            return None
        return found

    def _resolve_domain(self, name: str) -> Domain | ServiceError:
        try:
            return bulk.managed_domain(self.session, self.actor, name)
        except NotFound as exc:
            if not self.actor.is_superadmin:  # only a superadmin may add domains: no hint
                return exc
            if not self.options.create_domains:
                return ServiceError("email", f"{exc.message} (use --create-domains to add it)")
        except ServiceError as exc:
            return exc
        try:
            self.actor.require_superadmin()
            self.new_domains.add(name)
            if self.check_limits:  # validation only: a stand-in with no limits
                return Domain(
                    name=name,
                    max_mailboxes=0,
                    max_aliases=0,
                    max_quota_bytes=0,
                    total_quota_bytes=0,
                    default_quota_bytes=0,
                    mailbox_count=0,
                    alias_count=0,
                    quota_allocated_bytes=0,
                )
            return domains.create_domain(self.session, self.actor, name)
        except ServiceError as exc:
            return ServiceError("email", f"cannot create the domain {name}: {exc.message}")

    def _alias_domain(self, name: str) -> None:
        if name not in self.alias_domain_cache:
            try:
                domains.managed_domain(self.session, self.actor, name)
                self.alias_domain_cache[name] = None
            except ServiceError as exc:
                if name in self.new_domains or (
                    isinstance(exc, NotFound)
                    and self.options.create_domains
                    and self.actor.is_superadmin
                    and self._will_create(name)
                ):
                    self.alias_domain_cache[name] = None
                else:
                    self.alias_domain_cache[name] = exc
        if self.alias_domain_cache[name] is not None:
            raise self.alias_domain_cache[name]

    def _will_create(self, name: str) -> bool:
        # An alias in a domain that only this file creates: allowed when
        # that domain has a mailbox row (it is created before aliases).
        return name in self.domain_cache and not isinstance(self.domain_cache[name], ServiceError)

    # -- planning -----------------------------------------------------------

    def _plan(self, record: Record, address: str, domain: Domain, mailbox: Mailbox | None, alias_rows) -> _Row | None:
        cells = record.cells
        try:
            active = _parse_active(cells.get("active"))
            password, password_hash = cells.get("password") or None, (cells.get("password_hash") or "").strip() or None
            bulk.check_password_input(password, password_hash)
            if mailbox is None:
                return self._plan_create(record, address, domain, active, password, password_hash, alias_rows)
            return self._plan_update(record, address, domain, mailbox, active, password, password_hash)
        except ServiceError as exc:
            self._problem(record, exc)
            return None

    def _plan_create(self, record, address, domain, active, password, password_hash, alias_rows) -> _Row | None:
        if address in alias_rows:
            raise ServiceError("email", f"{address} is already an alias")
        new = bulk.prepare_mailbox(
            domain,
            address.split("@")[0],
            name=record.cells.get("name"),
            quota=record.cells.get("quota"),
            active=True if active is None else active,
            password_hash=password_hash,
        )
        self._use(record, domain, mailboxes=1, quota=new.quota_bytes)
        self.to_generate += not (password or password_hash)
        return _Row(
            record.line, "create", domain, address, new=new, password=password, generate=not (password or password_hash)
        )

    def _plan_update(self, record, address, domain, mailbox, active, password, password_hash) -> _Row | None:
        if not self.options.update:
            raise ServiceError("email", f"the mailbox {address} already exists (use --update to change it)")
        self.actor.require_manage(mailbox.domain_id)
        changes = {}
        name = record.cells.get("name")
        if name and mailboxes.parse_display_name(name) != mailbox.name:
            changes["name"] = name
        quota = (record.cells.get("quota") or "").strip()
        if quota:
            quota_bytes = mailboxes.parse_quota(domain, quota)
            if quota_bytes != mailbox.quota_bytes:
                changes["quota"] = quota_bytes
                self._use(record, domain, quota=quota_bytes - mailbox.quota_bytes)
        if active is not None and active != mailbox.active:
            changes["active"] = active
        if password_hash and password_hash == mailbox.password_hash:
            password_hash = None
        changed = bool(changes or password or password_hash)
        return _Row(
            record.line,
            "update" if changed else "unchanged",
            domain,
            address,
            mailbox=mailbox,
            changes=changes,
            password=password,
            password_hash=password_hash,
        )

    def _plan_aliases(self, row: _Row, record: Record, alias_list: list[str], alias_rows) -> None:
        for alias in alias_list:
            existing = alias_rows.get(alias)
            if existing is not None:
                if [d.destination for d in existing.destinations] != [row.address]:
                    self.problems.add(
                        record.line, "aliases", f"the alias {alias} already exists and delivers elsewhere"
                    )
                continue
            if alias == row.address:
                self.problems.add(record.line, "aliases", "an alias cannot point only to itself")
                continue
            self._use(record, self._alias_target_domain(alias), aliases=1)
            row.new_aliases.append(alias)
        if row.new_aliases and row.kind == "unchanged":
            row.kind = "update"

    def _alias_target_domain(self, alias: str) -> Domain | None:
        name = alias.split("@", 1)[1]
        found = self.domain_cache.get(name)
        if found is None or isinstance(found, ServiceError):
            found = self.session.scalar(select(Domain).where(Domain.name == name))
        return found

    def _use(self, record: Record, domain: Domain | None, mailboxes: int = 0, quota: int = 0, aliases: int = 0) -> None:
        """Hold the domain's limits for the whole batch (the write re-checks
        them atomically on the domain row)."""
        if not self.check_limits or domain is None:
            return
        usage = self.usage.setdefault(domain.name, _Usage())
        usage.mailboxes += mailboxes
        usage.quota += quota
        usage.aliases += aliases
        # Only the limits this row adds to; the totals are the file's so far.
        over = domains.over_limits(
            domain,
            usage.mailboxes if mailboxes else 0,
            usage.quota if quota > 0 else 0,
            usage.aliases if aliases else 0,
        )
        for column, message in over.items():
            self.problems.add(record.line, column, message)
