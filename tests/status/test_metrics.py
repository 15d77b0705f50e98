"""GET /metrics: Prometheus text for a superadmin's token, nothing for anyone else."""

from prometheus_client.parser import text_string_to_metric_families

from panel.services import status


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_metrics_parse_and_count_the_domains(client, api_tokens):
    status.clear_cache()
    response = client.get("/metrics", headers=_bearer(api_tokens["root"]))
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert families["mailpanel_domains"].samples[0].value == 2
    assert families["mailpanel_mailboxes"].samples[0].value == 2
    checks = {s.labels["check"] for s in families["mailpanel_check_ok"].samples}
    assert {"postfix", "dovecot", "database"} <= checks


def test_metrics_refuse_no_token_and_a_domain_admins_token(client, api_tokens):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_bearer(api_tokens["dora"])).status_code == 403
    assert client.get("/metrics", headers=_bearer(api_tokens["helen"])).status_code == 403


def _gauges(client, token) -> dict:
    status.clear_cache()
    text = client.get("/metrics", headers=_bearer(token)).get_data(as_text=True)
    return {(s.name, s.labels.get("window")): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def test_failed_panel_logins_are_counted_in_the_last_hour(app, client, api_tokens):
    from tests.helpers import login

    before = _gauges(client, api_tokens["root"])
    browser = app.test_client()
    for _ in range(3):
        assert login(browser, "root", "wrong-password").status_code == 401
    after = _gauges(client, api_tokens["root"])
    for window in ("1h", "24h"):
        key = ("mailpanel_login_failures", window)
        assert after[key] - before[key] == 3
    assert ("mailpanel_login_locked_budgets", None) in after
