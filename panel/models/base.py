"""What every table shares: the declarative base with stable constraint
names, UTC timestamps, and the roles of panel accounts."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations on PostgreSQL and SQLite agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: everything is stored in UTC,
    but SQLite hands it back naive."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def utc_iso(value: datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC with its zone, to the second:
    ``2026-12-03T14:05:09Z`` (the API's and the CSV exports' form)."""
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(str, enum.Enum):
    # Lowest first. Only a superadmin manages accounts, so no rank is compared.
    # MAILBOX is a mailbox's owner in the portal (/me/), never an admin account.
    MAILBOX = "mailbox"
    HELPDESK = "helpdesk"
    DOMAINADMIN = "domainadmin"
    SUPERADMIN = "superadmin"

    @classmethod
    def admin_roles(cls) -> tuple[Role, ...]:
        """The roles an admin account may have, lowest first."""
        return (cls.HELPDESK, cls.DOMAINADMIN, cls.SUPERADMIN)


# The role sets every access rule is written with (web @allow, API
# @token_required): one home, so the web and the API cannot drift apart.
ALL_ROLES = (Role.SUPERADMIN, Role.DOMAINADMIN, Role.HELPDESK)  # every admin account
MANAGERS = (Role.SUPERADMIN, Role.DOMAINADMIN)  # who manage a domain's mailboxes and aliases
