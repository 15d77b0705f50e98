"""Signing in and out of the panel (the rules live in services.login_guard,
services.second_factor and services.web_sessions).

A login is three short steps so that the slow password check holds no
database write lock: charge the attempt and read the account (commit),
check the password (no transaction), settle and audit (commit). An account
with a second factor then enters its code on /login/code; the pending
login lives for a few minutes in the signed cookie, and the session is
only created once the code is right.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.urls import iri_to_uri

from .. import text
from ..db import get_session
from ..i18n import translated
from ..languages import N_
from ..models import Admin
from ..services import Actor, lists, login_guard, second_factor, web_sessions
from . import devices
from .access import EVERYONE, allow, current_actor, public

bp = Blueprint("auth", __name__)

PENDING = "pending_login"
PENDING_FOR = 300  # seconds to enter the code after the password


def safe_next(target: str | None) -> str:
    """Only a path on this site; never another host (open redirect), never a
    header split (``/%0d%0a...``), no control characters: browsers drop tabs
    and line breaks from a URL, so ``/<tab>/evil.example`` would become
    ``//evil.example``."""
    if not target or len(target) > 2000 or text.problem(target):
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.index")
    return iri_to_uri(target)  # the Location header is ASCII


def _refused(refused: login_guard.LoginRefused, template: str, values: dict, field: str):
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
    page = render_template(template, values=values, errors={field: translated(refused.message)})
    return page, 429 if refused.retry_after else 401, headers


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return render_template("auth/login.html", values={}, errors={})
    db = get_session()
    username = request.form.get("username", "")
    values = {"username": username[:128]}
    device = devices.device_for(login_guard.clean_name(username))
    try:
        attempt = login_guard.begin(db, username, request.remote_addr, device)
    except login_guard.LoginRefused as refused:
        db.rollback()
        return _refused(refused, "auth/login.html", values, "password")
    db.commit()  # the charges stand whatever happens next
    ok = login_guard.password_matches(attempt, request.form.get("password", ""))
    try:
        admin = login_guard.finish(db, attempt, ok, complete=not attempt.second_factor)
    except login_guard.LoginRefused as refused:
        db.commit()  # the failure's audit event
        return _refused(refused, "auth/login.html", values, "password")
    if attempt.second_factor:
        db.commit()
        session.clear()
        session[PENDING] = {"id": admin.id, "at": int(time.time()), "next": safe_next(request.args.get("next"))}
        return redirect(url_for("auth.code"))
    return _sign_in(db, admin, safe_next(request.args.get("next")))


@bp.route("/login/code", methods=["GET", "POST"])
@public
def code():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_FOR:
        session.pop(PENDING, None)
        flash(gettext("Log in again: the code was not entered in time."))
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/code.html", values={}, errors={})
    db = get_session()
    admin = db.get(Admin, pending["id"])
    if admin is None or not admin.active:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    try:
        attempt = login_guard.begin(db, admin.username, request.remote_addr, devices.device_for(admin.username))
    except login_guard.LoginRefused as refused:
        db.rollback()
        return _refused(refused, "auth/code.html", {}, "code")
    ok = second_factor.check_code(db, admin, request.form.get("code", "")) is not None
    try:
        admin = login_guard.finish(db, attempt, ok)
    except login_guard.LoginRefused:
        db.commit()
        refused = login_guard.LoginRefused(N_("That code is not right (or was already used). Try the current one."))
        return _refused(refused, "auth/code.html", {}, "code")
    return _sign_in(db, admin, pending.get("next") or url_for("home.index"))


def _sign_in(db, principal, next_url: str):
    """Open the server-side session and hand the browser its token (an
    admin, or a mailbox's owner, who lands in the portal)."""
    if principal.is_mailbox_user:
        row, token = web_sessions.start(
            db, None, request.remote_addr, request.headers.get("User-Agent"), mailbox_id=principal.id
        )
        if next_url == url_for("home.index") or not next_url.startswith("/me/"):
            next_url = url_for("me.index")
    else:
        row, token = web_sessions.start(db, principal.id, request.remote_addr, request.headers.get("User-Agent"))
        if next_url == url_for("home.index"):
            # A domain admin of one domain lands on it (its mailboxes and recent changes).
            only = lists.only_domain(db, Actor.from_admin(principal))
            next_url = url_for("mailboxes.index", domain=only) if only else next_url
    db.commit()
    session.clear()  # a fresh session at login (no fixation); also renews the CSRF secret
    # The cookie expires after PERMANENT_SESSION_LIFETIME without a request;
    # the server ends the session after web_sessions.IDLE or LIFETIME.
    session.permanent = True
    session[web_sessions.COOKIE_KEY] = token
    g.web_session_id = row.id
    login_user(principal)
    response = redirect(next_url)
    devices.remember(response, principal.username)
    return response


@bp.post("/logout")
@allow(*EVERYONE)
def logout():
    db = get_session()
    actor = current_actor()
    login_guard.logout(db, actor)
    web_sessions.end(db, actor.session_id)
    db.commit()
    logout_user()
    session.clear()
    flash(gettext("You have been logged out."))
    return redirect(url_for("auth.login"))
