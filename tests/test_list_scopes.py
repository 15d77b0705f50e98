"""Every scoped read of panel/services/lists asked by each role directly:
which tenants' rows come back, or a refusal. The pages and the API refuse
some of these people earlier (@allow, token rules), so only this table
notices a read that forgets its scope (tests/mutation/run.py).

A row names the domains whose rows the read returned (an alias's, a
mailbox's, an alias domain's target); "rows" stands for an unscoped list
that is not about domains (accounts, audit events)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.models import Domain, Mailbox, QuotaUsage
from panel.services import Actor, admins, aliases, lists
from panel.services.errors import Forbidden, NotFound
from tests.helpers import USERS

EX, OT = "example.org", "other.org"
BOTH = {EX, OT}
REFUSED = "refused"
ROLES = ("superadmin", "domainadmin", "other_domainadmin", "helpdesk", "mailbox")


def _domain(s, name):
    return s.scalar(select(Domain).where(Domain.name == name))


def _of(addresses) -> set[str]:
    return {a.rpartition("@")[2] for a in addresses}


READS = {
    # read: (how to ask, expected per role in ROLES order)
    "alias_page": (
        lambda s, a: _of(r[0].address for r in lists.alias_page(s, a, _domain(s, EX)).rows),
        ({EX}, {EX}, REFUSED, REFUSED, REFUSED),
    ),
    "alias_domains_of": (
        lambda s, a: {EX for _ in lists.alias_domains_of(s, a, _domain(s, EX))},
        ({EX}, {EX}, REFUSED, REFUSED, REFUSED),
    ),
    "api_aliases": (
        lambda s, a: _of(r.address for r in lists.api_aliases(s, a, None, 100)),
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "api_alias_domains": (
        lambda s, a: {r.target.name for r in lists.api_alias_domains(s, a, None, 100)},
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "admin_page": (
        lambda s, a: {"rows"} if lists.admin_page(s, a).rows else set(),
        ({"rows"}, REFUSED, REFUSED, REFUSED, REFUSED),
    ),
    "audit_page": (
        lambda s, a: {"rows"} if lists.audit_page(s, a, lists.AuditFilter()).rows else set(),
        ({"rows"}, REFUSED, REFUSED, REFUSED, REFUSED),
    ),
    "recent_events": (
        # Whose domain each event concerns ("-": none, e.g. an admin created).
        lambda s, a: {s.get(Domain, e.domain_id).name if e.domain_id else "-" for e in lists.recent_events(s, a, 100)},
        (BOTH | {"-"}, {EX}, {OT}, set(), set()),
    ),
    "domain_page": (
        lambda s, a: {r[0].name for r in lists.domain_page(s, a).rows},
        (BOTH, {EX}, {OT}, REFUSED, set()),
    ),
    "all_domains": (
        lambda s, a: {d.name for d in lists.all_domains(s, a)},
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "domain_totals": (
        lambda s, a: {f"{lists.domain_totals(s, a)['domains']} domains"},
        ({"2 domains"}, {"1 domains"}, {"1 domains"}, {"1 domains"}, {"0 domains"}),
    ),
    "largest_domains": (
        lambda s, a: {d.name for d in lists.largest_domains(s, a)},
        (BOTH, {EX}, {OT}, {EX}, set()),
    ),
    "api_domains": (
        lambda s, a: {d.name for d in lists.api_domains(s, a, None, 100)},
        (BOTH, {EX}, {OT}, REFUSED, set()),
    ),
    "export_chunks": (
        lambda s, a: _of(r.address for chunk in lists.export_chunks(s, a) for r in chunk),
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "usage_rows": (
        lambda s, a: _of(r.address for r in lists.usage_rows(s, a)),
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "export_aliases": (
        # the domains of the aliases the export's rows carry in their aliases column
        lambda s, a: _of(x for chunk in lists.export_chunks(s, a) for r in chunk for x in (r.aliases or "").split()),
        (BOTH, {EX}, {OT}, REFUSED, REFUSED),
    ),
    "mailbox_page": (
        lambda s, a: _of(r[0].address for r in lists.mailbox_page(s, a, _domain(s, EX)).rows),
        ({EX}, {EX}, REFUSED, {EX}, REFUSED),
    ),
    "near_quota": (
        lambda s, a: _of(r[0].address for r in lists.near_quota(s, a)),
        (BOTH, {EX}, {OT}, {EX}, set()),
    ),
    "search_mailboxes": (
        lambda s, a: _of(r[0].address for r in lists.search_mailboxes(s, a, "org").rows),
        (BOTH, {EX}, {OT}, {EX}, set()),
    ),
    "api_mailboxes": (
        lambda s, a: _of(r.address for r in lists.api_mailboxes(s, a, None, 100)),
        (BOTH, {EX}, {OT}, {EX}, set()),
    ),
}


@pytest.fixture
def tenants(world):
    """The world, with aliases (one to another tenant's mailbox), an alias domain
    and a nearly full mailbox in each tenant."""
    with world() as s:
        root = Actor.system()
        aliases.create_alias(s, root, "sales@other.org", ["olga@other.org"])
        # other.org's alias to example.org's mailbox: not example.org's to export
        aliases.create_alias(s, root, "boss@other.org", ["alice@example.org"])
        aliases.create_alias_domain(s, root, "other.net", "other.org")
        for address in ("alice@example.org", "olga@other.org"):
            box = s.scalar(select(Mailbox).where(Mailbox.address == address))
            box.quota_bytes = 100 << 20
            s.add(QuotaUsage(username=address, bytes=99 << 20, messages=3))
        s.commit()
    return world


def _actor(s, role: str) -> Actor:
    username = USERS[role]
    if "@" in username:
        return Actor.from_mailbox(s.scalar(select(Mailbox).where(Mailbox.address == username)))
    return Actor.from_admin(admins.get_admin(s, username))


@pytest.mark.parametrize("read", READS)
def test_each_role_gets_its_own_tenants_rows_or_a_refusal(tenants, read):
    ask, expected = READS[read]
    answers = {}
    for role in ROLES:
        with tenants() as s:
            try:
                answers[role] = ask(s, _actor(s, role))
            except (Forbidden, NotFound):
                answers[role] = REFUSED
            s.rollback()
    assert answers == dict(zip(ROLES, expected, strict=True))
