"""A domain's aliases and alias domains."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Alias, AliasDomain, Domain
from ..actor import Actor
from .domains import visible_domain
from .keyset import Page, decode_key, keyset_page, scope_clauses
from .search import contains


def alias_page(
    session: Session, actor: Actor, domain: Domain, after: str | None = None, before: str | None = None
) -> Page:
    actor.require_manage(domain.id)
    query = select(Alias).where(Alias.domain_id == domain.id)
    return keyset_page(
        session,
        query,
        [(Alias.address, True)],
        lambda r: (r[0].address,),
        decode_key(after, 1),
        decode_key(before, 1),
    )


def alias_domains_of(session: Session, actor: Actor, domain: Domain) -> list[AliasDomain]:
    actor.require_manage(domain.id)
    query = select(AliasDomain).where(AliasDomain.target_domain_id == domain.id).order_by(AliasDomain.name).limit(500)
    return list(session.scalars(query))


def api_aliases(
    session: Session,
    actor: Actor,
    after: str | None,
    size: int,
    text: str | None = None,
    domain_name: str | None = None,
) -> list[Alias]:
    """The API's alias list: past the address ``after``, by address, ``size``
    + 1 at most, in the named domain or all the actor's, and when ``text``
    is given only those whose address contains it (any case)."""
    actor.require_manager("aliases are managed by the domain's admins")
    if domain_name:
        scope = [Alias.domain_id == visible_domain(session, actor, domain_name).id]
    else:
        scope = scope_clauses(Alias.domain_id, actor)
    query = select(Alias).where(*scope)
    if after:
        query = query.where(Alias.address > after.lower())
    if text:
        query = query.where(contains(Alias.address, text.lower()))
    return list(session.scalars(query.order_by(Alias.address).limit(size + 1)))


def api_alias_domains(session: Session, actor: Actor, after: str | None, size: int) -> list[AliasDomain]:
    """The API's alias domain list: those onto the actor's domains, by name."""
    actor.require_manager("aliases are managed by the domain's admins")
    query = select(AliasDomain).where(*scope_clauses(AliasDomain.target_domain_id, actor))
    if after:
        query = query.where(AliasDomain.name > after.lower())
    return list(session.scalars(query.order_by(AliasDomain.name).limit(size + 1)))
