"""What a mailbox's owner sets, on the real stack: out-of-office replies run
by Pigeonhole from the database, forwarding, app passwords checked by
Dovecot's second passdb, and the last login Dovecot writes back."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import time
from datetime import date, timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from panel.models import LastLogin
from panel.services import app_passwords, forwarding, mailbox_logins, mailboxes, vacation
from tests.mailstack_fixture import E2E_PASSWORD as PASSWORD
from tests.mailstack_fixture import HOST, IMAP_PORT, POP3_PORT, SUBMISSION_PORT, message

pytestmark = pytest.mark.e2e

HOSTILE = 'Away "; discard; keep; \\ \\" } { ${x} \u00e9t\u00e9 \u2603'


def _mailbox(session, actor, address):
    session.expire_all()
    return mailboxes.get_mailbox(session, actor, address)


def _replies(mail, address, subject_part: str, wait: float = 8.0) -> list[str]:
    """Subjects in ``address``'s INBOX containing ``subject_part`` (waits a little)."""
    deadline = time.monotonic() + wait
    while True:
        subjects = [str(make_header(decode_header(s))) for s in mail.subjects(address, PASSWORD)]
        found = [s for s in subjects if subject_part in s]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _send(mail, sender, to, subject, headers=None):
    msg = message(subject, sender=sender, to=to)
    for name, value in (headers or {}).items():
        msg[name] = value
    mail.send([to], msg, sender=sender)


def test_vacation_replies_once_per_sender_within_its_days(mail, new_mailbox, session, actor):
    anna, bob = new_mailbox("anna@e2e.test"), new_mailbox("bob@e2e.test")
    noreply, lists = new_mailbox("noreply@e2e.test"), new_mailbox("lists@e2e.test")
    box = _mailbox(session, actor, anna)
    vacation.set_vacation(
        session, actor, box, active=True, subject=HOSTILE, body="Back on Monday.\n\u00e0 bient\u00f4t", interval_days=7
    )
    session.commit()
    _send(mail, bob, anna, "first question")
    _send(mail, bob, anna, "second question")
    _send(mail, noreply, anna, "from a machine")
    _send(mail, lists, anna, "a list post", {"List-Id": "<dev.e2e.test>"})
    _send(mail, lists, anna, "an automatic mail", {"Auto-Submitted": "auto-generated"})
    # The mail itself is delivered (the hostile subject changed nothing).
    for subject in ("first question", "second question", "from a machine", "a list post"):
        assert subject in mail.wait_for_subject(anna, PASSWORD, subject)
    replies = _replies(mail, bob, "Away")
    assert replies == [HOSTILE], replies  # once for two mails, with the subject typed, verbatim
    assert _replies(mail, noreply, "Away", wait=2) == []
    assert _replies(mail, lists, "Away", wait=2) == []


def test_vacation_days_and_off(mail, new_mailbox, session, actor):
    carl, dora, erik = new_mailbox("carl@e2e.test"), new_mailbox("dora@e2e.test"), new_mailbox("erik@e2e.test")
    box = _mailbox(session, actor, carl)
    tomorrow = date.today() + timedelta(days=2)
    vacation.set_vacation(session, actor, box, active=True, subject="Later", body="Not yet.", first_day=tomorrow)
    session.commit()
    _send(mail, dora, carl, "before it starts")
    assert "before it starts" in mail.wait_for_subject(carl, PASSWORD, "before it starts")
    assert _replies(mail, dora, "Later", wait=3) == []
    vacation.set_vacation(session, actor, box, active=True, subject="Now", body="Away.")
    session.commit()
    vacation.switch_off(session, actor, _mailbox(session, actor, carl))
    session.commit()
    _send(mail, erik, carl, "after switching off")
    assert "after switching off" in mail.wait_for_subject(carl, PASSWORD, "after switching off")
    assert _replies(mail, erik, "Now", wait=3) == []
    # The reply comes from the mailbox's own address.
    vacation.set_vacation(session, actor, _mailbox(session, actor, carl), active=True, subject="From me", body="x")
    session.commit()
    _send(mail, erik, carl, "once more")
    assert _replies(mail, erik, "From me") == ["From me"]
    imap = imaplib.IMAP4(HOST, IMAP_PORT)
    imap.login(erik, PASSWORD)
    imap.select("INBOX", readonly=True)
    _, numbers = imap.search(None, 'SUBJECT "From me"')
    _, data = imap.fetch(numbers[0].split()[-1], "(BODY.PEEK[HEADER.FIELDS (FROM AUTO-SUBMITTED)])")
    imap.logout()
    headers = data[0][1].decode().lower()
    assert "carl@e2e.test" in headers and "auto-replied" in headers


def test_forwarding_with_and_without_a_copy(mail, new_mailbox, session, actor):
    fay, gus = new_mailbox("fay@e2e.test"), new_mailbox("gus@e2e.test")
    box = _mailbox(session, actor, fay)
    forwarding.set_forwarding(session, actor, box, [gus], keep_copy=True)
    session.commit()
    _send(mail, "tester@example.com", fay, "copied")
    assert "copied" in mail.wait_for_subject(gus, PASSWORD, "copied")
    assert "copied" in mail.wait_for_subject(fay, PASSWORD, "copied")
    forwarding.set_forwarding(session, actor, _mailbox(session, actor, fay), [gus], keep_copy=False)
    session.commit()
    _send(mail, "tester@example.com", fay, "moved")
    assert "moved" in mail.wait_for_subject(gus, PASSWORD, "moved")
    assert "moved" not in mail.subjects(fay, PASSWORD)
    forwarding.stop_forwarding(session, actor, _mailbox(session, actor, fay))
    session.commit()
    _send(mail, "tester@example.com", fay, "kept here")
    assert "kept here" in mail.wait_for_subject(fay, PASSWORD, "kept here")


def _imap_ok(user, password) -> bool:
    imap = imaplib.IMAP4(HOST, IMAP_PORT)
    try:
        imap.login(user, password)
        return True
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _pop3_ok(user, password) -> bool:
    pop = poplib.POP3(HOST, POP3_PORT)
    try:
        pop.user(user)
        pop.pass_(password)
        return True
    except poplib.error_proto:
        return False
    finally:
        try:
            pop.quit()
        except (poplib.error_proto, OSError):
            pass


def _smtp_ok(user, password) -> bool:
    with smtplib.SMTP(HOST, SUBMISSION_PORT, timeout=20) as smtp:
        smtp.ehlo("e2e.client.test")
        try:
            smtp.login(user, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def test_app_passwords_through_imap_pop3_and_smtp(mail, new_mailbox, session, actor):
    hal = new_mailbox("hal@e2e.test")
    box = _mailbox(session, actor, hal)
    reading, readings = app_passwords.create(session, actor, box, "phone", ["imap"])
    _, everything = app_passwords.create(session, actor, box, "laptop", None, expires=date.today() + timedelta(days=30))
    session.commit()
    assert _imap_ok(hal, readings) and not _pop3_ok(hal, readings) and not _smtp_ok(hal, readings)
    assert _imap_ok(hal, everything) and _pop3_ok(hal, everything) and _smtp_ok(hal, everything)
    assert not _imap_ok(hal, readings + "x") and not _imap_ok(hal, "9999-" + readings.split("-", 1)[1])
    app_passwords.revoke(session, actor, box, reading)
    session.commit()
    assert not _imap_ok(hal, readings)  # at once, no reload
    assert _imap_ok(hal, PASSWORD) and _imap_ok(hal, everything)  # the others keep working
    row = app_passwords.get(session, actor, box, everything.split("-")[0])
    from panel.models import utcnow

    row.expires_at = utcnow() - timedelta(seconds=5)
    session.commit()
    assert not _imap_ok(hal, everything) and not _smtp_ok(hal, everything)
    mailboxes.set_mailbox_active(session, actor, _mailbox(session, actor, hal), False)
    _, fresh = app_passwords.create(session, actor, _mailbox(session, actor, hal), "again", None)
    session.commit()
    assert not _imap_ok(hal, fresh) and not _imap_ok(hal, PASSWORD)  # a disabled mailbox refuses both


def test_last_login_is_written_by_dovecot_per_password(mail, new_mailbox, session, actor):
    ivy = new_mailbox("ivy@e2e.test")
    box = _mailbox(session, actor, ivy)
    assert mailbox_logins.last_login(session, box) is None
    row, secret = app_passwords.create(session, actor, box, "tablet", ["imap"])
    session.commit()
    before = int(time.time()) - 1
    assert _imap_ok(ivy, PASSWORD) and _imap_ok(ivy, secret)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.expire_all()
        seen = dict(session.execute(select(LastLogin.via, LastLogin.last_login).where(LastLogin.username == ivy)).all())
        if {"main", str(row.id)} <= set(seen):
            break
        time.sleep(0.3)
    assert seen.get("main", 0) >= before and seen.get(str(row.id), 0) >= before, seen
    assert mailbox_logins.last_login(session, box).timestamp() >= before
    assert app_passwords.last_used(session, box)[row.id].timestamp() >= before


def test_the_owner_changes_their_password_in_the_portal_and_dovecot_uses_it(mail, new_mailbox, app):
    from tests.helpers import login, post

    jay = new_mailbox("jay@e2e.test")
    new = "Jays-new-pass-2026"
    assert _imap_ok(jay, PASSWORD)
    client = app.test_client()
    assert login(client, jay, PASSWORD).status_code == 302
    response = post(
        client, "/me/password", {"current_password": PASSWORD, "new_password": new, "password_confirm": new}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # At the next login, with no reload: the new password in, the old one out.
    assert _imap_ok(jay, new) and _pop3_ok(jay, new) and _smtp_ok(jay, new)
    assert not _imap_ok(jay, PASSWORD) and not _pop3_ok(jay, PASSWORD)
