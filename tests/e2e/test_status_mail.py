"""The status checks that ask the mail servers themselves, on the real stack:
every check ok while it runs; Dovecot stopped (by deploy/mailstack, started
again before the test ends) fails its checks, `flask status` exits 1 naming
it and /health answers 503; a copy of a map pointed at a missing view fails
that map's check (the real stack is never touched); a real deferred message
past the age threshold fails queue_age (a certificate the stack serves for
3 more days: tests/e2e/test_tls.py);
quota_clone's usage row after a delivery is checked.

Checks run in their own short app context: on SQLite, a session kept open
for the whole test would hold the lock Dovecot's dict needs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import delete

from panel.db import get_session
from panel.mailserver import queries as mailserver_queries
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
    every_map = {f"map {name}" for names in mailserver_queries.POSTFIX_MAPS.values() for name in names}
    assert maps == {f"map {p.stem}" for p in Path(status_mail.MAP_DIR).glob("*.cf")} == every_map
    assert f"knows {address}" in results["dovecot userdb"].reason
    assert f"knows {address}" in results["dovecot passdb"].reason
    assert "DUNNO" in results["quota-status"].reason
    assert "answers 'e2e.test' (found)" in results["map postfix-domains"].reason
    # virtual_alias_maps' one map answers an active mailbox with itself.
    assert results["map postfix-recipient"].reason.endswith("(found)"), results["map postfix-recipient"]


def test_a_map_pointed_at_a_broken_query_fails_its_check(mail, app, new_mailbox, tmp_path):
    new_mailbox("olive@e2e.test")
    copy = tmp_path / "maps"
    shutil.copytree(status_mail.MAP_DIR, copy)
    broken = copy / "postfix-mailboxes.cf"
    # The whole query line: on PostgreSQL it is a function call (migration
    # 0025) that names no view, so renaming one would break nothing.
    lines = broken.read_text().splitlines()
    query = "query = SELECT address FROM mailserver_no_such_view WHERE address = '%s'"
    assert sum(line.startswith("query = ") for line in lines) == 1
    broken.write_text("\n".join(query if line.startswith("query = ") else line for line in lines) + "\n")
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


def status_lines(runner, app, **config) -> tuple[int, dict[str, str]]:
    """`flask status --json`'s exit code and "state reason -- todo" by check name."""
    app.config.update(config)
    status.clear_cache()
    result = runner.invoke(args=["status", "--json"])
    lines = {c["name"]: f"{c['state']} {c['reason']} -- {c['todo']}" for c in json.loads(result.output)}
    return result.exit_code, lines


def test_dovecot_stopped_fails_its_checks_and_a_deferred_message_older_than_the_threshold_fails_queue_age(
    mail, app, runner, new_mailbox, tmp_path
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
        entry = wait_for(
            lambda: (e := queued(address)) and e["queue_id"] and e["queue_name"] == "deferred" and e,
            "a deferred message",
        )
        qid = entry["queue_id"]
        # Could a test age it with `touch -d`? No: showq reports the arrival
        # time written in the queue file (its time record), not the file's
        # mtime -- which for a deferred file is the time of the next retry.
        queue_file = next(Path("/var/spool/postfix/deferred").rglob(qid))
        mtime = queue_file.stat().st_mtime
        assert mtime > time.time()  # the next retry, minimal_backoff_time away
        os.utime(queue_file, (mtime, time.time() - 2 * DAY))
        try:
            assert queued(address)["arrival_time"] == entry["arrival_time"]
        finally:
            os.utime(queue_file, (mtime, mtime))
        mail.command("start")
        wait_for(lambda: run_checks(app)["dovecot"].state == status.OK, "Dovecot back")
        # Dovecot is back but the message waits for its retry (minutes away):
        # it is really deferred, and really this old.
        good = str(certificate_file(tmp_path / "good.pem", days=90))
        code, lines = status_lines(runner, app, TLS_CERT=good)
        assert lines["queue_age"].startswith("ok ") and "oldest deferred message waits" in lines["queue_age"]
        wait_for(lambda: time.time() - entry["arrival_time"] >= 3, "the message to be 3 s old")
        code, lines = status_lines(runner, app, STATUS_DEFERRED_WARN="2s", STATUS_DEFERRED_FAIL="1h")
        assert code == 1 and lines["queue_age"].startswith("warning "), lines
        assert "(warning from 2 s, failing from 60 min)" in lines["queue_age"]
        not_ok = {name: line for name, line in lines.items() if not line.startswith("ok ")}
        not_ok.pop("disk", None)
        assert set(not_ok) == {"queue_age"}, not_ok
        code, lines = status_lines(runner, app, STATUS_DEFERRED_WARN="1s", STATUS_DEFERRED_FAIL="2s")
        assert code == 1 and lines["queue_age"].startswith("failing ") and "read its delay reason" in lines["queue_age"]
        assert queued(address)["queue_name"] == "deferred"  # still the same real message
    finally:
        if qid:
            MailTools().postsuper_action("delete", [qid])
        mail.command("start")
    assert run_checks(app)["dovecot"].state == status.OK


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
