"""DKIM keys (services.dkim), the zone lines (services.dns_records) and
their commands, on PostgreSQL and SQLite."""

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from panel.models import AuditEvent, DkimKey, Role
from panel.services import Actor, Conflict, Forbidden, NotFound, ServiceError, dkim, dns_records, domains


@pytest.fixture
def domain(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    session.commit()
    return domain


def stored(session, domain, selector) -> DkimKey:
    session.expire_all()
    return session.scalar(select(DkimKey).where(DkimKey.domain_id == domain.id, DkimKey.selector == selector))


def test_rsa_key_is_2048_bits_and_the_public_key_matches(session, actor, domain):
    info = dkim.generate(session, actor, domain, "s1")
    session.commit()
    row = stored(session, domain, "s1")
    private = serialization.load_pem_private_key(row.private_key.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    public = serialization.load_der_public_key(base64.b64decode(info.public_key))
    assert public.public_numbers() == private.public_key().public_numbers()
    assert (info.state, info.algorithm) == ("published", "rsa")
    assert not hasattr(info, "private_key")


def test_ed25519_key_publishes_the_raw_32_bytes(session, actor, domain):
    info = dkim.generate(session, actor, domain, "ed", "ed25519")
    session.commit()
    private = serialization.load_pem_private_key(stored(session, domain, "ed").private_key.encode(), password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.b64decode(info.public_key) == raw


def test_default_selector_is_mp_and_the_month_then_a_suffix(session, actor, domain):
    first = dkim.generate(session, actor, domain)
    second = dkim.generate(session, actor, domain)
    assert re.fullmatch(r"mp\d{6}", first.selector)
    assert second.selector == first.selector + "b"


@pytest.mark.parametrize("selector", ["-bad", "bad-", "a.b", "a_b", "x" * 64, "é"])
def test_selector_must_be_one_dns_label(session, actor, domain, selector):
    with pytest.raises(ServiceError) as err:
        dkim.generate(session, actor, domain, selector)
    assert "selector" in err.value.fields


def test_unknown_algorithm_and_duplicate_selector_are_refused(session, actor, domain):
    with pytest.raises(ServiceError) as err:
        dkim.generate(session, actor, domain, "s1", "dsa")
    assert "algorithm" in err.value.fields
    dkim.generate(session, actor, domain, "s1")
    with pytest.raises(Conflict):
        dkim.generate(session, actor, domain, "S1")


def test_rotation_keeps_one_active_and_the_old_key_published(session, actor, domain):
    dkim.generate(session, actor, domain, "old")
    dkim.generate(session, actor, domain, "new")
    dkim.activate(session, actor, domain, "old")
    dkim.activate(session, actor, domain, "new")
    session.commit()
    states = {k.selector: k.state for k in dkim.list_keys(session, actor, domain)}
    assert states == {"old": "published", "new": "active"}
    dkim.retire(session, actor, domain, "old")
    session.commit()
    assert stored(session, domain, "old").private_key == ""
    with pytest.raises(ServiceError):
        dkim.activate(session, actor, domain, "old")
    assert [k.selector for k in dkim.live_keys(session, actor, domain)] == ["new"]


def test_database_allows_one_active_key_per_domain(session, actor, domain):
    dkim.generate(session, actor, domain, "a")
    dkim.generate(session, actor, domain, "b")
    dkim.activate(session, actor, domain, "a")
    session.commit()
    stored(session, domain, "b").state = "active"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_unknown_selector_is_not_found(session, actor, domain):
    with pytest.raises(NotFound):
        dkim.activate(session, actor, domain, "nope")


def test_helpdesk_and_other_domains_admins_are_refused(session, actor, domain):
    helpdesk = Actor("help", Role.HELPDESK, frozenset({domain.id}))
    stranger = Actor("other", Role.DOMAINADMIN, frozenset({domain.id + 1000}))
    with pytest.raises(Forbidden):
        dkim.generate(session, helpdesk, domain, "s1")
    with pytest.raises(NotFound):
        dkim.list_keys(session, stranger, domain)
    admin = Actor("da", Role.DOMAINADMIN, frozenset({domain.id}))
    assert dkim.generate(session, admin, domain, "s1").selector == "s1"


def test_audit_names_the_selector_never_the_key(session, actor, domain):
    dkim.generate(session, actor, domain, "s1")
    dkim.activate(session, actor, domain, "s1")
    dkim.retire(session, actor, domain, "s1")
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("dkim.%"))).all()
    assert sorted(e.action for e in events) == ["dkim.activate", "dkim.generate", "dkim.retire"]
    assert all(e.target == "example.org" and "s1" in e.details for e in events)
    assert not any("PRIVATE" in e.details or "BEGIN" in e.details for e in events)


def test_txt_record_carries_the_public_key_in_strings_of_255_at_most(session, actor, domain):
    info = dkim.generate(session, actor, domain, "s1")
    dkim.generate(session, actor, domain, "gone")
    dkim.retire(session, actor, domain, "gone")
    lines = dns_records.for_domain(session, actor, domain, "mail.host.example")
    [txt] = [line for line in lines if line.startswith("s1._domainkey.example.org.\t")]
    strings = re.findall(r'"([^"]*)"', txt)
    assert all(len(s) <= 255 for s in strings) and len(strings) >= 2
    assert "".join(strings) == f"v=DKIM1; k=rsa; p={info.public_key}"
    assert not any(line.startswith("gone.") for line in lines)


def test_zone_lines_name_mx_spf_dmarc_and_the_client_records(session, actor, domain):
    text = "\n".join(dns_records.for_domain(session, actor, domain, "mail.host.example"))
    assert "example.org.\t3600\tIN\tMX\t10 mail.host.example." in text
    assert '"v=spf1 mx -all"' in text
    assert '_dmarc.example.org.\t3600\tIN\tTXT\t"v=DMARC1; p=none; rua=mailto:postmaster@example.org"' in text
    assert "p=quarantine" in text
    assert "autoconfig.example.org.\t3600\tIN\tCNAME\tmail.host.example." in text
    for service, port in [("_submissions", 465), ("_submission", 587), ("_imaps", 993), ("_imap", 143)]:
        assert f"{service}._tcp.example.org.\t3600\tIN\tSRV\t0 1 {port} mail.host.example." in text
    assert "_pop3s._tcp" in text and "_pop3._tcp" in text


def run(runner, *args):
    return runner.invoke(args=list(args))


def test_cli_generate_activate_list_retire_and_dns(app, runner, session, domain):
    app.config["MAIL_HOSTNAME"] = "mx.host.example"
    result = run(runner, "domain", "dkim", "generate", "example.org", "--selector", "s1", "--algorithm", "ed25519")
    assert result.exit_code == 0, result.output
    assert "s1._domainkey.example.org." in result.output and "PRIVATE" not in result.output
    assert run(runner, "domain", "dkim", "activate", "example.org", "s1").exit_code == 0
    listing = run(runner, "domain", "dkim", "list", "example.org").output
    assert "s1\ted25519\tactive\t" in listing and "PRIVATE" not in listing
    dns = run(runner, "domain", "dns", "example.org").output
    assert "10 mx.host.example." in dns and "s1._domainkey.example.org." in dns and "PRIVATE" not in dns
    assert run(runner, "domain", "dkim", "retire", "example.org", "s1").exit_code == 0
    assert "s1._domainkey" not in run(runner, "domain", "dns", "example.org").output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("domain", "dkim", "generate", "example.org", "--selector", "a.b"), "selector"),
        (("domain", "dkim", "generate", "nowhere.org"), "no domain"),
        (("domain", "dkim", "activate", "example.org", "missing"), "no DKIM key"),
        (("domain", "dns", "nowhere.org"), "no domain"),
    ],
)
def test_cli_refusals_are_one_line(runner, domain, args, fragment):
    result = run(runner, *args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.output
