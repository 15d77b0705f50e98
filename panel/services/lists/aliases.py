"""A domain's aliases and alias domains; aliases whose address contains a
text (a domain's list, the staff's search)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Alias, AliasDomain, Domain, Mailbox
from ..actor import Actor
from .domains import visible_domain
from .keyset import PAGE_SIZE, Page, bounded, decode_key, direction, keyset_page, paged, scope_clauses
from .search import _indexable, _search_needle, addresses_in_order, contains


def alias_page(
    session: Session,
    actor: Actor,
    domain: Domain,
    after: str | None = None,
    before: str | None = None,
    text: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A domain's aliases by address; with ``text``, those whose address contains it."""
    actor.require_manage(domain.id)
    if text and text.strip():
        return _matching(session, _search_needle(text), [Alias.domain_id == domain.id], after, before, size)
    query = select(Alias).where(Alias.domain_id == domain.id)
    return keyset_page(
        session,
        query,
        [(Alias.address, True)],
        lambda r: (r[0].address,),
        decode_key(after, 1),
        decode_key(before, 1),
        size,
    )


def search_aliases(
    session: Session,
    actor: Actor,
    text: str,
    after: str | None = None,
    before: str | None = None,
    size: int = 20,
) -> Page:
    """Aliases of the actor's domains whose address contains ``text`` (any
    case), by address: the staff's search finds the address a user quotes,
    often an alias. The helpdesk sees them too (read only: the search page
    links the mailboxes they deliver to)."""
    return _matching(session, _search_needle(text), scope_clauses(Alias.domain_id, actor), after, before, size)


def delivered_mailboxes(session: Session, actor: Actor, page: Page) -> set[str]:
    """The destinations of a page of aliases that are mailboxes the actor
    sees (one query for the page)."""
    wanted = {d.destination for row in page.rows for d in row[0].destinations}
    if not wanted:
        return set()
    query = select(Mailbox.address).where(Mailbox.address.in_(wanted), *scope_clauses(Mailbox.domain_id, actor))
    return set(session.scalars(query))


def _matching(session: Session, needle: str, scope: list, after, before, size: int) -> Page:
    after_key, before_key = decode_key(after, 1), decode_key(before, 1)
    backwards, bound = direction(after_key, before_key)
    addresses = _addresses_past(session, needle, scope, bound[0] if bound else None, backwards, size + 1)
    found = {a.address: a for a in session.scalars(select(Alias).where(Alias.address.in_(addresses)))}
    rows = [(found[a],) for a in addresses if a in found]
    return paged(rows, lambda r: (r[0].address,), backwards, bounded(after_key, before_key), size)


def _addresses_past(session: Session, needle: str, scope: list, start: str | None, backwards: bool, count: int):
    """The next ``count`` matching addresses past ``start`` (nearest first),
    as the mailbox search finds them (ix_aliases_address_trgm on
    PostgreSQL; SQLite always walks uq_aliases_address)."""
    where = list(scope)
    if start is not None:
        where.append(Alias.address < start if backwards else Alias.address > start)
    trigram = _indexable(needle) and session.get_bind().dialect.name == "postgresql"
    return addresses_in_order(session, Alias.address, contains(Alias.address, needle), where, backwards, count, trigram)


def alias_domains_of(session: Session, actor: Actor, domain: Domain) -> list[AliasDomain]:
    actor.require_manage(domain.id)
    query = select(AliasDomain).where(AliasDomain.target_domain_id == domain.id).order_by(AliasDomain.name).limit(500)
    return list(session.scalars(query))


def alias_domains_by_target(session: Session, actor: Actor, domain_ids: list[int], per_domain: int = 5) -> dict:
    """For the domain list: up to ``per_domain`` alias domains of each of a
    page's domains, by name, and how many there are: {domain id: (names, count)}."""
    ids = [i for i in domain_ids if actor.sees_domain(i)]
    if not ids:
        return {}
    ranked = select(
        AliasDomain.target_domain_id,
        AliasDomain.name,
        func.row_number().over(partition_by=AliasDomain.target_domain_id, order_by=AliasDomain.name).label("n"),
        func.count().over(partition_by=AliasDomain.target_domain_id).label("total"),
    ).where(AliasDomain.target_domain_id.in_(ids))
    ranked = ranked.subquery()
    found: dict = {}
    first = select(ranked).where(ranked.c.n <= per_domain).order_by(ranked.c.target_domain_id, ranked.c.n)
    rows = session.execute(first)
    for target, name, _, total in rows:
        names, _ = found.setdefault(target, ([], total))
        names.append(name)
    return found


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
