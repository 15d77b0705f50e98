"""Writing rows whose uniqueness the database guarantees."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict


def insert_unique(session: Session, row, field: str, duplicate_message: str) -> None:
    """Add and flush in a savepoint, turning a unique violation into a
    Conflict; a racing duplicate then fails cleanly and the caller's
    transaction stays usable."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(field, duplicate_message) from None
