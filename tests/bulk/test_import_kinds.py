"""Alias and alias domain rows in the CSV (``kind``, ``destinations``): the
export carries every mailbox, alias and alias domain and re-imports into an
empty database; a dry run lists what it would write and writes nothing; the
sample CSV imports; the new rows keep line-numbered, all-or-nothing errors."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from panel.bulk.csvfile import SAMPLE
from panel.bulk.exporter import export_csv
from panel.bulk.importer import PREVIEW
from panel.models import Alias, AliasDomain, AuditEvent, Domain, Mailbox
from panel.services import Actor, admins, aliases, domains, forwarding, lists, mailboxes
from tests.bulk.imports import do_import


def _world(session, actor):
    domains.create_domain(session, actor, "example.org", max_aliases=20)
    domains.create_domain(session, actor, "example.net")
    domains.create_domain(session, actor, "lists.org")  # aliases only, no mailbox
    mailboxes.create_mailbox(session, actor, "a@example.org", password="secret123", name='=Ann, "A"', quota="2G")
    mailboxes.create_mailbox(session, actor, "b@example.org", password="secret456", active=False)
    mailboxes.create_mailbox(session, actor, "c@example.net", password="secret789", quota=0)
    aliases.create_alias(session, actor, "info@example.org", ["a@example.org"])
    aliases.create_alias(session, actor, "team@example.org", ["b@example.org", "a@example.org", "x@gmail.com"])
    aliases.create_alias(session, actor, "@example.org", ["a@example.org"])  # catch-all to one mailbox
    aliases.create_alias(session, actor, "@example.net", ["a@example.org", "c@example.net"])
    aliases.create_alias(session, actor, "out@example.net", ["someone@gmail.com"], active=False)
    aliases.create_alias(session, actor, "all@lists.org", ["a@example.org", "c@example.net"])
    aliases.create_alias_domain(session, actor, "example.com", "example.org")
    aliases.create_alias_domain(session, actor, "example.info", "example.net", active=False)
    session.commit()


def _state(session) -> dict:
    boxes = select(Mailbox.address, Mailbox.name, Mailbox.password_hash, Mailbox.quota_bytes, Mailbox.active)
    return {
        "mailboxes": sorted(session.execute(boxes).all()),
        "aliases": sorted((a.address, tuple(d.destination for d in a.destinations), a.active) for a in _all(session)),
        "alias_domains": sorted(
            session.execute(select(AliasDomain.name, AliasDomain.target_name, AliasDomain.active)).all()
        ),
    }


def _all(session) -> list[Alias]:
    return list(session.scalars(select(Alias)))


def _empty(session, actor) -> None:
    """Everything gone, through the services (counters stay true)."""
    for alias_domain in session.scalars(select(AliasDomain)).all():
        aliases.delete_alias_domain(session, actor, alias_domain)
    for alias in _all(session):
        aliases.delete_alias(session, actor, alias)
    for box in session.scalars(select(Mailbox)).all():
        mailboxes.delete_mailbox(session, actor, box)
    session.flush()
    for domain in session.scalars(select(Domain)).all():
        session.refresh(domain)
        domains.delete_domain(session, actor, domain)
    session.commit()


def _counts(session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Domain, Mailbox, Alias, AliasDomain))


def _export(session, actor, domain=None) -> str:
    return "".join(export_csv(session, actor, domain))


def test_the_export_reimports_into_an_empty_database_with_every_mailbox_alias_and_alias_domain(session, actor):
    _world(session, actor)
    before, dump = _state(session), _export(session, actor)
    kinds = [(r["email"], r["kind"]) for r in csv.DictReader(io.StringIO(dump))]
    assert ("team@example.org", "alias") in kinds and ("example.com", "alias_domain") in kinds
    assert ("info@example.org", "alias") not in kinds  # it is a's aliases cell

    _empty(session, actor)
    assert _counts(session) == (0, 0, 0, 0)
    result = do_import(session, actor, dump, create_domains=True)
    assert result.ok, result.problems
    session.expire_all()
    assert _state(session) == before
    assert (result.created, result.aliases_created, result.alias_domains_created) == (3, 6, 2)
    assert sorted(result.domains_created) == ["example.net", "example.org", "lists.org"]
    # And once more: nothing to do.
    again = do_import(session, actor, dump, update=True)
    assert again.ok, again.problems
    assert (again.unchanged, again.aliases_unchanged, again.alias_domains_unchanged) == (3, 4, 2)
    assert (again.created, again.updated, again.aliases_created, again.alias_domains_created) == (0, 0, 0, 0)


def test_a_domain_export_holds_that_domains_aliases_and_alias_domains_only(session, actor):
    _world(session, actor)
    net = domains.get_domain(session, "example.net")
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(_export(session, actor, net)))}
    # A cell starting with @ is written '@ (CSV injection); the import takes the quote off.
    assert set(rows) == {"c@example.net", "'@example.net", "out@example.net", "example.info"}
    assert rows["'@example.net"]["destinations"] == "a@example.org c@example.net"
    assert (rows["out@example.net"]["active"], rows["example.info"]["active"]) == ("false", "false")
    coverage = lists.export_coverage(session, actor, net)
    assert (coverage.domain_count, coverage.mailboxes, coverage.aliases, coverage.alias_domains) == (1, 1, 2, 1)


def test_forwardings_are_left_out_and_the_coverage_says_so(session, actor):
    _world(session, actor)
    box = mailboxes.get_mailbox(session, actor, "c@example.net")
    forwarding.set_forwarding(session, actor, box, ["a@example.org"], keep_copy=False)
    session.commit()
    dump = _export(session, actor)
    assert [r for r in csv.DictReader(io.StringIO(dump)) if r["email"] == "c@example.net"][0]["kind"] == "mailbox"
    assert "c@example.net" not in [r["aliases"] for r in csv.DictReader(io.StringIO(dump))]
    coverage = lists.export_coverage(session, actor)
    assert (coverage.mailboxes, coverage.aliases, coverage.alias_domains, coverage.forwardings) == (3, 6, 2, 1)
    assert "not included: 1 mailbox forwarding and" in coverage.sentence()
    assert "3 domains (example.net, example.org, lists.org)" in coverage.sentence()


def test_dry_run_lists_the_first_rows_and_counts_the_rest_and_writes_nothing(session, actor):
    domains.create_domain(session, actor, "example.org")
    mailboxes.create_mailbox(session, actor, "kept@example.org", password="secret123", quota="1G")
    session.commit()
    lines = ["email,password,quota,aliases,kind,destinations"]
    lines += [f"u{n:03}@example.org,secret123,500M,,," for n in range(150)]
    lines += ["kept@example.org,,2G,,,", "team@example.org,,,,alias,u000@example.org u001@example.org"]
    counts, events = _counts(session), session.scalar(select(func.count()).select_from(AuditEvent))
    result = do_import(session, actor, "\n".join(lines) + "\n", dry_run=True, update=True)
    assert result.ok, result.problems
    assert len(result.preview) == PREVIEW and result.preview_more == 152 - PREVIEW
    first = result.preview[0]
    assert (first.line, first.kind, first.address, first.action) == (2, "mailbox", "u000@example.org", "create")
    assert first.detail == "quota 500M, password given"
    assert (_counts(session), session.scalar(select(func.count()).select_from(AuditEvent))) == (counts, events)
    assert mailboxes.get_mailbox(session, actor, "kept@example.org").quota_bytes == 1024**3


def test_dry_run_describes_updates_aliases_and_alias_domains(session, actor):
    domains.create_domain(session, actor, "example.org")
    mailboxes.create_mailbox(session, actor, "kept@example.org", password="secret123", quota="1G")
    session.commit()
    data = (
        "email,quota,active,kind,destinations\nkept@example.org,2G,no,,\n"
        "team@example.org,,no,alias,kept@example.org x@gmail.com\nexample.com,,,alias_domain,example.org\n"
    )
    result = do_import(session, actor, data, dry_run=True, update=True)
    assert [(r.address, r.action, r.detail) for r in result.preview] == [
        ("kept@example.org", "update", "quota 1G → 2G, disabled"),
        ("team@example.org", "create", "delivers to kept@example.org, x@gmail.com, disabled"),
        ("example.com", "create", "alias domain of example.org"),
    ]
    assert _counts(session) == (1, 1, 0, 0)


def test_the_sample_csv_imports_cleanly(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    result = do_import(session, actor, SAMPLE)
    assert result.ok, result.problems
    assert (result.created, result.aliases_created, result.alias_domains_created) == (2, 4, 1)
    assert len(result.generated) == 1 and result.generated[0][0] == "ben@example.org"
    team = aliases.get_alias(session, actor, "team@example.org")
    assert [d.destination for d in team.destinations] == ["anna@example.org", "ben@example.org"]


def test_bad_alias_rows_are_each_reported_by_line_and_nothing_is_written(session, actor):
    domains.create_domain(session, actor, "example.org")
    mailboxes.create_mailbox(session, actor, "a@example.org", password="secret123")
    aliases.create_alias(session, actor, "old@example.org", ["a@example.org"])
    session.commit()
    data = (
        "email,name,kind,destinations\n"
        "new@example.org,,,\n"
        "x@example.org,,list,a@example.org\n"
        "y@example.org,Y,alias,a@example.org\n"
        "z@example.org,,alias,nowhere\n"
        "self@example.org,,alias,self@example.org\n"
        "old@example.org,,alias,new@example.org\n"
        "a@example.org,,alias,new@example.org\n"
        "b@example.org,,,a@example.org\n"
        "example.com,,alias_domain,nowhere.org\n"
        "example.org,,alias_domain,example.org\n"
    )
    before = _counts(session)
    result = do_import(session, actor, data)
    assert result.problems == [
        "line 3: kind: 'list' is not mailbox, alias or alias_domain",
        "line 4: name: an alias row has no name; leave it empty",
        "line 5: destinations: nowhere: an address needs exactly one @",
        "line 6: destinations: an alias cannot point only to itself",
        "line 7: email: the alias old@example.org already exists (use --update to change it)",
        "line 8: email: a@example.org is a mailbox (its forwarding is set on the mailbox)",
        "line 9: destinations: only alias and alias_domain rows have destinations "
        "(a mailbox's own aliases go in the aliases column)",
        "line 10: destinations: the domain nowhere.org is not hosted here (use --create-domains to add it)",
        "line 11: email: an alias domain cannot point to itself",
    ]
    assert _counts(session) == before


def test_a_domain_admin_import_with_another_tenants_alias_is_refused_whole(session, actor):
    domains.create_domain(session, actor, "example.org")
    domains.create_domain(session, actor, "other.org")
    dora = Actor.from_admin(admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"]))
    session.commit()
    data = (
        "email,password,kind,destinations\nnew@example.org,secret123,,\n"
        "spy@other.org,,alias,new@example.org\nexample.com,,alias_domain,example.org\n"
    )
    result = do_import(session, dora, data)
    assert result.problems == [
        "line 3: email: other.org is not one of your domains",
        "line 4: email: only a superadmin may add an alias domain",
    ]
    assert _counts(session) == (2, 0, 0, 0)


def test_a_domain_admin_reimports_its_own_export_with_its_alias_domain(session, actor):
    _world(session, actor)
    org = domains.get_domain(session, "example.org")
    dora = Actor.from_admin(admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"]))
    session.commit()
    dump = _export(session, dora)
    assert "example.com" in dump and "example.info" not in dump and "c@example.net" not in dump
    result = do_import(session, dora, dump, update=True)
    assert result.ok, result.problems
    assert (result.updated, result.aliases_updated, result.alias_domains_updated) == (0, 0, 0)
    assert lists.export_coverage(session, dora).domains == [org.name]
