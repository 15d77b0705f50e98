"""Panel accounts: superadmins, domain admins and helpdesk staff."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import passwords
from ..models import Admin, Domain, Role, utcnow
from . import audit, domains
from .actor import Actor
from .errors import Forbidden, NotFound, ServiceError
from .persist import insert_unique

_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,127}$")


def parse_username(value: str) -> str:
    username = (value or "").strip().lower()
    if not _USERNAME_RE.match(username):
        raise ServiceError("username", "use 1-128 letters, digits or . _ @ + - (starting with a letter or digit)")
    return username


def parse_role(value) -> Role:
    try:
        return Role(value.value if isinstance(value, Role) else str(value).strip().lower())
    except ValueError:
        raise ServiceError("role", "must be superadmin, domainadmin or helpdesk") from None


def _domains(session: Session, names) -> list[Domain]:
    return [domains.get_domain(session, name, "domains") for name in dict.fromkeys(names or [])]


def _check_scope(role: Role, scoped: list[Domain]) -> None:
    if role is Role.SUPERADMIN and scoped:
        raise ServiceError("domains", "a superadmin manages every domain; leave domains empty")
    if role is Role.DOMAINADMIN and not scoped:
        raise ServiceError("domains", "a domain admin needs at least one domain")


def _hash(password: str) -> str:
    try:
        return passwords.hash_password(password)
    except passwords.PasswordError as exc:
        raise ServiceError("password", str(exc)) from None


def _require_rank(actor: Actor, *roles: Role) -> None:
    actor.require_superadmin()
    for role in roles:
        if actor.outranked_by(role):
            raise Forbidden("that account outranks you")


def get_admin(session: Session, username: str) -> Admin:
    if not _USERNAME_RE.match((username or "").strip().lower()):
        raise NotFound("username", f"no admin {username!r}")
    admin = session.scalar(select(Admin).where(Admin.username == (username or "").strip().lower()))
    if admin is None:
        raise NotFound("username", f"no admin {username}")
    return admin


def create_admin(session: Session, actor: Actor, username: str, role, password: str, domain_names=()) -> Admin:
    username, role = parse_username(username), parse_role(role)
    _require_rank(actor, role)
    scoped = _domains(session, domain_names)
    _check_scope(role, scoped)
    admin = Admin(username=username, role=role.value, password_hash=_hash(password), domains=scoped, active=True)
    insert_unique(session, admin, "username", f"the admin {username} already exists")
    audit.record(session, actor, "admin.create", username, role=role.value, domains=[d.name for d in scoped])
    return admin


def update_admin(
    session: Session, actor: Actor, admin: Admin, *, role=None, domain_names=None, active: bool | None = None
) -> Admin:
    _require_rank(actor, Role(admin.role))
    new_role = parse_role(role) if role is not None else Role(admin.role)
    _require_rank(actor, new_role)
    scoped = _domains(session, domain_names) if domain_names is not None else list(admin.domains)
    if new_role is Role.SUPERADMIN:
        scoped = []
    _check_scope(new_role, scoped)
    if actor.admin_id == admin.id and (new_role is not Role(admin.role) or active is False):
        raise ServiceError("role", "you cannot demote or disable your own account")
    changes = {}
    if new_role.value != admin.role:
        admin.role = changes["role"] = new_role.value
    if {d.id for d in scoped} != {d.id for d in admin.domains}:
        admin.domains = scoped
        changes["domains"] = [d.name for d in scoped]
    if active is not None and bool(active) != admin.active:
        admin.active = changes["active"] = bool(active)
    if changes:
        audit.record(session, actor, "admin.update", admin.username, **changes)
    return admin


def set_admin_password(session: Session, actor: Actor, admin: Admin, password: str) -> Admin:
    """A superadmin resets anyone's password; anybody may change their own."""
    if actor.admin_id != admin.id:
        _require_rank(actor, Role(admin.role))
    admin.password_hash = _hash(password)
    admin.password_changed_at = utcnow()
    admin.failed_logins = 0
    admin.locked_until = None
    audit.record(session, actor, "admin.password", admin.username)
    return admin
