"""Mail traffic counted from the logs (panel/services/traffic.py writes it).

- :class:`TrafficHour`: counts per hour (hours since the epoch, UTC) and
  domain; ``""`` is mail for or from domains the server does not host.
- :class:`TrafficTop`: per hour and domain, the most frequent reject
  reasons and SASL senders, at most a few names each (Space-Saving).
- :class:`TrafficLog`: where ingestion stopped in each log (inode, offset,
  hash of the first line), so a rotation is followed and no line is read
  twice; with the lifetime totals /metrics reports as counters.
- :class:`TrafficMessage`: messages still in the queue whose later lines
  will need their sender and the domains already counted as received.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..addresses import ADDRESS_MAX, DOMAIN_MAX
from .base import Base

TOP_NAME_MAX = 255


def _count() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


class TrafficHour(Base):
    __tablename__ = "traffic_hours"

    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(DOMAIN_MAX), primary_key=True)
    received: Mapped[int] = _count()
    delivered: Mapped[int] = _count()
    deferred: Mapped[int] = _count()
    bounced: Mapped[int] = _count()
    rejected: Mapped[int] = _count()
    sent: Mapped[int] = _count()
    imap_logins: Mapped[int] = _count()
    imap_failed: Mapped[int] = _count()
    pop3_logins: Mapped[int] = _count()
    pop3_failed: Mapped[int] = _count()
    smtp_failed: Mapped[int] = _count()  # failed SMTP AUTH (submission)

    # A domain admin's reads go by domain, then hour.
    __table_args__ = (Index("ix_traffic_hours_domain_hour", "domain", "hour"),)


class TrafficTop(Base):
    __tablename__ = "traffic_tops"

    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(DOMAIN_MAX), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(TOP_NAME_MAX), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("kind IN ('reject', 'sender')", name="kind_known"),)


class TrafficLog(Base):
    __tablename__ = "traffic_logs"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # "postfix", "dovecot"
    path: Mapped[str] = mapped_column(Text, default="")
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    head: Mapped[str] = mapped_column(String(64), default="")
    lines: Mapped[int] = mapped_column(BigInteger, default=0)  # read since the first run
    totals: Mapped[dict] = mapped_column(JSON, default=dict)  # counter -> lifetime count
    ingested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    missed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TrafficMessage(Base):
    __tablename__ = "traffic_messages"

    queue_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sender: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    received: Mapped[str] = mapped_column(Text, default="")  # domains, space-separated
    hour: Mapped[int] = mapped_column(Integer, index=True)
