"""Dovecot enforces the quota the panel set; usage flows back into the
database through quota_clone and `mailbox list` shows it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from panel.db import get_session
from panel.models import Domain, QuotaUsage
from tests.mailstack_fixture import E2E_PASSWORD, message

QUOTA = 20_000
pytestmark = pytest.mark.e2e


def listed_usage(cli, address: str, messages: int, timeout: float = 20) -> str:
    """`mailbox list`'s "used" for address, once quota_clone has counted
    `messages` messages (it writes when each delivery's session ends)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [line.split("\t") for line in cli("mailbox", "list", "--domain", "e2e.test").splitlines()[1:]]
        fields = next(row for row in rows if row[0] == address)
        if fields[4] == str(messages):
            return fields[2]
        if time.monotonic() > deadline:
            raise AssertionError(f"{address}: {fields[4]} messages listed, expected {messages}")
        time.sleep(0.2)


def test_usage_reaches_the_database_and_mailbox_list(mail, cli, new_mailbox, app):
    address = new_mailbox("quinn@e2e.test", "--quota", str(QUOTA))

    mail.send([address], message("first", pad_to=1000))
    mail.send([address], message("second", pad_to=1000))

    used = listed_usage(cli, address, messages=2)
    # Its own app context, closed at once: the `session` fixture would keep
    # one open for the whole test and, on SQLite, hold the write lock that
    # Dovecot's dict needs (BEGIN IMMEDIATE).
    with app.app_context():
        row = get_session().scalar(select(QuotaUsage).where(QuotaUsage.username == address))
        # The trigger on quota_usage (migration 0007) ran for Dovecot's own
        # write, as the mail servers' role: the domain's stored-mail counter.
        domain = get_session().scalar(select(Domain).where(Domain.name == "e2e.test"))
    assert row.messages == 2 and 2000 < row.bytes < 4000
    assert used == f"{row.bytes / 1024:.1f}K"
    assert domain.used_messages >= 2 and domain.used_bytes >= row.bytes


def test_over_quota_is_refused_at_rcpt_when_size_is_given(mail, new_mailbox):
    address = new_mailbox("rita@e2e.test", "--quota", str(QUOTA))

    code, reply = mail.rcpt(address, size=QUOTA * 2)
    assert code == 552 and "5.2.2" in reply

    code, reply = mail.rcpt(address, size=QUOTA // 4)
    assert code == 250, reply


def test_over_quota_is_refused_by_lmtp_without_size_and_usage_stays(mail, cli, new_mailbox):
    address = new_mailbox("sam@e2e.test", "--quota", str(QUOTA))
    mail.send([address], message("fits", pad_to=1000))
    used_before = listed_usage(cli, address, messages=1)

    qid = mail.send([address], message("too big", pad_to=QUOTA * 2))

    line = mail.wait_for_delivery(qid, address)
    assert "status=bounced" in line and "5.2.2" in line
    assert mail.subjects(address, E2E_PASSWORD) == ["fits"]
    assert listed_usage(cli, address, messages=1) == used_before
