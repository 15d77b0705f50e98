"""Login and logout of panel accounts."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .. import passwords
from ..db import get_session
from ..models import Admin
from .access import ALL_ROLES, allow, public

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only a path on this site; never another host (open redirect)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        admin = db.scalar(select(Admin).where(Admin.username == form.username.data.strip().lower()))
        if admin is not None and admin.active and passwords.verify(form.password.data, admin.password_hash):
            session.clear()  # a fresh session at login (no fixation)
            login_user(admin)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Wrong username or password.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@allow(*ALL_ROLES)
def logout():
    logout_user()
    session.clear()
    flash("You have been logged out.")
    return redirect(url_for("auth.login"))
