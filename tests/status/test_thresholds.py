"""The status checks' thresholds and the parts that need no mail stack."""

import re

from panel.services import status
from tests.helpers import certificate_file


def test_grade_is_ok_below_warning_and_failing_from_the_failure_threshold():
    assert [status.grade(v, 10, 20) for v in (0, 9, 10, 19, 20)] == ["ok", "ok", "warning", "warning", "failing"]


def test_certificate_warns_at_21_days_and_fails_at_7():
    assert [status.cert_state(d) for d in (30, 20.9, 7.1, 3)] == ["ok", "warning", "warning", "failing"]


def test_free_space_warns_under_ten_percent_and_fails_under_three():
    assert [status.free_state(s) for s in (0.5, 0.09, 0.02)] == ["ok", "warning", "failing"]


def test_an_old_deferred_message_fails_the_queue_age_check():
    now = 1_800_000_000
    size, age = status.queue_results({"deferred": 2, "active": 1}, now - 2 * 86400, now)
    assert size.state == "ok" and "3 messages" in size.reason
    assert age.state == "failing" and "48.0 h" in age.reason


def test_the_deferred_thresholds_come_from_the_configuration():
    now = 1_800_000_000
    config = {"STATUS_DEFERRED_WARN": "30s", "STATUS_DEFERRED_FAIL": "5m"}
    warn, fail = status.deferred_thresholds(config)
    assert (warn, fail) == (30, 300) and status.deferred_thresholds({}) == (3600, 86400)
    states = [status.queue_results({"deferred": 1}, now - age, now, warn, fail)[1] for age in (10, 40, 400)]
    assert [r.state for r in states] == ["ok", "warning", "failing"]
    assert states[1].reason == "oldest deferred message waits 40 s (warning from 30 s, failing from 5 min)"


def test_an_empty_queue_is_ok():
    assert [r.state for r in status.queue_results({}, None, 0)] == ["ok", "ok"]


def test_worst_state_wins():
    results = [status.Result("a", "ok", ""), status.Result("b", "unknown", ""), status.Result("c", "warning", "")]
    assert status.worst(results) == "warning"


def test_a_missing_pid_file_means_postfix_is_not_running(tmp_path):
    result = status.check_postfix({"POSTFIX_PID_FILE": str(tmp_path / "master.pid")})
    assert result.state == "failing" and "not running" in result.reason


def test_nothing_serving_tls_at_a_checked_address_fails_the_certificate_check(tmp_path):
    good = certificate_file(tmp_path / "cert.pem", days=90)
    result = status.check_certificate({"TLS_CHECK_ADDRESSES": "127.0.0.1:1", "TLS_CERT": str(good)})
    assert result.state == "failing" and result.reason.startswith("no certificate served on 127.0.0.1:1")


def test_a_certificate_expiring_in_three_days_fails(tmp_path):
    path = certificate_file(tmp_path / "cert.pem", days=3)
    assert status.check_certificate({"TLS_CERT": str(path)}).state == "failing"


def test_status_command_exits_1_when_postfix_is_down(runner, tmp_path, app):
    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "none.pid")
    result = runner.invoke(args=["status"])
    assert result.exit_code == 1
    assert "Postfix is not running" in result.output


def test_health_is_anonymous_and_says_one_word(client, app, tmp_path):
    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "none.pid")
    status.clear_cache()
    response = client.get("/health")
    assert response.status_code == 503 and response.get_data(as_text=True) == "unavailable\n"


def test_status_page_and_dashboard_name_a_stopped_postfix(app, world, tmp_path):
    from tests.helpers import client_as

    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "none.pid")
    status.clear_cache()
    root = client_as(app, "superadmin")
    page = root.get("/status")
    assert page.status_code == 200 and 'data-check="postfix" data-state="failing"' in page.get_data(as_text=True)
    assert "Postfix is not running" in root.get("/").get_data(as_text=True)


def test_health_asks_live_while_the_dashboard_reads_a_cache(app, world, tmp_path):
    """The dashboard fills the status cache; a load balancer asking a moment
    later, after Postfix died, must hear "unavailable", not the cached "ok"."""
    import os

    from tests.helpers import client_as

    running = tmp_path / "running.pid"
    running.write_text(f"{os.getpid()}\n")
    app.config.update(POSTFIX_PID_FILE=str(running), DOVECOT_PID_FILE=str(running))
    status.clear_cache()
    root = client_as(app, "superadmin")
    assert "Postfix master process" in root.get("/status").get_data(as_text=True)
    assert app.test_client().get("/health").get_data(as_text=True) == "ok\n"
    running.unlink()  # Postfix (and Dovecot) gone, within the cache's lifetime
    assert 'data-check="postfix" data-state="ok"' in root.get("/status").get_data(as_text=True)  # still cached
    response = app.test_client().get("/health")
    assert (response.status_code, response.get_data(as_text=True)) == (503, "unavailable\n")


def test_status_rows_are_named_in_words_and_a_failing_one_wears_a_badge(app, world, tmp_path):
    from tests.helpers import client_as

    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "none.pid")
    status.clear_cache()
    page = client_as(app, "superadmin").get("/status").get_data(as_text=True)
    row = re.search(r'<tr data-check="postfix" data-state="failing">(.*?)</tr>', page, re.S).group(1)
    assert "Postfix running <small" in row and "<code>postfix</code>" in row  # the name /health gives, beside
    assert '<span class="badge off">failing</span>' in row
    database = re.search(r'<tr data-check="database" data-state="ok">(.*?)</tr>', page, re.S).group(1)
    assert "Database <small" in database and '<span class="badge ok">ok</span>' in database
    assert 'id="status-overall">Overall: <strong class="badge off">failing</strong>' in page
