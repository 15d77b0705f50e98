"""Who uses the panel: admin accounts with their domain scope, their API
tokens, and the state of logging in (sessions, throttles, second factors,
secrets waiting to be shown once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Role, utcnow
from .mail import Domain

admin_domains = Table(
    "admin_domains",
    Base.metadata,
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True),
    Column("domain_id", ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Admin(Base):
    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A domain admin's or helpdesk's scope: the listed domains, or every
    # domain when this is set. An empty list means no domain at all (never
    # "all": deleting someone's last domain must not widen their reach).
    all_domains: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # TOTP (RFC 6238): the secret is encrypted with a key derived from the
    # panel's SECRET_KEY (services.second_factor); set but not yet enabled
    # while an enrolment waits for its first code. ``totp_last_step`` is the
    # time step of the last accepted code: a code is accepted once.
    totp_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The pages' language they chose (panel.i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)

    domains: Mapped[list[Domain]] = relationship(secondary=admin_domains, order_by=Domain.name, lazy="selectin")

    __table_args__ = (CheckConstraint("role IN ('superadmin', 'domainadmin', 'helpdesk')", name="role_known"),)

    # The user protocol Flask-Login expects (kept here, without importing it).
    is_authenticated = True
    is_anonymous = False
    is_mailbox_user = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return str(self.id)

    @property
    def reaches_all_domains(self) -> bool:
        """A superadmin, or an explicit all-domains grant (the Actor's scope)."""
        return self.role == Role.SUPERADMIN.value or bool(self.all_domains)


class ApiToken(Base):
    """A bearer token for /api/v1; acts with its admin's role and domains.

    Only a SHA-256 digest is stored: tokens are 256-bit random strings, so a
    slow hash adds nothing, and lookup by digest stays an index probe.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, shown in lists so people can tell them apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    admin: Mapped[Admin] = relationship(lazy="joined", innerjoin=True)


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code (ten per
    enrolment); only a hash is stored, and a used code is spent."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    """A signed-in browser. The cookie carries a random token; only its
    SHA-256 digest is stored, so the table alone opens no session. Deleting
    the row ends the session at its next request (logout, a password change,
    disabling the account, "sign out everywhere")."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # Whose session: a panel account, or a mailbox's owner in the portal.
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True, nullable=True)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Written at most every few minutes (services.web_sessions.TOUCH_INTERVAL).
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    __table_args__ = (CheckConstraint("(admin_id IS NULL) <> (mailbox_id IS NULL)", name="one_principal"),)


class LoginThrottle(Base):
    """Failed logins per budget: ``u:<name>`` for an account tried from
    unknown browsers (known and unknown names alike), ``d:<id>`` for a
    browser that once signed in (its device cookie), ``a:<address>`` for a
    client address. See services.login_guard."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # Quiet budgets are purged by age.
    __table_args__ = (Index("ix_login_throttles_last_failure_at", "last_failure_at"),)


class RequestBudget(Base):
    """Anonymous requests per client address in a fixed window, for the
    endpoints anyone may call (``c:<address>``: mail client autoconfig and
    autodiscover). Kept in the database so every web worker counts on the
    same budget. See services.request_budget."""

    __tablename__ = "request_budgets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hits: Mapped[int] = mapped_column(Integer, default=0)

    # Budgets of past windows are purged by age.
    __table_args__ = (Index("ix_request_budgets_window_start", "window_start"),)


class OneTimeSecret(Base):
    """A secret (a generated password, a new token, recovery codes) waiting
    for its one display after a POST redirected to a GET. The payload is
    encrypted with a key that lives only in the owner's session cookie;
    the row is deleted when it is shown, or when its session ends."""

    __tablename__ = "one_time_secrets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    web_session_id: Mapped[int] = mapped_column(ForeignKey("web_sessions.id", ondelete="CASCADE"), index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
