"""Domain lists: the domains an actor sees, their totals, the largest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import DnsCheck, Domain, Role
from ..actor import Actor
from ..errors import Forbidden, NotFound
from .keyset import Page, decode_key, keyset_page, scoped


def visible_domain(session: Session, actor: Actor, name: str, field: str = "domain") -> Domain:
    """The domain called ``name`` if the actor may see it; otherwise NotFound
    (another domain's existence is not theirs to learn), on ``field``."""
    from .. import domains

    domain = domains.get_domain(session, name, field)
    if not actor.sees_domain(domain.id):
        raise NotFound(field, f"no domain {name}")
    return domain


def domain_page(session: Session, actor: Actor, after: str | None = None, before: str | None = None) -> Page:
    if actor.role is Role.HELPDESK:
        raise Forbidden("helpdesk accounts search mailboxes only")
    # Each row is (domain, records its last DNS check found missing or wrong;
    # None: never checked): one outer join on the primary key, no query per row.
    query = scoped(
        select(Domain, DnsCheck.problems).outerjoin(DnsCheck, DnsCheck.domain_id == Domain.id), Domain.id, actor
    )
    after_key, before_key = decode_key(after, 1), decode_key(before, 1)
    return keyset_page(session, query, [(Domain.name, True)], lambda r: (r[0].name,), after_key, before_key)


def all_domains(session: Session, actor: Actor):
    """Every domain a manager sees, by name, streamed (``flask domain list``)."""
    actor.require_manager("helpdesk accounts search mailboxes only")
    query = scoped(select(Domain), Domain.id, actor).order_by(Domain.name)
    return session.scalars(query.execution_options(yield_per=1000))


def domain_totals(session: Session, actor: Actor) -> dict:
    """Sums of the per-domain counters over the domains the actor sees."""
    query = scoped(
        select(
            func.count(Domain.id),
            func.coalesce(func.sum(Domain.mailbox_count), 0),
            func.coalesce(func.sum(Domain.alias_count), 0),
            func.coalesce(func.sum(Domain.quota_allocated_bytes), 0),
        ),
        Domain.id,
        actor,
    )
    domains_, mailboxes, aliases, allocated = session.execute(query).one()
    return {"domains": domains_, "mailboxes": mailboxes, "aliases": aliases, "allocated": allocated}


def largest_domains(session: Session, actor: Actor, limit: int = 10) -> list[Domain]:
    query = scoped(select(Domain), Domain.id, actor).order_by(Domain.mailbox_count.desc(), Domain.name).limit(limit)
    return list(session.scalars(query))


def api_domains(session: Session, actor: Actor, after: str | None, size: int) -> list[Domain]:
    """The API's domain list: the actor's domains past the name ``after``,
    by name, ``size`` + 1 at most (the last says there is more). The same
    rule as the web's list: not the helpdesk's."""
    if actor.role is Role.HELPDESK:
        raise Forbidden("helpdesk accounts search mailboxes only")
    query = scoped(select(Domain), Domain.id, actor)
    if after:
        query = query.where(Domain.name > after.lower())
    return list(session.scalars(query.order_by(Domain.name).limit(size + 1)))
