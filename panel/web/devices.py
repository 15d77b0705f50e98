"""Device cookies: a browser that signed in to an account keeps a signed,
random device id for it, and its login attempts are then charged to that
device's own budget (services.login_guard), so an attacker locking the
account out of unknown browsers does not lock its owner out."""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "mailpanel_device"
MAX_AGE = 180 * 24 * 3600
_SALT = "mailpanel device cookie"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def device_for(username: str) -> str | None:
    """The device id this browser holds for ``username``, if its cookie is
    genuine, recent and issued to that account."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 500:
        return None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username or not isinstance(data.get("d"), str):
        return None
    return data["d"]


def remember(response, username: str) -> None:
    """Give this browser a device id for ``username`` (kept if it has one)."""
    device = device_for(username) or secrets.token_urlsafe(16)
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"u": username, "d": device}),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
