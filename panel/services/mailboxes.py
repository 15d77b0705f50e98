"""Mailboxes: creation within the domain's limits, passwords, quota, state.

Address policy (documented in docs/rules.md): a mailbox address may not be taken
by an alias; an alias *may* be created on a mailbox's address, which turns
it into a forwarding (list the address itself among the destinations to
keep a copy). Postfix resolves aliases first, so nothing is ambiguous.
"""

from __future__ import annotations

import uuid
from itertools import islice
from typing import Iterable, Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import passwords
from ..addresses import AddressError, check_new_local_part, split_address
from ..languages import N_, Message, why
from ..models import Alias, Mailbox, QuotaUsage, utcnow
from ..sizes import SizeError, format_amount, parse_size
from . import audit, domains, web_sessions
from .actor import Actor
from .errors import Conflict, FieldErrors, Forbidden, NotFound, ServiceError, check_confirmed, one_line
from .persist import insert_unique

NAME_MAX = 255


def parse_address(value: str, field: str = "address") -> tuple[str, str]:
    """Any address that may be stored (rows made under older, wider rules
    included): the form to look a mailbox up by."""
    try:
        return split_address(value)
    except AddressError as exc:
        raise ServiceError(field, why(exc)) from None


def check_new_local(local: str, field: str = "address") -> str:
    """The local part of a mailbox about to be created: the narrower
    alphabet every mail server accepts (panel/addresses.py)."""
    try:
        return check_new_local_part(local)
    except AddressError as exc:
        raise ServiceError(field, why(exc)) from None


def get_mailbox(session: Session, actor: Actor, address: str, field: str = "address") -> Mailbox:
    local, domain = parse_address(address, field)
    mailbox = session.scalar(select(Mailbox).where(Mailbox.address == f"{local}@{domain}"))
    # A mailbox outside the actor's domains is reported as missing, not
    # forbidden: its existence is not theirs to learn.
    if mailbox is None or not actor.sees_domain(mailbox.domain_id):
        raise NotFound(field, Message(N_("no mailbox %(local)s@%(domain)s"), local=local, domain=domain))
    return mailbox


def parse_display_name(name: str | None) -> str:
    return one_line(name, "name", NAME_MAX)


def parse_quota(domain, value) -> int:
    if value is None or value == "":
        quota = domain.default_quota_bytes
    else:
        try:
            quota = parse_size(value)
        except SizeError as exc:
            raise ServiceError("quota", why(exc)) from None
    if domain.max_quota_bytes and (quota == 0 or quota > domain.max_quota_bytes):
        largest = format_amount(domain.max_quota_bytes)
        raise ServiceError(
            "quota",
            Message(
                N_("the largest mailbox allowed in %(domain)s is %(largest)s"), domain=domain.name, largest=largest
            ),
        )
    if domain.total_quota_bytes and quota == 0:
        raise ServiceError(
            "quota", Message(N_("%(domain)s has a total quota: a mailbox cannot be unlimited"), domain=domain.name)
        )
    return quota


def hash_for_storage(password, password_hash: str | None, scheme: str, address: str | None = None) -> str:
    """The stored ``{SCHEME}hash`` from a plain password (or a
    passwords.Prepared one) or an imported hash. The rules (docs/rules.md
    "Passwords"): at least passwords.MIN_LENGTH characters, and not the
    mailbox's address or the part before the @."""
    if password and password_hash:
        raise ServiceError("password", N_("give a password or a hash, not both"))
    try:
        if password_hash:
            return passwords.check_hash(password_hash)
        if not password:
            raise ServiceError("password", N_("a password is required"))
        if address:
            passwords.check_not_derived(password, address, address.split("@", 1)[0])
        return passwords.hash_password(password, scheme)
    except passwords.PasswordError as exc:
        raise ServiceError("password_hash" if password_hash else "password", why(exc)) from None


def create_mailbox(
    session: Session,
    actor: Actor,
    address: str,
    *,
    password: str | None = None,
    password_hash: str | None = None,
    password_confirm: str | None = None,
    quota=None,
    name: str | None = "",
    active: bool = True,
    scheme: str = passwords.DEFAULT_SCHEME,
) -> Mailbox:
    """Every field is checked before anything is refused, so a form shows
    all its problems at once; the domain's counters are reserved last."""
    problems = FieldErrors()
    local, domain_name = address.rpartition("@")[0], address.rpartition("@")[2]
    with problems.collect():
        local, domain_name = parse_address(address)
        check_new_local(local)
    domain = None
    with problems.collect():
        domain = domains.managed_domain(session, actor, domain_name)
    address = f"{local}@{domain.name if domain else domain_name}"
    if "address" not in problems:
        with problems.collect():
            _check_address_free(session, address)
    quota_bytes = 0
    if domain is not None:
        with problems.collect():
            quota_bytes = parse_quota(domain, quota)
    with problems.collect():
        name = parse_display_name(name)
    password_stored = None
    with problems.collect():
        password_stored = hash_for_storage(password, password_hash, scheme, address)
    check_confirmed(password, password_confirm, problems)
    problems.raise_any(N_("the mailbox was not created: see the fields"))
    mailbox = Mailbox(
        domain=domain,
        local_part=local,
        address=address,
        name=name,
        password_hash=password_stored,
        quota_bytes=quota_bytes,
        active=bool(active),
        maildir=new_maildir(domain.name),
    )
    domains.reserve_mailbox(session, domain, quota_bytes)
    insert_unique(session, mailbox, "address", Message(N_("the mailbox %(address)s already exists"), address=address))
    audit.record(
        session,
        actor,
        "mailbox.create",
        address,
        domain_id=domain.id,
        quota_bytes=quota_bytes,
        active=mailbox.active,
        maildir=mailbox.maildir,
        name=mailbox.name,
    )
    return mailbox


def _check_address_free(session: Session, address: str) -> None:
    if session.scalar(select(Alias.id).where(Alias.address == address)):
        raise Conflict("address", Message(N_("%(address)s is already an alias"), address=address))
    if session.scalar(select(Mailbox.id).where(Mailbox.address == address)):
        raise Conflict("address", Message(N_("the mailbox %(address)s already exists"), address=address))


def new_maildir(domain_name: str) -> str:
    # The domain in the path helps an operator find mail; the random part
    # makes it unique and it never changes, even if the mailbox is renamed.
    return f"{domain_name}/{uuid.uuid4().hex}"


def update_mailbox(
    session: Session, actor: Actor, mailbox: Mailbox, *, name: str | None = None, quota=None, active: bool | None = None
) -> Mailbox:
    actor.require_manage(mailbox.domain_id)
    changes, was, problems = {}, {}, FieldErrors()
    new_name = new_quota = None
    with problems.collect():
        new_name = parse_display_name(name) if name is not None else None
    with problems.collect():
        new_quota = parse_quota(mailbox.domain, quota) if quota is not None and quota != "" else None
    problems.raise_any(N_("the mailbox was not saved: see the fields"))
    if new_name is not None and new_name != mailbox.name:
        was["name"] = mailbox.name
        mailbox.name = changes["name"] = new_name
    if new_quota is not None and new_quota != mailbox.quota_bytes:
        was["quota_bytes"] = mailbox.quota_bytes
        _change_quota(session, mailbox, new_quota)
        changes["quota_bytes"] = new_quota
    if active is not None and bool(active) != mailbox.active:
        was["active"] = mailbox.active
        mailbox.active = changes["active"] = bool(active)
        if not mailbox.active:
            changes["sessions_ended"] = web_sessions.end_all(session, None, mailbox_id=mailbox.id)
    if changes:
        audit.record(session, actor, "mailbox.update", mailbox.address, domain_id=mailbox.domain_id, **changes, was=was)
    return mailbox


def _change_quota(session: Session, mailbox: Mailbox, new_quota: int) -> None:
    """One conditional UPDATE of the domain's total by the difference: a
    refusal changes nothing (a bulk change goes on to check later rows)."""
    growth = new_quota - mailbox.quota_bytes
    if growth > 0:
        domains.reserve_quota(session, mailbox.domain, growth)
    else:
        domains.release_quota(session, mailbox.domain, -growth)
    mailbox.quota_bytes = new_quota


def set_mailbox_active(session: Session, actor: Actor, mailbox: Mailbox, active: bool) -> Mailbox:
    return update_mailbox(session, actor, mailbox, active=active)


def set_password(
    session: Session,
    actor: Actor,
    mailbox: Mailbox,
    *,
    password: str | None = None,
    password_hash: str | None = None,
    password_confirm: str | None = None,
    scheme: str = passwords.DEFAULT_SCHEME,
) -> Mailbox:
    actor.require_password_reset(mailbox.domain_id)
    if password_confirm is not None:  # a form: both fields' problems at once
        problems = FieldErrors()
        with problems.collect():
            hash_for_storage(password, password_hash, scheme, mailbox.address)
        check_confirmed(password, password_confirm, problems)
        problems.raise_any(N_("the password was not changed: see the fields"))
    return _store_password(session, actor, mailbox, password, password_hash, scheme)


def _store_password(session, actor, mailbox, password, password_hash, scheme) -> Mailbox:
    """A new password ends the owner's portal sessions (someone who knew the
    old one may be signed in); the owner changing it keeps their own."""
    mailbox.password_hash = hash_for_storage(password, password_hash, scheme, mailbox.address)
    mailbox.password_changed_at = utcnow()
    keep = actor.session_id if actor.mailbox_id == mailbox.id else None
    ended = web_sessions.end_all(session, None, keep, mailbox_id=mailbox.id)
    audit.record(
        session,
        actor,
        "mailbox.password",
        mailbox.address,
        domain_id=mailbox.domain_id,
        scheme=passwords.split_scheme(mailbox.password_hash)[0],
        sessions_ended=ended,
    )
    return mailbox


def change_own_password(
    session: Session,
    actor: Actor,
    mailbox: Mailbox,
    current: str,
    new,
    confirm: str,
    scheme: str = passwords.DEFAULT_SCHEME,
) -> Mailbox:
    """The owner, in the portal: the current password proves it is them;
    the domain may keep passwords in its admins' hands."""
    if actor.mailbox_id != mailbox.id:
        raise Forbidden(N_("only the mailbox's owner changes its password here"))
    if not mailbox.domain.users_change_password:
        raise ServiceError(
            None,
            Message(
                N_("passwords of %(domain)s are handled centrally: ask your administrator"), domain=mailbox.domain.name
            ),
        )
    problems = {}
    if not passwords.verify(current or "", mailbox.password_hash):
        problems["current_password"] = N_("is not your current password")
    plain = passwords.plain_text(new) or ""
    try:  # the rules too, so every field's problem is told at once
        passwords.check_plain(plain)
        passwords.check_not_derived(plain, mailbox.address, mailbox.local_part)
    except passwords.PasswordError as rule:
        problems["new_password"] = why(rule)
    if plain != (confirm or ""):
        problems["password_confirm"] = N_("does not match the new password")
    elif plain and plain == current:
        problems.setdefault("new_password", N_("is the same as the current password"))
    if problems:
        raise ServiceError(None, N_("your password was not changed"), **problems)
    try:
        return _store_password(session, actor, mailbox, new, None, scheme)
    except ServiceError as error:
        raise ServiceError("new_password", error.fields.get("password", error.message)) from None


def delete_mailbox(session: Session, actor: Actor, mailbox: Mailbox) -> None:
    """Remove the account. The maildir stays on disk (named in the audit
    event) so no mail is lost by a click; purging files is an operator's job."""
    actor.require_manage(mailbox.domain_id)
    domains.release_mailbox(session, mailbox.domain, mailbox.quota_bytes)
    session.delete(mailbox)
    # A later mailbox with this address starts with no usage.
    session.execute(delete(QuotaUsage).where(QuotaUsage.username == mailbox.address))
    audit.record(
        session, actor, "mailbox.delete", mailbox.address, domain_id=mailbox.domain_id, maildir=mailbox.maildir
    )


def orphan_maildirs(session: Session, actor: Actor, homes: Iterable[str], batch: int = 1000) -> Iterator[str]:
    """The ``homes`` (paths relative to MAIL_ROOT) that no mailbox uses:
    mail left on disk by deleted mailboxes (see :func:`delete_mailbox`).

    Checked a batch at a time against uq_mailboxes_maildir, so the disk
    walk and the lookups stream together at any size. A mailbox deleted
    while this runs shows up in the next run.
    """
    actor.require_superadmin()
    homes = iter(homes)
    while chunk := list(islice(homes, batch)):
        used = set(session.scalars(select(Mailbox.maildir).where(Mailbox.maildir.in_(chunk))))
        yield from (home for home in chunk if home not in used)
