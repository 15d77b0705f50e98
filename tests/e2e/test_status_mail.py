"""The status checks that ask the mail servers themselves, on the real stack:
every check ok while it runs; Dovecot stopped (by deploy/mailstack, started
again before the test ends) fails its checks, `flask status` exits 1 naming
it and /health answers 503; a copy of a map pointed at a missing view fails
that map's check (the real stack is never touched); a real deferred message
past the age threshold and a certificate that expires in 3 days fail theirs;
quota_clone's usage row after a delivery is checked.

Checks run in their own short app context: on SQLite, a session kept open
for the whole test would hold the lock Dovecot's dict needs."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import delete

from panel.db import get_session
from panel.mailserver.tools import MailTools
from panel.models import QuotaUsage
from panel.services import status, status_mail
from tests.helpers import certificate_file
from tests.mailstack_fixture import message

pytestmark = pytest.mark.e2e
DAY = 86400


def run_checks(app, **config) -> dict[str, status.Result]:
    status.clear_cache()
    with app.app_context():
        return {r.name: r for r in status.run_all(get_session(), {**app.config, **config})}


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def queued(recipient: str) -> dict | None:
    out = subprocess.run(["postqueue", "-j"], capture_output=True, check=True, timeout=30).stdout
    for entry in map(json.loads, out.splitlines()):
        if any(r["address"] == recipient for r in entry["recipients"]):
            return entry
    return None


def test_every_check_is_ok_while_the_stack_runs(mail, app, new_mailbox, tmp_path):
    address = new_mailbox("olive@e2e.test")
    cert = certificate_file(tmp_path / "good.pem", days=90)
    results = run_checks(app, TLS_CERT=str(cert))
    not_ok = {name: (r.state, r.reason) for name, r in results.items() if r.state != status.OK}
    # The disk may be fuller than the threshold on a busy test machine; nothing else may be off.
    not_ok.pop("disk", None)
    assert not_ok == {}
    maps = {name for name in results if name.startswith("map ")}
    assert maps == {f"map {p.stem}" for p in Path(status_mail.MAP_DIR).glob("*.cf")} and len(maps) >= 8
    assert f"knows {address}" in results["dovecot userdb"].reason
    assert f"knows {address}" in results["dovecot passdb"].reason
    assert "DUNNO" in results["quota-status"].reason
    assert "answers 'e2e.test' (found)" in results["map postfix-domains"].reason


def test_a_map_pointed_at_a_broken_query_fails_its_check(mail, app, new_mailbox, tmp_path):
    new_mailbox("olive@e2e.test")
    copy = tmp_path / "maps"
    shutil.copytree(status_mail.MAP_DIR, copy)
    broken = copy / "postfix-mailboxes.cf"
    broken.write_text(broken.read_text().replace("mailserver_mailboxes", "mailserver_no_such_view"))
    results = run_checks(app, POSTFIX_MAP_DIR=str(copy))
    assert results["map postfix-mailboxes"].state == status.FAILING, results["map postfix-mailboxes"]
    assert "the query fails" in results["map postfix-mailboxes"].reason
    assert results["map postfix-domains"].state == status.OK
    # The same file, so the same database and role, with the right query: ok.
    assert run_checks(app)["map postfix-mailboxes"].state == status.OK


def test_a_map_of_another_database_does_not_know_the_first_domain(mail, app, tmp_path):
    copy = tmp_path / "maps"
    shutil.copytree(status_mail.MAP_DIR, copy)
    wrong = copy / "postfix-domains.cf"
    wrong.write_text(wrong.read_text().replace("WHERE name = '%s'", "WHERE name = '%s' AND 1 = 0"))
    result = run_checks(app, POSTFIX_MAP_DIR=str(copy))["map postfix-domains"]
    assert result.state == status.FAILING and "does not know e2e.test" in result.reason


def test_dovecot_stopped_fails_its_checks_and_an_old_deferred_message_fails_the_queue_age(
    mail, app, runner, new_mailbox
):
    address = new_mailbox("defer@e2e.test")
    mail.command("stop-dovecot")
    qid = None
    try:
        results = run_checks(app)
        assert results["dovecot"].state == status.FAILING and results["postfix"].state == status.OK
        result = runner.invoke(args=["status"])
        assert result.exit_code == 1 and "Dovecot is not running" in result.output
        status.clear_cache()
        assert app.test_client().get("/health").status_code == 503
        # Picked up locally (no smtpd, so no quota-status at RCPT): LMTP is
        # down, so the message waits in the deferred queue.
        subprocess.run(
            ["/usr/sbin/sendmail", "-f", "tester@example.com", address],
            input=message("deferred", to=address).as_bytes(),
            check=True,
            timeout=30,
        )
        entry = wait_for(lambda: (e := queued(address)) and e["queue_name"] == "deferred" and e, "a deferred message")
        qid = entry["queue_id"]
        fresh, later = (status.check_queue(app.config, now) for now in (time.time(), entry["arrival_time"] + 2 * DAY))
        assert [r.state for r in fresh] == [status.OK, status.OK] and "1 deferred" in fresh[0].reason
        assert later[1].state == status.FAILING and "48.0 h" in later[1].reason
    finally:
        if qid:
            MailTools().postsuper_action("delete", [qid])
        mail.command("start")
    assert run_checks(app)["dovecot"].state == status.OK


def test_a_certificate_expiring_in_three_days_fails_flask_status(mail, app, runner, tmp_path):
    app.config["TLS_CERT"] = str(certificate_file(tmp_path / "soon.pem", days=3))
    status.clear_cache()
    result = runner.invoke(args=["status"])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if " certificate " in line)
    assert line.startswith("failing") and "expires in 3 days" in line and "renew" in line


def test_quota_clone_is_fresh_after_a_delivery_and_stale_without_its_row(mail, app, new_mailbox):
    address = new_mailbox("clone@e2e.test")
    qid = mail.send([address], message("counted", to=address))
    mail.wait_for_delivery(qid, address)

    def usage_row():
        with app.app_context():
            return get_session().get(QuotaUsage, address)

    wait_for(usage_row, "quota_clone's row")
    later = dt.datetime.now(dt.timezone.utc) + status_mail.QUOTA_CLONE_GRACE + dt.timedelta(seconds=5)
    with app.app_context():
        session = get_session()
        fresh = status_mail.check_quota_clone(session, app.config, later)
        assert fresh.state == status.OK and address in fresh.reason
        # As if Dovecot's dict had never written: the delivery has no usage.
        session.execute(delete(QuotaUsage).where(QuotaUsage.username == address))
        stale = status_mail.check_quota_clone(session, app.config, later)
        session.rollback()
    assert stale.state == status.WARNING and f"delivered to {address}" in stale.reason
