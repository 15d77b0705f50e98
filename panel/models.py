"""The data model. Plain data: no I/O, no rules (those live in services).

Postfix and Dovecot never read these tables directly; they read the
``mailserver_*`` views created by the migrations (see panel/mailserver/queries/).
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations on PostgreSQL and SQLite agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# RFC 5321: 64 octets local part, 255 domain; a path is at most 254.
ADDRESS_MAX = 254
DOMAIN_MAX = 253


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime: everything is stored in UTC,
    but SQLite hands it back naive."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(str, enum.Enum):
    # Ordered by rank: an actor never manages an account that outranks them.
    HELPDESK = "helpdesk"
    DOMAINADMIN = "domainadmin"
    SUPERADMIN = "superadmin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DOMAIN_MAX), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Limits; 0 means unlimited.
    max_mailboxes: Mapped[int] = mapped_column(Integer, default=0)
    max_aliases: Mapped[int] = mapped_column(Integer, default=0)
    max_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    total_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    default_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Counters kept by the write path: limits are checked with a conditional
    # UPDATE on them (race-safe), and lists never count(*) per domain.
    mailbox_count: Mapped[int] = mapped_column(Integer, default=0)
    alias_count: Mapped[int] = mapped_column(Integer, default=0)
    quota_allocated_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Stored mail of the domain's mailboxes: kept by a trigger on quota_usage
    # (migration 0007), which Dovecot's quota_clone writes; never by Python.
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    used_messages: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("max_mailboxes >= 0", name="max_mailboxes_nonneg"),
        CheckConstraint("max_aliases >= 0", name="max_aliases_nonneg"),
        CheckConstraint("max_quota_bytes >= 0", name="max_quota_nonneg"),
        CheckConstraint("total_quota_bytes >= 0", name="total_quota_nonneg"),
        CheckConstraint("default_quota_bytes >= 0", name="default_quota_nonneg"),
        Index("ix_domains_mailbox_count", "mailbox_count"),
    )


class Mailbox(Base):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"))
    local_part: Mapped[str] = mapped_column(String(64))
    # Unique through uq_mailboxes_address below (an index that also covers
    # the flags Postfix filters on).
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    quota_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A copy of domains.active, kept by services.domains.set_domain_active, so
    # the mail servers' lookups read one table (PostgreSQL plans every
    # Postfix query afresh and a join costs more to plan than to run).
    domain_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Relative to MAIL_ROOT; chosen at creation and never changed, so a
    # rename never orphans the mail on disk.
    maildir: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the panel's search matches (case folded once, on write; the
    # newline keeps a needle from spanning address and name). Kept by the
    # database (migration 0009), so raw-SQL writers cannot forget it.
    search_text: Mapped[str] = mapped_column(
        Text, Computed("lower(address || '\n' || name)", persisted=True), deferred=True
    )

    domain: Mapped[Domain] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("domain_id", "local_part"),
        CheckConstraint("quota_bytes >= 0", name="quota_nonneg"),
        # The panel's "sort by last change" keyset pages.
        Index("ix_mailboxes_domain_updated", "domain_id", "updated_at", "id"),
        # On PostgreSQL: Postfix's mailbox lookups are index-only scans (the
        # flags), and the panel's search walks it in address order filtering
        # on the index alone (domain_id, search_text); see migration 0009.
        Index(
            "uq_mailboxes_address",
            "address",
            unique=True,
            postgresql_include=["active", "domain_active", "domain_id", "search_text"],
        ),
    )


class Alias(Base):
    """An address (``user@domain``, or ``@domain`` for a catch-all) with
    one row per destination in :class:`AliasDestination`."""

    __tablename__ = "aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copies for the one-table Postfix lookup (see Mailbox.domain_active):
    # the domain's flag, and the destinations joined with commas, which
    # Postfix reads as a list. Kept by services.aliases.
    domain_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    goto: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    domain: Mapped[Domain] = relationship(lazy="joined", innerjoin=True)
    destinations: Mapped[list["AliasDestination"]] = relationship(
        cascade="all, delete-orphan", order_by="AliasDestination.id", lazy="selectin"
    )

    __table_args__ = (Index("ix_aliases_domain_address", "domain_id", "address"),)

    @property
    def is_catchall(self) -> bool:
        return self.address.startswith("@")


class AliasDestination(Base):
    __tablename__ = "alias_destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias_id: Mapped[int] = mapped_column(ForeignKey("aliases.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(String(ADDRESS_MAX))

    __table_args__ = (
        UniqueConstraint("alias_id", "destination"),
        # "Which aliases deliver to these mailboxes?" (the CSV export's aliases column).
        Index("ix_alias_destinations_destination", "destination"),
    )


class AliasDomain(Base):
    """``x@name`` is delivered as ``x@target`` when that address exists."""

    __tablename__ = "alias_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DOMAIN_MAX), unique=True)
    target_domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copies of the target's name (domains are never renamed) and active
    # flag, for the one-table Postfix lookup; kept by the services.
    target_name: Mapped[str] = mapped_column(String(DOMAIN_MAX), default="", server_default="")
    target_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    target: Mapped[Domain] = relationship(lazy="joined", innerjoin=True)


class QuotaUsage(Base):
    """Written by Dovecot's quota_clone plugin (dict-sql); read by the panel.

    Keyed by address because that is the key Dovecot's dict uses.
    """

    __tablename__ = "quota_usage"

    username: Mapped[str] = mapped_column(String(ADDRESS_MAX), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    messages: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    # The dashboard reads the largest usages first.
    # The "by usage" pages walk (bytes, username) backwards as their keyset
    # order (ties, such as every empty mailbox's 0, need the username).
    __table_args__ = (Index("ix_quota_usage_bytes", "bytes", "username"),)


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
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    domains: Mapped[list[Domain]] = relationship(secondary=admin_domains, order_by=Domain.name, lazy="selectin")

    __table_args__ = (CheckConstraint("role IN ('superadmin', 'domainadmin', 'helpdesk')", name="role_known"),)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    # The user protocol Flask-Login expects (kept here, without importing it).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return str(self.id)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # The actor's name, not a key: the trail outlives deleted admins.
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(ADDRESS_MAX + 1))
    details: Mapped[str] = mapped_column(Text, default="{}")
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_audit_events_actor_at", "actor", "at"),
        # Pattern ops: the audit log's "prefix*" filters (migration 0010).
        Index("ix_audit_events_action_at", "action", "at", postgresql_ops={"action": "varchar_pattern_ops"}),
        Index("ix_audit_events_target_at", "target", "at", postgresql_ops={"target": "varchar_pattern_ops"}),
    )


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


class LoginThrottle(Base):
    """Failed panel logins per client address (per account: Admin.failed_logins)."""

    __tablename__ = "login_throttles"

    remote_addr: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
