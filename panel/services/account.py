"""A panel user's own account: changing one's password, and the language
of one's pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import passwords
from ..languages import LANGUAGES, N_, why
from ..models import Admin, Mailbox
from . import admins
from .actor import Actor
from .errors import FieldErrors, Forbidden, ServiceError


def password_is(admin: Admin, password: str | None) -> bool:
    return passwords.verify(password or "", admin.password_hash)


def change_own_password(session: Session, actor: Actor, current: str, new: str, confirm: str) -> Admin:
    """The current password proves it is really them (a stolen session alone
    cannot take the account over)."""
    if actor.admin_id is None:
        raise Forbidden(N_("only a panel account has a password here"))
    me = session.get(Admin, actor.admin_id)
    if me is None:
        raise Forbidden(N_("only a panel account has a password here"))
    problems = FieldErrors()  # every field's problem told at once
    if not passwords.verify(current or "", me.password_hash):
        problems.add("current_password", N_("is not your current password"))
    try:
        passwords.check_plain(new or "")
        passwords.check_not_derived(new, me.username)
    except passwords.PasswordError as rule:
        problems.add("new_password", why(rule))
    if (new or "") != (confirm or ""):
        problems.add("password_confirm", N_("does not match the new password"))
    elif new and new == current and "new_password" not in problems:
        problems.add("new_password", N_("is the same as the current password"))
    problems.raise_any(N_("your password was not changed: see the fields"))
    try:
        return admins.set_admin_password(session, actor, me, new)
    except ServiceError as error:
        if "password" in error.fields:
            raise ServiceError("new_password", error.fields["password"]) from None
        raise


def checked_language(value: str | None) -> str | None:
    """A language choice as stored: one the panel speaks, or None (empty:
    follow the browser)."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if value not in LANGUAGES:
        raise ServiceError("language", N_("is not a language the panel speaks"))
    return value


def set_own_language(session: Session, actor: Actor, language: str | None) -> Admin:
    """The signed-in admin's pages' language (None: the browser's)."""
    me = session.get(Admin, actor.admin_id) if actor.admin_id is not None else None
    if me is None:
        raise Forbidden(N_("only a panel account chooses its language here"))
    me.language = checked_language(language)
    return me


def set_mailbox_language(session: Session, actor: Actor, mailbox: Mailbox, language: str | None) -> Mailbox:
    """The portal's language of a mailbox's owner, chosen by that owner alone."""
    if actor.mailbox_id != mailbox.id:
        raise Forbidden(N_("only the mailbox's owner chooses the portal's language"))
    mailbox.language = checked_language(language)
    return mailbox
