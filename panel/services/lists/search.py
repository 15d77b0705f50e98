"""Mailbox search: address or name contains a text, in any case, across
the actor's domains; for the panel (pages in three orders) and the API."""

from __future__ import annotations

import math
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ...languages import N_, Message
from ...models import Domain, Mailbox, QuotaUsage
from ..actor import Actor
from ..errors import ServiceError, safe_text
from .domains import visible_domain
from .keyset import (
    PAGE_SIZE,
    Page,
    bounded,
    decode_key,
    direction,
    iso,
    keyset_page,
    paged,
    scope_clauses,
    typed_key,
)
from .mailboxes import check_sort, mailbox_select, rows_in_order

SEARCH_MIN = 2
SEARCH_MAX = 100
# A search sorted by usage or last change sorts its matches in SQL; past
# this many it asks for a narrower search (bounded work at any size).
SORTED_MATCHES_MAX = 20_000
# A search in address order walks the address index at most this far before
# asking the trigram index for the rest (_search_by_address).
SEARCH_WALK_BUDGET = 50_000
# The trigram index serves needles of at least this many characters.
TRIGRAM = 3
# Up to this many matches (as PostgreSQL estimates them), a search in address
# order asks the trigram index first instead of walking the address index.
FEW_MATCHES = 2_000


def _search_needle(text: str, minimum: int = SEARCH_MIN) -> str:
    """What "address or name contains ``text``, any case" looks for (the
    panel's search and the API's): ``text`` lower-cased and checked."""
    needle = safe_text((text or "").strip().lower(), "q")
    if len(needle) < minimum or len(needle) > SEARCH_MAX:
        raise ServiceError(
            "q", Message(N_("type %(minimum)s to %(search_max)s characters"), minimum=minimum, search_max=SEARCH_MAX)
        )
    return needle


def contains(column, needle: str):
    """A LIKE on ``column`` (search_text, lower-cased address and name,
    migration 0009) in which the needle's own wildcards are literal."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def _indexable(needle: str) -> bool:
    """Can the trigram index find this needle's matches? Only if it holds a
    word (letters or digits) of 3 or more: pg_trgm takes trigrams from words."""
    return re.search(rf"[^\W_]{{{TRIGRAM},}}", needle) is not None


def search_mailboxes(
    session: Session,
    actor: Actor,
    text: str,
    sort: str = "address",
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """Mailboxes of the actor's domains whose address or name contains
    ``text`` (any case), sorted like a domain's list.

    Address order: :func:`_search_by_address`; other orders:
    :func:`_sorted_matches`.
    """
    check_sort(sort)
    needle, scope = _search_needle(text), scope_clauses(Mailbox.domain_id, actor)
    if sort != "address":
        if not _indexable(needle):
            why_not = (
                N_("type at least %(count)s characters to sort by usage, or sort by address")
                if sort == "usage"
                else N_("type at least %(count)s characters to sort by last change, or sort by address")
            )
            raise ServiceError("q", Message(why_not, count=TRIGRAM))
        return _sorted_matches(session, [contains(Mailbox.search_text, needle), *scope], sort, after, before, size)
    after_key, before_key = decode_key(after, 1), decode_key(before, 1)
    backwards, bound = direction(after_key, before_key)
    rows = _search_by_address(
        session, needle, scope, bound[0] if bound else None, backwards, size, _scope_size(session, actor)
    )
    return paged(rows, lambda r: (r[0].address,), backwards, bounded(after_key, before_key), size)


def api_mailboxes(
    session: Session,
    actor: Actor,
    after: str | None,
    size: int,
    text: str | None = None,
    domain_name: str | None = None,
) -> list[Mailbox]:
    """The API's mailbox list: mailboxes past the address ``after``, in
    address order, ``size`` + 1 at most (the last says there is more), in
    the named domain or all the actor's domains, and when ``text`` is given
    only those matching it (the panel's search, from 1 character)."""
    domain = visible_domain(session, actor, domain_name) if domain_name else None
    scope = [Mailbox.domain_id == domain.id] if domain is not None else scope_clauses(Mailbox.domain_id, actor)
    if not text:  # each row's domain comes with it (a joined load)
        return list(
            session.scalars(
                select(Mailbox).where(*scope, *_past(after, False)).order_by(Mailbox.address).limit(size + 1)
            )
        )
    scope_size = domain.mailbox_count if domain is not None else _scope_size(session, actor)
    found = [
        row[0] for row in _search_by_address(session, _search_needle(text, 1), scope, after, False, size, scope_size)
    ]
    # The API shows each row's domain: one query for all of them, not one
    # per row (the panel's search rows never touch it).
    domains = {d.id: d for d in session.scalars(select(Domain).where(Domain.id.in_({m.domain_id for m in found})))}
    for mailbox in found:
        set_committed_value(mailbox, "domain", domains[mailbox.domain_id])
    return found


def _scope_size(session: Session, actor: Actor) -> int | None:
    """How many mailboxes the actor's domains hold (their counters); None
    for an actor who sees every domain."""
    if actor.domain_ids is None:
        return None
    return session.scalar(
        select(func.coalesce(func.sum(Domain.mailbox_count), 0)).where(Domain.id.in_(actor.domain_ids or [-1]))
    )


def _search_by_address(
    session: Session,
    needle: str,
    scope: list,
    start: str | None,
    backwards: bool,
    size: int = PAGE_SIZE,
    scope_size: int | None = None,
) -> list:
    """(mailbox, used) rows of the next ``size`` + 1 matches past ``start``
    in address order (before it, nearest first, when ``backwards``).

    Few matches (PostgreSQL's estimate) are found by the trigram index.
    Otherwise, a walk of uq_mailboxes_address, at most SEARCH_WALK_BUDGET
    entries: the index carries search_text and domain_id, so a broad search
    filters them without reading the table, and a page's rows are loaded
    in the same statement. Matches clustered further on (a name search's
    matches sit together in address order: "Zoe" among the z's) would make
    that walk read most of the index, so a page the walk did not fill is
    completed from where it stopped by :func:`_addresses_past`.

    A scope of at most SEARCH_WALK_BUDGET mailboxes (``scope_size``: a
    domain admin's few domains) is read through the domain index instead:
    walking everyone's addresses for a few of them read most of the index.
    """
    expected = _estimated_matches(session, needle) if _indexable(needle) else math.inf
    if expected <= FEW_MATCHES:
        # Few matches expected: the trigram index finds them at once (and
        # if the estimate was wrong, _addresses_past walks instead).
        return rows_in_order(
            session, Mailbox.address, _addresses_past(session, needle, scope, start, backwards, size + 1, expected)
        )
    order = Mailbox.address.desc() if backwards else Mailbox.address.asc()
    candidates = select(Mailbox.address, Mailbox.search_text).where(*scope, *_past(start, backwards))
    small_scope = scope_size is not None and scope_size <= SEARCH_WALK_BUDGET
    if small_scope:  # materialized: planned on its own, by domain, then filtered and sorted
        walk = candidates.cte("walk").prefix_with("MATERIALIZED")
    else:
        walk = candidates.order_by(order).limit(SEARCH_WALK_BUDGET).subquery("walk")
    page = (
        select(walk.c.address)
        .where(contains(walk.c.search_text, needle))
        .order_by(walk.c.address.desc() if backwards else walk.c.address)
        .limit(size + 1)
        .subquery("page")
    )
    rows = list(session.execute(mailbox_select().join(page, page.c.address == Mailbox.address).order_by(order)))
    if len(rows) <= size and not small_scope:
        walked_to = session.scalar(
            select(Mailbox.address)
            .where(*scope, *_past(start, backwards))
            .order_by(order)
            .offset(SEARCH_WALK_BUDGET - 1)
            .limit(1)
        )
        if walked_to is not None:  # None: the walk read to the end
            rest = _addresses_past(session, needle, scope, walked_to, backwards, size + 1 - len(rows), expected)
            rows += rows_in_order(session, Mailbox.address, rest)
    return rows


def _addresses_past(
    session: Session, needle: str, scope: list, start: str | None, backwards: bool, count: int, expected: float
) -> list:
    """The next ``count`` matching mailbox addresses past ``start``
    (``expected``: PostgreSQL's estimate of all the needle's matches)."""
    match = contains(Mailbox.search_text, needle)
    where = [*scope, *_past(start, backwards)]
    known = expected if math.isfinite(expected) else 0.0
    return addresses_in_order(session, Mailbox.address, match, where, backwards, count, _indexable(needle), known)


def addresses_in_order(
    session: Session, address, match, where: list, backwards: bool, count: int, trigram: bool, expected: float = 0.0
) -> list:
    """The first ``count`` values of ``address`` (a unique, indexed column)
    meeting ``match`` (the needle) and ``where`` (scope, position), in order.
    Shared by the mailbox and alias searches.

    Without ``trigram`` (no index finds the needle): a walk of the address
    index in order. With it, in rounds, each twice the last: gather at most
    SORTED_MATCHES_MAX matches through the trigram index and, if that was
    all of them, sort them; otherwise walk the next SEARCH_WALK_BUDGET
    entries of the address index and take the matches among them. A search
    thus costs a small multiple of the cheaper of its two measures: how many
    matches it has, or how far in address order they sit. Neither alone is
    bounded: 111k matches of "ser 99" at 10M mailboxes sit behind 9.8M
    addresses (1.8 s to walk to), and "ser" matches every mailbox.

    A round whose cap is below ``expected`` (PostgreSQL's estimate of the
    matches, 0 where there is none) skips the gather: it would read the
    needle's trigram lists and ``cap`` table rows only to find the cap full
    (at 10M, "ser 12" spent 350 of its 400 ms in three such gathers).
    """
    order = address.desc() if backwards else address.asc()
    if not trigram:
        return list(session.scalars(select(address).where(match, *where).order_by(order).limit(count)))
    found: list = []
    cap, stride = SORTED_MATCHES_MAX, SEARCH_WALK_BUDGET
    while True:
        if expected <= cap:
            matches = select(address).where(match, *where).limit(cap + 1).cte("matches").prefix_with("MATERIALIZED")
            total = select(func.count()).select_from(matches).scalar_subquery()
            column = matches.c[address.key]
            gathered = session.execute(
                select(column, total.label("total"))
                .order_by(column.desc() if backwards else column)
                .limit(count - len(found))
            ).all()
            if not gathered or gathered[0].total <= cap:
                return found + [row[0] for row in gathered]
        # Many matches: the next stride of addresses, in order, and its matches.
        end = session.scalar(select(address).where(*where).order_by(order).offset(stride - 1).limit(1))
        within = [] if end is None else [address >= end if backwards else address <= end]
        found += session.scalars(
            select(address).where(match, *where, *within).order_by(order).limit(count - len(found))
        )
        if len(found) >= count or end is None:
            return found
        where = [*where, address < end if backwards else address > end]
        cap, stride = cap * 2, stride * 2


def _estimated_matches(session: Session, needle: str) -> float:
    """PostgreSQL's estimate of the needle's matches (what its planner
    would go by; the statistics of search_text), without running anything.
    Infinity where there is no such estimate (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return float("inf")
    query = select(Mailbox.id).where(contains(Mailbox.search_text, needle))
    compiled = query.compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return float(plan[0]["Plan"]["Plan Rows"])


def _past(address: str | None, backwards: bool) -> list:
    if address is None:
        return []
    return [Mailbox.address < address if backwards else Mailbox.address > address]


def _sorted_matches(
    session: Session, where: list, sort: str, after: str | None, before: str | None, size: int = PAGE_SIZE
) -> Page:
    """A search's matches by usage or last change, across domains.

    No index in those orders is worth walking here: the matches can sit
    anywhere in it (such walks met ~1 row in 100 and took 0.2-0.5 s at 1M).
    So the matches' sort keys are gathered first (the trigram index) and
    sorted, then the page's rows are loaded; at most SORTED_MATCHES_MAX
    matches, so the work is bounded at any size. Beyond that the search is
    refused with a reason.
    """
    columns = [Mailbox.id, Mailbox.address, Mailbox.updated_at]
    if sort == "usage":
        used = select(QuotaUsage.bytes).where(QuotaUsage.username == Mailbox.address).scalar_subquery()
        columns.append(func.coalesce(used, 0).label("used"))
    matches = select(*columns).where(*where).limit(SORTED_MATCHES_MAX + 1).cte("matches").prefix_with("MATERIALIZED")
    total = select(func.count()).select_from(matches).scalar_subquery()
    if sort == "changed":
        order, key = [(matches.c.updated_at, False), (matches.c.id, False)], (lambda r: (iso(r.updated_at), r.id))
    else:
        # Ties by address from the end, as a domain's list has them.
        order, key = [(matches.c.used, False), (matches.c.address, False)], (lambda r: (r.used, r.address))
    keys = keyset_page(
        session,
        select(matches, total.label("total")),
        order,
        key,
        typed_key(decode_key(after, 2), sort),
        typed_key(decode_key(before, 2), sort),
        size,
    )
    if keys.rows and keys.rows[0].total > SORTED_MATCHES_MAX:
        too_many = (
            N_("more than %(count)s mailboxes match: narrow the search to sort by usage, or sort by address")
            if sort == "usage"
            else N_("more than %(count)s mailboxes match: narrow the search to sort by last change, or sort by address")
        )
        raise ServiceError("q", Message(too_many, count=f"{SORTED_MATCHES_MAX:,}"))
    return Page(rows_in_order(session, Mailbox.id, [r.id for r in keys.rows]), keys.next_key, keys.prev_key)
