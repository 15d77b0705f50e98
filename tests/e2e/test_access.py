"""What the panel changes is what the mail servers do, at once: no reload
of Postfix or Dovecot anywhere in this file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.db import get_session
from panel.models import Mailbox
from tests.mailstack_fixture import E2E_PASSWORD, message

pytestmark = pytest.mark.e2e


def assert_open(mail, address: str, password: str = E2E_PASSWORD) -> None:
    code, reply = mail.rcpt(address)
    assert code == 250, reply
    assert mail.imap_login_ok(address, password)
    assert mail.pop3_login_ok(address, password)


def assert_closed(mail, address: str, password: str = E2E_PASSWORD) -> None:
    code, reply = mail.rcpt(address)
    assert 500 <= code < 600, (code, reply)
    assert not mail.imap_login_ok(address, password)
    assert not mail.pop3_login_ok(address, password)


def test_unknown_recipient_is_rejected_at_rcpt(mail):
    code, reply = mail.rcpt("nobody@e2e.test")
    assert code == 550 and "5.1.1" in reply


def test_unhosted_domain_is_not_relayed(mail):
    code, reply = mail.rcpt("someone@elsewhere.test")
    assert code == 554 and "Relay access denied" in reply


def test_disabled_mailbox_is_refused_and_enabling_restores_it(mail, cli, new_mailbox):
    address = new_mailbox("fred@e2e.test")
    assert_open(mail, address)

    cli("mailbox", "disable", address)
    assert_closed(mail, address)

    cli("mailbox", "enable", address)
    assert_open(mail, address)
    mail.send([address], message("back again"))
    assert "back again" in mail.wait_for_subject(address, E2E_PASSWORD, "back again")


def test_disabled_domain_is_refused_and_enabling_restores_it(mail, cli, new_mailbox):
    address = new_mailbox("gina@e2e.test")
    cli("alias", "add", "gina-alias@e2e.test", address)
    assert_open(mail, address)

    cli("domain", "disable", "e2e.test")
    assert_closed(mail, address)
    code, _ = mail.rcpt("gina-alias@e2e.test")
    assert 500 <= code < 600

    cli("domain", "enable", "e2e.test")
    assert_open(mail, address)
    code, _ = mail.rcpt("gina-alias@e2e.test")
    assert code == 250


def test_deleted_mailbox_is_refused(mail, cli, new_mailbox):
    address = new_mailbox("hank@e2e.test")
    assert_open(mail, address)

    cli("mailbox", "delete", address)

    assert_closed(mail, address)


def test_a_deleted_mailboxs_mail_stays_on_disk_where_orphans_finds_it(app, mail, cli, new_mailbox):
    app.config["MAIL_ROOT"] = str(mail.mail_root)
    kept, gone = new_mailbox("kim@e2e.test"), new_mailbox("lou@e2e.test")
    mail.send([kept, gone], message("left behind"))
    for address in (kept, gone):
        mail.wait_for_subject(address, E2E_PASSWORD, "left behind")
    with app.app_context():
        homes = {
            row.address: mail.mail_root / row.maildir
            for row in get_session().execute(select(Mailbox.address, Mailbox.maildir))
        }
    # Dovecot made both homes; neither is an orphan while its mailbox exists.
    assert homes[kept].is_dir() and homes[gone].is_dir()
    assert not {str(homes[kept]), str(homes[gone])} & set(cli("mailbox", "orphans").splitlines())

    cli("mailbox", "delete", gone)

    # The mail root is the session's, shared with other tests' leftovers: look for these two.
    listed = set(cli("mailbox", "orphans").splitlines())
    assert str(homes[gone]) in listed and str(homes[kept]) not in listed
    kept_on_disk = [p for p in homes[gone].rglob("*") if p.is_file() and b"left behind" in p.read_bytes()]
    assert kept_on_disk, f"the delivered message is no longer under {homes[gone]}"


def test_password_reset_takes_effect_at_the_next_login(mail, cli, new_mailbox):
    address = new_mailbox("ivy@e2e.test")
    assert mail.imap_login_ok(address, E2E_PASSWORD)

    cli("mailbox", "passwd", address, "--password-stdin", stdin="brand-new-secret\n")

    assert not mail.imap_login_ok(address, E2E_PASSWORD)
    assert not mail.pop3_login_ok(address, E2E_PASSWORD)
    assert mail.imap_login_ok(address, "brand-new-secret")
    assert mail.pop3_login_ok(address, "brand-new-secret")
