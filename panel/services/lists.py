"""Read-only lists for the panel: paged, counted and scoped in SQL.

Every list is keyset-paged on an indexed sort key (``after``/``before`` a
row's key, never OFFSET) and scoped by the actor's domains in the WHERE
clause. Totals come from the counters on the domain row, never count(*)
over a large table, and nothing loads a whole domain into Python.
"""

from __future__ import annotations

import json
import re
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Admin, Alias, AliasDomain, AuditEvent, Domain, LastLogin, Mailbox, QuotaUsage, Role, as_utc
from ..sizes import MAX_BYTES, parse_count
from ..text import problem as text_problem
from .actor import Actor
from .errors import Forbidden, NotFound, ServiceError, safe_text

PAGE_SIZE = 50
SEARCH_MIN = 2
SEARCH_MAX = 100
# A search sorted by usage or last change sorts its matches in SQL; past
# this many it asks for a narrower search (bounded work at any size).
SORTED_MATCHES_MAX = 20_000
# A search in address order walks the address index at most this far before
# asking the trigram index for the rest (lists._search_by_address).
SEARCH_WALK_BUDGET = 50_000
# The trigram index serves needles of at least this many characters.
TRIGRAM = 3
# Up to this many matches (as PostgreSQL estimates them), a search in address
# order asks the trigram index first instead of walking the address index.
FEW_MATCHES = 2_000
# "Close to quota" on the dashboard: used >= this share of the limit.
NEAR_QUOTA = 0.9
# The dashboard looks for near-full mailboxes among the largest ones by
# usage (an index walk), not by joining every mailbox with its usage.
NEAR_QUOTA_CANDIDATES = 500


@dataclass
class Page:
    rows: list
    # Keys to put in ``after=`` / ``before=`` links; None: no such page.
    next_key: str | None = None
    prev_key: str | None = None
    extra: dict = field(default_factory=dict)


# -- keyset helpers ---------------------------------------------------------


def _decode_key(raw: str | None, parts: int) -> list[str] | None:
    if not raw:
        return None
    values = raw.split("|", parts - 1)
    if len(values) != parts or len(raw) > 600 or text_problem(raw):
        raise ServiceError("page", "this page link is not valid; start from the first page")
    return values


def encode_key(*values) -> str:
    return "|".join(str(v) for v in values)


def _page(session: Session, query, order_asc: list, row_key, after, before, size: int = PAGE_SIZE) -> Page:
    """Run ``query`` for one keyset page.

    ``order_asc`` are (column, ascending?) pairs forming a unique sort;
    ``after``/``before`` are decoded keys of the row just outside the page.
    """
    backwards, bound = _direction(after, before)
    if bound is not None:
        query = query.where(_beyond(order_asc, bound, forward=not backwards))
    order = [c.asc() if asc != backwards else c.desc() for c, asc in order_asc]
    rows = list(session.execute(query.order_by(*order).limit(size + 1)))
    return _paged(rows, row_key, backwards, _bounded(after, before), size)


def _direction(after, before) -> tuple[bool, object]:
    """(backwards?, the key the page starts from): a page before a key is
    read backwards from it; ``after`` wins when a link carries both."""
    backwards = before is not None and after is None
    return backwards, before if backwards else after


def _bounded(after, before) -> bool:
    """Does the page start past a key (so there is a page before it)?"""
    return after is not None or before is not None


def _paged(rows: list, row_key, backwards: bool, bounded: bool, size: int = PAGE_SIZE) -> Page:
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


def _beyond(order_asc: list, bound, forward: bool):
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


def _fetch(session: Session, query, order_asc: list, bound, forward: bool, limit: int) -> list:
    """Up to ``limit`` rows beyond ``bound`` (None: from the start or the end), in forward order."""
    if bound is not None:
        query = query.where(_beyond(order_asc, bound, forward))
    order = [c.asc() if asc == forward else c.desc() for c, asc in order_asc]
    rows = list(session.execute(query.order_by(*order).limit(limit)))
    return rows if forward else rows[::-1]


# -- domains ----------------------------------------------------------------


def _scope_clauses(column, actor: Actor) -> list:
    """[] for an unscoped actor, else "``column`` is one of the actor's domains"."""
    return [] if actor.domain_ids is None else [column.in_(actor.domain_ids or [-1])]


def _scope(query, column, actor: Actor):
    return query.where(*_scope_clauses(column, actor))


def visible_domain(session: Session, actor: Actor, name: str, field: str = "domain") -> Domain:
    """The domain called ``name`` if the actor may see it; otherwise NotFound
    (another domain's existence is not theirs to learn), on ``field``."""
    from . import domains

    domain = domains.get_domain(session, name, field)
    if not actor.sees_domain(domain.id):
        raise NotFound(field, f"no domain {name}")
    return domain


def domain_page(session: Session, actor: Actor, after: str | None = None, before: str | None = None) -> Page:
    if actor.role is Role.HELPDESK:
        raise Forbidden("helpdesk accounts search mailboxes only")
    query = _scope(select(Domain), Domain.id, actor)
    after_key, before_key = _decode_key(after, 1), _decode_key(before, 1)
    return _page(session, query, [(Domain.name, True)], lambda r: (r[0].name,), after_key, before_key)


def domain_totals(session: Session, actor: Actor) -> dict:
    """Sums of the per-domain counters over the domains the actor sees."""
    query = _scope(
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
    query = _scope(select(Domain), Domain.id, actor).order_by(Domain.mailbox_count.desc(), Domain.name).limit(limit)
    return list(session.scalars(query))


# -- mailboxes ----------------------------------------------------------------

MAILBOX_SORTS = ("address", "usage", "changed")
# A domain's list also sorts by last IMAP/POP3 login (longest unused first)
# and keeps only those not used for a while: "not used for 90 days".
DOMAIN_MAILBOX_SORTS = (*MAILBOX_SORTS, "login")
UNUSED = {"30": 30, "90": 90, "365": 365, "never": None}


def _mailbox_select():
    """Rows of (mailbox, bytes used). A list row never shows the domain: no
    join to it (loaded if touched)."""
    used = func.coalesce(QuotaUsage.bytes, 0).label("used")
    return (
        select(Mailbox, used)
        .outerjoin(QuotaUsage, QuotaUsage.username == Mailbox.address)
        .options(lazyload(Mailbox.domain))
    )


def mailbox_page(
    session: Session,
    actor: Actor,
    domain: Domain,
    sort: str = "address",
    after: str | None = None,
    before: str | None = None,
    unused: str | None = None,
) -> Page:
    """Mailboxes of one domain, sorted by address, usage (largest first),
    last change (newest first) or last login (longest unused first);
    ``unused`` (a key of UNUSED) keeps those with no login for that long."""
    actor.require_sight(domain.id)
    if sort not in DOMAIN_MAILBOX_SORTS:
        raise ServiceError("sort", "sort by address, usage, changed or login")
    if unused not in (None, "", *UNUSED):
        raise ServiceError("unused", "choose 30, 90 or 365 days, or never")
    if sort == "usage":
        if unused:
            raise ServiceError("unused", "sort by address, last change or last login to see unused mailboxes")
        return _usage_page(session, domain.id, after, before)
    query = _mailbox_select().where(Mailbox.domain_id == domain.id)
    if unused:
        query = query.where(_unused(unused))
    if sort == "login":
        # Computed per mailbox of the domain, then sorted: a domain's own
        # size of work (PK probes into last_logins), not the server's.
        last = _last_used()
        return _page(
            session,
            query.add_columns(last.label("last_used")),
            [(last, True), (Mailbox.local_part, True)],
            lambda r: (r.last_used, r[0].local_part),
            _typed_key(_decode_key(after, 2), "login"),
            _typed_key(_decode_key(before, 2), "login"),
        )
    if sort == "address":
        # Within one domain, local_part order is address order's twin and
        # walks the (domain_id, local_part) unique index.
        return _page(
            session,
            query,
            [(Mailbox.local_part, True)],
            lambda r: (r[0].local_part,),
            _decode_key(after, 1),
            _decode_key(before, 1),
        )
    # Newest change first: ix_mailboxes_domain_updated.
    order = [(Mailbox.updated_at, False), (Mailbox.id, False)]
    return _page(
        session,
        query,
        order,
        lambda r: (_iso(r[0].updated_at), r[0].id),
        _typed_key(_decode_key(after, 2), "changed"),
        _typed_key(_decode_key(before, 2), "changed"),
    )


def _last_used():
    """A mailbox's last IMAP/POP3 login (Unix time; 0: never), with any of its passwords."""
    newest = select(func.max(LastLogin.last_login)).where(LastLogin.username == Mailbox.address)
    return func.coalesce(newest.scalar_subquery(), 0)


def _unused(choice: str):
    """No login since UNUSED[choice] days ago (never: none at all)."""
    days = UNUSED[choice]
    cutoff = 1 if days is None else int(clock.time()) - days * 86_400
    return ~exists().where(LastLogin.username == Mailbox.address, LastLogin.last_login >= cutoff)


def _check_sort(sort: str) -> None:
    if sort not in MAILBOX_SORTS:
        raise ServiceError("sort", "sort by address, usage or changed")


def _usage_page(session: Session, domain_id: int, after: str | None, before: str | None, size: int = PAGE_SIZE) -> Page:
    """A domain's mailboxes, largest usage first, in two segments so each
    walks an index: those with a quota_usage row by (bytes, address)
    descending — ix_quota_usage_bytes backwards, each row's domain read from
    uq_mailboxes_address (both index-only) — then those Dovecot has no row
    for yet (never used) by local part. The page's keys are found first,
    then its rows are loaded. Keys say which segment: ``u|bytes|address``
    or ``n|local_part``."""
    used = (
        select(QuotaUsage.bytes.label("used"), QuotaUsage.username.label("address"))
        .join(Mailbox, Mailbox.address == QuotaUsage.username)
        .where(Mailbox.domain_id == domain_id)
    )
    unused = select(literal(0).label("used"), Mailbox.address, Mailbox.local_part).where(
        Mailbox.domain_id == domain_id,
        ~select(QuotaUsage.username).where(QuotaUsage.username == Mailbox.address).exists(),
    )
    segments = [
        (used, [(QuotaUsage.bytes, False), (QuotaUsage.username, False)], lambda r: ("u", r.used, r.address)),
        (unused, [(Mailbox.local_part, True)], lambda r: ("n", r.local_part)),
    ]
    forward = not (before and not after)
    index, bound = _usage_bound(before if not forward else after)
    rows: list = []
    steps = range(index, len(segments)) if forward else range(index, -1, -1)
    for i in steps:
        query, order, key = segments[i]
        got = _fetch(session, query, order, bound if i == index else None, forward, size + 1 - len(rows))
        tagged = [(r, key) for r in got]
        rows = rows + tagged if forward else tagged + rows
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size] if forward else rows[-size:]
    page = Page(_rows_in_order(session, Mailbox.address, [r.address for r, _ in rows]))
    if rows:
        first, last = rows[0][1](rows[0][0]), rows[-1][1](rows[-1][0])
        if forward:
            page.next_key = encode_key(*last) if more else None
            page.prev_key = encode_key(*first) if after else None
        else:
            page.next_key = encode_key(*last)
            page.prev_key = encode_key(*first) if more else None
    return page


def _usage_bound(raw: str | None) -> tuple[int, tuple | None]:
    """(segment index, decoded bound) of a usage-sort key."""
    if not raw:
        return 0, None
    if not text_problem(raw) and len(raw) <= 600:
        try:
            if raw.startswith("u|"):
                used, address = raw[2:].split("|", 1)
                return 0, (_key_number(used), address)
            if raw.startswith("n|"):
                return 1, (raw[2:],)
        except ValueError:
            pass
    raise ServiceError("page", "this page link is not valid; start from the first page")


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def _typed_key(values, sort: str):
    if values is None:
        return None
    try:
        if sort == "changed":
            return (as_utc(datetime.fromisoformat(values[0])), _key_number(values[1]))
        if sort in ("usage", "login"):
            return (_key_number(values[0]), values[1])
    except (ValueError, OverflowError):  # OverflowError: a time in year 1 moved to UTC
        raise ServiceError("page", "this page link is not valid; start from the first page") from None
    return tuple(values)


def _key_number(text: str) -> int:
    """A number in a page key: what the panel writes there (ids, bytes) fits
    a BIGINT; anything larger would overflow SQLite's integers."""
    return parse_count(text, MAX_BYTES)


def _search_needle(text: str, minimum: int = SEARCH_MIN) -> str:
    """What "address or name contains ``text``, any case" looks for (the
    panel's search and the API's): ``text`` lower-cased and checked."""
    needle = safe_text((text or "").strip().lower(), "q")
    if len(needle) < minimum or len(needle) > SEARCH_MAX:
        raise ServiceError("q", f"type {minimum} to {SEARCH_MAX} characters")
    return needle


def _contains(column, needle: str):
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
    _check_sort(sort)
    needle, scope = _search_needle(text), _scope_clauses(Mailbox.domain_id, actor)
    if sort != "address":
        if not _indexable(needle):
            raise ServiceError(
                "q",
                f"type at least {TRIGRAM} characters to sort by "
                f"{'usage' if sort == 'usage' else 'last change'}, or sort by address",
            )
        return _sorted_matches(session, [_contains(Mailbox.search_text, needle), *scope], sort, after, before, size)
    after_key, before_key = _decode_key(after, 1), _decode_key(before, 1)
    backwards, bound = _direction(after_key, before_key)
    rows = _search_by_address(
        session, needle, scope, bound[0] if bound else None, backwards, size, _scope_size(session, actor)
    )
    return _paged(rows, lambda r: (r[0].address,), backwards, _bounded(after_key, before_key), size)


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
    scope = [Mailbox.domain_id == domain.id] if domain is not None else _scope_clauses(Mailbox.domain_id, actor)
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
    if _indexable(needle) and _estimated_matches(session, needle) <= FEW_MATCHES:
        # Few matches expected: the trigram index finds them at once (and
        # if the estimate was wrong, _addresses_past walks instead).
        return _rows_in_order(
            session, Mailbox.address, _addresses_past(session, needle, scope, start, backwards, size + 1)
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
        .where(_contains(walk.c.search_text, needle))
        .order_by(walk.c.address.desc() if backwards else walk.c.address)
        .limit(size + 1)
        .subquery("page")
    )
    rows = list(session.execute(_mailbox_select().join(page, page.c.address == Mailbox.address).order_by(order)))
    if len(rows) <= size and not small_scope:
        walked_to = session.scalar(
            select(Mailbox.address)
            .where(*scope, *_past(start, backwards))
            .order_by(order)
            .offset(SEARCH_WALK_BUDGET - 1)
            .limit(1)
        )
        if walked_to is not None:  # None: the walk read to the end
            rest = _addresses_past(session, needle, scope, walked_to, backwards, size + 1 - len(rows))
            rows += _rows_in_order(session, Mailbox.address, rest)
    return rows


def _addresses_past(session: Session, needle: str, scope: list, start: str | None, backwards: bool, count: int) -> list:
    """The next ``count`` matching addresses past ``start``: gathered
    through the trigram index and sorted while there are at most
    SORTED_MATCHES_MAX of them (bounded work), else by walking on."""
    where = [_contains(Mailbox.search_text, needle), *scope, *_past(start, backwards)]
    if _indexable(needle):
        matches = (
            select(Mailbox.address)
            .where(*where)
            .limit(SORTED_MATCHES_MAX + 1)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        total = select(func.count()).select_from(matches).scalar_subquery()
        found = session.execute(
            select(matches.c.address, total.label("total"))
            .order_by(matches.c.address.desc() if backwards else matches.c.address)
            .limit(count)
        ).all()
        if not found or found[0].total <= SORTED_MATCHES_MAX:
            return [row.address for row in found]
    order = Mailbox.address.desc() if backwards else Mailbox.address.asc()
    return list(session.scalars(select(Mailbox.address).where(*where).order_by(order).limit(count)))


def _estimated_matches(session: Session, needle: str) -> float:
    """PostgreSQL's estimate of the needle's matches (what its planner
    would go by; the statistics of search_text), without running anything.
    Infinity where there is no such estimate (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return float("inf")
    query = select(Mailbox.id).where(_contains(Mailbox.search_text, needle))
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
        order, key = [(matches.c.updated_at, False), (matches.c.id, False)], (lambda r: (_iso(r.updated_at), r.id))
    else:
        # Ties by address from the end, as a domain's list has them.
        order, key = [(matches.c.used, False), (matches.c.address, False)], (lambda r: (r.used, r.address))
    keys = _page(
        session,
        select(matches, total.label("total")),
        order,
        key,
        _typed_key(_decode_key(after, 2), sort),
        _typed_key(_decode_key(before, 2), sort),
        size,
    )
    if keys.rows and keys.rows[0].total > SORTED_MATCHES_MAX:
        raise ServiceError(
            "q",
            f"more than {SORTED_MATCHES_MAX:,} mailboxes match: narrow the search "
            f"to sort by {'usage' if sort == 'usage' else 'last change'}, or sort by address",
        )
    return Page(_rows_in_order(session, Mailbox.id, [r.id for r in keys.rows]), keys.next_key, keys.prev_key)


def _rows_in_order(session: Session, column, values: list) -> list:
    """(mailbox, used) rows whose ``column`` is in ``values``, in that order
    (a row deleted since its key was read is left out)."""
    if not values:
        return []
    found = {getattr(row[0], column.key): row for row in session.execute(_mailbox_select().where(column.in_(values)))}
    return [found[v] for v in values if v in found]


def near_quota(session: Session, actor: Actor, limit: int = 10) -> list:
    """Mailboxes using at least NEAR_QUOTA of their limit, fullest first,
    among the NEAR_QUOTA_CANDIDATES largest (bounded work at any size)."""
    largest = select(QuotaUsage.username, QuotaUsage.bytes).order_by(QuotaUsage.bytes.desc())
    largest = largest.limit(NEAR_QUOTA_CANDIDATES).subquery()
    ratio = (largest.c.bytes * 1.0 / Mailbox.quota_bytes).label("ratio")
    query = (
        select(Mailbox, largest.c.bytes.label("used"), ratio)
        .join(largest, largest.c.username == Mailbox.address)
        .where(Mailbox.quota_bytes > 0, largest.c.bytes >= Mailbox.quota_bytes * NEAR_QUOTA)
    )
    query = _scope(query, Mailbox.domain_id, actor).order_by(ratio.desc(), Mailbox.address).limit(limit)
    return list(session.execute(query))


# -- aliases ------------------------------------------------------------------


def alias_page(
    session: Session, actor: Actor, domain: Domain, after: str | None = None, before: str | None = None
) -> Page:
    actor.require_manage(domain.id)
    query = select(Alias).where(Alias.domain_id == domain.id)
    return _page(
        session,
        query,
        [(Alias.address, True)],
        lambda r: (r[0].address,),
        _decode_key(after, 1),
        _decode_key(before, 1),
    )


def alias_domains_of(session: Session, actor: Actor, domain: Domain) -> list[AliasDomain]:
    actor.require_manage(domain.id)
    query = select(AliasDomain).where(AliasDomain.target_domain_id == domain.id).order_by(AliasDomain.name).limit(500)
    return list(session.scalars(query))


# -- admins and audit -----------------------------------------------------------


def admin_page(session: Session, actor: Actor, after: str | None = None, before: str | None = None) -> Page:
    actor.require_superadmin()
    return _page(
        session,
        select(Admin),
        [(Admin.username, True)],
        lambda r: (r[0].username,),
        _decode_key(after, 1),
        _decode_key(before, 1),
    )


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, args) -> "AuditFilter":
        result = cls(
            actor=safe_text((args.get("actor") or "").strip()[:128], "actor"),
            action=safe_text((args.get("action") or "").strip()[:64], "action"),
            target=safe_text((args.get("target") or "").strip()[:255], "target"),
        )
        for name in ("since", "until"):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    setattr(result, name, date.fromisoformat(raw))
                except ValueError:
                    raise ServiceError(name, "use a date like 2026-01-31") from None
        if result.since and result.until and result.since > result.until:
            raise ServiceError("until", "is before the start date")
        return result


def audit_page(
    session: Session, actor: Actor, filters: AuditFilter, after: str | None = None, before: str | None = None
) -> Page:
    """Audit events, newest first. Actor and action match exactly; target
    matches exactly or, ending in ``*``, by prefix (both use an index)."""
    actor.require_superadmin()
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor.lower())
    if filters.action:
        if filters.action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(filters.action[:-1], autoescape=True))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.target:
        if filters.target.endswith("*"):
            query = query.where(AuditEvent.target.startswith(filters.target[:-1].lower(), autoescape=True))
        else:
            query = query.where(AuditEvent.target == filters.target.lower())
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), timezone.utc))
    if filters.until:
        # Through the last microsecond of that day (the day after 9999-12-31 is no date).
        query = query.where(AuditEvent.at <= datetime.combine(filters.until, time.max, timezone.utc))
    order = [(AuditEvent.at, False), (AuditEvent.id, False)]
    key = lambda r: (_iso(r[0].at), r[0].id)  # noqa: E731
    return _page(
        session,
        query,
        order,
        key,
        _typed_key(_decode_key(after, 2), "changed"),
        _typed_key(_decode_key(before, 2), "changed"),
    )


def recent_events(session: Session, actor: Actor, limit: int = 10) -> list[AuditEvent]:
    """The newest audit events the actor may see: superadmins see all; others
    see nothing here (events name accounts of other domains)."""
    if not actor.is_superadmin:
        return []
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def audit_details(event: AuditEvent) -> str:
    """The details as short ``key: value`` text for display (escaped by the template)."""
    try:
        data = json.loads(event.details or "{}")
    except ValueError:
        return event.details or ""
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in data.items())
