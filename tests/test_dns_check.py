"""The live DNS checks (services.dns_check) against a real nsd on a loopback
port: a correct zone is all ok, each wrong record gives its own reason, an
unreachable DNS server is said so and keeps the previous result. On
PostgreSQL and SQLite. A reason kept as JSON still translates when read back."""

from __future__ import annotations

import json
import time

import pytest

from panel.i18n import translated
from panel.languages import N_, Message, Nn_
from panel.services import dkim, dns_check, dns_records, domains
from panel.services.dns_lookup import Lookup
from panel.services.dns_rules import MISSING, OK, UNKNOWN, WRONG, Finding
from tests.helpers import fr

HOST = "mx.host.example"
ADDRESS = "192.0.2.25"


@pytest.fixture
def domain(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    dkim.activate(session, actor, domain, dkim.generate(session, actor, domain, "s1").selector)
    session.commit()
    return domain


def correct_zone(session, actor, domain) -> list[str]:
    """What `flask domain dns` prints, the mail host's address and PTR, and an MTA-STS record."""
    return [
        *dns_records.for_domain(session, actor, domain, HOST),
        f"{HOST}. 3600 IN A {ADDRESS}",
        f"25.2.0.192.in-addr.arpa. 3600 IN PTR {HOST}.",
        '_mta-sts.example.org. 3600 IN TXT "v=STSv1; id=20261203"',
    ]


def replaced(lines: list[str], owner_and_type: str, *new: str) -> list[str]:
    """The zone without the records of ``owner_and_type`` ("name TYPE"), plus ``new``."""
    owner, kind = owner_and_type.split()
    kept = [line for line in lines if not (line.split()[:1] == [owner] and kind in line.split()[1:4])]
    assert len(kept) < len(lines) or not new, f"{owner_and_type} is not in the zone"
    return kept + list(new)


def check(session, actor, domain, dns_server, lines):
    dns_server.serve(lines)
    lookup = dns_check.lookup_for({"DNS_RESOLVER": dns_server.setting})
    return dns_check.run(session, actor, domain, HOST, lookup)


def finding(report, record):
    [found] = [f for f in report.findings if f.record == record]
    return found


def test_a_correct_zone_gives_all_ok(session, actor, domain, dns_server):
    report = check(session, actor, domain, dns_server, correct_zone(session, actor, domain))
    assert [(f.record, f.status, f.reason) for f in report.findings if f.status != OK] == []
    records = {f.record for f in report.findings}
    assert {"MX", "SPF", "DKIM s1", "DMARC", "reverse DNS", "autoconfig", "TLS-RPT", "MTA-STS"} <= records
    assert "SRV _submission._tcp" in records and report.all_ok and report.problems == []


def test_the_result_is_kept_with_the_time_it_was_checked(session, actor, domain, dns_server):
    before = time.time()
    check(session, actor, domain, dns_server, replaced(correct_zone(session, actor, domain), "_dmarc.example.org. TXT"))
    session.commit()
    session.expire_all()
    kept = dns_check.last(session, actor, domain)
    assert before - 1 <= kept.checked_at.timestamp() <= time.time() + 1
    assert [(f.record, f.status) for f in kept.problems] == [("DMARC", MISSING)]


def test_the_published_dkim_key_is_not_ours(session, actor, domain, dns_server):
    other = dkim.make_key_pair("rsa")[1]
    lines = replaced(
        correct_zone(session, actor, domain),
        "s1._domainkey.example.org. TXT",
        f"s1._domainkey.example.org. 3600 IN TXT {dns_records.txt_strings(f'v=DKIM1; k=rsa; p={other}')}",
    )
    found = finding(check(session, actor, domain, dns_server, lines), "DKIM s1")
    assert found.status == WRONG and "the published DKIM key is not ours" in found.reason


def test_two_spf_records(session, actor, domain, dns_server):
    lines = correct_zone(session, actor, domain) + ['example.org. 3600 IN TXT "v=spf1 a -all"']
    found = finding(check(session, actor, domain, dns_server, lines), "SPF")
    assert found.status == WRONG and found.reason.startswith("two SPF records")


def test_spf_lacks_this_host(session, actor, domain, dns_server):
    lines = replaced(
        correct_zone(session, actor, domain),
        "example.org. TXT",
        'example.org. 3600 IN TXT "v=spf1 ip4:198.51.100.0/24 include:elsewhere.example -all"',
        'elsewhere.example. 3600 IN TXT "v=spf1 a:smtp.elsewhere.example -all"',
        "smtp.elsewhere.example. 3600 IN A 198.51.100.7",
    )
    found = finding(check(session, actor, domain, dns_server, lines), "SPF")
    assert found.status == WRONG and found.reason.startswith("SPF lacks this host")
    assert ADDRESS in found.reason


@pytest.mark.parametrize(
    "spf",
    [
        "v=spf1 ip4:192.0.2.0/24 -all",
        f"v=spf1 a:{HOST} ~all",
        "v=spf1 include:elsewhere.example -all",
        "v=spf1 redirect=elsewhere.example",
    ],
)
def test_spf_that_names_this_host_another_way_is_ok(session, actor, domain, dns_server, spf):
    lines = replaced(
        correct_zone(session, actor, domain),
        "example.org. TXT",
        f'example.org. 3600 IN TXT "{spf}"',
        'elsewhere.example. 3600 IN TXT "v=spf1 ip4:198.51.100.7 mx:example.org -all"',
    )
    found = finding(check(session, actor, domain, dns_server, lines), "SPF")
    assert found.status == OK, found.reason


def test_spf_plus_all_is_wrong(session, actor, domain, dns_server):
    lines = replaced(correct_zone(session, actor, domain), "example.org. TXT", 'example.org. 3600 IN TXT "v=spf1 +all"')
    found = finding(check(session, actor, domain, dns_server, lines), "SPF")
    assert found.status == WRONG and "+all" in found.reason


def test_dmarc_tag_invalid(session, actor, domain, dns_server):
    lines = replaced(
        correct_zone(session, actor, domain),
        "_dmarc.example.org. TXT",
        '_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=maybe; pct=150; rua=postmaster@example.org"',
    )
    found = finding(check(session, actor, domain, dns_server, lines), "DMARC")
    assert found.status == WRONG and found.reason.startswith("DMARC tag invalid")
    assert "p=maybe" in found.reason and "pct=150" in found.reason and "rua=" in found.reason


def test_mx_points_elsewhere(session, actor, domain, dns_server):
    lines = replaced(
        correct_zone(session, actor, domain), "example.org. MX", "example.org. 3600 IN MX 10 mail.elsewhere.example."
    )
    found = finding(check(session, actor, domain, dns_server, lines), "MX")
    assert found.status == WRONG and found.reason.startswith("MX points elsewhere")
    assert found.found == ["10 mail.elsewhere.example"]


def test_reverse_dns_of_the_mail_host_does_not_match_its_name(session, actor, domain, dns_server):
    lines = replaced(
        correct_zone(session, actor, domain),
        "25.2.0.192.in-addr.arpa. PTR",
        "25.2.0.192.in-addr.arpa. 3600 IN PTR dsl-192-0-2-25.isp.elsewhere.example.",
    )
    found = finding(check(session, actor, domain, dns_server, lines), "reverse DNS")
    assert found.status == WRONG and found.reason.startswith(f"reverse DNS of {ADDRESS} does not match")


def test_a_record_not_published_is_missing_and_an_optional_one_is_no_problem(session, actor, domain, dns_server):
    lines = replaced(correct_zone(session, actor, domain), "_smtp._tls.example.org. TXT")
    lines = replaced(lines, "s1._domainkey.example.org. TXT")
    report = check(session, actor, domain, dns_server, lines)
    assert finding(report, "DKIM s1").status == MISSING and finding(report, "TLS-RPT").status == MISSING
    assert [f.record for f in report.problems] == ["DKIM s1"]


def test_a_client_record_pointing_elsewhere_is_wrong(session, actor, domain, dns_server):
    lines = replaced(
        correct_zone(session, actor, domain),
        "_imaps._tcp.example.org. SRV",
        "_imaps._tcp.example.org. 3600 IN SRV 0 1 993 imap.elsewhere.example.",
    )
    report = check(session, actor, domain, dns_server, lines)
    assert finding(report, "SRV _imaps._tcp").status == WRONG
    assert [f.record for f in report.problems] == ["SRV _imaps._tcp"]


def test_unreachable_dns_is_said_quickly_and_the_previous_result_stands(session, actor, domain, dns_server):
    check(session, actor, domain, dns_server, correct_zone(session, actor, domain))
    session.commit()
    dns_server.stop()
    started = time.monotonic()
    report = dns_check.run(session, actor, domain, HOST, dns_check.lookup_for({"DNS_RESOLVER": dns_server.setting}))
    assert time.monotonic() - started < 8  # one timeout, not one per record
    assert {f.status for f in report.findings} == {UNKNOWN} and not report.reached
    assert "did not answer" in report.findings[0].reason
    session.commit()
    session.expire_all()
    assert dns_check.last(session, actor, domain).all_ok


def test_no_resolver_configured_is_said(session, actor, domain):
    report = dns_check.run(session, actor, domain, HOST, Lookup(None, "no DNS resolver is configured"))
    assert {f.status for f in report.findings} == {UNKNOWN} and dns_check.last(session, actor, domain) is None


def test_a_domain_without_a_dkim_key_is_told_to_make_one(session, actor, dns_server):
    bare = domains.create_domain(session, actor, "other.org")
    report = check(session, actor, bare, dns_server, [])
    assert finding(report, "DKIM").status == MISSING and "generate one" in finding(report, "DKIM").reason


def test_cli_check_exits_zero_when_all_is_published(app, session, actor, domain, dns_server, runner):
    dns_server.serve(correct_zone(session, actor, domain))
    session.commit()
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=dns_server.setting)
    result = runner.invoke(args=["domain", "dns", "example.org", "--check"])
    assert result.exit_code == 0, result.output
    assert "ok\tMX\texample.org\tmail for the domain goes to mx.host.example" in result.output
    assert ": 0 missing or wrong" in result.output


def test_cli_check_exits_one_and_names_the_wrong_record(app, session, actor, domain, dns_server, runner):
    dns_server.serve(replaced(correct_zone(session, actor, domain), "25.2.0.192.in-addr.arpa. PTR"))
    session.commit()
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=dns_server.setting)
    result = runner.invoke(args=["domain", "dns", "example.org", "--check"])
    assert result.exit_code == 1
    assert f"missing\treverse DNS\t{ADDRESS}\t{ADDRESS} has no reverse DNS" in result.output
    session.expire_all()
    assert [f.record for f in dns_check.last(session, actor, domain).problems] == ["reverse DNS"]


def test_cli_check_exits_three_when_dns_does_not_answer(app, session, actor, domain, dns_server, runner):
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=dns_server.setting)  # nothing started on it
    result = runner.invoke(args=["domain", "dns", "example.org", "--check"])
    assert result.exit_code == 3
    assert "unknown\tMX\texample.org\tthe DNS server did not answer in time" in result.output
    assert "DNS did not answer: nothing was kept" in result.output


def _without_dmarc(session, actor, domain) -> list[str]:
    return replaced(correct_zone(session, actor, domain), "_dmarc.example.org. TXT")


def test_a_lookup_that_times_out_is_unknown_not_missing(session, actor, domain, dns_server, silent_dns):
    lines = _without_dmarc(session, actor, domain)
    assert finding(check(session, actor, domain, dns_server, lines), "DMARC").status == MISSING  # really absent
    relay = silent_dns(dns_server, ["_dmarc.example.org"])
    report = dns_check.run(session, actor, domain, HOST, dns_check.lookup_for({"DNS_RESOLVER": relay.setting}))
    assert relay.dropped and set(relay.dropped) == {"_dmarc.example.org."}
    statuses = {f.record: f.status for f in report.findings}
    assert statuses["MX"] == statuses["SPF"] == statuses["DKIM s1"] == OK  # asked before DNS went quiet
    dmarc = finding(report, "DMARC")
    assert dmarc.status == UNKNOWN and dmarc.reason == "the DNS server did not answer in time"
    assert report.problems == [] and report.reached and not report.all_ok
    session.commit()
    session.expire_all()
    kept = dns_check.last(session, actor, domain)
    assert finding(kept, "DMARC").status == UNKNOWN and finding(kept, "MX").status == OK and kept.problems == []


def test_cli_check_exits_three_when_some_lookups_time_out(app, session, actor, domain, dns_server, silent_dns, runner):
    dns_server.serve(_without_dmarc(session, actor, domain))
    relay = silent_dns(dns_server, ["_dmarc.example.org"])
    session.commit()
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=relay.setting)
    result = runner.invoke(args=["domain", "dns", "example.org", "--check"])
    assert result.exit_code == 3, result.output
    assert "ok\tMX\texample.org\t" in result.output
    assert "unknown\tDMARC\t_dmarc.example.org\tthe DNS server did not answer in time" in result.output
    assert "missing\tDMARC" not in result.output
    assert ": 0 missing or wrong," in result.output and "the rest was kept" in result.output


def test_a_finding_read_back_from_json_keeps_its_english_and_its_french(app):
    one_first = Message(
        Nn_(
            "MX points elsewhere first: %(others)s has a lower preference than %(host)s",
            "MX points elsewhere first: %(others)s have a lower preference than %(host)s",
        ),
        count=1,
        others="mx0.elsewhere.example",
        host=HOST,
    )
    findings = [
        Finding("MX", "example.org", WRONG, Message(N_("MX points elsewhere, not to %(host)s"), host=HOST)),
        Finding("MX", "example.org", WRONG, one_first, ["5 mx0.elsewhere.example", f"10 {HOST}"]),
        Finding(
            "SRV _imaps._tcp",
            "_imaps._tcp.example.org",
            MISSING,
            Message(N_("publish 0 1 %(port)s %(host)s"), port=993, host=HOST),
        ),
        Finding("TLS-RPT", "_smtp._tls.example.org", OK, N_("published and valid"), optional=True),
    ]
    kept = [
        Finding.of(item) for item in json.loads(json.dumps([f.as_dict() for f in findings]))
    ]  # as dns_checks keeps them
    assert kept == findings and [f.reason for f in kept] == [str(f.reason) for f in findings]
    assert kept[1].reason == f"MX points elsewhere first: mx0.elsewhere.example has a lower preference than {HOST}"
    old = Finding.of({k: v for k, v in findings[0].as_dict().items() if not k.startswith("reason_")})
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert [translated(f.reason) for f in kept] == [
            f"le MX pointe ailleurs, pas vers {HOST}",
            fr(
                "le MX pointe d'abord ailleurs : mx0.elsewhere.example a une valeur de préférence"
                f" plus basse que {HOST}"
            ),
            f"publiez 0 1 993 {HOST}",
            "publié et valide",
        ]
        assert translated(old.reason) == f"MX points elsewhere, not to {HOST}"  # a check kept before: English
