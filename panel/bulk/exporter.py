"""Streaming CSV export: the importer's columns, never the whole table in memory.

Rows come in chunks from the services' scoped reads
(:mod:`panel.services.lists.export`: a server-side cursor whose rows carry
their aliases, so no query per chunk). First the mailboxes (``kind`` mailbox,
with the aliases that deliver to that mailbox alone in ``aliases``), then
every other alias (``kind`` alias: several destinations, one outside the
export, a catch-all to another domain) and the alias domains (``kind``
alias_domain, the target domain in ``destinations``). Plain passwords are never
known; ``password_hash`` is exported for superadmins only. Cells that a
spreadsheet would run as a formula get a leading ``'`` (the importer takes it
off again), so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy.orm import Session

from ..models import Domain
from ..services import Actor, lists
from .csvfile import FORMULA_STARTS


def columns_for(actor: Actor) -> list[str]:
    base = ["email", "name", "quota", "active", "aliases", "kind", "destinations"]
    return base[:2] + ["password_hash"] + base[2:] if actor.is_superadmin else base


def _flag(active: bool) -> str:
    return "true" if active else "false"


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
    blank = dict.fromkeys(columns, "")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    def write(values: dict) -> None:
        writer.writerow([neutralise((blank | values)[c]) for c in columns])

    superadmin = actor.is_superadmin
    for chunk in lists.export_chunks(session, actor, domain):
        rows = []
        for address, name, password_hash, quota, active, aliases in chunk:
            # The importer's columns, in columns_for()'s order.
            # Only the stored text can start like a formula (a catch-all
            # "@example.org" in aliases, say); the rest is written here.
            if aliases and " " in aliases:
                aliases = " ".join(sorted(aliases.split(" ")))
            text = [neutralise(address), neutralise(name)]
            if superadmin:
                text.append(neutralise(password_hash))
            rows.append(text + [str(quota), _flag(active), neutralise(aliases or ""), "mailbox", ""])
        writer.writerows(rows)
        yield flush()
    for chunk in lists.export_alias_chunks(session, actor, domain):
        for address, goto, active in chunk:
            write({"email": address, "kind": "alias", "active": _flag(active), "destinations": goto.replace(",", " ")})
        yield flush()
    for name, target, active in lists.export_alias_domains(session, actor, domain):
        write({"email": name, "kind": "alias_domain", "active": _flag(active), "destinations": target})
    yield flush()
