"""What a CSV export reads: the actor's mailboxes in chunks, the aliases the
``aliases`` column can express, every other alias and the alias domains (as
rows of their own), and what an export covers. The CSV itself is
:mod:`panel.bulk.exporter`'s.

A mailbox's forwarding is stored as an alias with the mailbox's own address
(:mod:`panel.services.forwarding`); it is a mailbox setting, not an alias,
and the export leaves it out (and says so in :func:`export_coverage`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import exists, func, not_, select
from sqlalchemy.orm import Session, aliased

from ...languages import N_, Message, Nn_
from ...models import Alias, AliasDestination, AliasDomain, Domain, Mailbox, QuotaUsage
from ..actor import Actor
from ..errors import NotFound
from .keyset import scope_clauses

CHUNK = 1000


# A domain list longer than this is told as "and N more".
COVERAGE_NAMES = 20


def _domain_scope(actor: Actor, domain: Domain | None, column=Mailbox.domain_id) -> list:
    if domain is None:
        return scope_clauses(column, actor)
    if not actor.sees_domain(domain.id):
        raise NotFound("domain", Message(N_("no domain %(domain)s"), domain=domain.name))
    return [column == domain.id]


def _not_a_forwarding(mailbox=Mailbox):
    return not_(exists().where(mailbox.address == Alias.address))


def export_chunks(session: Session, actor: Actor, domain: Domain | None = None, chunk: int = CHUNK) -> Iterator[list]:
    """The mailboxes a manager sees (or one domain's), by domain and local
    part, ``chunk`` rows at a time from a server-side cursor. Each row's
    ``aliases`` holds the aliases the CSV's ``aliases`` column carries for
    it (:func:`_single_destination_aliases`), space-separated in no order,
    or None: computed by the database beside each row, so the export makes
    no further round trip (one per chunk cost a third of its time)."""
    actor.require_manager(N_("a full list of mailboxes is for the domain's admins"))
    query = (
        select(
            Mailbox.address,
            Mailbox.name,
            Mailbox.password_hash,
            Mailbox.quota_bytes,
            Mailbox.active,
            _single_destination_aliases(actor, domain).label("aliases"),
        )
        .join(Domain, Domain.id == Mailbox.domain_id)
        .where(*_domain_scope(actor, domain))
        .order_by(Domain.name, Mailbox.local_part)
    )
    yield from session.execute(query.execution_options(yield_per=chunk)).partitions()


def _single_destination_aliases(actor: Actor, domain: Domain | None):
    """Aliases of the actor's domains (or of ``domain``) whose only
    destination is the mailbox of the outer row: exactly what the
    ``aliases`` column can express. Another tenant's alias may point there
    too; it is theirs (and would not re-import). ``goto`` (the destinations
    joined with commas, kept by :mod:`..aliases` for Postfix) equals the
    mailbox's address exactly when it is the only destination, as an
    address holds no comma; each row costs three index probes."""
    return (
        select(func.aggregate_strings(Alias.address, " "))
        .join(AliasDestination, AliasDestination.alias_id == Alias.id)
        .where(
            AliasDestination.destination == Mailbox.address,
            Alias.goto == Mailbox.address,
            _not_a_forwarding(aliased(Mailbox)),
            *_domain_scope(actor, domain, Alias.domain_id),
        )
        .correlate(Mailbox)
        .scalar_subquery()
    )


def usage_rows(session: Session, actor: Actor, domain: Domain | None = None) -> Iterator:
    """Every mailbox the actor sees with its usage (``flask mailbox list``),
    streamed by domain and local part."""
    actor.require_manager(N_("a full list of mailboxes is for the domain's admins"))
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


def _in_aliases_column(actor: Actor, domain: Domain | None):
    """An alias the ``aliases`` column carries: one destination (``goto``
    is that address), a mailbox of the same export."""
    return exists().where(Mailbox.address == Alias.goto, *_domain_scope(actor, domain))


def _alias_rows_query(actor: Actor, domain: Domain | None):
    return select(Alias.address, Alias.goto, Alias.active).where(
        *_domain_scope(actor, domain, Alias.domain_id), _not_a_forwarding(), not_(_in_aliases_column(actor, domain))
    )


def export_alias_chunks(session: Session, actor: Actor, domain: Domain | None = None, chunk: int = CHUNK):
    """The aliases the ``aliases`` column cannot carry (several
    destinations, a destination outside the export, a catch-all to one),
    as (address, goto, active), by address, ``chunk`` rows at a time."""
    actor.require_manager(N_("a full list of aliases is for the domain's admins"))
    query = _alias_rows_query(actor, domain).order_by(Alias.address)
    yield from session.execute(query.execution_options(yield_per=chunk)).partitions()


def export_alias_domains(session: Session, actor: Actor, domain: Domain | None = None) -> list:
    """The alias domains of the actor's domains (or of ``domain``), as
    (name, target name, active), by name; a handful per domain."""
    actor.require_manager(N_("a full list of alias domains is for the domain's admins"))
    query = select(AliasDomain.name, AliasDomain.target_name, AliasDomain.active).where(
        *_domain_scope(actor, domain, AliasDomain.target_domain_id)
    )
    return list(session.execute(query.order_by(AliasDomain.name)))


@dataclass(frozen=True)
class Coverage:
    """What one export holds, said before (web) or after (CLI) it runs."""

    domains: list[str]  # the first COVERAGE_NAMES, by name
    domain_count: int
    mailboxes: int
    aliases: int  # every alias row or aliases-column entry (forwardings excepted)
    alias_domains: int
    forwardings: int  # mailbox forwardings, which the export leaves out
    password_hashes: bool

    def sentence(self) -> Message:
        """``2 domains (a.org, b.org): 5 mailboxes, 3 aliases, 1 alias domain;
        with password hashes; not included: the domains' settings``."""
        names = ", ".join(self.domains) or Message(N_("none"))
        if self.domain_count > len(self.domains):
            more = self.domain_count - len(self.domains)
            names = Message(N_("%(names)s and %(count)s more"), names=names, count=more)
        if self.forwardings:
            left_out = Message(
                Nn_(
                    "%(count)s mailbox forwarding and the domains' settings",
                    "%(count)s mailbox forwardings and the domains' settings",
                ),
                count=self.forwardings,
            )
        else:
            left_out = Message(N_("the domains' settings"))
        return Message(
            N_(
                "%(domains)s (%(names)s): %(mailboxes)s, %(aliases)s, %(alias_domains)s; %(hashes)s;"
                " not included: %(left_out)s"
            ),
            domains=Message(Nn_("%(count)s domain", "%(count)s domains"), count=self.domain_count),
            names=names,
            mailboxes=Message(Nn_("%(count)s mailbox", "%(count)s mailboxes"), count=self.mailboxes),
            aliases=Message(Nn_("%(count)s alias", "%(count)s aliases"), count=self.aliases),
            alias_domains=Message(Nn_("%(count)s alias domain", "%(count)s alias domains"), count=self.alias_domains),
            hashes=Message(N_("with password hashes") if self.password_hashes else N_("without password hashes")),
            left_out=left_out,
        )


def export_coverage(session: Session, actor: Actor, domain: Domain | None = None) -> Coverage:
    """Counted in SQL over the same scope the export reads."""
    actor.require_manager(N_("a full list of mailboxes is for the domain's admins"))
    domain_scope = _domain_scope(actor, domain, Domain.id)
    names = list(session.scalars(select(Domain.name).where(*domain_scope).order_by(Domain.name).limit(COVERAGE_NAMES)))
    # The domain rows' counters, never count(*) over the mailboxes.
    totals = select(
        func.count(Domain.id),
        func.coalesce(func.sum(Domain.mailbox_count), 0),
        func.coalesce(func.sum(Domain.alias_count), 0),
    ).where(*domain_scope)
    domain_count, mailbox_count, all_aliases = session.execute(totals).one()
    alias_scope = _domain_scope(actor, domain, Alias.domain_id)
    forwardings = session.scalar(select(func.count()).select_from(Alias).where(*alias_scope, not_(_not_a_forwarding())))
    alias_domains = session.scalar(
        select(func.count()).select_from(AliasDomain).where(*_domain_scope(actor, domain, AliasDomain.target_domain_id))
    )
    return Coverage(
        domains=names,
        domain_count=domain_count,
        mailboxes=mailbox_count,
        aliases=all_aliases - forwardings,
        alias_domains=alias_domains,
        forwardings=forwardings,
        password_hashes=actor.is_superadmin,
    )
