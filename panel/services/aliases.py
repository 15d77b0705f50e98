"""Aliases (one or more destinations, catch-all ``@domain``) and alias domains."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..addresses import AddressError, normalize_address, normalize_alias_address
from ..models import Alias, AliasDestination, AliasDomain, Domain
from . import audit, domains
from .actor import Actor
from .errors import Conflict, NotFound, ServiceError
from .persist import insert_unique

MAX_DESTINATIONS = 1000
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_alias_address(value: str) -> tuple[str, str]:
    try:
        return normalize_alias_address(value)
    except AddressError as exc:
        raise ServiceError("address", str(exc)) from None


def parse_destinations(values) -> list[str]:
    """Normalised, de-duplicated destinations, in the order given."""
    if isinstance(values, str):
        values = _SEPARATORS.split(values)
    result: list[str] = []
    for value in values or []:
        if not value or not value.strip():
            continue
        try:
            address = normalize_address(value)
        except AddressError as exc:
            raise ServiceError("destinations", f"{value.strip()[:80]}: {exc}") from None
        if address not in result:
            result.append(address)
    if not result:
        raise ServiceError("destinations", "at least one destination is required")
    if len(result) > MAX_DESTINATIONS:
        raise ServiceError("destinations", f"at most {MAX_DESTINATIONS} destinations")
    return result


def _check_not_only_self(address: str, destinations: list[str]) -> None:
    if destinations == [address]:
        raise ServiceError("destinations", "an alias cannot point only to itself")


def get_alias(session: Session, actor: Actor, address: str) -> Alias:
    address, _ = parse_alias_address(address)
    alias = session.scalar(select(Alias).where(Alias.address == address))
    if alias is None or not actor.sees_domain(alias.domain_id):
        raise NotFound("address", f"no alias {address}")
    return alias


def create_alias(session: Session, actor: Actor, address: str, destinations, active: bool = True) -> Alias:
    address, domain_name = parse_alias_address(address)
    domain = domains.managed_domain(session, actor, domain_name)
    targets = parse_destinations(destinations)
    _check_not_only_self(address, targets)
    if session.scalar(select(Alias.id).where(Alias.address == address)):
        raise Conflict("address", f"the alias {address} already exists")
    alias = Alias(
        domain=domain,
        address=address,
        active=bool(active),
        goto=",".join(targets),
        destinations=[AliasDestination(destination=d) for d in targets],
    )
    domains.reserve_alias(session, domain)
    alias.domain_active = domains.current_active(session, domain)
    insert_unique(session, alias, "address", f"the alias {address} already exists")
    audit.record(session, actor, "alias.create", address, destinations=targets, active=alias.active)
    return alias


def update_alias(
    session: Session, actor: Actor, alias: Alias, *, destinations=None, active: bool | None = None
) -> Alias:
    actor.require_manage(alias.domain_id)
    changes = {}
    if destinations is not None:
        targets = parse_destinations(destinations)
        _check_not_only_self(alias.address, targets)
        if targets != [d.destination for d in alias.destinations]:
            _replace_destinations(session, alias, targets)
            changes["destinations"] = targets
    if active is not None and bool(active) != alias.active:
        alias.active = changes["active"] = bool(active)
    if changes:
        audit.record(session, actor, "alias.update", alias.address, **changes)
    return alias


def _replace_destinations(session: Session, alias: Alias, targets: list[str]) -> None:
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
    audit.record(session, actor, "alias.delete", alias.address)


# -- alias domains ---------------------------------------------------------


def get_alias_domain(session: Session, actor: Actor, name: str) -> AliasDomain:
    name = domains.parse_domain_name(name)
    alias_domain = session.scalar(select(AliasDomain).where(AliasDomain.name == name))
    if alias_domain is None or not actor.sees_domain(alias_domain.target_domain_id):
        raise NotFound("name", f"no alias domain {name}")
    return alias_domain


def create_alias_domain(session: Session, actor: Actor, name: str, target: str, active: bool = True) -> AliasDomain:
    name = domains.parse_domain_name(name)
    target_domain = domains.managed_domain(session, actor, domains.parse_domain_name(target, "target"), "target")
    if name == target_domain.name:
        raise ServiceError("name", "an alias domain cannot point to itself")
    taken = session.scalar(select(Domain.id).where(Domain.name == name))
    if taken and actor.sees_domain(taken):
        raise Conflict("name", f"{name} is already a hosted domain")
    if taken or _foreign_alias_domain(session, actor, name):
        # The same words whoever holds it: another tenant's names are not theirs to learn.
        raise Conflict("name", f"{name} is already in use on this server")
    alias_domain = AliasDomain(
        name=name,
        target=target_domain,
        active=bool(active),
        target_name=target_domain.name,
        target_active=domains.current_active(session, target_domain),
    )
    insert_unique(session, alias_domain, "name", f"the alias domain {name} already exists")
    audit.record(session, actor, "alias_domain.create", name, target=target_domain.name, active=alias_domain.active)
    return alias_domain


def _foreign_alias_domain(session: Session, actor: Actor, name: str) -> bool:
    target = session.scalar(select(AliasDomain.target_domain_id).where(AliasDomain.name == name))
    return target is not None and not actor.sees_domain(target)


def set_alias_domain_active(session: Session, actor: Actor, alias_domain: AliasDomain, active: bool) -> AliasDomain:
    actor.require_manage(alias_domain.target_domain_id)
    if alias_domain.active != bool(active):
        alias_domain.active = bool(active)
        audit.record(session, actor, "alias_domain.enable" if active else "alias_domain.disable", alias_domain.name)
    return alias_domain


def delete_alias_domain(session: Session, actor: Actor, alias_domain: AliasDomain) -> None:
    actor.require_manage(alias_domain.target_domain_id)
    session.delete(alias_domain)
    audit.record(session, actor, "alias_domain.delete", alias_domain.name, target=alias_domain.target.name)
