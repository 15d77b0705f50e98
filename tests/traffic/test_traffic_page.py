"""The traffic page, the dashboard's "today", `flask traffic` and /metrics
after a real `flask traffic ingest` of the captured lines."""

from __future__ import annotations

import json
import re

from prometheus_client.parser import text_string_to_metric_families

from panel.services import tokens
from tests.fixtures.traffic import EXPECTED
from tests.helpers import client_as


def counter_on(page: str, name: str) -> int:
    match = re.search(rf'data-counter="{name}"><span class="num">([\d,]+)</span>', page)
    assert match, name
    return int(match.group(1).replace(",", ""))


def test_flask_traffic_ingest_then_the_numbers_of_a_domain(app, world, worlds_logs, cli):
    assert "postfix: 45 lines" in cli("traffic", "ingest")
    assert cli("traffic", "ingest", "--quiet") == ""
    report = json.loads(cli("traffic", "--domain", "example.org", "--hours", "2", "--json"))
    assert {k: v for k, v in report["totals"].items() if v} == EXPECTED["example.org"]
    assert len(report["hours"]) == 2
    assert report["top_senders"] == [{"sender": "jack@example.org", "count": 1}]
    text = cli("traffic")
    assert "total" in text and "top reject reasons:" in text
    assert "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table" in text


def test_flask_traffic_refuses_bad_hours_and_unknown_domains(app, world, runner):
    result = runner.invoke(args=["traffic", "--hours", "0"])
    assert result.exit_code == 1 and "hours: give 1 to 2160 hours (90 days)" in result.output
    result = runner.invoke(args=["traffic", "--domain", "nowhere.test"])
    assert result.exit_code == 1 and "nowhere.test" in result.output


def test_flask_traffic_ingest_fails_naming_the_setting_when_a_log_is_missing(app, world, runner, tmp_path):
    app.config.update(POSTFIX_LOG=str(tmp_path / "gone.log"), DOVECOT_LOG=str(tmp_path / "gone2.log"))
    result = runner.invoke(args=["traffic", "ingest"])
    assert result.exit_code == 1 and "set MAILPANEL_POSTFIX_LOG" in result.output


def test_the_page_charts_the_superadmins_traffic(app, world, worlds_logs, cli):
    cli("traffic", "ingest")
    response = client_as(app, "superadmin").get("/traffic/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert counter_on(page, "received") == 4 and counter_on(page, "rejected") == 5
    assert page.count("<svg") == 4 and 'class="series s-received"' in page
    assert "<script>" not in page and "style=" not in page  # the CSP stays without inline script or style
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "jack@example.org" in page and "Relay access denied" in page
    assert "elsewhere (not hosted)" in page and ">other.org</a>" in page
    assert "traffic-stale" not in page  # just ingested


def test_a_domain_admin_sees_their_domain_only(app, world, worlds_logs, cli):
    cli("traffic", "ingest")
    dom = client_as(app, "domainadmin")
    page = dom.get("/traffic/").get_data(as_text=True)
    assert counter_on(page, "received") == 3 and counter_on(page, "deferred") == 0
    assert "other.org" not in page and "elsewhere" not in page and "Relay access denied" not in page
    other = dom.get("/traffic/?domain=other.org").get_data(as_text=True)
    assert "No domain other.org among yours" in other and counter_on(other, "received") == 3
    assert client_as(app, "helpdesk").get("/traffic/").status_code == 403


def test_the_page_says_when_ingestion_has_not_run(app, world):
    page = client_as(app, "superadmin").get("/traffic/").get_data(as_text=True)
    assert "traffic-stale" in page and "flask traffic ingest" in page


def test_the_dashboard_shows_todays_traffic_in_scope(app, world, worlds_logs, cli):
    cli("traffic", "ingest")
    root = client_as(app, "superadmin").get("/").get_data(as_text=True)
    assert 'id="traffic-today"' in root and counter_on(root, "received") == 4
    dom = client_as(app, "domainadmin").get("/").get_data(as_text=True)
    # failed logins: IMAP 2, POP3 1 and SMTP AUTH 1
    assert counter_on(dom, "received") == 3 and counter_on(dom, "failed") == 4


def test_metrics_count_the_traffic(app, world, worlds_logs, cli, session, actor):
    cli("traffic", "ingest")
    from panel.models import Admin

    root = session.query(Admin).filter_by(username="root").one()
    token = tokens.create_token(session, actor, root, "metrics")[1]
    session.commit()
    body = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    counted = {s.labels["kind"]: s.value for s in families["mailpanel_traffic"].samples if s.name.endswith("_total")}
    assert counted["received"] == 4 and counted["imap_failed"] == 2 and counted["rejected"] == 5
    stamps = {s.labels["log"]: s.value for s in families["mailpanel_traffic_ingested_timestamp_seconds"].samples}
    assert stamps["postfix"] > 0 and stamps["dovecot"] > 0


def test_a_domain_admin_is_not_told_to_run_a_command(app, world):
    page = client_as(app, "domainadmin").get("/traffic/").get_data(as_text=True)
    assert "traffic-stale" in page and "these numbers are not current" in page
    assert "flask traffic ingest" not in page and "cron" not in page
    assert "set up by the server's administrator" in page
