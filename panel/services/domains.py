"""Virtual domains and their limits.

Limits are enforced through counters on the domain row, changed by a
conditional UPDATE: on PostgreSQL the row lock makes a racing second
request re-check the condition; on SQLite writers are serialised. Either
way, two requests for the last free slot cannot both win.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..addresses import AddressError, normalize_domain
from ..languages import N_, Message, Nn_, why
from ..models import AliasDomain, Domain, DomainName, Mailbox
from ..sizes import SizeError, format_amount, parse_count, parse_size
from . import audit
from .actor import Actor
from .errors import Conflict, FieldErrors, NotFound, ServiceError, one_line
from .persist import insert_unique

LIMIT_FIELDS = ("max_mailboxes", "max_aliases", "max_quota_bytes", "total_quota_bytes", "default_quota_bytes")
_SIZE_FIELDS = {"max_quota_bytes", "total_quota_bytes", "default_quota_bytes"}
DESCRIPTION_MAX = 255


def parse_domain_name(name: str, field: str = "name") -> str:
    try:
        return normalize_domain(name)
    except AddressError as exc:
        raise ServiceError(field, why(exc)) from None


def get_domain(session: Session, name: str, field: str = "domain") -> Domain:
    domain = session.scalar(select(Domain).where(Domain.name == parse_domain_name(name, field)))
    if domain is None:
        raise NotFound(field, Message(N_("no domain %(name)s"), name=name))
    return domain


# Names no one may host, whatever the configuration adds (see
# config.reserved_domains): the session carries the deployment's list.
ALWAYS_RESERVED = frozenset({"localhost.localdomain"})


def reserved_names(session: Session) -> frozenset[str]:
    """The server's own names (its mail host name and what the operator
    listed): hosting one would make Postfix treat the server's own mail,
    or its bounces, as a tenant's."""
    return ALWAYS_RESERVED | session.info.get("reserved_domains", frozenset())


def check_new_name(session: Session, name: str, field: str = "name", *, as_alias: bool = False) -> None:
    """A name about to be brought into the server, as a domain or an alias
    domain. The friendly answer; the ``domain_names`` key is the guarantee
    (a concurrent insert of the same name fails there)."""
    if name in reserved_names(session):
        raise ServiceError(
            field, Message(N_("%(name)s is this mail server's own name and cannot be hosted"), name=name)
        )
    kind = session.scalar(select(DomainName.kind).where(DomainName.name == name))
    if kind == "alias":
        raise Conflict(field, Message(N_("%(name)s is already an alias domain"), name=name))
    if kind == "domain":
        taken = N_("%(name)s is already a hosted domain") if as_alias else N_("the domain %(name)s already exists")
        raise Conflict(field, Message(taken, name=name))


def _parse_limits(values: dict, problems: FieldErrors) -> dict:
    """The limits that parse; each one that does not is added to ``problems``."""
    limits = {}
    for field, value in values.items():
        if field not in LIMIT_FIELDS:
            raise ServiceError(field, N_("unknown setting"))
        if value is None:
            continue
        try:
            limits[field] = parse_size(value) if field in _SIZE_FIELDS else parse_count(value)
        except SizeError as exc:
            problems.add(field, why(exc))
    return limits


def _check_limit_consistency(session: Session, domain: Domain, problems: FieldErrors) -> None:
    """A limit may not be set below what the domain already uses. A check
    that involves a field already refused is left out (it would judge a
    value the user did not type)."""

    def check(fields: tuple[str, ...], broken: bool, message) -> None:
        if not any(f in problems for f in fields) and broken:
            problems.add(fields[0], message() if callable(message) else message)

    check(
        ("max_mailboxes",),
        domain.max_mailboxes and domain.mailbox_count > domain.max_mailboxes,
        Message(N_("the domain already has %(count)s mailboxes"), count=domain.mailbox_count),
    )
    check(
        ("max_aliases",),
        domain.max_aliases and domain.alias_count > domain.max_aliases,
        Message(N_("the domain already has %(count)s aliases"), count=domain.alias_count),
    )
    check(
        ("total_quota_bytes",),
        domain.total_quota_bytes and domain.quota_allocated_bytes > domain.total_quota_bytes,
        lambda: Message(
            N_("its mailboxes already have %(size)s of quota in total"),
            size=format_amount(domain.quota_allocated_bytes),
        ),
    )
    check(
        ("default_quota_bytes", "max_quota_bytes"),
        domain.max_quota_bytes and domain.default_quota_bytes > domain.max_quota_bytes,
        lambda: Message(
            N_("is larger than the largest quota of one mailbox (%(size)s)"), size=format_amount(domain.max_quota_bytes)
        ),
    )
    check(
        ("default_quota_bytes", "max_quota_bytes", "total_quota_bytes"),
        (domain.max_quota_bytes or domain.total_quota_bytes) and not domain.default_quota_bytes,
        N_("is required (0, unlimited, is not allowed) when the domain has a quota limit"),
    )
    if domain.id is not None and (domain.max_quota_bytes or domain.total_quota_bytes):
        field = "max_quota_bytes" if domain.max_quota_bytes else "total_quota_bytes"
        if field not in problems:
            _check_mailbox_quotas(session, domain, field, problems)


def _check_mailbox_quotas(session: Session, domain: Domain, field: str, problems: FieldErrors) -> None:
    """No mailbox may keep an unlimited quota, or one above the new maximum."""
    too_large = Mailbox.quota_bytes == 0
    if domain.max_quota_bytes:
        too_large = or_(too_large, Mailbox.quota_bytes > domain.max_quota_bytes)
    query = select(Mailbox.address, Mailbox.quota_bytes).where(Mailbox.domain_id == domain.id, too_large).limit(1)
    found = session.execute(query).first()
    if found is None:
        return
    address, quota = found
    if not quota:
        problems.add(field, Message(N_("%(address)s has an unlimited quota: give it a limit first"), address=address))
    else:
        largest = format_amount(domain.max_quota_bytes)
        problems.add(
            field,
            Message(
                N_("%(address)s already has a quota of %(size)s, more than %(largest)s"),
                address=address,
                size=format_amount(quota),
                largest=largest,
            ),
        )


def create_domain(
    session: Session, actor: Actor, name: str, description: str = "", active: bool = True, **limits
) -> Domain:
    actor.require_superadmin()
    problems = FieldErrors()
    with problems.collect():
        name = parse_domain_name(name)
        check_new_name(session, name)
    with problems.collect():
        description = _description(description)
    domain = Domain(
        name=name,
        description=description if "description" not in problems else "",
        active=bool(active),
        mailbox_count=0,
        alias_count=0,
        quota_allocated_bytes=0,
        **{f: 0 for f in LIMIT_FIELDS},
    )
    for field, value in _parse_limits(limits, problems).items():
        setattr(domain, field, value)
    _check_limit_consistency(session, domain, problems)
    problems.raise_any(N_("the domain was not created: see the fields"))
    insert_unique(
        session,
        domain,
        "name",
        Message(N_("%(name)s is already hosted here (as a domain or an alias domain)"), name=name),
    )
    audit.record(
        session,
        actor,
        "domain.create",
        name,
        domain_id=domain.id,
        active=domain.active,
        **{f: getattr(domain, f) for f in LIMIT_FIELDS},
    )
    return domain


def update_domain(session: Session, actor: Actor, domain: Domain, description: str | None = None, **limits) -> Domain:
    actor.require_superadmin()
    changes, was, problems = {}, {}, FieldErrors()
    if description is not None and description != domain.description:
        with problems.collect():
            old = domain.description
            domain.description = changes["description"] = _description(description)
            was["description"] = old
    for field, value in _parse_limits(limits, problems).items():
        if getattr(domain, field) != value:
            was[field] = getattr(domain, field)
            setattr(domain, field, value)
            changes[field] = value
    _check_limit_consistency(session, domain, problems)
    problems.raise_any(N_("the domain was not saved: see the fields"))
    if changes:
        audit.record(session, actor, "domain.update", domain.name, domain_id=domain.id, **changes, was=was)
    return domain


def set_user_rights(
    session: Session,
    actor: Actor,
    domain: Domain,
    *,
    change_password: bool | None = None,
    forward_outside: bool | None = None,
) -> Domain:
    """What the domain's mailbox users may do in the portal: change their
    own password ("off": passwords are handled centrally) and forward to
    addresses outside the hosted domains. A domain's admins decide."""
    actor.require_manage(domain.id)
    changes, was = {}, {}
    if change_password is not None and bool(change_password) != domain.users_change_password:
        was["users_change_password"] = domain.users_change_password
        domain.users_change_password = changes["users_change_password"] = bool(change_password)
    if forward_outside is not None and bool(forward_outside) != domain.users_forward_outside:
        was["users_forward_outside"] = domain.users_forward_outside
        domain.users_forward_outside = changes["users_forward_outside"] = bool(forward_outside)
    if changes:
        audit.record(session, actor, "domain.user_rights", domain.name, domain_id=domain.id, **changes, was=was)
    return domain


def set_domain_active(session: Session, actor: Actor, domain: Domain, active: bool) -> Domain:
    actor.require_superadmin()
    if domain.active != active:
        # One row, whatever the domain's size: the mail servers read this
        # very flag (migration 0025), so every lookup sees it at the commit.
        domain.active = active
        audit.record(session, actor, "domain.enable" if active else "domain.disable", domain.name, domain_id=domain.id)
    return domain


def delete_domain(session: Session, actor: Actor, domain: Domain) -> None:
    """Only an empty domain can go: deleting mailboxes is a separate, audited act."""
    actor.require_superadmin()
    if domain.mailbox_count or domain.alias_count:
        raise Conflict(
            "domain",
            Message(
                N_("%(domain)s still has %(mailboxes)s mailboxes and %(aliases)s aliases"),
                domain=domain.name,
                mailboxes=domain.mailbox_count,
                aliases=domain.alias_count,
            ),
        )
    alias_domains = session.scalar(
        select(func.count()).select_from(AliasDomain).where(AliasDomain.target_domain_id == domain.id)
    )
    if alias_domains:
        raise Conflict(
            "domain",
            Message(
                Nn_(
                    "%(domain)s is the target of %(count)s alias domain",
                    "%(domain)s is the target of %(count)s alias domains",
                ),
                domain=domain.name,
                count=alias_domains,
            ),
        )
    session.delete(domain)
    audit.record(session, actor, "domain.delete", domain.name, domain_id=domain.id)


def _description(text: str | None) -> str:
    return one_line(text, "description", DESCRIPTION_MAX)


# -- counters: the race-safe way to hold a limit ---------------------------


def over_limits(domain: Domain, mailboxes: int = 0, quota_bytes: int = 0, aliases: int = 0) -> dict[str, str]:
    """Which limits adding this much to the domain would break, by field.

    The same rule the conditional UPDATEs below enforce at write time; the
    importer asks it first, to report a whole file's problems before writing.
    """
    problems = {}
    if mailboxes and domain.max_mailboxes and domain.mailbox_count + mailboxes > domain.max_mailboxes:
        problems["email"] = Message(
            N_("%(domain)s allows %(limit)s mailboxes; it has %(count)s and this would add %(more)s"),
            domain=domain.name,
            limit=domain.max_mailboxes,
            count=domain.mailbox_count,
            more=mailboxes,
        )
    if (
        quota_bytes
        and domain.total_quota_bytes
        and domain.quota_allocated_bytes + quota_bytes > domain.total_quota_bytes
    ):
        given_out = format_amount(domain.quota_allocated_bytes + quota_bytes)
        total = format_amount(domain.total_quota_bytes)
        problems["quota"] = Message(
            N_("the domain's total quota of %(total)s is exceeded: %(given_out)s would be given out"),
            total=total,
            given_out=given_out,
        )
    if aliases and domain.max_aliases and domain.alias_count + aliases > domain.max_aliases:
        problems["aliases"] = Message(
            N_("%(domain)s allows %(limit)s aliases; it has %(count)s and this would add %(more)s"),
            domain=domain.name,
            limit=domain.max_aliases,
            count=domain.alias_count,
            more=aliases,
        )
    return problems


def adjust_counter(session: Session, domain: Domain, column, limit_column, amount: int) -> bool:
    condition = [Domain.id == domain.id]
    if amount > 0:
        condition.append(or_(limit_column == 0, column + amount <= limit_column))
    result = session.execute(
        update(Domain).where(*condition).values({column: column + amount}).execution_options(synchronize_session=False)
    )
    session.expire(domain, [column.key])
    return result.rowcount == 1


def reserve_mailbox(session: Session, domain: Domain, quota_bytes: int) -> None:
    if not adjust_counter(session, domain, Domain.mailbox_count, Domain.max_mailboxes, 1):
        raise Conflict(
            "address",
            Message(
                N_("%(domain)s has reached its limit of %(limit)s mailboxes"),
                domain=domain.name,
                limit=domain.max_mailboxes,
            ),
        )
    reserve_quota(session, domain, quota_bytes)


def reserve_quota(session: Session, domain: Domain, quota_bytes: int) -> None:
    if quota_bytes and not adjust_counter(
        session, domain, Domain.quota_allocated_bytes, Domain.total_quota_bytes, quota_bytes
    ):
        raise Conflict("quota", quota_left(domain))


def quota_left(domain: Domain) -> str:
    """What is left of the domain's total quota, in the units people type."""
    left = max(domain.total_quota_bytes - domain.quota_allocated_bytes, 0)
    total = format_amount(domain.total_quota_bytes)
    if not left:
        return Message(N_("none of the domain's %(total)s is left"), total=total)
    return Message(N_("only %(left)s of the domain's %(total)s is left"), left=format_amount(left), total=total)


def release_mailbox(session: Session, domain: Domain, quota_bytes: int) -> None:
    adjust_counter(session, domain, Domain.mailbox_count, Domain.max_mailboxes, -1)
    release_quota(session, domain, quota_bytes)


def release_quota(session: Session, domain: Domain, quota_bytes: int) -> None:
    if quota_bytes:
        adjust_counter(session, domain, Domain.quota_allocated_bytes, Domain.total_quota_bytes, -quota_bytes)


def reserve_alias(session: Session, domain: Domain) -> None:
    if not adjust_counter(session, domain, Domain.alias_count, Domain.max_aliases, 1):
        raise Conflict(
            "address",
            Message(
                N_("%(domain)s has reached its limit of %(limit)s aliases"),
                domain=domain.name,
                limit=domain.max_aliases,
            ),
        )


def release_alias(session: Session, domain: Domain) -> None:
    adjust_counter(session, domain, Domain.alias_count, Domain.max_aliases, -1)


def managed_domain(session: Session, actor: Actor, name: str, field: str = "address") -> Domain:
    """A hosted domain (not an alias domain) that the actor may manage.

    A name outside the actor's domains — another tenant's domain or alias
    domain — gets the very answer a name nobody hosts gets: which other
    domains exist is not theirs to learn (docs/web-panel.md).
    """
    name = parse_domain_name(name, field)
    alias_domain = is_alias_domain(session, name)
    if alias_domain is not None and actor.sees_domain(alias_domain.target_domain_id):
        raise ServiceError(
            field, Message(N_("%(name)s is an alias domain of %(target)s"), name=name, target=alias_domain.target.name)
        )
    domain = session.scalar(select(Domain).where(Domain.name == name))
    if domain is None or not actor.sees_domain(domain.id):
        raise _not_hosted(actor, name, field)
    actor.require_manage(domain.id)
    return domain


def _not_hosted(actor: Actor, name: str, field: str) -> NotFound:
    """The refusal for a domain the actor cannot see, true whether it exists or not."""
    if actor.domain_ids is None:
        return NotFound(field, Message(N_("the domain %(name)s is not hosted here"), name=name))
    return NotFound(field, Message(N_("%(name)s is not one of your domains"), name=name))


def is_alias_domain(session: Session, name: str) -> AliasDomain | None:
    return session.scalar(select(AliasDomain).where(AliasDomain.name == name))
