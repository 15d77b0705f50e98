"""Aliases (one or more destinations, catch-all ``@domain``) and alias domains."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..addresses import AddressError, normalize_address, normalize_alias_address
from ..languages import N_, SEMICOLONS, Message, as_message, joined, why
from ..models import Alias, AliasDestination, AliasDomain
from . import audit, domains
from .actor import Actor
from .errors import Conflict, FieldErrors, Forbidden, NotFound, ServiceError
from .persist import insert_unique

MAX_DESTINATIONS = 1000
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_alias_address(value: str, new: bool = False) -> tuple[str, str]:
    """(address, domain) of an alias source; ``new`` for one about to be
    created, which must use the new-address alphabet (panel/addresses.py)."""
    try:
        return normalize_alias_address(value, new=new)
    except AddressError as exc:
        raise ServiceError("address", why(exc)) from None


def parse_destinations(values) -> list[str]:
    """Normalised, de-duplicated destinations, in the order given."""
    if isinstance(values, str):
        values = _SEPARATORS.split(values)
    result: list[str] = []
    bad: list[str] = []  # every bad one is told, not only the first
    for value in values or []:
        if not value or not value.strip():
            continue
        try:
            address = normalize_address(value)
        except AddressError as exc:
            bad.append(Message(N_("%(key)s: %(value)s"), key=value.strip()[:80], value=as_message(why(exc))))
            continue
        if address not in result:
            result.append(address)
    if bad:
        shown = joined(bad[:10], SEMICOLONS)
        if len(bad) > 10:
            shown = Message(N_("%(shown)s; and %(count)s more"), shown=shown, count=len(bad) - 10)
        raise ServiceError("destinations", shown)
    if not result:
        raise ServiceError("destinations", N_("at least one destination is required"))
    if len(result) > MAX_DESTINATIONS:
        raise ServiceError("destinations", Message(N_("at most %(count)s destinations"), count=MAX_DESTINATIONS))
    return result


def check_not_only_self(address: str, destinations: list[str]) -> None:
    if destinations == [address]:
        raise ServiceError("destinations", N_("an alias cannot point only to itself"))


def get_alias(session: Session, actor: Actor, address: str) -> Alias:
    address, _ = parse_alias_address(address)
    alias = session.scalar(select(Alias).where(Alias.address == address))
    if alias is None or not actor.sees_domain(alias.domain_id):
        raise NotFound("address", Message(N_("no alias %(address)s"), address=address))
    actor.require_manage(alias.domain_id)  # aliases are the managers'
    return alias


def create_alias(session: Session, actor: Actor, address: str, destinations, active: bool = True) -> Alias:
    problems, targets = FieldErrors(), []
    with problems.collect():
        address, domain_name = parse_alias_address(address, new=True)
    with problems.collect():
        targets = parse_destinations(destinations)
    problems.raise_any(N_("the alias was not created: see the fields"))
    domain = domains.managed_domain(session, actor, domain_name)
    return add_alias(session, actor, domain, address, targets, active)


def add_alias(
    session: Session,
    actor: Actor,
    domain,
    address: str,
    targets: list[str],
    active: bool = True,
    audit_action: str | None = "alias.create",
) -> Alias:
    """The alias rules once permission is settled (create_alias, or a
    mailbox's forwarding, services.forwarding): not only itself, unique,
    within the domain's limit, audited unless the caller audits."""
    check_not_only_self(address, targets)
    if session.scalar(select(Alias.id).where(Alias.address == address)):
        raise Conflict("address", Message(N_("the alias %(address)s already exists"), address=address))
    alias = Alias(
        domain=domain,
        address=address,
        active=bool(active),
        goto=",".join(targets),
        destinations=[AliasDestination(destination=d) for d in targets],
    )
    domains.reserve_alias(session, domain)
    insert_unique(session, alias, "address", Message(N_("the alias %(address)s already exists"), address=address))
    if audit_action:
        audit.record(
            session, actor, audit_action, address, domain_id=domain.id, destinations=targets, active=alias.active
        )
    return alias


def update_alias(
    session: Session, actor: Actor, alias: Alias, *, destinations=None, active: bool | None = None
) -> Alias:
    actor.require_manage(alias.domain_id)
    changes, was = {}, {}
    if destinations is not None:
        targets = parse_destinations(destinations)
        check_not_only_self(alias.address, targets)
        before = [d.destination for d in alias.destinations]
        if targets != before:
            was["destinations"] = before
            replace_destinations(session, alias, targets)
            changes["destinations"] = targets
    if active is not None and bool(active) != alias.active:
        was["active"] = alias.active
        alias.active = changes["active"] = bool(active)
    if changes:
        audit.record(session, actor, "alias.update", alias.address, domain_id=alias.domain_id, **changes, was=was)
    return alias


def replace_destinations(session: Session, alias: Alias, targets: list[str]) -> None:
    """New destinations for an existing alias (the caller checked permission)."""
    keep = {d.destination: d for d in alias.destinations if d.destination in targets}
    alias.destinations = [keep.get(t) or AliasDestination(destination=t) for t in targets]
    alias.goto = ",".join(targets)
    # Flush deletions before inserts so a re-added destination does not
    # collide with its old row on the unique constraint.
    session.flush()


def delete_alias(session: Session, actor: Actor, alias: Alias) -> None:
    actor.require_manage(alias.domain_id)
    domains.release_alias(session, alias.domain)
    session.delete(alias)
    audit.record(session, actor, "alias.delete", alias.address, domain_id=alias.domain_id)


# -- alias domains ---------------------------------------------------------


def get_alias_domain(session: Session, actor: Actor, name: str) -> AliasDomain:
    name = domains.parse_domain_name(name)
    alias_domain = session.scalar(select(AliasDomain).where(AliasDomain.name == name))
    if alias_domain is None or not actor.sees_domain(alias_domain.target_domain_id):
        raise NotFound("name", Message(N_("no alias domain %(name)s"), name=name))
    actor.require_manage(alias_domain.target_domain_id)
    return alias_domain


def create_alias_domain(session: Session, actor: Actor, name: str, target: str, active: bool = True) -> AliasDomain:
    """Only a superadmin brings a new name into the server: an alias domain
    makes Postfix treat the name as local, so a domain admin who could pick
    any name (gmail.com, the server's own name, a future tenant's domain)
    would receive every hosted user's mail to it."""
    if not actor.is_superadmin:  # before any lookup: no answer about others' names
        raise Forbidden(N_("only a superadmin may add an alias domain"))
    name = domains.parse_domain_name(name)
    target_domain = domains.managed_domain(session, actor, domains.parse_domain_name(target, "target"), "target")
    check_new_alias_domain(session, actor, name, target_domain.name)
    alias_domain = AliasDomain(
        name=name,
        target=target_domain,
        active=bool(active),
        target_name=target_domain.name,
    )
    insert_unique(
        session,
        alias_domain,
        "name",
        Message(N_("%(name)s is already hosted here (as a domain or an alias domain)"), name=name),
    )
    audit.record(
        session,
        actor,
        "alias_domain.create",
        name,
        domain_id=target_domain.id,
        target=target_domain.name,
        active=alias_domain.active,
    )
    return alias_domain


def check_new_alias_domain(session: Session, actor: Actor, name: str, target_name: str) -> None:
    """The rules for a new alias domain ``name`` (parsed) of a managed
    domain, without writing: what the CSV importer's check pass asks."""
    if not actor.is_superadmin:
        raise Forbidden(N_("only a superadmin may add an alias domain"))
    if name == target_name:
        raise ServiceError("name", N_("an alias domain cannot point to itself"))
    domains.check_new_name(session, name, as_alias=True)


def set_alias_domain_active(session: Session, actor: Actor, alias_domain: AliasDomain, active: bool) -> AliasDomain:
    actor.require_manage(alias_domain.target_domain_id)
    if alias_domain.active != bool(active):
        alias_domain.active = bool(active)
        audit.record(
            session,
            actor,
            "alias_domain.enable" if active else "alias_domain.disable",
            alias_domain.name,
            domain_id=alias_domain.target_domain_id,
        )
    return alias_domain


def delete_alias_domain(session: Session, actor: Actor, alias_domain: AliasDomain) -> None:
    actor.require_manage(alias_domain.target_domain_id)
    session.delete(alias_domain)
    audit.record(
        session,
        actor,
        "alias_domain.delete",
        alias_domain.name,
        domain_id=alias_domain.target_domain_id,
        target=alias_domain.target.name,
    )
