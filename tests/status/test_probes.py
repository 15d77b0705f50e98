"""The mail-server probes of services.status_mail that need no running
stack: a real ``postmap`` on a real SQLite map, the policy request, the
delivery lines quota_clone's check reads."""

import datetime as dt
import sqlite3
import threading

from panel.services import status, status_mail


def _map(tmp_path, table: str):
    db = tmp_path / "maps.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS domains (name TEXT)")
        conn.execute("INSERT INTO domains VALUES ('a.test')")
    path = tmp_path / f"{table}.cf"
    path.write_text(f"dbpath = {db}\nquery = SELECT name FROM {table} WHERE name = '%s'\n")
    return path


def test_postmap_finding_the_key_not_finding_it_and_failing_are_told_apart(tmp_path):
    good = _map(tmp_path, "domains")
    assert status_mail.map_type(good) == "sqlite"
    assert status_mail.check_map({}, good, "a.test", True).state == status.OK
    assert status_mail.check_map({}, good, "b.test", False).state == status.OK
    missing = status_mail.check_map({}, good, "b.test", True)
    assert missing.state == status.FAILING and "does not know b.test" in missing.reason
    broken = status_mail.check_map({}, _map(tmp_path, "no_such_table"), "a.test", False)
    assert broken.state == status.FAILING and "no such table" in broken.reason


def _locked(db, seconds: float) -> threading.Event:
    """Hold an exclusive lock on db (rollback-journal mode, so readers are
    refused) for `seconds`; the event is set once the lock is held."""
    held = threading.Event()

    def hold():
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        held.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(5)
    return held


def test_a_map_that_meets_a_locked_sqlite_file_is_asked_again(tmp_path):
    """Postfix's SQLite client has no busy timeout: a lookup can meet a lock
    another process holds for a moment. The check tries again before it
    calls the map broken, and says so when the lock stays."""
    good = _map(tmp_path, "domains")
    _locked(tmp_path / "maps.sqlite", 3.3)  # longer than one postmap waits (~2.8 s)
    assert status_mail.check_map({}, good, "a.test", True).state == status.OK
    _locked(tmp_path / "maps.sqlite", 10)  # postmap itself waits about 1 s a try
    stuck = status_mail.check_map({}, good, "a.test", True)
    assert stuck.state == status.FAILING and "database is locked" in stuck.reason


def test_a_missing_postmap_is_unknown_and_says_what_to_do(tmp_path):
    result = status_mail.check_map({"POSTMAP_PATH": str(tmp_path / "postmap")}, _map(tmp_path, "domains"), "a", True)
    assert result.state == status.UNKNOWN and "sudoers" in result.todo


def test_no_map_files_is_unknown(session, tmp_path):
    [(check,)] = status_mail.map_probes(session, {"POSTFIX_MAP_DIR": str(tmp_path)})
    assert check().state == status.UNKNOWN


def test_the_policy_request_is_what_postfix_sends_at_rcpt():
    request = status_mail.policy_request("bob@a.test").decode()
    assert request.endswith("\n\n") and "protocol_state=RCPT\n" in request and "recipient=bob@a.test\n" in request


def test_nothing_listening_fails_the_quota_status_check():
    result = status_mail.check_quota_status({"QUOTA_STATUS_ADDRESS": "127.0.0.1:9"}, None)
    assert result.state == status.FAILING and "no answer on 127.0.0.1:9" in result.reason


LINE = (
    "Dec 31 23:59:58 mail postfix/lmtp[17639]: 701C6178132: to=<Tom@e2e.test>, relay=mail[private/dovecot-lmtp],"
    " delay=0.09, dsn=2.0.0, status=sent (250 2.0.0 <tom@e2e.test> eekrHb8 Saved)"
)


def test_a_delivery_line_gives_its_local_time_and_recipient_even_across_new_year():
    now = dt.datetime(2027, 1, 1, 0, 5).astimezone()
    when, recipient = status_mail._delivery(LINE, now)
    assert recipient == "tom@e2e.test" and (when.year, when.month, when.day) == (2026, 12, 31)


def test_quota_clone_has_nothing_to_say_without_a_recent_delivery(session, tmp_path):
    log = tmp_path / "postfix.log"
    log.write_text(LINE + "\n")
    result = status_mail.check_quota_clone(session, {"POSTFIX_LOG": str(log)})
    assert result.state == status.OK and "no delivery" in result.reason
