import json

import pytest
from sqlalchemy import select

from panel import passwords
from panel.models import AuditEvent, Domain, Mailbox, QuotaUsage, Role
from panel.services import Actor, Conflict, Forbidden, NotFound, ServiceError, aliases, domains, mailboxes

PW = "password-123"


@pytest.fixture
def domain(session, actor):
    d = domains.create_domain(session, actor, "example.org")
    session.commit()
    return d


def test_create_mailbox_stores_scheme_hash_and_stable_maildir(session, actor, domain):
    mb = mailboxes.create_mailbox(session, actor, "Jane@Example.org", password=PW, name="Jane Doe", quota="500M")
    session.commit()
    assert mb.address == "jane@example.org" and mb.local_part == "jane"
    assert mb.password_hash.startswith("{ARGON2ID}") and passwords.verify(PW, mb.password_hash)
    assert mb.quota_bytes == 500 * 1024**2
    assert mb.maildir.startswith("example.org/") and "jane" not in mb.maildir
    other = mailboxes.create_mailbox(session, actor, "john@example.org", password=PW)
    assert other.maildir != mb.maildir


def test_selectable_schemes(session, actor, domain):
    for scheme in ("BLF-CRYPT", "SHA512-CRYPT"):
        mb = mailboxes.create_mailbox(session, actor, f"{scheme.lower()}@example.org", password=PW, scheme=scheme)
        assert mb.password_hash.startswith("{" + scheme + "}")


def test_prehashed_password_is_stored_as_given(session, actor, domain):
    stored = passwords.hash_password(PW, "SHA512-CRYPT")
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password_hash=stored)
    assert mb.password_hash == stored
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, "b@example.org", password_hash="{PLAIN}secret")
    assert "password_hash" in err.value.fields


def test_audit_never_contains_the_password_or_hash(session, actor, domain):
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    mailboxes.set_password(session, actor, mb, password="another-password")
    session.commit()
    for event in session.scalars(select(AuditEvent)):
        assert PW not in event.details and "another-password" not in event.details
        assert "argon2" not in event.details


def test_duplicate_mailbox_is_a_conflict(session, actor, domain):
    mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    session.commit()
    with pytest.raises(Conflict):
        mailboxes.create_mailbox(session, actor, "A@EXAMPLE.ORG", password=PW)


def test_mailbox_cannot_take_an_alias_address(session, actor, domain):
    aliases.create_alias(session, actor, "info@example.org", ["x@elsewhere.net"])
    session.commit()
    with pytest.raises(Conflict) as err:
        mailboxes.create_mailbox(session, actor, "info@example.org", password=PW)
    assert "alias" in str(err.value)


def test_unknown_domain_and_alias_domain_are_refused(session, actor, domain):
    with pytest.raises(NotFound):
        mailboxes.create_mailbox(session, actor, "a@unknown.org", password=PW)
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, "a@example.net", password=PW)
    assert "alias domain" in str(err.value)


@pytest.mark.parametrize("address", ["a b@example.org", "a\r\n@example.org", "@example.org", "", "a@@example.org"])
def test_malformed_addresses_are_address_errors(session, actor, domain, address):
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, address, password=PW)
    assert "address" in err.value.fields


def test_max_mailboxes(session, actor):
    domains.create_domain(session, actor, "example.org", max_mailboxes=2)
    mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    mailboxes.create_mailbox(session, actor, "b@example.org", password=PW)
    session.commit()
    with pytest.raises(Conflict) as err:
        mailboxes.create_mailbox(session, actor, "c@example.org", password=PW)
    assert "limit of 2 mailboxes" in str(err.value)


def test_deleting_frees_the_slot_and_the_quota(session, actor):
    domain = domains.create_domain(
        session, actor, "example.org", max_mailboxes=1, total_quota_bytes="1G", default_quota_bytes="1G"
    )
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    session.commit()
    mailboxes.delete_mailbox(session, actor, mb)
    session.commit()
    session.refresh(domain)
    assert (domain.mailbox_count, domain.quota_allocated_bytes) == (0, 0)
    mailboxes.create_mailbox(session, actor, "b@example.org", password=PW)
    session.commit()


def test_default_quota_applies(session, actor):
    domains.create_domain(session, actor, "example.org", default_quota_bytes="2G")
    assert mailboxes.create_mailbox(session, actor, "a@example.org", password=PW).quota_bytes == 2 * 1024**3


def test_per_mailbox_maximum_quota(session, actor):
    domains.create_domain(session, actor, "example.org", max_quota_bytes="1G", default_quota_bytes="100M")
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, quota="2G")
    assert "quota" in err.value.fields
    with pytest.raises(ServiceError):
        mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, quota="0")  # unlimited
    assert mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, quota="1G").quota_bytes == 1024**3


def test_domain_total_quota_on_create_and_update(session, actor):
    domain = domains.create_domain(session, actor, "example.org", total_quota_bytes="1G", default_quota_bytes="400M")
    mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    b = mailboxes.create_mailbox(session, actor, "b@example.org", password=PW)
    session.commit()
    with pytest.raises(Conflict) as err:
        mailboxes.create_mailbox(session, actor, "c@example.org", password=PW)
    assert "quota" in err.value.fields
    session.rollback()
    with pytest.raises(Conflict):
        mailboxes.update_mailbox(session, actor, b, quota="700M")
    session.rollback()
    mailboxes.update_mailbox(session, actor, b, quota="600M")
    session.commit()
    session.refresh(domain)
    assert domain.quota_allocated_bytes == 1000 * 1024**2


@pytest.mark.parametrize("quota", ["abc", "-1", "12X", "1e9999"])
def test_bad_quota_is_a_field_error(session, actor, domain, quota):
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, quota=quota)
    assert "quota" in err.value.fields


def test_display_name_rules(session, actor, domain):
    with pytest.raises(ServiceError) as err:
        mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, name="evil\r\nBcc: x")
    assert "name" in err.value.fields
    with pytest.raises(ServiceError):
        mailboxes.create_mailbox(session, actor, "a@example.org", password=PW, name="x" * 256)


def test_domain_admin_is_scoped(session, actor, domain):
    other = domains.create_domain(session, actor, "other.org")
    mailboxes.create_mailbox(session, actor, "x@other.org", password=PW)
    session.commit()
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))
    assert mailboxes.create_mailbox(session, admin, "a@example.org", password=PW).address == "a@example.org"
    # Another domain (and its mailboxes) does not even exist for them.
    with pytest.raises(NotFound):
        mailboxes.create_mailbox(session, admin, "b@other.org", password=PW)
    with pytest.raises(NotFound):
        mailboxes.get_mailbox(session, admin, "x@other.org")
    assert other.mailbox_count == 1


def test_helpdesk_may_only_reset_passwords(session, actor, domain):
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    session.commit()
    helpdesk = Actor("help", Role.HELPDESK, None)
    with pytest.raises(Forbidden):
        mailboxes.create_mailbox(session, helpdesk, "b@example.org", password=PW)
    with pytest.raises(Forbidden):
        mailboxes.update_mailbox(session, helpdesk, mb, quota="1G")
    with pytest.raises(Forbidden):
        mailboxes.delete_mailbox(session, helpdesk, mb)
    mailboxes.set_password(session, helpdesk, mb, password="brand-new-password")
    session.commit()
    assert passwords.verify("brand-new-password", session.get(Mailbox, mb.id).password_hash)
    scoped_helpdesk = Actor("help2", Role.HELPDESK, frozenset({-1}))
    with pytest.raises(NotFound):
        mailboxes.get_mailbox(session, scoped_helpdesk, "a@example.org")


def test_disable_enable_and_audit(session, actor, domain):
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    mailboxes.set_mailbox_active(session, actor, mb, False)
    session.commit()
    assert session.get(Mailbox, mb.id).active is False
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mailbox.update")).one()
    assert json.loads(event.details) == {"active": False, "sessions_ended": 0, "was": {"active": True}}


def test_delete_keeps_maildir_name_in_audit_and_clears_usage(session, actor, domain):
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    session.add(QuotaUsage(username="a@example.org", bytes=100, messages=1))
    session.commit()
    maildir = mb.maildir
    mailboxes.delete_mailbox(session, actor, mb)
    session.commit()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mailbox.delete")).one()
    assert json.loads(event.details)["maildir"] == maildir
    assert session.get(QuotaUsage, "a@example.org") is None
    assert session.get(Domain, domain.id).mailbox_count == 0


def test_failed_service_call_leaves_nothing_behind(session, actor):
    domains.create_domain(session, actor, "example.org", max_mailboxes=1)
    mailboxes.create_mailbox(session, actor, "a@example.org", password=PW)
    session.commit()
    with pytest.raises(Conflict):
        mailboxes.create_mailbox(session, actor, "b@example.org", password=PW)
    session.rollback()
    assert session.scalars(select(Mailbox.address)).all() == ["a@example.org"]
    assert session.scalar(select(Domain.mailbox_count)) == 1


def test_another_tenants_mailbox_is_missing_word_for_word(session, actor, domain):
    domains.create_domain(session, actor, "other.org")
    mailboxes.create_mailbox(session, actor, "olga@other.org", password="a-long-passphrase-9")
    session.commit()
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))
    told = []
    for address in ("olga@other.org", "olga@nowhere.org"):
        with pytest.raises(NotFound) as refused:
            mailboxes.get_mailbox(session, admin, address)
        told.append(str(refused.value).replace(address, "NAME"))
    assert told == ["address: no mailbox NAME"] * 2


def test_another_domains_admin_and_a_mailbox_user_set_no_password(session, actor, domain):
    other = domains.create_domain(session, actor, "other.org")
    jane = mailboxes.create_mailbox(session, actor, "jane@example.org", password=PW)
    bob = mailboxes.create_mailbox(session, actor, "bob@example.org", password=PW)
    session.commit()
    for refused in (Actor("otherdom", Role.DOMAINADMIN, frozenset({other.id})), Actor.from_mailbox(bob)):
        with pytest.raises((Forbidden, NotFound)):
            mailboxes.set_password(session, refused, jane, password="taken-over-1")
    assert passwords.verify(PW, jane.password_hash)
    mailboxes.set_password(
        session, Actor("help", Role.HELPDESK, frozenset({domain.id})), jane, password="reset-by-help-1"
    )
    assert passwords.verify("reset-by-help-1", jane.password_hash)
