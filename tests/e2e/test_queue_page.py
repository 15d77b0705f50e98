"""The queue page on the real Postfix (deploy/mailstack, loopback test mode).

Delivery to Dovecot is held back with ``defer_transports = lmtp``, so the
messages we send wait in Postfix's deferred queue; the page then finds,
holds, releases, requeues and deletes them, and ``postqueue -j`` says
whether it really happened.
"""

from __future__ import annotations

import json
import re
import smtplib
import subprocess
import time

import pytest
from markupsafe import escape

from panel.db import get_session
from panel.services import mailboxes
from tests.helpers import audit_events, client_as, post
from tests.mailstack_fixture import message

pytestmark = pytest.mark.e2e
DOMAIN = "queue-e2e.test"
XSS_SENDER = '"<script>alert(1)</script>"@evil.test'
XSS_SUBJECT = "<script>alert(2)</script>"


def postqueue_json() -> list[dict]:
    out = subprocess.run(["postqueue", "-j"], capture_output=True, check=True, timeout=30).stdout
    return [json.loads(line) for line in out.splitlines()]


def postqueue() -> dict[str, str]:
    """queue id -> queue name, straight from Postfix."""
    return {m["queue_id"]: m["queue_name"] for m in postqueue_json()}


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; queue: {postqueue()}")


def postfix(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=60)


@pytest.fixture
def deferring(mailstack):
    """Postfix keeps mail for Dovecot in the deferred queue until the test ends.
    The queue starts empty: mail an earlier test left waiting (deferred while
    its database was away) would be counted as this test's."""
    subprocess.run(["postsuper", "-d", "ALL"], capture_output=True, timeout=60)
    postfix("postconf", "-e", "defer_transports = lmtp")
    postfix("postfix", "reload")
    try:
        yield mailstack
    finally:
        subprocess.run(["postsuper", "-d", "ALL"], capture_output=True, timeout=60)
        postfix("postconf", "-X", "defer_transports")
        postfix("postfix", "reload")


@pytest.fixture
def recipient(app, actor, world):
    with app.app_context():
        session = get_session()
        from panel.services import domains

        domains.create_domain(session, actor, DOMAIN)
        mailboxes.create_mailbox(session, actor, f"waiting@{DOMAIN}", password="queue-e2e-pass-1")
        session.commit()
    return f"waiting@{DOMAIN}"


def send_raw(sender: str, recipient: str, subject: str) -> str:
    """SMTP by hand: smtplib would re-quote the hostile sender."""
    with smtplib.SMTP("127.0.0.1", 25, timeout=20) as smtp:
        smtp.ehlo("e2e.client.test")
        code, reply = smtp.docmd(f"MAIL FROM:<{sender}>")
        assert code == 250, reply
        code, reply = smtp.docmd(f"RCPT TO:<{recipient}>")
        assert code == 250, reply
        code, reply = smtp.data(f"From: test@{DOMAIN}\r\nTo: {recipient}\r\nSubject: {subject}\r\n\r\nwaiting\r\n")
        assert code == 250, reply
    return re.search(rb"queued as ([0-9A-Za-z]+)", reply).group(1).decode()


def test_queue_page_acts_on_real_postfix_queue(deferring, recipient, app):
    app.config.update(QUEUE_COMMAND_PREFIX="", QUEUE_COMMAND_TIMEOUT=30)
    ids = [deferring.send([recipient], message(f"waiting {n}")) for n in range(3)]
    xss_id = send_raw(XSS_SENDER, recipient, XSS_SUBJECT)

    def four_deferred():
        queue = postqueue()
        return queue if len(queue) == 4 and set(queue.values()) == {"deferred"} else None

    queue = wait_for(four_deferred, "four deferred messages")
    assert set(queue) == {*ids, xss_id}
    root = client_as(app, "superadmin")

    page = root.get(f"/queue/?domain={DOMAIN}&queue=deferred").get_data(as_text=True)
    assert set(re.findall(r'data-queue-id="([0-9A-Za-z]+)"', page)) == set(queue)
    assert "deferred transport" in page
    (raw_sender,) = [m["sender"] for m in postqueue_json() if m["queue_id"] == xss_id]
    assert "<script>" in raw_sender  # Postfix keeps it as given
    assert "<script>" not in page and str(escape(raw_sender)) in page

    shown = root.get(f"/queue/message/{xss_id}").get_data(as_text=True)
    assert "<script>alert(2)" not in shown and "Subject: &lt;script&gt;alert(2)&lt;/script&gt;" in shown

    post(root, "/queue/action", {"action": "hold", "scope": "selected", "ids": [ids[0], ids[1]]})
    assert {postqueue()[i] for i in ids[:2]} == {"hold"}
    post(root, "/queue/action", {"action": "release", "scope": "selected", "ids": [ids[0]]})
    assert postqueue()[ids[0]] != "hold" and postqueue()[ids[1]] == "hold"

    requeued = post(
        root, "/queue/action", {"action": "requeue", "scope": "selected", "ids": [ids[2]]}, follow_redirects=True
    )
    assert "Requeue: 1 of 1" in requeued.get_data(as_text=True)
    # postsuper -r moves it to maildrop, where pickup finds it (within a minute).
    assert postqueue()[ids[2]] in ("maildrop", "incoming", "active", "deferred")
    retried = post(
        root, "/queue/action", {"action": "retry", "scope": "selected", "ids": [ids[0]]}, follow_redirects=True
    )
    assert "Retry now: 1 of 1" in retried.get_data(as_text=True)
    # An explicit retry delivers even through defer_transports.
    wait_for(lambda: ids[0] not in postqueue(), "the retried message to be delivered")

    post(root, "/queue/action", {"action": "delete", "scope": "selected", "ids": [xss_id]})  # asks first
    assert xss_id in postqueue()
    post(root, "/queue/action", {"action": "delete", "scope": "selected", "ids": [xss_id], "confirmed": "yes"})
    assert xss_id not in postqueue()

    post(root, "/queue/action", {"action": "delete", "scope": "matching", "queue": "hold", "confirmed": "yes"})
    assert set(postqueue()) == {ids[2]}

    actions = [e.action for e in audit_events(app, "queue.%")]
    assert actions == ["queue.hold", "queue.release", "queue.requeue", "queue.retry", "queue.delete", "queue.delete"]
