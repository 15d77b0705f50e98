"""Who may change what a mailbox's owner may change (out-of-office,
forwarding, app passwords): the owner, signed in to the portal, or an
admin who manages the mailbox's domain. The helpdesk only resets passwords."""

from __future__ import annotations

from ..models import Mailbox
from .actor import Actor


def is_owner(actor: Actor, mailbox: Mailbox) -> bool:
    return actor.mailbox_id is not None and actor.mailbox_id == mailbox.id


def require_self_or_manager(actor: Actor, mailbox: Mailbox) -> None:
    if not is_owner(actor, mailbox):
        actor.require_manage(mailbox.domain_id)
