"""Streaming CSV export: the importer's columns, never the whole table in memory.

Rows come from a server-side cursor (``yield_per``) in chunks; each chunk
fetches its aliases with two indexed queries. Plain passwords are never
known; ``password_hash`` is exported for superadmins only. Cells that a
spreadsheet would run as a formula get a leading ``'`` (the importer takes it
off again), so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Alias, AliasDestination, Domain, Mailbox
from ..services import Actor
from .csvfile import FORMULA_STARTS

CHUNK = 1000


def columns_for(actor: Actor) -> list[str]:
    base = ["email", "name", "quota", "active", "aliases"]
    return base[:2] + ["password_hash"] + base[2:] if actor.is_superadmin else base


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def streamed_export(actor: Actor, domain: Domain | None = None) -> Iterator[str]:
    """For a streamed HTTP response (inside ``stream_with_context``): the
    request's session is closed when the view returns, so the stream takes
    the session of the context it runs in, which is closed when it ends."""
    from ..db import get_session

    yield from export_csv(get_session(), actor, domain)


def export_csv(session: Session, actor: Actor, domain: Domain | None = None) -> Iterator[str]:
    """Yield the CSV text piece by piece (header first)."""
    columns = columns_for(actor)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for chunk in _mailbox_chunks(session, actor, domain):
        alias_map = _single_destination_aliases(session, actor, [row.address for row in chunk])
        for row in chunk:
            values = {
                "email": row.address,
                "name": row.name,
                "password_hash": row.password_hash,
                "quota": str(row.quota_bytes),
                "active": "true" if row.active else "false",
                "aliases": " ".join(alias_map.get(row.address, [])),
            }
            writer.writerow([neutralise(values[c]) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
    else:
        yield ""


def _mailbox_chunks(session: Session, actor: Actor, domain: Domain | None):
    query = (
        select(Mailbox.address, Mailbox.name, Mailbox.password_hash, Mailbox.quota_bytes, Mailbox.active)
        .join(Domain, Domain.id == Mailbox.domain_id)
        .order_by(Domain.name, Mailbox.local_part)
    )
    if domain is not None:
        query = query.where(Mailbox.domain_id == domain.id)
    if actor.domain_ids is not None:
        query = query.where(Mailbox.domain_id.in_(actor.domain_ids))
    result = session.execute(query.execution_options(yield_per=CHUNK))
    for partition in result.partitions():
        yield partition


def _single_destination_aliases(session: Session, actor: Actor, addresses: list[str]) -> dict[str, list[str]]:
    """Aliases of the actor's domains whose only destination is one of these
    mailboxes: exactly what the ``aliases`` column can express. Another
    tenant's alias may point here too; it is theirs (and would not re-import)."""
    if not addresses:
        return {}
    pointing = session.execute(
        select(AliasDestination.alias_id, AliasDestination.destination).where(
            AliasDestination.destination.in_(addresses)
        )
    ).all()
    if not pointing:
        return {}
    ids = [alias_id for alias_id, _ in pointing]
    single = set(
        session.scalars(
            select(AliasDestination.alias_id)
            .where(AliasDestination.alias_id.in_(ids))
            .group_by(AliasDestination.alias_id)
            .having(func.count() == 1)
        )
    )
    scope = [] if actor.domain_ids is None else [Alias.domain_id.in_(actor.domain_ids)]
    query = select(Alias.id, Alias.address).where(Alias.id.in_(single), *scope)
    names = dict(session.execute(query).all()) if single else {}
    found: dict[str, list[str]] = {}
    for alias_id, destination in pointing:
        if alias_id in names:
            found.setdefault(destination, []).append(names[alias_id])
    for value in found.values():
        value.sort()
    return found
