"""The importer run the way its callers run it, and row counts, for the bulk tests."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from panel.bulk.importer import Options, run_import
from panel.models import Alias, Mailbox


def do_import(session, actor, data: bytes | str, **options):
    """Import like the CLI does: commit on success, roll back otherwise."""
    if isinstance(data, str):
        data = data.encode()
    result = run_import(session, actor, io.BytesIO(data), Options(**options))
    if result.ok and not result.dry_run:
        session.commit()
    else:
        session.rollback()
    return result


def mailbox_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Mailbox))


def alias_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Alias))
