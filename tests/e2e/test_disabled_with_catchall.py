"""A catch-all never takes a disabled mailbox's mail, nor its name.

Postfix looks an address up in every virtual_alias_maps table, then
``@domain``; the mailbox maps answer only for active mailboxes, so without
care a disabled ``bob@`` falls through to the catch-all: its mail reaches
the catch-all's owner, who may also send as bob (smtpd_sender_login_maps
falls back to ``@domain`` the same way). Checked here on the real servers,
on both databases, with no reload anywhere.
"""

from __future__ import annotations

import smtplib

import pytest

from tests.mailstack_fixture import message

PASSWORD = "correct-horse-1"
pytestmark = pytest.mark.e2e


@pytest.fixture
def catchall(mail, cli, new_mailbox):
    """e2e.test with a catch-all to catcher@, its alias domain e2e-alias.test,
    and bob@, who is disabled."""
    new_mailbox("catcher@e2e.test")
    new_mailbox("bob@e2e.test")
    cli("alias", "add", "@e2e.test", "catcher@e2e.test")
    cli("alias-domain", "add", "e2e-alias.test", "e2e.test")
    cli("mailbox", "disable", "bob@e2e.test")
    return mail


def assert_refused(mail, address: str) -> None:
    code, reply = mail.rcpt(address)
    assert 500 <= code < 600, (address, code, reply)


def catcher_subjects_after_marker(mail, marker: str) -> list[str]:
    """The catch-all owner's INBOX once a later message has reached it:
    what had not arrived by then went somewhere else."""
    mail.send(["catcher@e2e.test"], message(marker))
    return mail.wait_for_subject("catcher@e2e.test", PASSWORD, marker)


def test_a_disabled_mailbox_is_refused_at_rcpt_despite_the_catch_all(catchall):
    assert_refused(catchall, "bob@e2e.test")
    assert_refused(catchall, "bob@e2e-alias.test")  # the same mailbox through the alias domain
    # The catch-all still takes what is no mailbox at all, in both domains.
    for unknown in ("nobody-at-all@e2e.test", "nobody-at-all@e2e-alias.test"):
        code, reply = catchall.rcpt(unknown)
        assert code == 250, (unknown, reply)


def test_mail_expanded_to_a_disabled_mailbox_bounces_instead_of_reaching_the_catch_all(catchall, cli):
    # An alias is expanded after RCPT (cleanup): its destination must not
    # fall through to the catch-all either.
    cli("alias", "add", "bobs-desk@e2e.test", "bob@e2e.test")

    qid = catchall.send(["bobs-desk@e2e.test"], message("for bob via his desk"))

    assert "status=bounced" in catchall.wait_for_delivery(qid, "bob@e2e.test")
    assert "for bob via his desk" not in catcher_subjects_after_marker(catchall, "marker after the desk")


def test_a_disabled_domains_mailbox_is_refused_although_its_catch_all_exists(catchall, cli):
    cli("mailbox", "enable", "bob@e2e.test")
    cli("domain", "disable", "e2e.test")

    for address in ("bob@e2e.test", "catcher@e2e.test", "bob@e2e-alias.test", "nobody-at-all@e2e.test"):
        assert_refused(catchall, address)


def test_the_catch_all_owner_cannot_send_as_a_disabled_mailbox(catchall):
    # smtpd delays the sender check to RCPT (smtpd_delay_reject): either refusal.
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)) as refused:
        catchall.submit(
            "catcher@e2e.test",
            PASSWORD,
            ["catcher@e2e.test"],
            message("as bob", sender="bob@e2e.test"),
            sender="bob@e2e.test",
        )
    assert "not owned by user" in str(refused.value)


def test_the_catch_all_owner_may_still_send_as_an_address_that_is_no_mailbox(catchall):
    catchall.submit(
        "catcher@e2e.test",
        PASSWORD,
        ["catcher@e2e.test"],
        message("as a stranger", sender="stranger@e2e.test"),
        sender="stranger@e2e.test",
    )
    assert "as a stranger" in catchall.wait_for_subject("catcher@e2e.test", PASSWORD, "as a stranger")


def test_re_enabling_restores_delivery_to_the_mailbox_not_the_catch_all(catchall, cli):
    assert_refused(catchall, "bob@e2e.test")

    cli("mailbox", "enable", "bob@e2e.test")

    catchall.send(["bob@e2e.test"], message("bob is back"))
    catchall.send(["bob@e2e-alias.test"], message("bob is back via the alias domain"))
    assert "bob is back" in catchall.wait_for_subject("bob@e2e.test", PASSWORD, "bob is back")
    assert "bob is back via the alias domain" in catchall.wait_for_subject(
        "bob@e2e.test", PASSWORD, "bob is back via the alias domain"
    )
    caught = catcher_subjects_after_marker(catchall, "marker after bob")
    assert not {"bob is back", "bob is back via the alias domain"} & set(caught)
