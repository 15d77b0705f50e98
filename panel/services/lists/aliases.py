"""A domain's aliases and alias domains."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Alias, AliasDomain, Domain
from ..actor import Actor
from .keyset import Page, decode_key, keyset_page


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
