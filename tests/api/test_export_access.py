"""Helpdesk staff find single mailboxes; a full export is not theirs."""

from tests.helpers import bearer


def test_api_export_refuses_helpdesk_tokens(client, api_tokens):
    assert client.get("/api/v1/export", headers=bearer(api_tokens["helen"])).status_code == 403
    answer = client.get("/api/v1/export", headers=bearer(api_tokens["dora"]))
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "alice@example.org" in body and "olga@other.org" not in body
