"""Every state-changing route refuses a POST without a valid CSRF token
(the app runs with WTF_CSRF_ENABLED left on, as in production)."""

from __future__ import annotations

from tests.helpers import client_as, post, sample_url, world_state


def _session_routes(app):
    """Every non-GET route served to browser sessions. The JSON API under
    /api/v1 is exempt: it authenticates by bearer token, never by cookie.
    So is Outlook's autodiscover: a mail client posts there before anyone
    signs in, and it reads nothing of the session and changes nothing."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/") or rule.endpoint.startswith("autoconfig."):
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            yield rule, method


def test_every_post_without_a_token_is_refused(app, world):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    client = client_as(app, "superadmin")
    before = world_state(world)
    routes = list(_session_routes(app))
    assert len(routes) >= 20
    for rule, method in routes:
        url = sample_url(app, rule)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.open(url, method=method, data=data)
            assert response.status_code == 400, (method, url, data, response.status_code)
            assert "Form expired" in response.get_data(as_text=True)
    assert world_state(world) == before
    # The same client with a real token can act: the refusals were about the token.
    assert post(client, "/domains/example.org/disable").status_code == 302
    assert world_state(world) != before


def test_login_form_needs_a_token_too(app, world):
    client = app.test_client()
    response = client.post("/login", data={"username": "root", "password": "x"})
    assert response.status_code == 400
