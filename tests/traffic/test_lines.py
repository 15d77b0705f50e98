"""The traffic parser on real lines: tests/traffic/captured/ holds lines
written by this machine's deploy/mailstack (Debian 12, Postfix 3.7 with
maillog_file, Dovecot 2.3.19 with log_path), copied unchanged."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from panel.mailserver.traffic import Clock, Tally, hour_number, merge_top, parse, reason

CAPTURED = Path(__file__).parent / "captured"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
HOSTED = {"e2e.test": "e2e.test", "queue-e2e.test": "queue-e2e.test", "e2e-alias.test": "e2e.test"}


def captured(name: str) -> list[bytes]:
    return (CAPTURED / name).read_bytes().splitlines()


def line_with(name: str, needle: str) -> bytes:
    return next(raw for raw in captured(name) if needle.encode() in raw)


def test_a_delivery_line_is_a_status_of_its_recipient():
    event = parse(line_with("postfix.log", "B0B4A178121: to=<kate@e2e.test>"))
    assert (event.kind, event.queue_id, event.address) == ("status", "B0B4A178121", "kate@e2e.test")
    assert event.detail == "delivered"
    assert event.stamp == b"Dec 03 10:02"


def test_deferred_and_bounced_statuses():
    assert parse(line_with("postfix.log", "status=deferred")).detail == "deferred"
    bounced = parse(line_with("postfix.log", "orig_to=<bobs-desk@e2e.test>"))
    assert (bounced.address, bounced.detail) == ("bob@e2e.test", "bounced")  # the final recipient, not orig_to


def test_qmgr_lines_give_the_sender_and_the_end_of_a_message():
    queued = parse(line_with("postfix.log", "B0B4A178121: from=<jack@e2e.test>"))
    assert (queued.kind, queued.address) == ("queued", "jack@e2e.test")
    assert parse(line_with("postfix.log", "B0B4A178121: removed")).kind == "removed"
    assert parse(line_with("postfix.log", "3B540178137: from=<>")).address == ""  # a bounce has the null sender


def test_a_sasl_submission_names_its_user():
    event = parse(line_with("postfix.log", "sasl_username=jack@e2e.test"))
    assert (event.kind, event.queue_id, event.address) == ("sasl", "B0B4A178121", "jack@e2e.test")


def test_a_failed_smtp_auth_counts_for_the_user_name_tried():
    event = parse(line_with("postfix.log", "SASL PLAIN authentication failed"))
    assert (event.kind, event.address, event.queue_id) == ("authfail", "hal@e2e.test", "")
    # Without a user name (a client that gave up in the LOGIN dialogue): server-wide.
    raw = (
        b"Dec 03 10:05:00 mx postfix/submission/smtpd[77]: warning: unknown[192.0.2.7]:"
        b" SASL LOGIN authentication failed: UGFzc3dvcmQ6"
    )
    assert (parse(raw).kind, parse(raw).address) == ("authfail", "")
    tally = Tally(lambda names: {n: HOSTED[n] for n in names if n in HOSTED}, clock=Clock(NOW))
    tally.add_lines([raw, line_with("postfix.log", "SASL PLAIN authentication failed")])
    assert totals(tally) == {"": {"smtp_failed": 1}, "e2e.test": {"smtp_failed": 1}}
    other = b"Dec 03 10:05:00 mx postfix/smtpd[77]: warning: hostname x.example does not resolve to address 192.0.2.7"
    assert parse(other) is None


def test_rejects_keep_recipient_sender_and_a_reason_without_the_address():
    event = parse(line_with("postfix.log", "<nobody@e2e.test>: Recipient address rejected"))
    assert (event.kind, event.address, event.sender) == ("reject", "nobody@e2e.test", "tester@example.com")
    assert event.detail == "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
    relay = parse(line_with("postfix.log", "Relay access denied"))
    assert (relay.address, relay.detail) == ("someone@elsewhere.test", "554 5.7.1 Relay access denied")


def test_the_captured_rejects_keep_no_address_and_group_by_class():
    rejects = [e for e in map(parse, captured("postfix.log")) if e and e.kind == "reject"]
    assert len(rejects) >= 5
    for event in rejects:
        assert "@" not in event.detail and "127.0.0.1" not in event.detail and "localhost" not in event.detail
    owned = {e.detail for e in rejects if "not owned" in e.detail}
    # kate as jack and bob as catcher: one class, no names.
    assert owned == {"553 5.7.1 Sender address rejected: not owned by user …"}
    assert sum(1 for e in rejects if "not owned" in e.detail) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            b"RCPT from mx.spam.example[203.0.113.5]: 554 5.7.1 Service unavailable; Client host [203.0.113.5]"
            b" blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5",
            "554 5.7.1 Service unavailable; Client host … blocked using zen.spamhaus.org; …",
        ),
        (
            b"RCPT from unknown[2001:db8::5]: 450 4.7.25 Client host rejected:"
            b" cannot find your hostname, [2001:db8::5]",
            "450 4.7.25 Client host rejected: cannot find your hostname, …",
        ),
        (
            b"RCPT from x[192.0.2.1]: 450 4.1.8 <bob@spam.example>: Sender address rejected: Domain not found",
            "450 4.1.8 Sender address rejected: Domain not found",
        ),
        (
            b"RCPT from x[192.0.2.1]: 504 5.5.2 <pc17>: Helo command rejected: need fully-qualified hostname",
            "504 5.5.2 Helo command rejected: need fully-qualified hostname",
        ),
        (
            b"RCPT from x[192.0.2.1]: 450 4.7.1 <host.tenant.example>: Helo command rejected: Host not found",
            "450 4.7.1 Helo command rejected: Host not found",
        ),
        (
            b"END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.1"
            b" Message from anna@example.org refused by mail.example.org",
            "5.7.1 Message from … refused by …",
        ),
        (
            b"DATA from x[192.0.2.1]: 552 5.3.4 Message size exceeds fixed limit 10240000 for 4Xh2Lk0Qmbz7JmY",
            "552 5.3.4 Message size exceeds fixed limit … for …",
        ),
    ],
)
def test_a_reason_is_reduced_to_its_class(text, expected):
    assert reason(text) == expected


def test_a_reason_hides_what_varies_from_line_to_line():
    text = b"RCPT from x[203.0.113.5]: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen"
    assert reason(text) == "554 5.7.1 Service unavailable; Client host … blocked using zen"
    assert len(reason(b"550 5.7.1 " + b"x" * 1000)) == 200


@pytest.mark.parametrize(
    "needle",
    [
        "connect from localhost",
        "message-id=<",
        "TLS library problem",
        "placed on hold",
        "sender non-delivery notification",
        "postfix-script",
    ],
)
def test_noise_is_not_traffic(needle):
    assert parse(line_with("postfix.log", needle)) is None


def test_dovecot_logins_and_failures():
    login = parse(line_with("dovecot.log", "imap-login: Info: Login: user=<tina@e2e.test>"))
    assert (login.kind, login.address, login.detail) == ("login", "tina@e2e.test", "imap")
    failed = parse(line_with("dovecot.log", "pop3-login: Info: Disconnected: Aborted login by logging out (auth"))
    assert (failed.kind, failed.address, failed.detail, failed.count) == ("failed", "fred@e2e.test", "pop3", 1)
    for needle in ("disconnected before auth was ready", "SSL_accept() failed", "lmtp(", "imap(fred", "master:"):
        assert parse(line_with("dovecot.log", needle)) is None, needle


def test_several_attempts_in_one_connection_count_each():
    raw = (
        b"Dec 03 10:00:44 imap-login: Info: Disconnected: Connection closed (auth failed, 3 attempts in 4 secs): "
        b"user=<fred@e2e.test>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, secured, session=<x>"
    )
    assert parse(raw).count == 3


def test_syslog_routed_and_rfc3339_lines_parse_too():
    # Not what mailstack writes: the same messages through rsyslog (host, program[pid], RFC 3339 stamps).
    dovecot = b"2026-12-03T10:00:44.123456+01:00 mx dovecot[812]: imap-login: Login: user=<a@e2e.test>, method=PLAIN"
    event = parse(dovecot)
    assert (event.kind, event.address, event.stamp) == ("login", "a@e2e.test", b"2026-12-03T10:00+01:00")
    assert Clock(NOW).hour(event.stamp) == hour_number(datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
    postfix = b"Dec  3 10:02:03 mx postfix/qmgr[6954]: B0B4A178121: removed"
    assert parse(postfix).stamp == b"Dec  3 10:02"


def test_the_clock_puts_a_december_line_read_in_january_in_the_year_before():
    january = Clock(datetime(2027, 1, 1, 0, 30, tzinfo=timezone.utc))
    assert january.hour(b"Dec 31 23:59") == hour_number(datetime(2026, 12, 31, 23, tzinfo=timezone.utc))
    assert january.hour(b"Jan 01 00:10") == hour_number(datetime(2027, 1, 1, 0, tzinfo=timezone.utc))
    assert january.hour(b"Feb 30 00:10") is None


def tally_of(*names: str) -> Tally:
    tally = Tally(resolve=lambda found: {n: HOSTED[n] for n in found if n in HOSTED}, clock=Clock(NOW))
    for name in names:
        tally.add_lines(captured(name))
    return tally


def totals(tally: Tally) -> dict[str, dict[str, int]]:
    from panel.mailserver.traffic import named

    found: dict[str, Counter] = {}
    for (_, domain), values in tally.counts.items():
        found.setdefault(domain, Counter()).update(named(values))
    return {domain: {k: v for k, v in counts.items() if v} for domain, counts in found.items()}


def test_the_captured_logs_count_exactly():
    tally = tally_of("postfix.log", "dovecot.log")
    assert totals(tally) == {
        # kate (SASL from jack), bob (bounced by LMTP), bob again through the alias domain
        "e2e.test": {
            "received": 3,
            "delivered": 2,
            "bounced": 1,
            "rejected": 4,
            "sent": 1,
            "imap_logins": 3,
            "imap_failed": 2,
            "pop3_logins": 1,
            "pop3_failed": 1,
            "smtp_failed": 1,  # hal's wrong password on 587
        },
        # deferred first, delivered after a hold: received once
        "queue-e2e.test": {"received": 1, "deferred": 1, "delivered": 1},
        # the bounce to tester@example.com, the relay attempt to elsewhere.test
        "": {"bounced": 1, "rejected": 1},
    }
    assert {hour for hour, _ in tally.counts} == {hour_number(datetime(2026, 12, 3, 10, tzinfo=timezone.utc))}
    (reasons,) = [c for (h, d, kind), c in tally.tops.items() if kind == "reject" and d == "e2e.test"]
    assert reasons["550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"] == 1
    (senders,) = [c for (h, d, kind), c in tally.tops.items() if kind == "sender"]
    assert senders == Counter({"jack@e2e.test": 1})
    assert tally.messages == {}  # every message's "removed" was seen


def test_outgoing_mail_counts_for_the_senders_domain():
    lines = [
        b"Dec 03 10:05:00 mx postfix/qmgr[1]: AAAA11111: from=<jack@e2e.test>, size=400, nrcpt=1 (queue active)",
        b"Dec 03 10:05:01 mx postfix/smtp[2]: AAAA11111: to=<friend@remote.example>, "
        b"relay=mx.remote.example[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, "
        b"status=sent (250 2.0.0 Ok: queued as 123)",
    ]
    tally = Tally(resolve=lambda found: {n: n for n in found if n == "e2e.test"}, clock=Clock(NOW))
    tally.add_lines(lines)
    assert totals(tally) == {"e2e.test": {"delivered": 1}}  # not "received": it went out


def test_a_top_list_stays_bounded_and_keeps_a_frequent_name():
    kept: dict[str, int] = {}
    for n in range(200):
        kept = merge_top(kept, Counter({f"user{n}": 1, "hijacked": 5}), 20)
        assert len(kept) <= 20
    assert max(kept, key=kept.get) == "hijacked" and kept["hijacked"] >= 1000
