"""Panel accounts (superadmin only): create, edit role and domains, disable, reset password."""

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..db import get_session
from ..models import Role
from ..services import ServiceError, admins, lists, login_guard
from .access import allow, current_actor
from .forms import checkbox, chosen_password, render_form, typed_confirmation, typed_values
from .shown_once import redirect_to_secret

bp = Blueprint("admins", __name__, url_prefix="/admins")

ROLES = [r.value for r in reversed(Role.admin_roles())]


def _domain_names() -> list[str]:
    """The ticked domains, or the names typed in the box (many domains)."""
    return [n for value in request.form.getlist("domains") for n in re.split(r"[\s,;]+", value) if n]


def _choices(db) -> list[str] | None:
    return lists.domain_choices(db, current_actor())


def _form(**context):
    """The form, with the domains to tick while there are few enough."""
    return render_template("admins/form.html", roles=ROLES, choices=_choices(get_session()), **context)


def _show_password(db, admin, password, title: str):
    return redirect_to_secret(
        db,
        title,
        [(gettext("Password"), password.plain)],
        intro=gettext("The password of %(username)s: hand it over now.", username=admin.username),
        back=url_for("admins.index"),
        back_label=gettext("Back to the administrators"),
    )


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    db = get_session()
    page = lists.admin_page(db, current_actor(), request.args.get("after"), request.args.get("before"))
    locked = login_guard.locked_accounts(db, [row[0].username for row in page.rows])
    return render_template("admins/index.html", page=page, locked=locked)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def create():
    if request.method == "GET":
        return _form(admin=None, values={"role": "domainadmin"}, errors={})
    db = get_session()
    try:
        password, generated = chosen_password()  # first: the hash holds no lock
        admin = admins.create_admin(
            db,
            current_actor(),
            request.form.get("username", ""),
            request.form.get("role", ""),
            password,
            _domain_names(),
            all_domains=checkbox("all_domains"),
            password_confirm=typed_confirmation(),
        )
    except ServiceError as error:
        db.rollback()
        values = dict(typed_values(), domains=" ".join(_domain_names()))
        return render_form("admins/form.html", error, values=values, admin=None, roles=ROLES, choices=_choices(db))
    if generated:
        page = _show_password(db, admin, password, gettext("Account %(username)s created", username=admin.username))
        db.commit()
        return page
    db.commit()
    flash(gettext("Account %(username)s created.", username=admin.username))
    return redirect(url_for("admins.index"))


@bp.route("/<username>", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def edit(username):
    db, actor = get_session(), current_actor()
    admin = admins.get_admin(db, username)
    if request.method == "GET":
        values = {
            "role": admin.role,
            "domains": " ".join(d.name for d in admin.domains),
            "all_domains": admin.all_domains,
            "active": admin.active,
        }
        return _form(admin=admin, values=values, errors={})
    try:
        admins.update_admin(
            db,
            actor,
            admin,
            role=request.form.get("role", ""),
            domain_names=_domain_names(),
            all_domains=checkbox("all_domains"),
            active=checkbox("active"),
        )
    except ServiceError as error:
        db.rollback()
        values = dict(request.form, active=checkbox("active"), all_domains=checkbox("all_domains"))
        values["domains"] = " ".join(_domain_names())
        admin = admins.get_admin(db, username)
        return render_form("admins/form.html", error, values=values, admin=admin, roles=ROLES, choices=_choices(db))
    db.commit()
    flash(gettext("Account %(username)s saved.", username=admin.username))
    return redirect(url_for("admins.index"))


@bp.route("/<username>/password", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def password(username):
    db, actor = get_session(), current_actor()
    if request.method == "GET":
        return render_template("admins/password.html", admin=admins.get_admin(db, username), values={}, errors={})
    try:
        new_password, generated = chosen_password()  # first: the hash holds no lock
        admin = admins.get_admin(db, username)
        admins.set_admin_password(db, actor, admin, new_password, typed_confirmation())
    except ServiceError as error:
        db.rollback()
        return render_form("admins/password.html", error, admin=admins.get_admin(db, username))
    if generated:
        page = _show_password(
            db, admin, new_password, gettext("Password of %(username)s reset", username=admin.username)
        )
        db.commit()
        return page
    db.commit()
    flash(gettext("The password of %(username)s has been changed.", username=admin.username))
    return redirect(url_for("admins.index"))
