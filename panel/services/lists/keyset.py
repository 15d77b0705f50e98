"""Keyset paging, shared by every list: a page starts ``after`` (or ends
``before``) the key of the row just outside it, never at an OFFSET, so a
deep page costs what the first one does. Scoping by the actor's domains is
a WHERE clause on the list's own domain column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, tuple_
from sqlalchemy.orm import Session

from ...languages import N_
from ...models import as_utc
from ...sizes import MAX_BYTES, parse_count
from ...text import problem as text_problem
from ..actor import Actor
from ..errors import ServiceError

PAGE_SIZE = 50


@dataclass
class Page:
    rows: list
    # Keys to put in ``after=`` / ``before=`` links; None: no such page.
    next_key: str | None = None
    prev_key: str | None = None
    extra: dict = field(default_factory=dict)


def decode_key(raw: str | None, parts: int) -> list[str] | None:
    if not raw:
        return None
    values = raw.split("|", parts - 1)
    if len(values) != parts or len(raw) > 600 or text_problem(raw):
        raise ServiceError("page", N_("this page link is not valid; start from the first page"))
    return values


def encode_key(*values) -> str:
    return "|".join(str(v) for v in values)


def keyset_page(session: Session, query, order_asc: list, row_key, after, before, size: int = PAGE_SIZE) -> Page:
    """Run ``query`` for one keyset page.

    ``order_asc`` are (column, ascending?) pairs forming a unique sort;
    ``after``/``before`` are decoded keys of the row just outside the page.
    """
    backwards, bound = direction(after, before)
    if bound is not None:
        query = query.where(beyond(order_asc, bound, forward=not backwards))
    order = [c.asc() if asc != backwards else c.desc() for c, asc in order_asc]
    rows = list(session.execute(query.order_by(*order).limit(size + 1)))
    return paged(rows, row_key, backwards, bounded(after, before), size)


def direction(after, before) -> tuple[bool, object]:
    """(backwards?, the key the page starts from): a page before a key is
    read backwards from it; ``after`` wins when a link carries both."""
    backwards = before is not None and after is None
    return backwards, before if backwards else after


def bounded(after, before) -> bool:
    """Does the page start past a key (so there is a page before it)?"""
    return after is not None or before is not None


def paged(rows: list, row_key, backwards: bool, bounded: bool, size: int = PAGE_SIZE) -> Page:
    """A Page of the rows read for it (``size`` + 1 at most, in reverse
    order when ``backwards``), with its links."""
    more = len(rows) > size
    rows = rows[:size]
    page = Page(rows)
    if backwards:
        rows.reverse()
        if rows:
            page.next_key = encode_key(*row_key(rows[-1]))
            page.prev_key = encode_key(*row_key(rows[0])) if more else None
    elif rows:
        page.next_key = encode_key(*row_key(rows[-1])) if more else None
        page.prev_key = encode_key(*row_key(rows[0])) if bounded else None
    return page


def beyond(order_asc: list, bound, forward: bool):
    """Rows strictly after (or before) ``bound`` in the given order.

    One direction throughout: a row-value comparison, which a B-tree index
    on those columns serves directly (PostgreSQL; SQLite has row values too).
    """
    if len({asc for _, asc in order_asc}) == 1:
        columns, values = tuple_(*[c for c, _ in order_asc]), tuple_(*bound)
        return columns > values if order_asc[0][1] == forward else columns < values
    clauses = []
    for i, (column, asc) in enumerate(order_asc):
        equal = [order_asc[j][0] == bound[j] for j in range(i)]
        later = column > bound[i] if asc == forward else column < bound[i]
        clauses.append(and_(*equal, later))
    return or_(*clauses)


def fetch(session: Session, query, order_asc: list, bound, forward: bool, limit: int) -> list:
    """Up to ``limit`` rows beyond ``bound`` (None: from the start or the end), in forward order."""
    if bound is not None:
        query = query.where(beyond(order_asc, bound, forward))
    order = [c.asc() if asc == forward else c.desc() for c, asc in order_asc]
    rows = list(session.execute(query.order_by(*order).limit(limit)))
    return rows if forward else rows[::-1]


def scope_clauses(column, actor: Actor) -> list:
    """[] for an unscoped actor, else "``column`` is one of the actor's domains"."""
    return [] if actor.domain_ids is None else [column.in_(actor.domain_ids or [-1])]


def scoped(query, column, actor: Actor):
    return query.where(*scope_clauses(column, actor))


def iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def typed_key(values, sort: str):
    if values is None:
        return None
    try:
        if sort == "changed":
            return (as_utc(datetime.fromisoformat(values[0])), key_number(values[1]))
        if sort in ("usage", "login"):
            return (key_number(values[0]), values[1])
    except (ValueError, OverflowError):  # OverflowError: a time in year 1 moved to UTC
        raise ServiceError("page", N_("this page link is not valid; start from the first page")) from None
    return tuple(values)


def key_number(text: str) -> int:
    """A number in a page key: what the panel writes there (ids, bytes) fits
    a BIGINT; anything larger would overflow SQLite's integers."""
    return parse_count(text, MAX_BYTES)
