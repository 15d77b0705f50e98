"""Login and logout of panel accounts (throttling lives in services.login_guard)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.urls import iri_to_uri

from .. import text
from ..db import get_session
from ..services import login_guard
from .access import ALL_ROLES, allow, current_actor, public

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site; never another host (open redirect), never a
    header split (``/%0d%0a...``), no control characters: browsers drop tabs
    and line breaks from a URL, so ``/<tab>/evil.example`` would become
    ``//evil.example``."""
    if not target or text.problem(target):
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.index")
    return iri_to_uri(target)  # the Location header is ASCII


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("auth/login.html", values={}, errors={})
    db = get_session()
    username = request.form.get("username", "")
    try:
        admin = login_guard.authenticate(db, username, request.form.get("password", ""), request.remote_addr)
    except login_guard.LoginRefused as refused:
        db.commit()  # the failure's counters and audit event
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
        page = render_template(
            "auth/login.html", values={"username": username[:128]}, errors={"password": refused.message}
        )
        return page, 429 if refused.retry_after else 401, headers
    db.commit()
    next_url = _safe_next(request.args.get("next"))
    session.clear()  # a fresh session at login (no fixation); also renews the CSRF secret
    # Expires after PERMANENT_SESSION_LIFETIME without a request (sliding),
    # rather than living as long as the browser stays open.
    session.permanent = True
    login_user(admin)
    return redirect(next_url)


@bp.post("/logout")
@allow(*ALL_ROLES)
def logout():
    db = get_session()
    login_guard.logout(db, current_actor())
    db.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.")
    return redirect(url_for("auth.login"))
