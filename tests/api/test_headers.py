"""Headers every API answer carries."""

from __future__ import annotations

from tests.helpers import bearer


def test_every_api_answer_says_no_store(client, api_tokens):
    h = bearer(api_tokens["root"])
    answers = [
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/mailboxes"),  # 401
        client.get("/api/v1/mailboxes", headers=h),
        client.get("/api/v1/export", headers=h),
        client.post("/api/v1/mailboxes", json={"email": "gen@example.org"}, headers=h),  # a generated password
        client.get("/api/v1/no-such-thing", headers=h),
    ]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)
    assert "password" in answers[4].json
