"""A domain admin's export holds its own domains' data only: another
tenant's alias that points at one of its mailboxes is the other tenant's."""

from __future__ import annotations

import csv
import io

from panel.bulk.exporter import export_csv
from panel.services import Actor, admins, aliases, domains, mailboxes
from tests.bulk.imports import do_import


def _rows(session, actor) -> dict[str, dict]:
    text = "".join(export_csv(session, actor))
    return {row["email"]: row for row in csv.DictReader(io.StringIO(text))}


def test_export_lists_only_aliases_of_the_actors_domains_and_reimports(session, actor):
    domains.create_domain(session, actor, "example.org")
    domains.create_domain(session, actor, "other.org")
    mailboxes.create_mailbox(session, actor, "alice@example.org", password="secret123")
    aliases.create_alias(session, actor, "info@example.org", ["alice@example.org"])
    aliases.create_alias(session, actor, "spy@other.org", ["alice@example.org"])  # the other tenant's
    dora = Actor.from_admin(admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"]))
    session.commit()
    theirs = _rows(session, dora)
    assert theirs["alice@example.org"]["aliases"] == "info@example.org"
    assert _rows(session, actor)["alice@example.org"]["aliases"] == "info@example.org spy@other.org"
    # What it exported, it can import back unchanged.
    export = "".join(export_csv(session, dora))
    result = do_import(session, dora, export, update=True)
    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
