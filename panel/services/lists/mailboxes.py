"""A domain's mailboxes: by address, usage, last change or last login, and
those not used for a while; the near-full ones for the dashboard."""

from __future__ import annotations

import time as clock

from sqlalchemy import exists, func, literal, select
from sqlalchemy.orm import Session, lazyload

from ...models import Domain, LastLogin, Mailbox, QuotaUsage
from ...text import problem as text_problem
from ..actor import Actor
from ..errors import ServiceError
from .keyset import PAGE_SIZE, Page, decode_key, encode_key, fetch, iso, key_number, keyset_page, scoped, typed_key

# "Close to quota" on the dashboard: used >= this share of the limit.
NEAR_QUOTA = 0.9
# The dashboard looks for near-full mailboxes among the largest ones by
# usage (an index walk), not by joining every mailbox with its usage.
NEAR_QUOTA_CANDIDATES = 500

MAILBOX_SORTS = ("address", "usage", "changed")
# A domain's list also sorts by last IMAP/POP3 login (longest unused first)
# and keeps only those not used for a while: "not used for 90 days".
DOMAIN_MAILBOX_SORTS = (*MAILBOX_SORTS, "login")
UNUSED = {"30": 30, "90": 90, "365": 365, "never": None}
# The list's state filter; "never logged in" is UNUSED's "never".
STATES = {"active": True, "disabled": False}


def mailbox_select():
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
    state: str | None = None,
) -> Page:
    """Mailboxes of one domain, sorted by address, usage (largest first),
    last change (newest first) or last login (longest unused first);
    ``unused`` (a key of UNUSED) keeps those with no login for that long,
    ``state`` (a key of STATES) the active or the disabled ones."""
    actor.require_sight(domain.id)
    if sort not in DOMAIN_MAILBOX_SORTS:
        raise ServiceError("sort", "sort by address, usage, changed or login")
    clauses = filter_clauses(state, unused)
    if sort == "usage":
        if unused or state:
            field = "unused" if unused else "state"
            raise ServiceError(field, "sort by address, last change or last login to filter the mailboxes")
        return _usage_page(session, domain.id, after, before)
    query = mailbox_select().where(Mailbox.domain_id == domain.id, *clauses)
    if sort == "login":
        # Computed per mailbox of the domain, then sorted: a domain's own
        # size of work (PK probes into last_logins), not the server's.
        last = _last_used()
        return keyset_page(
            session,
            query.add_columns(last.label("last_used")),
            [(last, True), (Mailbox.local_part, True)],
            lambda r: (r.last_used, r[0].local_part),
            typed_key(decode_key(after, 2), "login"),
            typed_key(decode_key(before, 2), "login"),
        )
    if sort == "address":
        # Within one domain, local_part order is address order's twin and
        # walks the (domain_id, local_part) unique index.
        return keyset_page(
            session,
            query,
            [(Mailbox.local_part, True)],
            lambda r: (r[0].local_part,),
            decode_key(after, 1),
            decode_key(before, 1),
        )
    # Newest change first: ix_mailboxes_domain_updated.
    order = [(Mailbox.updated_at, False), (Mailbox.id, False)]
    return keyset_page(
        session,
        query,
        order,
        lambda r: (iso(r[0].updated_at), r[0].id),
        typed_key(decode_key(after, 2), "changed"),
        typed_key(decode_key(before, 2), "changed"),
    )


def filter_clauses(state: str | None = None, unused: str | None = None) -> list:
    """The WHERE clauses of the list's filters (``state`` a key of STATES,
    ``unused`` one of UNUSED; empty: no filter), shared by the list and by
    bulk actions on "all matching" (services/mailbox_bulk.py)."""
    if unused not in (None, "", *UNUSED):
        raise ServiceError("unused", "choose 30, 90 or 365 days, or never")
    if state not in (None, "", *STATES):
        raise ServiceError("state", "choose active or disabled")
    clauses = []
    if unused:
        clauses.append(_unused(unused))
    if state:  # disabled: ix_mailboxes_domain_disabled (partial, migration 0021)
        clauses.append(Mailbox.active if STATES[state] else ~Mailbox.active)
    return clauses


def _last_used():
    """A mailbox's last IMAP/POP3 login (Unix time; 0: never), with any of its passwords."""
    newest = select(func.max(LastLogin.last_login)).where(LastLogin.username == Mailbox.address)
    return func.coalesce(newest.scalar_subquery(), 0)


def _unused(choice: str):
    """No login since UNUSED[choice] days ago (never: none at all)."""
    days = UNUSED[choice]
    cutoff = 1 if days is None else int(clock.time()) - days * 86_400
    return ~exists().where(LastLogin.username == Mailbox.address, LastLogin.last_login >= cutoff)


def check_sort(sort: str) -> None:
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
        got = fetch(session, query, order, bound if i == index else None, forward, size + 1 - len(rows))
        tagged = [(r, key) for r in got]
        rows = rows + tagged if forward else tagged + rows
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size] if forward else rows[-size:]
    page = Page(rows_in_order(session, Mailbox.address, [r.address for r, _ in rows]))
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
                return 0, (key_number(used), address)
            if raw.startswith("n|"):
                return 1, (raw[2:],)
        except ValueError:
            pass
    raise ServiceError("page", "this page link is not valid; start from the first page")


def rows_in_order(session: Session, column, values: list) -> list:
    """(mailbox, used) rows whose ``column`` is in ``values``, in that order
    (a row deleted since its key was read is left out)."""
    if not values:
        return []
    found = {getattr(row[0], column.key): row for row in session.execute(mailbox_select().where(column.in_(values)))}
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
    query = scoped(query, Mailbox.domain_id, actor).order_by(ratio.desc(), Mailbox.address).limit(limit)
    return list(session.execute(query))
