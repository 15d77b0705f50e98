"""Many mailboxes at once, under the very rules of :mod:`.mailboxes`.

The CSV importer validates each row with :func:`prepare_mailbox` (the same
name, quota and hash checks as ``create_mailbox``) and then creates a whole
batch with :func:`create_mailboxes`: one conditional ``UPDATE`` reserves the
batch on the domain's counters (so the limit holds for the batch as a whole
and under concurrency), one multi-row ``INSERT`` writes the mailboxes and one
writes their audit events. Updates of existing mailboxes go through
``update_mailbox``/``set_password`` row by row: they are the rare case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import passwords
from ..languages import N_, Message, Nn_, why
from ..models import Alias, AuditEvent, Domain, Mailbox, utcnow
from . import audit, domains, mailboxes
from .actor import Actor
from .errors import Conflict, ServiceError


@dataclass(slots=True)
class NewMailbox:
    local_part: str
    address: str
    name: str
    quota_bytes: int
    active: bool
    # None until the caller has hashed the plain password (in a process pool).
    password_hash: str | None


def check_password_input(password: str | None, password_hash: str | None) -> None:
    """What ``hash_for_storage`` checks, without spending the hashing time."""
    if password and password_hash:
        raise ServiceError("password", N_("give a password or a hash, not both"))
    try:
        if password_hash:
            passwords.check_hash(password_hash)
        elif password:
            passwords.check_plain(password)
    except passwords.PasswordError as exc:
        raise ServiceError("password_hash" if password_hash else "password", why(exc)) from None


def managed_domain(session: Session, actor: Actor, domain_name: str) -> Domain:
    """The hosted domain of an address the actor may manage (as create_mailbox)."""
    return domains.managed_domain(session, actor, domain_name)


def prepare_mailbox(
    domain: Domain, local_part: str, *, name=None, quota=None, active: bool = True, password_hash: str | None = None
) -> NewMailbox:
    """Validate one new mailbox of ``domain`` (already a managed domain)."""
    return NewMailbox(
        local_part=mailboxes.check_new_local(local_part, "email"),
        address=f"{local_part}@{domain.name}",
        name=mailboxes.parse_display_name(name),
        quota_bytes=mailboxes.parse_quota(domain, quota),
        active=bool(active),
        password_hash=passwords.check_hash(password_hash) if password_hash else None,
    )


def create_mailboxes(session: Session, actor: Actor, domain: Domain, batch: list[NewMailbox]) -> None:
    """Create a batch of new mailboxes of one domain, all or none."""
    actor.require_manage(domain.id)
    if not batch:
        return
    addresses = [m.address for m in batch]
    taken = session.scalar(select(Alias.address).where(Alias.address.in_(addresses)).limit(1))
    if taken:
        raise Conflict("address", Message(N_("%(address)s is already an alias"), address=taken))
    _reserve(session, domain, len(batch), sum(m.quota_bytes for m in batch))
    now = utcnow()
    rows = [_row(domain, m, now) for m in batch]
    try:
        with session.begin_nested():
            # Core inserts (no ORM objects): one multi-row statement per batch.
            session.execute(insert(Mailbox.__table__), rows)
    except IntegrityError:
        raise Conflict("address", N_("one of these mailboxes already exists (created meanwhile?)")) from None
    session.execute(
        insert(AuditEvent.__table__),
        [
            audit.event_values(
                actor,
                "mailbox.create",
                r["address"],
                domain_id=domain.id,
                quota_bytes=r["quota_bytes"],
                active=r["active"],
                maildir=r["maildir"],
                name=r["name"],
            )
            for r in rows
        ],
    )


def _reserve(session: Session, domain: Domain, count: int, quota_bytes: int) -> None:
    # The same conditional UPDATE as reserve_mailbox, by `count` at once.
    if not domains.adjust_counter(session, domain, Domain.mailbox_count, Domain.max_mailboxes, count):
        raise Conflict(
            "address",
            Message(
                Nn_(
                    "%(domain)s has room for %(count)s mailbox; this batch of %(batch)s does not fit",
                    "%(domain)s has room for %(count)s mailboxes; this batch of %(batch)s does not fit",
                ),
                domain=domain.name,
                count=domain.max_mailboxes,
                batch=count,
            ),
        )
    domains.reserve_quota(session, domain, quota_bytes)


def _row(domain: Domain, new: NewMailbox, now) -> dict:
    if not new.password_hash:
        raise ServiceError("password", Message(N_("%(address)s: no password hash"), address=new.address))
    return {
        "domain_id": domain.id,
        "local_part": new.local_part,
        "address": new.address,
        "name": new.name,
        "password_hash": passwords.check_hash(new.password_hash),
        "quota_bytes": new.quota_bytes,
        "active": new.active,
        "maildir": mailboxes.new_maildir(domain.name),
        "created_at": now,
        "updated_at": now,
        "password_changed_at": now,
    }
