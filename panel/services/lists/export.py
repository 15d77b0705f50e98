"""What a CSV export reads: the actor's mailboxes in chunks, and the aliases
the ``aliases`` column can express. The CSV itself is :mod:`panel.bulk.exporter`'s."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Alias, AliasDestination, Domain, Mailbox, QuotaUsage
from ..actor import Actor
from ..errors import NotFound
from .keyset import scope_clauses

CHUNK = 1000


def _domain_scope(actor: Actor, domain: Domain | None) -> list:
    if domain is None:
        return scope_clauses(Mailbox.domain_id, actor)
    if not actor.sees_domain(domain.id):
        raise NotFound("domain", f"no domain {domain.name}")
    return [Mailbox.domain_id == domain.id]


def export_chunks(session: Session, actor: Actor, domain: Domain | None = None, chunk: int = CHUNK) -> Iterator[list]:
    """The mailboxes a manager sees (or one domain's), by domain and local
    part, ``chunk`` rows at a time from a server-side cursor."""
    actor.require_manager("a full list of mailboxes is for the domain's admins")
    query = (
        select(Mailbox.address, Mailbox.name, Mailbox.password_hash, Mailbox.quota_bytes, Mailbox.active)
        .join(Domain, Domain.id == Mailbox.domain_id)
        .where(*_domain_scope(actor, domain))
        .order_by(Domain.name, Mailbox.local_part)
    )
    yield from session.execute(query.execution_options(yield_per=chunk)).partitions()


def usage_rows(session: Session, actor: Actor, domain: Domain | None = None) -> Iterator:
    """Every mailbox the actor sees with its usage (``flask mailbox list``),
    streamed by domain and local part."""
    actor.require_manager("a full list of mailboxes is for the domain's admins")
    query = (
        select(
            Mailbox.address, Mailbox.name, Mailbox.active, Mailbox.quota_bytes, QuotaUsage.bytes, QuotaUsage.messages
        )
        .join(Domain, Domain.id == Mailbox.domain_id)
        .outerjoin(QuotaUsage, QuotaUsage.username == Mailbox.address)
        .where(*_domain_scope(actor, domain))
        .order_by(Domain.name, Mailbox.local_part)
    )
    yield from session.execute(query.execution_options(yield_per=CHUNK))


def single_destination_aliases(session: Session, actor: Actor, addresses: list[str]) -> dict[str, list[str]]:
    """Aliases of the actor's domains whose only destination is one of these
    mailboxes: exactly what the ``aliases`` column can express. Another
    tenant's alias may point here too; it is theirs (and would not re-import)."""
    if not addresses:
        return {}
    pointing = session.execute(
        select(AliasDestination.alias_id, AliasDestination.destination).where(
            AliasDestination.destination.in_(addresses)
        )
    ).all()
    if not pointing:
        return {}
    single = set(
        session.scalars(
            select(AliasDestination.alias_id)
            .where(AliasDestination.alias_id.in_([alias_id for alias_id, _ in pointing]))
            .group_by(AliasDestination.alias_id)
            .having(func.count() == 1)
        )
    )
    if not single:
        return {}
    query = select(Alias.id, Alias.address).where(Alias.id.in_(single), *scope_clauses(Alias.domain_id, actor))
    names = dict(session.execute(query).all())
    found: dict[str, list[str]] = {}
    for alias_id, destination in pointing:
        if alias_id in names:
            found.setdefault(destination, []).append(names[alias_id])
    for value in found.values():
        value.sort()
    return found
