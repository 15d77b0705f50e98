"""Bulk actions on a domain's mailboxes (services/mailbox_bulk.py): a
selection or all matching, all rows or none, one audit event per row, the
actor's right checked once, another tenant's mailboxes refused whole."""

import json

import pytest
from sqlalchemy import func, select

from panel import passwords
from panel.models import AuditEvent, Domain, Mailbox, Role
from panel.services import Actor, Forbidden, NotFound, ServiceError, domains, mailbox_bulk, mailboxes
from panel.services.mailbox_bulk import BulkRefused, Matching

HASH = passwords.hash_password("password-123", "SHA512-CRYPT")  # once: creating rows stays fast


@pytest.fixture
def tenants(session, actor):
    """example.org (max quota 2G, a total of 9G) with five mailboxes of 1G,
    two of them disabled; other.org with one."""
    example = domains.create_domain(
        session, actor, "example.org", max_quota_bytes="2G", total_quota_bytes="9G", default_quota_bytes="1G"
    )
    other = domains.create_domain(session, actor, "other.org")
    for local in ("ann", "bob", "cid", "dee", "eve"):
        mailboxes.create_mailbox(
            session, actor, f"{local}@example.org", password_hash=HASH, active=local not in ("dee", "eve")
        )
    mailboxes.create_mailbox(session, actor, "olga@other.org", password_hash=HASH)
    session.commit()
    return example, other


def _state(session) -> list:
    return list(session.execute(select(Mailbox.address, Mailbox.active, Mailbox.quota_bytes).order_by(Mailbox.address)))


def _audit(session, action: str) -> list:
    return list(session.execute(select(AuditEvent.target, AuditEvent.details).where(AuditEvent.action == action)))


def _ids(session, *addresses) -> list[int]:
    return list(session.scalars(select(Mailbox.id).where(Mailbox.address.in_(addresses))))


def _admin(session, role: str, *names: str) -> Actor:
    ids = frozenset(session.scalars(select(Domain.id).where(Domain.name.in_(names))))
    return Actor("someone", Role(role), ids)


def test_a_selection_is_disabled_with_one_audit_event_per_mailbox(session, actor, tenants):
    example, _ = tenants
    outcome = mailbox_bulk.bulk_update(
        session, actor, example, "disable", _ids(session, "ann@example.org", "bob@example.org")
    )
    session.commit()
    assert (outcome.changed, outcome.unchanged) == (2, 0)
    disabled = set(session.scalars(select(Mailbox.address).where(~Mailbox.active)))
    assert disabled == {"ann@example.org", "bob@example.org", "dee@example.org", "eve@example.org"}
    events = _audit(session, "mailbox.update")
    assert sorted(target for target, _ in events) == ["ann@example.org", "bob@example.org"]
    assert all(json.loads(details)["active"] is False for _, details in events)


def test_a_selection_by_address_and_id_mixed(session, actor, tenants):
    example, _ = tenants
    selection = ["cid@example.org", *map(str, _ids(session, "dee@example.org"))]
    outcome = mailbox_bulk.bulk_update(session, actor, example, "enable", selection)
    assert (outcome.changed, outcome.unchanged) == (1, 1)  # cid was active already
    assert [t for t, _ in _audit(session, "mailbox.update")] == ["dee@example.org"]


def test_all_matching_disables_exactly_the_filtered_mailboxes(session, actor, tenants):
    example, _ = tenants
    mailbox_bulk.bulk_update(session, actor, example, "enable", Matching(state="disabled"))
    session.commit()
    assert not session.scalar(select(func.count()).select_from(Mailbox).where(~Mailbox.active))
    assert sorted(t for t, _ in _audit(session, "mailbox.update")) == ["dee@example.org", "eve@example.org"]


def test_all_matching_runs_in_several_batches(session, actor, tenants, monkeypatch):
    example, _ = tenants
    monkeypatch.setattr(mailbox_bulk, "BATCH", 2)
    outcome = mailbox_bulk.bulk_update(session, actor, example, "disable", Matching(state="active"))
    session.commit()
    assert outcome.changed == 3
    assert sorted(t for t, _ in _audit(session, "mailbox.update")) == [
        "ann@example.org",
        "bob@example.org",
        "cid@example.org",
    ]
    assert session.scalar(select(Mailbox.active).where(Mailbox.address == "olga@other.org"))


def test_delete_all_matching_releases_the_counters(session, actor, tenants):
    example, _ = tenants
    mailbox_bulk.bulk_update(session, actor, example, "delete", Matching(state="disabled"))
    session.commit()
    session.refresh(example)
    assert (example.mailbox_count, example.quota_allocated_bytes) == (3, 3 * 1024**3)
    assert sorted(t for t, _ in _audit(session, "mailbox.delete")) == ["dee@example.org", "eve@example.org"]


def test_another_domains_id_refuses_the_whole_selection(session, actor, tenants):
    example, _ = tenants
    before = _state(session)
    selection = _ids(session, "ann@example.org", "olga@other.org")
    with pytest.raises(NotFound) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "delete", selection)
    olga = str(_ids(session, "olga@other.org")[0])
    assert refused.value.fields == {"selection": f"not mailboxes of example.org: {olga}; nothing was changed"}
    # The same words for an id nobody has: no tenant's existence is told.
    with pytest.raises(NotFound) as nobody:
        mailbox_bulk.bulk_update(session, actor, example, "delete", ["999999"])
    assert nobody.value.fields == {"selection": "not mailboxes of example.org: 999999; nothing was changed"}
    with pytest.raises(NotFound):
        mailbox_bulk.bulk_update(session, actor, example, "disable", ["ann@example.org", "olga@other.org"])
    session.rollback()
    assert _state(session) == before and not _audit(session, "mailbox.delete")


def test_helpdesk_and_another_domains_admin_are_refused(session, tenants):
    example, _ = tenants
    before = _state(session)
    helpdesk = _admin(session, "helpdesk", "example.org")
    with pytest.raises(Forbidden):
        mailbox_bulk.bulk_update(session, helpdesk, example, "disable", Matching())
    with pytest.raises(Forbidden):
        mailbox_bulk.plan(session, helpdesk, example, "disable", Matching())
    other_admin = _admin(session, "domainadmin", "other.org")
    with pytest.raises(NotFound):
        mailbox_bulk.bulk_update(session, other_admin, example, "disable", Matching())
    with pytest.raises(NotFound):
        mailbox_bulk.matching_count(session, other_admin, example, Matching(state="active"))
    assert _state(session) == before


def test_the_domains_admin_may(session, tenants):
    example, _ = tenants
    admin = _admin(session, "domainadmin", "example.org")
    assert mailbox_bulk.bulk_update(session, admin, example, "disable", Matching()).changed == 3


def test_a_quota_over_the_domains_maximum_is_told_for_every_row_and_nothing_changes(session, actor, tenants):
    example, _ = tenants
    before = _state(session)
    with pytest.raises(BulkRefused) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "quota", Matching(), quota="3G")
    assert refused.value.fields == {
        f"{local}@example.org": "the largest mailbox allowed in example.org is 2G"
        for local in ("ann", "bob", "cid", "dee", "eve")
    }
    assert refused.value.grouped() == {
        "the largest mailbox allowed in example.org is 2G": [
            f"{x}@example.org" for x in ("ann", "bob", "cid", "dee", "eve")
        ]
    }
    assert _state(session) == before and not _audit(session, "mailbox.update")


def test_a_quota_past_the_domains_total_refuses_every_row_that_does_not_fit(session, actor, tenants):
    """9G in all, 5G given: 2G each fits for ann (6G), bob (7G), cid, dee
    (9G) but not eve; nothing is changed, and the counters are as before."""
    example, _ = tenants
    before = _state(session)
    mailbox_bulk_total = example.quota_allocated_bytes
    with pytest.raises(BulkRefused) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "quota", Matching(), quota="2.5G")
    assert "the largest mailbox allowed in example.org is 2G" in refused.value.fields.values()
    with pytest.raises(BulkRefused) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "quota", Matching(), quota="2G")
    assert refused.value.fields == {"eve@example.org": "none of the domain's 9G is left"}
    session.refresh(example)
    assert example.quota_allocated_bytes == mailbox_bulk_total
    assert _state(session) == before and not _audit(session, "mailbox.update")
    # The three active ones fit: set, three events.
    mailbox_bulk.bulk_update(session, actor, example, "quota", Matching(state="active"), quota="2G")
    session.commit()
    assert len(_audit(session, "mailbox.update")) == 3
    session.refresh(example)
    assert example.quota_allocated_bytes == 8 * 1024**3


def test_the_plan_names_the_first_and_counts_the_rest(session, actor, tenants):
    example, _ = tenants
    plan = mailbox_bulk.plan(session, actor, example, "quota", Matching(state="active"), "500M")
    assert (plan.count, plan.sample, plan.too_many) == (
        3,
        ["ann@example.org", "bob@example.org", "cid@example.org"],
        False,
    )
    with pytest.raises(ServiceError) as bad:
        mailbox_bulk.plan(session, actor, example, "quota", Matching(), "lots")
    assert "use bytes or a unit like 500M or 2G" in bad.value.fields["quota"]
    with pytest.raises(ServiceError) as empty:
        mailbox_bulk.plan(session, actor, example, "quota", Matching(), "")
    assert empty.value.fields == {"quota": "type the new quota, like 500M or 2G"}
    with pytest.raises(ServiceError):
        mailbox_bulk.plan(session, actor, example, "purge", Matching())


def test_more_than_the_limit_is_refused_before_anything_changes(session, actor, tenants, monkeypatch):
    example, _ = tenants
    monkeypatch.setattr(mailbox_bulk, "BULK_MAX", 4)
    assert mailbox_bulk.plan(session, actor, example, "disable", Matching()).too_many
    assert mailbox_bulk.matching_count(session, actor, example, Matching(state="active")) == 3
    with pytest.raises(ServiceError) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "disable", Matching())
    assert "at most 4 mailboxes" in refused.value.fields["selection"]
    assert not _audit(session, "mailbox.update")


def test_a_selection_that_changed_since_its_confirmation_is_refused(session, actor, tenants):
    example, _ = tenants
    before = _state(session)
    with pytest.raises(ServiceError) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "disable", Matching(state="active"), expected=2)
    assert "2 mailboxes then, 3 now" in refused.value.fields["selection"]
    assert _state(session) == before and not _audit(session, "mailbox.update")


@pytest.mark.parametrize("hostile", ["a\x00b@example.org", "x" * 400 + "@example.org", "\ud800@example.org", "-1", ""])
def test_hostile_items_are_refused_like_strangers_without_a_lookup(session, actor, tenants, hostile):
    example, _ = tenants
    with pytest.raises(ServiceError) as refused:
        mailbox_bulk.bulk_update(session, actor, example, "disable", ["ann@example.org", hostile])
    assert "nothing was changed" in refused.value.fields["selection"]
    assert not _audit(session, "mailbox.update")
