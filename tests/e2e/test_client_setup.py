"""What mail clients rely on, on the real stack: VRFY does not confirm
addresses, and the special-use folders (RFC 6154) exist and are advertised,
so every client files sent mail in the same Sent folder."""

from __future__ import annotations

import imaplib
import smtplib

import pytest

from tests.mailstack_fixture import E2E_PASSWORD, HOST, IMAP_PORT, SMTP_PORT, TIMEOUT

pytestmark = pytest.mark.e2e


def test_vrfy_is_refused(mail, new_mailbox):
    new_mailbox("vera@e2e.test")
    with smtplib.SMTP(HOST, SMTP_PORT, timeout=TIMEOUT) as smtp:
        smtp.ehlo("e2e.client.test")
        code, _ = smtp.verify("vera@e2e.test")
    assert code == 502


def test_special_use_folders_are_created_and_advertised(mail, new_mailbox):
    new_mailbox("sue@e2e.test")
    imap = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
    try:
        imap.login("sue@e2e.test", E2E_PASSWORD)
        _, lines = imap.list()
        _, subscribed = imap.lsub()
    finally:
        imap.logout()
    listed = b"\n".join(lines)
    for name in (b"Drafts", b"Sent", b"Trash", b"Junk", b"Archive"):
        assert b"\\" + name in listed and name in b"\n".join(subscribed), listed
