"""What a mailbox's owner sets for themselves (and admins for them): an
out-of-office reply, app passwords, and the last login Dovecot reports.

Forwarding has no table of its own: it is an alias on the mailbox's own
address (services.forwarding)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..addresses import ADDRESS_MAX
from .base import Base, utcnow


class Vacation(Base):
    """An out-of-office reply. The services write the Sieve script it
    becomes (``script``, every string escaped) and its id (a digest of the
    text, so Pigeonhole recompiles when the text changes); Dovecot reads
    both through the dict service (view ``mailserver_sieve_scripts``)."""

    __tablename__ = "vacations"

    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Inclusive, in UTC; None: from now on / until switched off.
    first_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    # At most one reply per sender in this many days.
    interval_days: Mapped[int] = mapped_column(Integer, default=7)
    script: Mapped[str] = mapped_column(Text, default="")
    script_id: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("interval_days BETWEEN 1 AND 365", name="interval_sane"),)


class AppPassword(Base):
    """A password for one mail client, valid for chosen protocols.

    The secret is ``<id>-<random>``: the login query finds the one row by
    the id in front (Dovecot's SQL passdb fails a lookup that returns more
    than one row) and Dovecot checks the whole text against ``secret_hash``
    with its own schemes. The random part has 128 bits or more, so a fast
    salted hash is enough (as for API tokens); SQL does no hashing, which
    is what lets the same query run on SQLite."""

    __tablename__ = "app_passwords"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(255))
    # Comma-framed service names as Dovecot's %s gives them: ",imap,pop3,smtp,".
    protocols: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LastLogin(Base):
    """Written by Dovecot's last_login plugin through the dict service (key
    ``last-login/<address>/<via>``, an upsert on both): the Unix time of the
    last IMAP or POP3 login of an address with its main password (``via`` =
    "main") or with one of its app passwords (``via`` = its id)."""

    __tablename__ = "last_logins"

    username: Mapped[str] = mapped_column(String(ADDRESS_MAX), primary_key=True)
    via: Mapped[str] = mapped_column(String(24), primary_key=True)
    last_login: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    # "Not used for 90 days": the mailbox list filters and sorts by it.
    __table_args__ = (Index("ix_last_logins_last_login", "last_login"),)
