"""The audit trail: one row per change, written in the change's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..addresses import ADDRESS_MAX
from .base import Base, utcnow


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
    # The domain the event concerns, for its admins' view (migration 0022);
    # an id, not a key: the trail outlives the domain.
    domain_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_audit_events_actor_at", "actor", "at"),
        Index("ix_audit_events_domain_at", "domain_id", "at"),
        # Pattern ops: the audit log's "prefix*" filters (migration 0010).
        Index("ix_audit_events_action_at", "action", "at", postgresql_ops={"action": "varchar_pattern_ops"}),
        Index("ix_audit_events_target_at", "target", "at", postgresql_ops={"target": "varchar_pattern_ops"}),
    )
