"""DKIM signing by OpenDKIM (deploy/mailstack) from the keys the panel writes.

Each message is read back over IMAP and checked by dkimpy, an independent
verifier, against the TXT record that `flask domain dns` prints (its
``dnsfunc`` answers with that record: no Mailpanel code computes it).
Keys are added, activated and retired through the CLI between messages
while OpenDKIM and Postfix keep running: the same processes, never reloaded.
"""

from __future__ import annotations

import email
import email.utils
import imaplib
import re
import time
from pathlib import Path

import dkim
import pytest
from sqlalchemy import select

from panel.models import AuditEvent, DkimKey
from panel.services import mailboxes, vacation
from tests.mailstack_fixture import DOVECOT_LOG, E2E_PASSWORD, HOST, IMAP_PORT, POSTFIX_LOG, TIMEOUT, message

pytestmark = pytest.mark.e2e

DOMAIN = "e2e.test"
OPENDKIM_PID = Path("/var/spool/postfix/opendkim/opendkim.pid")
OPENDKIM_LOG = Path("/var/log/mailstack/opendkim.log")
POSTFIX_PID = Path("/var/spool/postfix/pid/master.pid")


def raw_message(user: str, subject: str, timeout: float = TIMEOUT) -> bytes:
    """The full message with this subject in user's INBOX (waits for it)."""
    deadline = time.monotonic() + timeout
    while True:
        imap = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
        try:
            imap.login(user, E2E_PASSWORD)
            imap.select("INBOX", readonly=True)
            _, numbers = imap.search(None, "SUBJECT", f'"{subject}"')
            if numbers[0]:
                _, parts = imap.fetch(numbers[0].split()[-1], "(BODY.PEEK[])")
                return parts[0][1]
        finally:
            imap.logout()
        if time.monotonic() > deadline:
            raise AssertionError(f"no message {subject!r} for {user}")
        time.sleep(0.2)


def published_txt(cli, selector: str) -> bytes:
    """The DKIM TXT value for selector, from `flask domain dns` (strings joined, as DNS does)."""
    zone = cli("domain", "dns", DOMAIN)
    line = re.search(rf"^{re.escape(selector)}\._domainkey\.{re.escape(DOMAIN)}\.\t.*\tTXT\t(.*)$", zone, re.M)
    assert line, zone
    return "".join(re.findall(r'"([^"]*)"', line.group(1))).encode()


def verify(raw: bytes, cli) -> str:
    """The selector of the message's one valid signature (dkimpy)."""
    signature = email.message_from_bytes(raw)["DKIM-Signature"]
    assert signature, raw.decode(errors="replace")[:2000]
    selector = re.search(r"\bs=([^;\s]+)", signature).group(1)
    expected_name = f"{selector}._domainkey.{DOMAIN}."
    txt = published_txt(cli, selector)

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return txt if name == expected_name else None

    assert dkim.verify(raw, dnsfunc=dnsfunc), signature
    assert re.search(rf"\bd={re.escape(DOMAIN)};", signature), signature
    return selector


def signatures(raw: bytes) -> list[str]:
    return email.message_from_bytes(raw).get_all("DKIM-Signature") or []


def processes() -> tuple[int, int]:
    return int(OPENDKIM_PID.read_text().split()[0]), int(POSTFIX_PID.read_text().split()[0])


def private_key_lines(session) -> list[str]:
    """The base64 lines of every private key still held (PEM bodies)."""
    session.expire_all()
    pems = [key for key in session.scalars(select(DkimKey.private_key)) if key]
    assert pems
    return [line for pem in pems for line in pem.splitlines() if line and not line.startswith("-----")]


def test_submission_is_signed_rotation_and_retirement_take_effect_at_once(mail, cli, new_mailbox, session):
    jack, kate = new_mailbox(f"jack@{DOMAIN}"), new_mailbox(f"kate@{DOMAIN}")
    cli("domain", "dkim", "generate", DOMAIN, "--selector", "one")
    cli("domain", "dkim", "activate", DOMAIN, "one")
    running = processes()

    mail.submit(jack, E2E_PASSWORD, [kate], message("signed by one", sender=jack, to=kate))
    assert verify(raw_message(kate, "signed by one"), cli) == "one"
    assert len(signatures(raw_message(kate, "signed by one"))) == 1

    # From outside on 25, even with a hosted sender and an active key: unsigned.
    mail.send([kate], message("from outside", sender=jack, to=kate), sender=jack)
    assert signatures(raw_message(kate, "from outside")) == []

    cli("domain", "dkim", "generate", DOMAIN, "--selector", "two")
    cli("domain", "dkim", "activate", DOMAIN, "two")
    mail.submit(jack, E2E_PASSWORD, [kate], message("signed by two", sender=jack, to=kate))
    assert verify(raw_message(kate, "signed by two"), cli) == "two"

    keys = private_key_lines(session)
    cli("domain", "dkim", "retire", DOMAIN, "one")
    cli("domain", "dkim", "retire", DOMAIN, "two")
    mail.submit(jack, E2E_PASSWORD, [kate], message("no key left", sender=jack, to=kate))
    assert signatures(raw_message(kate, "no key left")) == []

    assert processes() == running  # neither signer nor Postfix was restarted
    assert "reloading" not in OPENDKIM_LOG.read_text(errors="replace").lower()
    assert_no_private_key_in_logs_or_audit(keys, session)


def assert_no_private_key_in_logs_or_audit(key_lines: list[str], session) -> None:
    texts = {str(path): path.read_text(errors="replace") for path in (POSTFIX_LOG, DOVECOT_LOG, OPENDKIM_LOG)}
    assert "DKIM-Signature field added" in texts[str(OPENDKIM_LOG)]  # the log is the signer's, and live
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("dkim.%"))).all()
    assert {event.action for event in events} >= {"dkim.generate", "dkim.activate", "dkim.retire"}
    texts["audit"] = "\n".join(f"{event.action} {event.target} {event.details}" for event in events)
    for where, text in texts.items():
        leaked = [line for line in key_lines if line in text]
        assert not leaked, f"a private key line in {where}"


def test_a_vacation_reply_is_signed(mail, cli, new_mailbox, session, actor):
    anna, bob = new_mailbox(f"anna@{DOMAIN}"), new_mailbox(f"bob@{DOMAIN}")
    cli("domain", "dkim", "generate", DOMAIN, "--selector", "away")
    cli("domain", "dkim", "activate", DOMAIN, "away")
    box = mailboxes.get_mailbox(session, actor, anna)
    vacation.set_vacation(session, actor, box, active=True, subject="Out of office", body="Back soon.")
    session.commit()

    # Bob's mail arrives on 25 (unsigned); Anna's reply leaves through
    # sendmail, locally generated mail, and is signed.
    mail.send([anna], message("are you there", sender=bob, to=anna), sender=bob)
    assert signatures(raw_message(anna, "are you there")) == []
    assert verify(raw_message(bob, "Out of office"), cli) == "away"


def _bounce_queue_id(recipient: str, timeout: float = TIMEOUT) -> tuple[str, str]:
    """(queue id of the bounced message, queue id of the DSN Postfix's bounce service made for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = POSTFIX_LOG.read_text(errors="replace")
        bounced = re.search(rf"(\w+): to=<{re.escape(recipient)}>.*status=bounced", log)
        if bounced:
            dsn = re.search(rf"{bounced.group(1)}: sender non-delivery notification: (\w+)", log)
            if dsn:
                return bounced.group(1), dsn.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no bounce for {recipient} in {POSTFIX_LOG}")


def test_a_bounce_is_not_signed_while_the_domain_has_an_active_key(mail, cli, new_mailbox):
    """Submission on 587 is signed; the LMTP refusal (over quota) makes
    Postfix's bounce service write a DSN through cleanup, which has no
    milter for internal mail (internal_mail_filter_classes is empty)."""
    lena = new_mailbox(f"lena@{DOMAIN}")
    full = new_mailbox(f"full-bounce@{DOMAIN}", "--quota", "20000")
    cli("domain", "dkim", "generate", DOMAIN, "--selector", "bnc")
    cli("domain", "dkim", "activate", DOMAIN, "bnc")

    # No SIZE check on submission (quota-status runs on 25 only): accepted, then LMTP refuses it.
    mail.submit(lena, E2E_PASSWORD, [full], message("too big to keep", sender=lena, to=full, pad_to=40_000))
    original, dsn = _bounce_queue_id(full)
    raw = raw_message(lena, "Undelivered Mail Returned to Sender")
    bounce = email.message_from_bytes(raw)
    assert email.utils.parseaddr(bounce["From"])[1].startswith("MAILER-DAEMON@")
    assert bounce.get_content_type() == "multipart/report"
    assert signatures(raw) == []
    # The message it returns was signed with the active key, so signing was on.
    returned = [part for part in bounce.walk() if part.get_content_type() in ("message/rfc822", "text/rfc822-headers")]
    assert returned and b"s=bnc;" in returned[0].as_bytes().replace(b"\r\n\t", b" ").replace(b"\n\t", b" ")
    opendkim = OPENDKIM_LOG.read_text(errors="replace")
    assert f"{original}: DKIM-Signature field added (s=bnc, d={DOMAIN})" in opendkim
    assert f"{dsn}:" not in opendkim  # the signer never saw the bounce
