"""The status checks' thresholds and the parts that need no mail stack."""

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


def test_an_empty_queue_is_ok():
    assert [r.state for r in status.queue_results({}, None, 0)] == ["ok", "ok"]


def test_worst_state_wins():
    results = [status.Result("a", "ok", ""), status.Result("b", "unknown", ""), status.Result("c", "warning", "")]
    assert status.worst(results) == "warning"


def test_a_missing_pid_file_means_postfix_is_not_running(tmp_path):
    result = status.check_postfix({"POSTFIX_PID_FILE": str(tmp_path / "master.pid")})
    assert result.state == "failing" and "not running" in result.reason


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
