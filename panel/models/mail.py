"""What the mail servers serve: domains, mailboxes, aliases, alias domains
and the usage Dovecot writes back. Postfix and Dovecot never read these
tables directly; they read the ``mailserver_*`` views created by the
migrations (see panel/mailserver/queries/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..addresses import ADDRESS_MAX, DOMAIN_MAX
from .base import Base, utcnow


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
    # What its mailbox users may do themselves in the portal (/me/): change
    # their password (off: "passwords are handled centrally"), and forward
    # to addresses outside the hosted domains (off by default: forwarding is
    # how a hijacked account leaks mail).
    users_change_password: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    users_forward_outside: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("max_mailboxes >= 0", name="max_mailboxes_nonneg"),
        CheckConstraint("max_aliases >= 0", name="max_aliases_nonneg"),
        CheckConstraint("max_quota_bytes >= 0", name="max_quota_nonneg"),
        CheckConstraint("total_quota_bytes >= 0", name="total_quota_nonneg"),
        CheckConstraint("default_quota_bytes >= 0", name="default_quota_nonneg"),
    )


# The dashboard's largest domains, in the query's order (count descending,
# name ascending): ten index entries read, however many domains tie.
Index("ix_domains_by_size", Domain.mailbox_count.desc(), Domain.name)


class DomainName(Base):
    """Every name the server hosts, as a domain or as an alias domain: one
    namespace. Rows are written by triggers on ``domains`` and
    ``alias_domains`` (migration 0011), so the primary key refuses a name
    that is both, whichever transaction commits second, and whoever writes
    the tables (panel, raw SQL)."""

    __tablename__ = "domain_names"

    name: Mapped[str] = mapped_column(String(DOMAIN_MAX), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))

    __table_args__ = (CheckConstraint("kind IN ('domain', 'alias')", name="kind_known"),)


class Mailbox(Base):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="RESTRICT"))
    local_part: Mapped[str] = mapped_column(String(64))
    # Unique through uq_mailboxes_address below (an index that also covers
    # what Postfix filters on: the flag and the domain's id).
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    quota_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Relative to MAIL_ROOT; chosen at creation and never changed, so a
    # rename never orphans the mail on disk.
    maildir: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The portal's language the owner chose (panel.i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # What the panel's search matches (case folded once, on write; the
    # newline keeps a needle from spanning address and name). Kept by the
    # database (migration 0009), so raw-SQL writers cannot forget it.
    search_text: Mapped[str] = mapped_column(
        Text, Computed("lower(address || '\n' || name)", persisted=True), deferred=True
    )

    domain: Mapped[Domain] = relationship(lazy="joined", innerjoin=True)

    # The user protocol Flask-Login expects: a mailbox's owner signs in to
    # the portal (/me/) with the address and the mailbox password.
    is_authenticated = True
    is_anonymous = False
    is_mailbox_user = True
    role = "mailbox"  # models.Role.MAILBOX: what the web's access rules see

    @property
    def is_active(self) -> bool:
        # The domain's own flag: the one the mail servers read (migration 0025).
        return bool(self.active and self.domain.active)

    @property
    def username(self) -> str:
        return self.address

    def get_id(self) -> str:
        return f"m:{self.id}"

    __table_args__ = (
        UniqueConstraint("domain_id", "local_part"),
        CheckConstraint("quota_bytes >= 0", name="quota_nonneg"),
        # The panel's "sort by last change" keyset pages.
        Index("ix_mailboxes_domain_updated", "domain_id", "updated_at", "id"),
        # A domain's disabled mailboxes by address (the list's state filter):
        # partial, so it holds only the few disabled ones (migration 0021).
        Index(
            "ix_mailboxes_domain_disabled",
            "domain_id",
            "local_part",
            postgresql_where=text("NOT active"),
            sqlite_where=text("active = 0"),  # as SQLAlchemy writes NOT active there
        ),
        # On PostgreSQL: Postfix's mailbox lookups are index-only scans (the
        # flag, and domain_id for the domain's own flag: migration 0025), and
        # the panel's search walks it in address order filtering on the index
        # alone (domain_id, search_text); see migration 0009.
        Index(
            "uq_mailboxes_address",
            "address",
            unique=True,
            postgresql_include=["active", "domain_id", "search_text"],
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
    # A copy for the one-table Postfix lookup: the destinations joined with
    # commas, which Postfix reads as a list. Kept by services.aliases.
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
    # A copy of the target's name (domains are never renamed), for the
    # one-table Postfix lookup; kept by the services.
    target_name: Mapped[str] = mapped_column(String(DOMAIN_MAX), default="", server_default="")
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
