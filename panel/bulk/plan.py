"""Planning an import: each CSV record becomes a planned row (create,
update or unchanged) under the services' own rules, with every problem
reported by line. The first pass plans the whole file without writing
(and holds each domain's limits for the file as a whole); the write pass
plans each chunk again against the database as it is then, and in that
pass creating a domain the file asks for (``--create-domains``) is real.

A row's ``kind`` (empty: mailbox) says what it is: a mailbox (with the
aliases that deliver to it alone in ``aliases``), an alias (``email`` its
address or ``@domain``, ``destinations`` where it delivers) or an alias
domain (``email`` the alias domain's name, ``destinations`` its target).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..languages import N_, Message, as_message
from ..models import Alias, Domain, Mailbox
from ..services import Actor, ServiceError, aliases, bulk, domains, mailboxes
from ..services.errors import NotFound
from .csvfile import Problems, Record
from .plan_aliases import AliasRows
from .rows import KINDS, PlannedRow, parse_active, parse_kind, split_aliases

# The cells only a mailbox row has; an alias or alias domain row leaves them empty.
_MAILBOX_CELLS = ("name", "password", "password_hash", "quota", "aliases")


@dataclass
class _Usage:
    """What the batch adds to one domain, to hold its limits for the whole file."""

    mailboxes: int = 0
    quota: int = 0
    aliases: int = 0


class Planner(AliasRows):
    """Turns records into planned rows, reporting problems by line.

    ``checking``: the first pass, which writes nothing (a domain the file
    creates is a stand-in) and holds the domains' limits for the whole file.
    Otherwise the write pass, which creates those domains for real."""

    def __init__(self, session: Session, actor: Actor, options, problems: Problems, checking: bool):
        self.session, self.actor, self.options, self.problems = session, actor, options, problems
        self.checking = checking
        self.seen: dict[str, int] = {}  # address -> line, for mailboxes and aliases alike
        self.domain_cache: dict[str, Domain | ServiceError] = {}
        self.alias_domain_cache: dict[str, ServiceError | None] = {}
        self.new_domains: set[str] = set()
        self.usage: dict[str, _Usage] = {}
        # Lines of new mailboxes without a password: one is generated.
        self.generate_lines: dict[int, str] = {}  # line -> address
        # Lines whose plain password is to be hashed.
        self.hash_lines: set[int] = set()

    # -- per chunk --------------------------------------------------------

    def chunk(self, records: list[Record]) -> list[PlannedRow]:
        by_kind: dict[str, list[Record]] = {kind: [] for kind in KINDS}
        for record in records:
            kind = self._kind(record)
            if kind is not None:
                by_kind[kind].append(record)
        rows = self._mailboxes(by_kind["mailbox"])
        rows += self._aliases(by_kind["alias"])
        rows += self._alias_domains(by_kind["alias_domain"])
        return rows

    def _kind(self, record: Record) -> str | None:
        """The row's kind, once its cells fit the kind (else None, reported)."""
        try:
            kind = parse_kind(record.cells.get("kind"))
        except ServiceError as exc:
            self._problem(record, exc)
            return None
        if kind == "mailbox":
            misplaced = ["destinations"] if (record.cells.get("destinations") or "").strip() else []
            reason = N_(
                "only alias and alias_domain rows have destinations (a mailbox's own aliases go in the aliases column)"
            )
        else:
            misplaced = [c for c in _MAILBOX_CELLS if (record.cells.get(c) or "").strip()]
        for column in misplaced:
            if kind != "mailbox":
                reason = Message(N_("an %(kind)s row has no %(column)s; leave it empty"), kind=kind, column=column)
            self.problems.add(record.line, column, reason)
        return None if misplaced else kind

    def _mailboxes(self, records: list[Record]) -> list[PlannedRow]:
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
        if len(exc.fields) > 1:  # a service told several fields' problems: each is a column's
            for field, message in exc.fields.items():
                self.problems.add(record.line, field, message)
            return
        self.problems.add(record.line, column or next(iter(exc.fields), None), exc.message)

    def _first_time(self, record: Record, name: str) -> bool:
        if name in self.seen:
            self.problems.add(record.line, "email", _twice(name, self.seen[name]))
            return False
        self.seen[name] = record.line
        return True

    def _parse(self, record: Record):
        cells = record.cells
        try:
            local, domain_name = mailboxes.parse_address(cells.get("email", ""), "email")
            address = f"{local}@{domain_name}"
        except ServiceError as exc:
            self._problem(record, exc, "email")
            return None
        ok = self._first_time(record, address)
        domain = self._domain(record, domain_name)
        alias_list = []
        for raw in split_aliases(cells.get("aliases")):
            try:
                alias, alias_domain = aliases.parse_alias_address(raw)
                self._alias_domain(alias_domain)
            except ServiceError as exc:
                self._problem(record, exc, "aliases")
                ok = False
                continue
            if alias in self.seen:
                self.problems.add(record.line, "aliases", _twice(alias, self.seen[alias]))
                ok = False
                continue
            self.seen[alias] = record.line
            alias_list.append(alias)
        if domain is None or not ok:
            return None
        return record, address, domain, alias_list

    def _domain(self, record: Record, name: str, column: str = "email") -> Domain | None:
        if name not in self.domain_cache:
            self.domain_cache[name] = self._resolve_domain(name)
        found = self.domain_cache[name]
        if isinstance(found, ServiceError):
            self._problem(record, found, column)
            return None
        return found

    def _resolve_domain(self, name: str) -> Domain | ServiceError:
        try:
            return bulk.managed_domain(self.session, self.actor, name)
        except NotFound as exc:
            if not self.actor.is_superadmin:  # only a superadmin may add domains: no hint
                return exc
            if not self.options.create_domains:
                return ServiceError("email", _advised(exc.message, self.options.create_domains_advice))
        except ServiceError as exc:
            return exc
        try:
            self.actor.require_superadmin()
            self.new_domains.add(name)
            if self.checking:  # nothing is written yet: a stand-in with no limits
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
            cannot = N_("cannot create the domain %(domain)s: %(problem)s")
            return ServiceError("email", Message(cannot, domain=name, problem=as_message(exc.message)))

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

    def _plan(
        self, record: Record, address: str, domain: Domain, mailbox: Mailbox | None, alias_rows
    ) -> PlannedRow | None:
        cells = record.cells
        try:
            active = parse_active(cells.get("active"))
            password, password_hash = cells.get("password") or None, (cells.get("password_hash") or "").strip() or None
            bulk.check_password_input(password, password_hash)
            if mailbox is None:
                return self._plan_create(record, address, domain, active, password, password_hash, alias_rows)
            return self._plan_update(record, address, domain, mailbox, active, password, password_hash)
        except ServiceError as exc:
            self._problem(record, exc)
            return None

    def _plan_create(self, record, address, domain, active, password, password_hash, alias_rows) -> PlannedRow | None:
        if address in alias_rows:
            raise ServiceError("email", Message(N_("%(address)s is already an alias"), address=address))
        new = bulk.prepare_mailbox(
            domain,
            address.split("@")[0],
            name=record.cells.get("name"),
            quota=record.cells.get("quota"),
            active=True if active is None else active,
            password_hash=password_hash,
        )
        self._use(record, domain, mailboxes=1, quota=new.quota_bytes)
        if not (password or password_hash):
            self.generate_lines[record.line] = address
        elif password:
            self.hash_lines.add(record.line)
        return PlannedRow(
            record.line, "create", domain, address, new=new, password=password, generate=not (password or password_hash)
        )

    def _plan_update(self, record, address, domain, mailbox, active, password, password_hash) -> PlannedRow | None:
        if not self.options.update:
            exists = N_("the mailbox %(address)s already exists (%(advice)s)")
            raise ServiceError("email", Message(exists, address=address, advice=as_message(self.options.update_advice)))
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
        if password:
            self.hash_lines.add(record.line)
        changed = bool(changes or password or password_hash)
        return PlannedRow(
            record.line,
            "update" if changed else "unchanged",
            domain,
            address,
            mailbox=mailbox,
            changes=changes,
            password=password,
            password_hash=password_hash,
        )

    def _plan_aliases(self, row: PlannedRow, record: Record, alias_list: list[str], alias_rows) -> None:
        for alias in alias_list:
            existing = alias_rows.get(alias)
            if existing is not None:
                if [d.destination for d in existing.destinations] != [row.address]:
                    elsewhere = N_("the alias %(alias)s already exists and delivers elsewhere")
                    self.problems.add(record.line, "aliases", Message(elsewhere, alias=alias))
                continue
            if alias == row.address:
                self.problems.add(record.line, "aliases", N_("an alias cannot point only to itself"))
                continue
            try:
                aliases.parse_alias_address(alias, new=True)
            except ServiceError as exc:
                problem = Message(N_("%(alias)s: %(problem)s"), alias=alias, problem=as_message(exc.message))
                self.problems.add(record.line, "aliases", problem)
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
        if not self.checking or domain is None:
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


def _twice(name: str, first_line: int) -> Message:
    return Message(N_("%(name)s appears twice (also on line %(line)s)"), name=name, line=first_line)


def _advised(problem: str, advice: str) -> Message:
    """A refusal with how this caller's user turns it around (the CLI's flag,
    the page's checkbox)."""
    return Message(N_("%(problem)s (%(advice)s)"), problem=as_message(problem), advice=as_message(advice))
