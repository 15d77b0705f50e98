"""Mail reaches the right INBOX through the real Postfix and Dovecot, and
the password the panel set opens it over IMAP and POP3."""

from __future__ import annotations

import pytest

from tests.mailstack_fixture import E2E_PASSWORD, message

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scheme", ["ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT"])
def test_new_mailbox_receives_mail_and_logs_in_with_each_hash_scheme(mail, new_mailbox, scheme):
    address = new_mailbox(f"user-{scheme.lower()}@e2e.test", "--scheme", scheme)

    mail.send([address], message(f"hello {scheme}"))

    assert f"hello {scheme}" in mail.wait_for_subject(address, E2E_PASSWORD, f"hello {scheme}")
    assert f"hello {scheme}" in mail.pop3_subjects(address, E2E_PASSWORD)
    assert not mail.imap_login_ok(address, "wrong-password")
    assert not mail.pop3_login_ok(address, "wrong-password")


def test_login_name_is_case_insensitive(mail, new_mailbox):
    new_mailbox("carol@e2e.test")
    assert mail.imap_login_ok("Carol@E2E.test", E2E_PASSWORD)


def test_alias_with_two_destinations_delivers_to_both(mail, cli, new_mailbox):
    new_mailbox("ann@e2e.test")
    new_mailbox("ben@e2e.test")
    cli("alias", "add", "team@e2e.test", "ann@e2e.test", "ben@e2e.test")

    mail.send(["team@e2e.test"], message("to the team"))

    assert "to the team" in mail.wait_for_subject("ann@e2e.test", E2E_PASSWORD, "to the team")
    assert "to the team" in mail.wait_for_subject("ben@e2e.test", E2E_PASSWORD, "to the team")


def test_catch_all_takes_unknown_local_parts_but_not_existing_mailboxes(mail, cli, new_mailbox):
    new_mailbox("catcher@e2e.test")
    new_mailbox("dora@e2e.test")
    cli("alias", "add", "@e2e.test", "catcher@e2e.test")

    mail.send(["whoever-this-is@e2e.test"], message("for anyone"))
    qid = mail.send(["dora@e2e.test"], message("for dora"))
    mail.wait_for_delivery(qid, "dora@e2e.test")

    assert "for anyone" in mail.wait_for_subject("catcher@e2e.test", E2E_PASSWORD, "for anyone")
    assert mail.subjects("dora@e2e.test", E2E_PASSWORD) == ["for dora"]
    assert "for dora" not in mail.subjects("catcher@e2e.test", E2E_PASSWORD)


def test_alias_domain_delivers_to_the_matching_mailbox_of_its_target(mail, cli, new_mailbox):
    new_mailbox("erin@e2e.test")
    new_mailbox("info-desk@e2e.test")
    cli("alias", "add", "info@e2e.test", "info-desk@e2e.test")
    cli("alias-domain", "add", "e2e-alias.test", "e2e.test")

    mail.send(["erin@e2e-alias.test"], message("via the alias domain"))
    mail.send(["info@e2e-alias.test"], message("alias via the alias domain"))

    assert "via the alias domain" in mail.wait_for_subject("erin@e2e.test", E2E_PASSWORD, "via the alias domain")
    assert "alias via the alias domain" in mail.wait_for_subject(
        "info-desk@e2e.test", E2E_PASSWORD, "alias via the alias domain"
    )
    code, _ = mail.rcpt("nobody-here@e2e-alias.test")
    assert code == 550
