"""Traffic counted from the real Postfix and Dovecot logs (deploy/mailstack,
loopback test mode): what was sent, refused and logged in is exactly what
`flask traffic` reports for the domain, also across a log rotation done
the way logrotate does it (rename, new file, tell the daemons to reopen).

Each test uses a domain of its own, so the machine's older log lines (other
runs, other tests) cannot add to its numbers.
"""

from __future__ import annotations

import grp
import json
import os
import re
import secrets
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from tests.mailstack_fixture import DOVECOT_LOG, E2E_PASSWORD, HOST, POSTFIX_LOG, SUBMISSION_PORT, TIMEOUT, message

pytestmark = pytest.mark.e2e
WAIT_S = 20


@pytest.fixture
def domain(mail, cli, app):
    name = f"traffic-{secrets.token_hex(3)}.test"
    cli("domain", "add", name)
    app.config.update(POSTFIX_LOG=str(POSTFIX_LOG), DOVECOT_LOG=str(DOVECOT_LOG))
    cli("traffic", "ingest", "--quiet")  # catch up with the machine's log: our domain is not in it
    return name


def totals(cli, domain: str) -> dict:
    cli("traffic", "ingest", "--quiet")
    report = json.loads(cli("traffic", "--domain", domain, "--hours", "2", "--json"))
    return report


def settled(cli, domain: str, enough) -> dict:
    """Ingest until ``enough(totals)`` (Dovecot logs a failed login when the
    client hangs up), then once more a second later: nothing may be added."""
    deadline = time.monotonic() + WAIT_S
    report = totals(cli, domain)
    while not enough(report["totals"]) and time.monotonic() < deadline:
        time.sleep(0.3)
        report = totals(cli, domain)
    time.sleep(1)
    return totals(cli, domain)


def wait_in(path: Path, pattern: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if re.search(pattern, path.read_text(errors="replace")):
            return
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never appeared in {path}")


def test_sent_refused_and_logged_in_is_what_is_counted(mail, cli, new_mailbox, domain):
    box = new_mailbox(f"counted@{domain}")
    sent, refused, logins, failures = 3, 2, 4, 2  # N, M, K, J
    for n in range(sent):
        qid = mail.send([box], message(f"traffic {n}", to=box))
        mail.wait_for_delivery(qid, box)
    for n in range(refused):
        code, reply = mail.rcpt(f"nobody-{n}@{domain}")
        assert code == 550, reply
    for _ in range(logins):
        assert mail.imap_login_ok(box, E2E_PASSWORD)
    for _ in range(failures):
        assert not mail.imap_login_ok(box, "not-the-password")
    mail.submit(box, E2E_PASSWORD, [box], message("submitted", sender=box, to=box))  # SMTP AUTH

    report = settled(cli, domain, lambda t: t["imap_failed"] >= failures and t["received"] >= sent + 1)
    counted = {k: v for k, v in report["totals"].items() if v}
    assert counted == {
        "received": sent + 1,
        "delivered": sent + 1,
        "rejected": refused,
        "sent": 1,
        "imap_logins": logins,
        "imap_failed": failures,
    }
    busy_hours = [h["hour"] for h in report["hours"] if any(v for k, v in h.items() if k != "hour")]
    assert 1 <= len(busy_hours) <= 2  # this hour (and the one before, had the test begun just before the hour)
    assert report["top_senders"] == [{"sender": box, "count": 1}]
    assert report["top_rejects"] == [
        {"reason": "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table", "count": refused}
    ]


def _bad_auth(user: str, mechanism: str) -> None:
    """One SMTP AUTH attempt on 587 with a wrong password, its own connection
    (smtplib's login() would try the next mechanism after a refusal)."""
    with smtplib.SMTP(HOST, SUBMISSION_PORT, timeout=TIMEOUT) as smtp:
        smtp.ehlo("e2e.client.test")
        smtp.user, smtp.password = user, "not-the-password"
        method = smtp.auth_plain if mechanism == "PLAIN" else smtp.auth_login
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.auth(mechanism, method, initial_response_ok=mechanism == "PLAIN")


def test_failed_smtp_auth_on_submission_is_counted_exactly(mail, cli, new_mailbox, domain):
    box = new_mailbox(f"hijack@{domain}")
    attempts = ["PLAIN", "LOGIN", "PLAIN", "LOGIN", "PLAIN"]  # N
    for mechanism in attempts:
        _bad_auth(box, mechanism)
    mail.submit(box, E2E_PASSWORD, [box], message("the owner", sender=box, to=box))  # one success: not a failure

    report = settled(cli, domain, lambda t: t["smtp_failed"] >= len(attempts) and t["sent"] >= 1)
    counted = {k: v for k, v in report["totals"].items() if v}
    assert counted == {"smtp_failed": len(attempts), "sent": 1, "received": 1, "delivered": 1}
    table = cli("traffic", "--domain", domain, "--hours", "2")
    assert "smtp!" in table.splitlines()[0]
    assert re.search(rf"^total\b.*\b{len(attempts)}\s*$", table, re.M), table


def _rotate(path: Path) -> None:
    """What logrotate does without copytruncate: older files shift by one,
    the log becomes .1, and an empty log takes its place (same owner, mode)."""
    for number in range(8, 0, -1):
        older = Path(f"{path}.{number}")
        if older.exists():
            os.replace(older, f"{path}.{number + 1}")
    mode = path.stat().st_mode & 0o777
    os.rename(path, f"{path}.1")
    path.touch()
    os.chmod(path, mode)
    os.chown(path, 0, grp.getgrnam("adm").gr_gid)


def test_a_rotation_loses_nothing_and_counts_nothing_twice(mail, cli, new_mailbox, domain):
    box = new_mailbox(f"rotated@{domain}")
    first = mail.send([box], message("before the rotation", to=box))
    mail.wait_for_delivery(first, box)
    assert mail.imap_login_ok(box, E2E_PASSWORD)
    totals(cli, domain)  # the cursor now sits in the file about to be renamed

    _rotate(POSTFIX_LOG)
    _rotate(DOVECOT_LOG)
    # Until told to reopen, the daemons go on writing into the renamed files.
    second = mail.send([box], message("into the renamed file", to=box))
    wait_in(Path(f"{POSTFIX_LOG}.1"), rf"{second}: to=<{re.escape(box)}>.*status=sent")
    assert mail.imap_login_ok(box, E2E_PASSWORD)
    subprocess.run(["postfix", "reload"], check=True, capture_output=True, timeout=30)
    subprocess.run(["doveadm", "log", "reopen"], check=True, capture_output=True, timeout=30)
    third = mail.send([box], message("into the new file", to=box))
    wait_in(POSTFIX_LOG, rf"{third}: to=<{re.escape(box)}>.*status=sent")
    assert mail.imap_login_ok(box, E2E_PASSWORD)

    report = settled(cli, domain, lambda t: t["received"] >= 3 and t["imap_logins"] >= 3)
    assert {k: v for k, v in report["totals"].items() if v} == {"received": 3, "delivered": 3, "imap_logins": 3}
    assert POSTFIX_LOG.stat().st_size > 0 and DOVECOT_LOG.stat().st_size > 0  # the daemons write the new files
