"""Every character a new address may hold works through the real servers:
SMTP on 25, Postfix's lookups, LMTP into the right maildir, IMAP and POP3
login and fetch, SMTP AUTH on submission (panel/addresses.py, docs/rules.md)."""

from __future__ import annotations

import pytest

from panel.addresses import NEW_LOCAL_SPECIALS
from tests.mailstack_fixture import message

PASSWORD = "correct-horse-1"
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("special", list(NEW_LOCAL_SPECIALS), ids=lambda c: f"char{ord(c)}")
def test_a_mailbox_with_each_allowed_character_receives_logs_in_and_sends(mail, new_mailbox, special):
    address = new_mailbox(f"o{special}neil@e2e.test")
    # Dovecot cuts a recipient at its recipient_delimiter (by default '+')
    # before looking the user up: the mail must not land in o@.
    neighbour = new_mailbox("o@e2e.test")
    subject = f"for o{special}neil"

    mail.send([address], message(subject, to=address))

    assert subject in mail.wait_for_subject(address, PASSWORD, subject)
    assert subject in mail.pop3_subjects(address, PASSWORD)
    assert mail.imap_login_ok(address.upper(), PASSWORD)
    mail.submit(address, PASSWORD, [address], message("sent by itself", sender=address))
    assert "sent by itself" in mail.wait_for_subject(address, PASSWORD, "sent by itself")
    assert subject not in mail.subjects(neighbour, PASSWORD)


def test_an_alias_with_each_allowed_character_delivers(mail, cli, new_mailbox):
    target = new_mailbox("plain@e2e.test")
    sources = [f"list{special}x@e2e.test" for special in NEW_LOCAL_SPECIALS]
    for source in sources:
        cli("alias", "add", source, target)

    for source in sources:
        mail.send([source], message(f"via {source}", to=source))

    for source in sources:
        assert f"via {source}" in mail.wait_for_subject(target, PASSWORD, f"via {source}")
