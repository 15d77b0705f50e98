"""The journey view on real log lines: one message delivered end to end by
the real Postfix and Dovecot (deploy/mailstack, loopback test mode).
"""

from __future__ import annotations

import html
import re
import time

import pytest

from panel.db import get_session
from panel.services import domains, mailboxes
from tests.helpers import client_as
from tests.mailstack_fixture import DOVECOT_LOG, POSTFIX_LOG, message

pytestmark = pytest.mark.e2e
DOMAIN = "journey-e2e.test"


@pytest.fixture
def delivered(mailstack, app, actor, world):
    """A message sent over SMTP and saved by Dovecot; its queue id."""
    with app.app_context():
        session = get_session()
        domains.create_domain(session, actor, DOMAIN)
        mailboxes.create_mailbox(session, actor, f"traveller@{DOMAIN}", password="journey-pass-1")
        session.commit()
    qid = mailstack.send([f"traveller@{DOMAIN}"], message("a journey"), sender="origin@client.test")
    mailstack.wait_for_delivery(qid, f"traveller@{DOMAIN}")
    app.config.update(POSTFIX_LOG=str(POSTFIX_LOG), DOVECOT_LOG=str(DOVECOT_LOG))
    return qid


def journey_lines(client, **query) -> list[str]:
    page = client.get("/logs/journey", query_string=query).get_data(as_text=True)
    # A line's cell marks its kind and links its queue id: read its text.
    cells = re.findall(r"<td><code>(.*?)</code></td>", page)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells]


def wait_for_dovecot_line(client, **query) -> list[str]:
    # Dovecot writes its line when LMTP finishes; Postfix may log first.
    deadline = time.monotonic() + 20
    while True:
        lines = journey_lines(client, **query)
        if any("saved mail to INBOX" in line for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_journey_of_a_delivered_message_from_its_queue_id_and_address(app, delivered):
    root = client_as(app, "superadmin")
    recipient = f"traveller@{DOMAIN}"

    lines = wait_for_dovecot_line(root, queue_id=delivered)

    def first(marker: str) -> int:
        return next(i for i, line in enumerate(lines) if marker in line)

    smtpd = first("postfix/smtpd[")
    cleanup = first("postfix/cleanup[")
    queued = first(f"{delivered}: from=<origin@client.test>")
    sent = first(f"{delivered}: to=<{recipient}>")
    saved = first("saved mail to INBOX")
    assert smtpd < cleanup < queued < sent <= saved, lines
    assert "postfix/lmtp[" in lines[sent] and "status=sent" in lines[sent]
    assert f"lmtp({recipient})" in lines[saved]
    assert all(delivered in line or f"lmtp({recipient})" in line for line in lines)

    by_address = wait_for_dovecot_line(root, address=recipient)
    assert set(lines) <= set(by_address)
