"""Post/redirect/get for secrets shown once (services.shown_once): a view
calls :func:`redirect_to_secret` in the transaction that made the secret,
commits, and returns the redirect; the page it leads to shows the secret
once. One page for every kind of secret."""

from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, render_template, session, url_for

from ..db import get_session, writing
from ..services import shown_once
from .access import EVERYONE, allow

bp = Blueprint("shown_once", __name__)
_KEYS = "shown_once"


def redirect_to_secret(db, title: str, secrets: list[tuple[str, str]], *, intro: str, back: str, back_label: str):
    """Hold ``secrets`` ((label, value) pairs) for one display; the caller
    commits, then returns this redirect. ``back_label`` names where ``back``
    leads ("Back to the app passwords"): the page's one way on."""
    display_id, key = shown_once.hold(
        db,
        g.web_session_id,
        {"title": title, "intro": intro, "secrets": secrets, "back": back, "back_label": back_label},
    )
    keys = dict(session.get(_KEYS) or {})
    keys[display_id] = key
    session[_KEYS] = dict(list(keys.items())[-5:])  # a few at most in the cookie
    return redirect(url_for("shown_once.show", display_id=display_id))


@bp.get("/shown/<display_id>")
@allow(*EVERYONE)
def show(display_id):
    keys = dict(session.get(_KEYS) or {})
    key = keys.pop(display_id, None)
    session[_KEYS] = keys
    db = get_session()
    db.rollback()  # end the read; taking the secret deletes its row
    with writing():
        payload = shown_once.take(db, g.get("web_session_id"), display_id, key)
        db.commit()
    if payload is None:
        body = render_template("shown_once/gone.html")
        response = make_response(body, 410)
    else:
        response = make_response(render_template("shown_once/show.html", **payload))
    response.headers["Cache-Control"] = "no-store"
    return response
