"""Submission (587): SMTP AUTH through Dovecot against the panel's database."""

from __future__ import annotations

import smtplib

import pytest

from tests.mailstack_fixture import E2E_PASSWORD, message

pytestmark = pytest.mark.e2e


def test_a_mailbox_authenticates_and_sends(mail, new_mailbox):
    jack = new_mailbox("jack@e2e.test")
    kate = new_mailbox("kate@e2e.test")

    mail.submit(jack, E2E_PASSWORD, [kate], message("from jack", sender=jack))

    assert "from jack" in mail.wait_for_subject(kate, E2E_PASSWORD, "from jack")


def test_sending_as_someone_else_is_refused(mail, new_mailbox):
    jack = new_mailbox("jack@e2e.test")
    kate = new_mailbox("kate@e2e.test")

    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)) as refused:
        mail.submit(jack, E2E_PASSWORD, [jack], message("forged", sender=kate), sender=kate)
    assert "not owned by user" in str(refused.value)


def test_a_disabled_mailbox_or_a_wrong_password_cannot_authenticate(mail, cli, new_mailbox):
    jack = new_mailbox("jack@e2e.test")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        mail.submit(jack, "not-the-password", [jack])

    cli("mailbox", "disable", jack)

    with pytest.raises(smtplib.SMTPAuthenticationError):
        mail.submit(jack, E2E_PASSWORD, [jack])
