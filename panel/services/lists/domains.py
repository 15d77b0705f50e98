"""Domain lists: the domains an actor sees, their totals, the largest."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...languages import N_, Message, Nn_
from ...models import AliasDomain, DnsCheck, Domain, Role
from ...sizes import format_size
from ..actor import Actor
from ..errors import Forbidden, NotFound
from .keyset import Page, decode_key, keyset_page, scoped


def visible_domain(session: Session, actor: Actor, name: str, field: str = "domain") -> Domain:
    """The domain called ``name`` if the actor may see it; otherwise NotFound
    (another domain's existence is not theirs to learn), on ``field``."""
    from .. import domains

    domain = domains.get_domain(session, name, field)
    if not actor.sees_domain(domain.id):
        raise NotFound(field, Message(N_("no domain %(name)s"), name=name))
    return domain


def domain_page(session: Session, actor: Actor, after: str | None = None, before: str | None = None) -> Page:
    if actor.role is Role.HELPDESK:
        raise Forbidden(N_("helpdesk accounts search mailboxes only"))
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


PICK_MAX = 200  # domains offered as a list to tick; beyond, names are typed


def domain_choices(session: Session, actor: Actor, limit: int | None = None) -> list[str] | None:
    """Every domain's name, for the admin form's list to tick, while there
    are at most ``limit`` of them; None beyond (a host of 100k domains gets
    a box to type names in: the service checks each one)."""
    actor.require_superadmin()
    limit = PICK_MAX if limit is None else limit
    names = list(session.scalars(select(Domain.name).order_by(Domain.name).limit(limit + 1)))
    return names if len(names) <= limit else None


# Totals over every domain sum a counter per domain row: ~10-20 ms at 100k
# domains, on every dashboard and domain list. Past this many domains the
# all-domains totals are recounted at most once a minute per process and the
# pages say when they were counted; below it (and for any scoped actor)
# they are counted on each request, exact.
TOTALS_EXACT_UP_TO = 10_000
TOTALS_MAX_AGE_S = 60.0
_all_domains_totals: dict[str, tuple[float, dict]] = {}


def domain_totals(session: Session, actor: Actor) -> dict:
    """Sums of the per-domain counters over the domains the actor sees:
    ``domains``, ``mailboxes``, ``aliases``, ``allocated`` and ``counted_at``
    (None: counted for this request; else when the kept count was made)."""
    if actor.domain_ids is not None:
        return _count_totals(session, actor)
    database = session.get_bind().url.render_as_string(hide_password=True)
    kept = _all_domains_totals.get(database)
    if kept and time.monotonic() - kept[0] < TOTALS_MAX_AGE_S:
        return kept[1]
    totals = _count_totals(session, actor)
    if totals["domains"] <= TOTALS_EXACT_UP_TO:
        _all_domains_totals.pop(database, None)
        return totals
    totals["counted_at"] = datetime.now(timezone.utc)
    _all_domains_totals[database] = (time.monotonic(), totals)
    return totals


def _count_totals(session: Session, actor: Actor) -> dict:
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
    return {"domains": domains_, "mailboxes": mailboxes, "aliases": aliases, "allocated": allocated, "counted_at": None}


def largest_domains(session: Session, actor: Actor, limit: int = 10) -> list[Domain]:
    query = scoped(select(Domain), Domain.id, actor).order_by(Domain.mailbox_count.desc(), Domain.name).limit(limit)
    return list(session.scalars(query))


def api_domains(session: Session, actor: Actor, after: str | None, size: int) -> list[Domain]:
    """The API's domain list: the actor's domains past the name ``after``,
    by name, ``size`` + 1 at most (the last says there is more). The same
    rule as the web's list: not the helpdesk's."""
    if actor.role is Role.HELPDESK:
        raise Forbidden(N_("helpdesk accounts search mailboxes only"))
    query = scoped(select(Domain), Domain.id, actor)
    if after:
        query = query.where(Domain.name > after.lower())
    return list(session.scalars(query.order_by(Domain.name).limit(size + 1)))


def mailbox_limit_reached(domain: Domain) -> str | None:
    """Why no mailbox can be added to ``domain`` now (its counters say it is
    full), in words for the "New mailbox" button; None while one can."""
    if domain.max_mailboxes and domain.mailbox_count >= domain.max_mailboxes:
        return Message(
            Nn_(
                "%(domain)s has the %(limit)s mailbox it may have: delete it, or ask a superadmin to raise the limit.",
                "%(domain)s has all the %(limit)s mailboxes it may have: "
                "delete one, or ask a superadmin to raise the limit.",
            ),
            count=domain.max_mailboxes,
            domain=domain.name,
            limit=f"{domain.max_mailboxes:,}",
        )
    if domain.total_quota_bytes and domain.quota_allocated_bytes >= domain.total_quota_bytes:
        return Message(
            N_(
                "All of %(domain)s's %(size)s of quota is given to its mailboxes: "
                "lower one's quota, or ask a superadmin to raise the domain's total."
            ),
            domain=domain.name,
            size=format_size(domain.total_quota_bytes),
        )
    return None


def quota_share(domain: Domain) -> float | None:
    """How much of the domain's total quota its mailboxes are given (0..1,
    may pass 1 if the total was lowered); None: no total (unlimited)."""
    if not domain.total_quota_bytes:
        return None
    return domain.quota_allocated_bytes / domain.total_quota_bytes


def delete_blockers(session: Session, actor: Actor, domain: Domain) -> list[str]:
    """What keeps ``domain`` from being deleted (empty: nothing), in words:
    its mailboxes and aliases (the counters), the alias domains onto it."""
    actor.require_superadmin()
    blockers = []
    if domain.mailbox_count:
        blockers.append(
            Message(
                Nn_("%(shown)s mailbox", "%(shown)s mailboxes"),
                count=domain.mailbox_count,
                shown=f"{domain.mailbox_count:,}",
            )
        )
    if domain.alias_count:
        blockers.append(
            Message(
                Nn_("%(shown)s alias", "%(shown)s aliases"), count=domain.alias_count, shown=f"{domain.alias_count:,}"
            )
        )
    alias_domains = session.scalar(
        select(func.count()).select_from(AliasDomain).where(AliasDomain.target_domain_id == domain.id)
    )
    if alias_domains:
        blockers.append(
            Message(
                Nn_("%(shown)s alias domain", "%(shown)s alias domains"),
                count=alias_domains,
                shown=f"{alias_domains:,}",
            )
        )
    return blockers


def only_domain(session: Session, actor: Actor) -> str | None:
    """The name of the one domain a domain admin manages, if that is all
    they manage (where they land after login); None for anyone else."""
    if actor.is_superadmin or not actor.may_manage() or actor.domain_ids is None or len(actor.domain_ids) != 1:
        return None
    return session.scalar(select(Domain.name).where(Domain.id.in_(actor.domain_ids)))
