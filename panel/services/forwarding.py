"""Forwarding a mailbox's mail: the alias-on-a-mailbox's-address rule seen
from the mailbox, not a second mechanism. Postfix resolves aliases before
mailboxes, so an alias on ``anna@example.org`` sends her mail to its
destinations; listing her own address among them keeps a copy.

Her owner may set it from the portal; so may an admin who manages the
domain. Whether an owner may forward outside the hosted domains is the
domain's setting ``users_forward_outside`` (off by default: forwarding
is how a hijacked account leaks mail); admins are not held by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..languages import N_, Message
from ..models import Alias, DomainName, Mailbox
from . import aliases, audit, domains
from .actor import Actor
from .errors import ServiceError
from .mailbox_access import is_owner, require_self_or_manager


@dataclass(frozen=True)
class Forwarding:
    destinations: list[str]  # other than the mailbox itself
    keep_copy: bool
    active: bool


def get_forwarding(session: Session, actor: Actor, mailbox: Mailbox) -> Forwarding | None:
    require_self_or_manager(actor, mailbox)
    return forwarding_of(session, mailbox)


def forwarding_of(session: Session, mailbox: Mailbox) -> Forwarding | None:
    """The mailbox's forwarding, for a caller that has checked the actor."""
    alias = _alias(session, mailbox)
    if alias is None:
        return None
    targets = [d.destination for d in alias.destinations]
    return Forwarding([t for t in targets if t != mailbox.address], mailbox.address in targets, alias.active)


def set_forwarding(session: Session, actor: Actor, mailbox: Mailbox, destinations, keep_copy: bool) -> Alias:
    require_self_or_manager(actor, mailbox)
    targets = [t for t in aliases.parse_destinations(destinations) if t != mailbox.address]
    if not targets:
        raise ServiceError("destinations", N_("give at least one address other than this mailbox"))
    if is_owner(actor, mailbox) and not mailbox.domain.users_forward_outside:
        _require_hosted(session, mailbox, targets)
    goto = targets + [mailbox.address] if keep_copy else targets
    alias = _alias(session, mailbox)
    if alias is None:
        alias = aliases.add_alias(session, actor, mailbox.domain, mailbox.address, goto, audit_action=None)
    else:
        aliases.replace_destinations(session, alias, goto)
        alias.active = True
    _audit(session, actor, mailbox, targets, keep_copy)
    return alias


def stop_forwarding(session: Session, actor: Actor, mailbox: Mailbox) -> None:
    require_self_or_manager(actor, mailbox)
    alias = _alias(session, mailbox)
    if alias is not None:
        domains.release_alias(session, mailbox.domain)
        session.delete(alias)
        _audit(session, actor, mailbox, [], True)


def _audit(session: Session, actor: Actor, mailbox: Mailbox, targets: list[str], keep_copy: bool) -> None:
    # "No forwarding" is recorded as forwarding to nobody, keeping the copy.
    audit.record(
        session,
        actor,
        "mailbox.forwarding",
        mailbox.address,
        domain_id=mailbox.domain_id,
        destinations=targets,
        keep_copy=keep_copy,
    )


def _alias(session: Session, mailbox: Mailbox) -> Alias | None:
    return session.scalar(select(Alias).where(Alias.address == mailbox.address))


def _require_hosted(session: Session, mailbox: Mailbox, targets: list[str]) -> None:
    names = {t.rsplit("@", 1)[1] for t in targets}
    hosted = set(session.scalars(select(DomainName.name).where(DomainName.name.in_(names))))
    outside = sorted(t for t in targets if t.rsplit("@", 1)[1] not in hosted)
    if outside:
        raise ServiceError(
            "destinations",
            Message(
                N_("%(domain)s does not let its users forward outside this server (%(addresses)s)"),
                domain=mailbox.domain.name,
                addresses=", ".join(outside[:3]),
            ),
        )
