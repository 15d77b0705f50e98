"""Who is acting, and what their role lets them touch.

Services take an Actor rather than an Admin row so the CLI (a trusted
operator), a web session and an API token are checked by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Admin, Role
from .errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    # None: every domain. A domain admin always has a set (maybe empty);
    # a helpdesk account without domains may search all of them.
    domain_ids: frozenset[int] | None = None
    remote_addr: str | None = None
    admin_id: int | None = None

    @classmethod
    def from_admin(cls, admin: Admin, remote_addr: str | None = None) -> "Actor":
        role = Role(admin.role)
        ids = frozenset(d.id for d in admin.domains)
        if role is Role.SUPERADMIN or (role is Role.HELPDESK and not ids):
            ids = None
        return cls(admin.username, role, ids, remote_addr, admin.id)

    @classmethod
    def system(cls, name: str = "cli") -> "Actor":
        """The operator at the server's shell: full rights."""
        return cls(name, Role.SUPERADMIN)

    @property
    def is_superadmin(self) -> bool:
        return self.role is Role.SUPERADMIN

    def sees_domain(self, domain_id: int) -> bool:
        return self.domain_ids is None or domain_id in self.domain_ids

    def require_superadmin(self) -> None:
        if not self.is_superadmin:
            raise Forbidden("only a superadmin may do this")

    def require_manage(self, domain_id: int) -> None:
        """Create/edit/delete mailboxes and aliases of a domain."""
        self.require_sight(domain_id)
        if self.role is Role.HELPDESK:
            raise Forbidden("you do not manage this domain")

    def require_password_reset(self, domain_id: int) -> None:
        self.require_sight(domain_id)

    def require_sight(self, domain_id: int) -> None:
        """A domain outside the actor's is missing, not forbidden: which
        other domains exist is not theirs to learn."""
        if not self.sees_domain(domain_id):
            raise NotFound(None, "there is no such thing in your domains")

    def outranked_by(self, role: Role) -> bool:
        return role.rank > self.role.rank
