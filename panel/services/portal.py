"""What a mailbox's owner sees first in the portal (/me/), and what the
mailbox page shows admins: one read of the mailbox's own state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Alias, AliasDestination, Mailbox, QuotaUsage, Vacation
from . import audit, forwarding, mailbox_logins, web_sessions
from .actor import Actor
from .mailbox_access import require_self_or_manager

ALIASES_SHOWN = 100


@dataclass
class Overview:
    mailbox: Mailbox
    used_bytes: int
    messages: int
    aliases: list[str]  # addresses that deliver here (besides its own)
    last_login: datetime | None
    forwarding: forwarding.Forwarding | None
    vacation: Vacation | None


def overview(session: Session, actor: Actor, mailbox: Mailbox) -> Overview:
    require_self_or_manager(actor, mailbox)
    usage = session.get(QuotaUsage, mailbox.address)
    delivering = (
        select(Alias.address)
        .join(AliasDestination, AliasDestination.alias_id == Alias.id)
        .where(AliasDestination.destination == mailbox.address, Alias.address != mailbox.address)
        .order_by(Alias.address)
        .limit(ALIASES_SHOWN)
    )
    return Overview(
        mailbox=mailbox,
        used_bytes=usage.bytes if usage else 0,
        messages=usage.messages if usage else 0,
        aliases=list(session.scalars(delivering)),
        last_login=mailbox_logins.last_login(session, mailbox),
        forwarding=forwarding.forwarding_of(session, mailbox),  # checked above: one check, one place
        vacation=session.get(Vacation, mailbox.id),
    )


def sign_out_everywhere(session: Session, actor: Actor, mailbox: Mailbox) -> int:
    require_self_or_manager(actor, mailbox)
    ended = web_sessions.end_all(session, None, mailbox_id=mailbox.id)
    audit.record(
        session, actor, "mailbox.sessions_ended", mailbox.address, domain_id=mailbox.domain_id, sessions_ended=ended
    )
    return ended
