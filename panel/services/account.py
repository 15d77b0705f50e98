"""A panel user's own account: changing one's password."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import passwords
from ..models import Admin
from . import admins
from .actor import Actor
from .errors import Forbidden, ServiceError


def password_is(admin: Admin, password: str | None) -> bool:
    return passwords.verify(password or "", admin.password_hash)


def change_own_password(session: Session, actor: Actor, current: str, new: str, confirm: str) -> Admin:
    """The current password proves it is really them (a stolen session alone
    cannot take the account over)."""
    if actor.admin_id is None:
        raise Forbidden("only a panel account has a password here")
    me = session.get(Admin, actor.admin_id)
    if me is None or not passwords.verify(current or "", me.password_hash):
        raise ServiceError("current_password", "is not your current password")
    if (new or "") != (confirm or ""):
        raise ServiceError("password_confirm", "does not match the new password")
    if new == current:
        raise ServiceError("new_password", "is the same as the current password")
    try:
        return admins.set_admin_password(session, actor, me, new)
    except ServiceError as error:
        if "password" in error.fields:
            raise ServiceError("new_password", error.fields["password"]) from None
        raise
