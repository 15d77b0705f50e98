"""The alias and alias-domain rows of an import: the part of
:class:`.plan.Planner` that plans them (a mixin: it uses the planner's
session, actor, options, problems and limits).
"""

from __future__ import annotations

from sqlalchemy import select

from ..languages import N_, Message, as_message
from ..models import Alias, AliasDomain, Domain, Mailbox
from ..services import ServiceError, aliases, domains
from .csvfile import Record
from .rows import PlannedRow, parse_active


class AliasRows:
    def _aliases(self, records: list[Record]) -> list[PlannedRow]:
        parsed = [p for p in (self._parse_alias(r) for r in records) if p is not None]
        addresses = [p[1] for p in parsed]
        if not addresses:
            return []
        existing = {a.address: a for a in self.session.scalars(select(Alias).where(Alias.address.in_(addresses)))}
        boxes = set(self.session.scalars(select(Mailbox.address).where(Mailbox.address.in_(addresses))))
        rows = []
        for record, address, domain, targets, active in parsed:
            try:
                row = self._plan_alias(record, address, domain, targets, active, existing.get(address), boxes)
            except ServiceError as exc:
                self._problem(record, exc, "email" if "address" in exc.fields else None)
                continue
            rows.append(row)
        return rows

    def _parse_alias(self, record: Record):
        cells = record.cells
        try:
            address, domain_name = aliases.parse_alias_address(cells.get("email", ""))
        except ServiceError as exc:
            self._problem(record, exc, "email")
            return None
        ok = self._first_time(record, address)
        domain = self._domain(record, domain_name)
        targets, active = [], None
        try:
            targets = aliases.parse_destinations(cells.get("destinations"))
            aliases.check_not_only_self(address, targets)
        except ServiceError as exc:
            self._problem(record, exc, "destinations")
            ok = False
        try:
            active = parse_active(cells.get("active"))
        except ServiceError as exc:
            self._problem(record, exc)
            ok = False
        return (record, address, domain, targets, active) if ok and domain is not None else None

    def _plan_alias(self, record, address, domain, targets, active, alias: Alias | None, boxes) -> PlannedRow:
        if address in boxes:
            is_mailbox = N_("%(address)s is a mailbox (its forwarding is set on the mailbox)")
            raise ServiceError("email", Message(is_mailbox, address=address))
        row = PlannedRow(record.line, "create", domain, address, row_kind="alias", destinations=targets, active=active)
        if alias is None:
            aliases.parse_alias_address(address, new=True)
            self._use(record, domain, aliases=1)
            return row
        self.actor.require_manage(alias.domain_id)
        row.alias = alias
        same = [d.destination for d in alias.destinations] == targets and active in (None, alias.active)
        if same:
            row.kind = "unchanged"
        elif not self.options.update:
            exists = N_("the alias %(address)s already exists (%(advice)s)")
            raise ServiceError("email", Message(exists, address=address, advice=as_message(self.options.update_advice)))
        else:
            row.kind = "update"
        return row

    # -- alias domain rows ----------------------------------------------------

    def _alias_domains(self, records: list[Record]) -> list[PlannedRow]:
        parsed = [p for p in (self._parse_alias_domain(r) for r in records) if p is not None]
        names = [p[1] for p in parsed]
        if not names:
            return []
        existing = {a.name: a for a in self.session.scalars(select(AliasDomain).where(AliasDomain.name.in_(names)))}
        rows = []
        for record, name, target, active in parsed:
            try:
                rows.append(self._plan_alias_domain(record, name, target, active, existing.get(name)))
            except ServiceError as exc:
                self._problem(record, exc, "email" if exc.fields.keys() <= {"name"} else None)
        return rows

    def _parse_alias_domain(self, record: Record):
        cells = record.cells
        try:
            name = domains.parse_domain_name(cells.get("email", ""), "email")
        except ServiceError as exc:
            self._problem(record, exc, "email")
            return None
        ok = self._first_time(record, name)
        target, active = None, None
        try:
            target_name = domains.parse_domain_name(cells.get("destinations", ""), "destinations")
            target = self._domain(record, target_name, "destinations")
        except ServiceError as exc:
            self._problem(record, exc, "destinations")
        try:
            active = parse_active(cells.get("active"))
        except ServiceError as exc:
            self._problem(record, exc)
            ok = False
        return (record, name, target, active) if ok and target is not None else None

    def _plan_alias_domain(self, record, name, target: Domain, active, alias_domain: AliasDomain | None) -> PlannedRow:
        row = PlannedRow(
            record.line, "create", target, name, row_kind="alias_domain", destinations=[target.name], active=active
        )
        if alias_domain is None or not self.actor.sees_domain(alias_domain.target_domain_id):
            aliases.check_new_alias_domain(self.session, self.actor, name, target.name)
            if name in self.new_domains:
                raise ServiceError("email", Message(N_("%(name)s is a domain this file creates"), name=name))
            return row
        if alias_domain.target_name != target.name:
            already = N_("%(name)s is already an alias domain of %(target)s")
            raise ServiceError("email", Message(already, name=name, target=alias_domain.target_name))
        self.actor.require_manage(alias_domain.target_domain_id)
        row.alias_domain = alias_domain
        if active in (None, alias_domain.active):
            row.kind = "unchanged"
        elif not self.options.update:
            exists = N_("the alias domain %(name)s already exists (%(advice)s)")
            raise ServiceError("email", Message(exists, name=name, advice=as_message(self.options.update_advice)))
        else:
            row.kind = "update"
        return row
