"""DKIM keys: one row per key of a hosted domain, named by its selector.

A key is ``published`` (its TXT record may be in DNS, nothing signs with
it), ``active`` (the one key the signer uses for the domain: at most one,
the partial unique index guarantees it) or ``retired`` (out of DNS; its
private key is wiped). The private key is for the signer only: nothing
shown in a page, an export, the API or the audit trail reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

STATES = ("published", "active", "retired")
ALGORITHMS = ("rsa", "ed25519")
SELECTOR_MAX = 63


class DkimKey(Base):
    __tablename__ = "dkim_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    selector: Mapped[str] = mapped_column(String(SELECTOR_MAX))
    algorithm: Mapped[str] = mapped_column(String(16))
    # PKCS#8 PEM; "" once retired.
    private_key: Mapped[str] = mapped_column(Text)
    # The p= of the TXT record: base64 of the DER SubjectPublicKeyInfo (RSA)
    # or of the 32 raw bytes (Ed25519, RFC 8463).
    public_key: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="published")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:  # never the private key, even in a traceback
        return f"<DkimKey {self.selector} {self.algorithm} {self.state}>"

    __table_args__ = (
        UniqueConstraint("domain_id", "selector"),
        CheckConstraint("state IN ('published', 'active', 'retired')", name="state_known"),
        CheckConstraint("algorithm IN ('rsa', 'ed25519')", name="algorithm_known"),
        # At most one signing key per domain, whatever races.
        Index(
            "uq_dkim_keys_one_active",
            "domain_id",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
    )
