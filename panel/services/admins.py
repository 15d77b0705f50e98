"""Panel accounts: superadmins, domain admins and helpdesk staff."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import passwords
from ..languages import N_, Message, Nn_, why
from ..models import Admin, Domain, Role, utcnow
from . import audit, domains, login_guard, tokens, web_sessions
from .actor import Actor
from .errors import FieldErrors, NotFound, ServiceError, check_confirmed
from .persist import insert_unique

# What names an existing account (older ones may hold an @) ...
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,127}$")
# ... and what a new one may be: no @, since mailbox users sign in on the
# same page with their address.
_NEW_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,127}$")


def parse_username(value: str) -> str:
    username = (value or "").strip().lower()
    if "@" in username:
        raise ServiceError("username", N_("may not contain @: mailbox users sign in with their address"))
    if not _NEW_USERNAME_RE.match(username):
        raise ServiceError("username", N_("use 1-128 letters, digits or . _ + - (starting with a letter or digit)"))
    return username


def parse_role(value) -> Role:
    try:
        role = Role(value.value if isinstance(value, Role) else str(value).strip().lower())
    except ValueError:
        role = None
    if role not in Role.admin_roles():
        raise ServiceError("role", N_("must be superadmin, domainadmin or helpdesk"))
    return role


def _domains(session: Session, names) -> list[Domain]:
    """The domains named, every unknown one told at once."""
    found, missing = [], []
    for name in dict.fromkeys(names or []):
        try:
            found.append(domains.get_domain(session, name, "domains"))
        except NotFound:
            missing.append(name[:80])
        except ServiceError as error:
            raise ServiceError("domains", f"{name[:80]}: {error.in_words()}") from None
    if missing:
        raise NotFound(
            "domains",
            Message(
                Nn_("the domain %(domains)s is not hosted here", "the domains %(domains)s are not hosted here"),
                count=len(missing),
                domains=", ".join(missing[:10]),
            ),
        )
    return found


def _check_scope(role: Role, scoped: list[Domain], all_domains: bool) -> None:
    """A scope is explicit: a superadmin has every domain; anyone else has
    a list of domains or the "all domains" grant, and an empty list means
    no domain at all."""
    if role is Role.SUPERADMIN and (scoped or all_domains):
        raise ServiceError("domains", N_("a superadmin manages every domain; leave domains empty"))
    if role is not Role.SUPERADMIN and scoped and all_domains:
        raise ServiceError("domains", N_("choose some domains or all domains, not both"))
    if role is not Role.SUPERADMIN and not scoped and not all_domains:
        raise ServiceError("domains", _NEEDS_A_DOMAIN[role])


# One whole sentence per role (a role's name is not put into a sentence).
_NEEDS_A_DOMAIN = {
    Role.DOMAINADMIN: N_("a domain admin needs at least one domain, or all domains"),
    Role.HELPDESK: N_("a helpdesk account needs at least one domain, or all domains"),
}


def _hash(password, username: str) -> str:
    try:
        passwords.check_not_derived(password, username)
        return passwords.hash_password(password)
    except passwords.PasswordError as exc:
        raise ServiceError("password", why(exc)) from None


def get_admin(session: Session, username: str) -> Admin:
    if not _USERNAME_RE.match((username or "").strip().lower()):
        raise NotFound("username", Message(N_("no admin %(username)s"), username=repr(username)))
    admin = session.scalar(select(Admin).where(Admin.username == (username or "").strip().lower()))
    if admin is None:
        raise NotFound("username", Message(N_("no admin %(username)s"), username=username))
    return admin


def create_admin(
    session: Session,
    actor: Actor,
    username: str,
    role,
    password: str,
    domain_names=(),
    all_domains: bool = False,
    password_confirm: str | None = None,
) -> Admin:
    # Accounts are a superadmin's alone (and nothing outranks a superadmin,
    # so there is no rank to compare): refused before any field is read.
    actor.require_superadmin()
    problems, role_, scoped, stored = FieldErrors(), None, [], None
    with problems.collect():
        username = parse_username(username)
    with problems.collect():
        role_ = parse_role(role)
    with problems.collect():
        scoped = _domains(session, domain_names)
    if role_ is not None and "domains" not in problems:
        with problems.collect():
            _check_scope(role_, scoped, bool(all_domains))
    with problems.collect():
        stored = _hash(password, username)
    check_confirmed(password, password_confirm, problems)
    problems.raise_any(N_("the account was not created: see the fields"))
    role = role_
    admin = Admin(
        username=username,
        role=role.value,
        password_hash=stored,
        domains=scoped,
        all_domains=bool(all_domains),
        active=True,
    )
    insert_unique(session, admin, "username", Message(N_("the admin %(username)s already exists"), username=username))
    audit.record(
        session, actor, "admin.create", username, role=role.value, domains=_scope_words(scoped, admin.all_domains)
    )
    return admin


def _scope_words(scoped: list[Domain], all_domains: bool) -> list[str]:
    return ["(all domains)"] if all_domains else [d.name for d in scoped]


def update_admin(
    session: Session,
    actor: Actor,
    admin: Admin,
    *,
    role=None,
    domain_names=None,
    all_domains: bool | None = None,
    active: bool | None = None,
) -> Admin:
    """Change an account's role, scope or state. Any such change ends the
    account's sessions (they were granted under the old rights), and
    disabling it also revokes its API tokens: enabling it again revives
    neither."""
    actor.require_superadmin()
    new_role = parse_role(role) if role is not None else Role(admin.role)
    scoped = _domains(session, domain_names) if domain_names is not None else list(admin.domains)
    everything = admin.all_domains if all_domains is None else bool(all_domains)
    if actor.admin_id == admin.id and (new_role is not Role(admin.role) or active is False):
        raise ServiceError("role", N_("you cannot demote or disable your own account"))
    if new_role is Role.SUPERADMIN:
        scoped, everything = [], False
    _check_scope(new_role, scoped, everything)
    changes, was = {}, {}
    if new_role.value != admin.role:
        was["role"] = admin.role
        admin.role = changes["role"] = new_role.value
    if {d.id for d in scoped} != {d.id for d in admin.domains} or everything != admin.all_domains:
        was["domains"] = _scope_words(list(admin.domains), admin.all_domains)
        admin.domains, admin.all_domains = scoped, everything
        changes["domains"] = _scope_words(scoped, everything)
    if active is not None and bool(active) != admin.active:
        was["active"] = admin.active
        admin.active = changes["active"] = bool(active)
        if not admin.active:
            changes["tokens_revoked"] = tokens.revoke_all(session, admin)
    if changes:
        changes["sessions_ended"] = web_sessions.end_all(session, admin.id)
        audit.record(session, actor, "admin.update", admin.username, **changes, was=was)
    return admin


def set_admin_password(
    session: Session, actor: Actor, admin: Admin, password, password_confirm: str | None = None
) -> Admin:
    """A superadmin resets anyone's password; anybody may change their own.
    Either way the account's other sessions end (someone who knew the old
    password may be signed in); changing one's own keeps the session in use.
    ``password`` is plain text or a :class:`passwords.Prepared` one."""
    own = actor.admin_id == admin.id
    if not own:
        actor.require_superadmin()
    problems, stored = FieldErrors(), None
    with problems.collect():
        stored = _hash(password, admin.username)
    check_confirmed(password, password_confirm, problems)
    problems.raise_any(N_("the password was not changed: see the fields"))
    admin.password_hash = stored
    admin.password_changed_at = utcnow()
    ended = web_sessions.end_all(session, admin.id, keep=actor.session_id if own else None)
    if not own:
        login_guard.clear_account_budget(session, admin.username)
    audit.record(session, actor, "admin.password", admin.username, sessions_ended=ended)
    return admin


def end_sessions(session: Session, actor: Actor, admin: Admin) -> int:
    """ "Sign out everywhere": one's own sessions, or (a superadmin) anyone's."""
    if actor.admin_id != admin.id:
        actor.require_superadmin()
    ended = web_sessions.end_all(session, admin.id)
    audit.record(session, actor, "admin.sessions_ended", admin.username, sessions_ended=ended)
    return ended


def bootstrap(session: Session, actor: Actor, username: str, password: str) -> Admin | None:
    """The first superadmin, only while there is no account at all (None
    when there is one)."""
    actor.require_superadmin()
    if session.scalar(select(Admin.id).limit(1)) is not None:
        return None
    return create_admin(session, actor, username, Role.SUPERADMIN, password)


def list_admins(session: Session, actor: Actor) -> list[Admin]:
    """Every account, by name (the CLI's list; the web pages it)."""
    actor.require_superadmin()
    return list(session.scalars(select(Admin).order_by(Admin.username)))
