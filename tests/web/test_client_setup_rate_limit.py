"""The anonymous mail client set-up answers are rate-limited per client
address, on a budget in the database that every web worker shares: 429 with
Retry-After beyond it, nothing audited, configurable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from panel import create_app, db
from panel.config import ConfigError
from panel.models import AuditEvent, RequestBudget, utcnow
from panel.services import request_budget

THUNDERBIRD = "/mail/config-v1.1.xml"
JSON = "/autodiscover/autodiscover.json"
ASK = {"emailaddress": "alice@example.org"}


@pytest.fixture
def limited(app, world):
    app.config.update(MAIL_HOSTNAME="mail.example.net", CLIENT_SETUP_RATE_LIMIT=3, CLIENT_SETUP_RATE_WINDOW=300)
    return app


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_client_over_its_budget_gets_429_with_retry_after_and_others_do_not(limited):
    client = _from(limited, "192.0.2.7")
    assert [client.get(THUNDERBIRD, query_string=ASK).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(THUNDERBIRD, query_string=ASK)
    assert refused.status_code == 429
    assert 290 <= int(refused.headers["Retry-After"]) <= 300
    assert b"alice" not in refused.data
    assert client.post("/Autodiscover/Autodiscover.xml", data="<x/>").status_code == 429  # one budget for all
    assert _from(limited, "192.0.2.8").get(THUNDERBIRD, query_string=ASK).status_code == 200


def test_the_json_endpoint_says_429_in_json(limited):
    client = _from(limited, "192.0.2.9")
    query = {"Email": "alice@example.org", "Protocol": "AutodiscoverV1"}
    for _ in range(3):
        assert client.get(JSON, query_string=query).status_code == 200
    refused = client.get(JSON, query_string=query)
    assert refused.status_code == 429 and refused.is_json
    assert refused.json["ErrorCode"] == "TooManyRequests" and int(refused.headers["Retry-After"]) > 0


def test_outlooks_path_form_shares_the_budget_and_says_429_in_json(limited):
    client = _from(limited, "192.0.2.12")
    path = "/Autodiscover/Autodiscover.json/v1.0/alice@example.org"
    assert client.get(path, query_string={"Protocol": "AutodiscoverV1"}).status_code == 200
    assert client.get(THUNDERBIRD, query_string=ASK).status_code == 200
    assert client.get(path, query_string={"Protocol": "AutodiscoverV1"}).status_code == 200
    refused = client.get(path, query_string={"Protocol": "AutodiscoverV1"})
    assert refused.status_code == 429 and refused.is_json
    assert refused.json["ErrorCode"] == "TooManyRequests" and int(refused.headers["Retry-After"]) > 0
    assert b"alice" not in refused.data


def test_an_ipv6_client_is_counted_by_its_64(limited):
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"):
        assert _from(limited, host).get(THUNDERBIRD, query_string=ASK).status_code == 200
    assert _from(limited, "2001:db8:1:2::99").get(THUNDERBIRD, query_string=ASK).status_code == 429
    assert _from(limited, "2001:db8:1:3::1").get(THUNDERBIRD, query_string=ASK).status_code == 200


def test_refused_and_answered_requests_write_no_audit_record(limited, world):
    def audited() -> int:
        with world() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent))

    before = audited()
    client = _from(limited, "192.0.2.10")
    codes = [client.get(THUNDERBIRD, query_string={"emailaddress": "a@<script>.org"}).status_code]
    codes += [client.get(THUNDERBIRD, query_string=ASK).status_code for _ in range(4)]
    assert codes == [404, 200, 200, 429, 429]
    assert audited() == before


def test_two_app_processes_on_one_database_share_the_budget(limited, database_url, tmp_path):
    """What gunicorn's workers are: separate apps on the same database."""
    other = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "CLIENT_SETUP_RATE_LIMIT": 3,
            "CLIENT_SETUP_RATE_WINDOW": 300,
        }
    )
    other.instance_path = str(tmp_path / "other")
    try:
        first, second = _from(limited, "198.51.100.1"), _from(other, "198.51.100.1")
        codes = [c.get(THUNDERBIRD, query_string=ASK).status_code for c in (first, second, first, second)]
        assert codes == [200, 200, 200, 429]
    finally:
        db.engine_for(other).dispose()


def test_a_new_window_starts_afresh_and_past_windows_are_purged(session):
    window = timedelta(seconds=60)
    start = utcnow()
    assert [request_budget.charge(session, "c:a", 2, window, start) for _ in range(3)] == [0, 0, 60]
    assert request_budget.charge(session, "c:b", 2, window, start) == 0
    later = start + timedelta(seconds=61)
    assert request_budget.charge(session, "c:a", 2, window, later) == 0  # a new window for a; b's is purged
    assert session.scalars(select(RequestBudget.key)).all() == ["c:a"]
    assert request_budget.charge(session, "c:a", 2, window, later + timedelta(seconds=30)) == 0
    assert request_budget.charge(session, "c:a", 2, window, later + timedelta(seconds=30)) == 30


def test_limit_zero_turns_it_off(limited):
    limited.config["CLIENT_SETUP_RATE_LIMIT"] = 0
    client = _from(limited, "192.0.2.11")
    assert {client.get(THUNDERBIRD, query_string=ASK).status_code for _ in range(5)} == {200}


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CLIENT_SETUP_RATE_LIMIT", "-1"), ("CLIENT_SETUP_RATE_LIMIT", "many"), ("CLIENT_SETUP_RATE_WINDOW", "0")],
)
def test_a_bad_limit_setting_fails_at_start_naming_the_variable(variable, value, tmp_path, monkeypatch):
    monkeypatch.setenv(f"MAILPANEL_{variable}", value)
    with pytest.raises(ConfigError, match=f"MAILPANEL_{variable}"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": "k"})
