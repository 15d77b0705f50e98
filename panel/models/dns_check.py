"""The last live check of a domain's DNS records: one row per domain,
replaced by each check. The domain list joins it on the domain's id to mark
a domain whose records are wrong, so ``problems`` is a column, not something
to count out of ``results`` per row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DnsCheck(Base):
    __tablename__ = "dns_checks"

    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Records found missing or wrong (0: all published as they should be).
    problems: Mapped[int] = mapped_column(Integer)
    # One object per record: record, name, status, reason (English), found, and the reason's
    # template and values for the page to translate it (services.dns_rules.Finding.as_dict).
    results: Mapped[list] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<DnsCheck {self.domain_id} {self.problems} problems>"
