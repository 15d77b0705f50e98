"""Who is acting, and what their role lets them touch.

Services take an Actor rather than an Admin row so the CLI (a trusted
operator), a web session and an API token are checked by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import MANAGERS, Admin, Role
from .errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    # None: every domain (a superadmin, or an explicit "all domains"
    # grant). Otherwise exactly these domains; an empty set means none.
    domain_ids: frozenset[int] | None = frozenset()
    remote_addr: str | None = None
    admin_id: int | None = None
    # The web session acting (web_sessions.id): a password change ends the
    # account's other sessions and keeps this one.
    session_id: int | None = None
    # A mailbox's owner in the portal (role MAILBOX, no domain at all):
    # only services.mailbox_access lets it act, on its own mailbox.
    mailbox_id: int | None = None

    @classmethod
    def from_admin(cls, admin: Admin, remote_addr: str | None = None, session_id: int | None = None) -> Actor:
        role = Role(admin.role)
        ids = None if admin.reaches_all_domains else frozenset(d.id for d in admin.domains)
        return cls(admin.username, role, ids, remote_addr, admin.id, session_id)

    @classmethod
    def from_mailbox(cls, mailbox, remote_addr: str | None = None, session_id: int | None = None) -> Actor:
        return cls(mailbox.address, Role.MAILBOX, frozenset(), remote_addr, None, session_id, mailbox.id)

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        """The operator at the server's shell: full rights."""
        return cls(name, Role.SUPERADMIN, None)

    @property
    def is_superadmin(self) -> bool:
        return self.role is Role.SUPERADMIN

    def sees_domain(self, domain_id: int) -> bool:
        return self.domain_ids is None or domain_id in self.domain_ids

    def require_superadmin(self) -> None:
        if not self.is_superadmin:
            raise Forbidden("only a superadmin may do this")

    # may_*: the rules as questions, for pages deciding which links and
    # buttons to show; require_* below raise on the same answers.
    def may_manage(self, domain_id: int | None = None) -> bool:
        """Create/edit/delete mailboxes and aliases (of that domain)."""
        return self.role in MANAGERS and (domain_id is None or self.sees_domain(domain_id))

    def may_reset_password(self, domain_id: int | None = None) -> bool:
        return self.role is not Role.MAILBOX and (domain_id is None or self.sees_domain(domain_id))

    def require_manager(self, why: str = "only the domain's admins may do this") -> None:
        """A superadmin or a domain admin: who lists a domain's contents (the
        helpdesk finds one mailbox; a mailbox sees itself)."""
        if not self.may_manage():
            raise Forbidden(why)

    def require_manage(self, domain_id: int) -> None:
        self.require_sight(domain_id)
        if not self.may_manage(domain_id):
            raise Forbidden("you do not manage this domain")

    def require_password_reset(self, domain_id: int) -> None:
        self.require_sight(domain_id)
        if not self.may_reset_password(domain_id):
            raise Forbidden("only staff reset passwords here")

    def require_sight(self, domain_id: int) -> None:
        """A domain outside the actor's is missing, not forbidden: which
        other domains exist is not theirs to learn."""
        if not self.sees_domain(domain_id):
            raise NotFound(None, "there is no such thing in your domains")
