"""API tokens in the web UI: list, create (shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ..db import get_session
from ..services import ServiceError, admins, tokens
from .access import ALL_ROLES, allow, current_actor
from .forms import form_errors
from .shown_once import redirect_to_secret

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


@bp.get("/")
@allow(*ALL_ROLES)
def index():
    rows = tokens.list_tokens(get_session(), current_actor())
    return render_template("tokens/index.html", tokens=rows, errors={}, values={})


@bp.post("/")
@allow(*ALL_ROLES)
def create():
    session, actor = get_session(), current_actor()
    try:
        row, token = tokens.create_token(
            session, actor, admins.get_admin(session, current_user.username), request.form.get("name", "")
        )
    except ServiceError as exc:
        session.rollback()
        return render_template(
            "tokens/index.html",
            tokens=tokens.list_tokens(session, actor),
            errors=form_errors(exc),
            values=request.form,
        ), 422
    page = redirect_to_secret(
        session,
        gettext("New API token %(prefix)s…", prefix=row.prefix),
        [(gettext("Token"), token)],
        intro=gettext("Store the token now."),
        back=url_for("tokens.index"),
        back_label=gettext("Back to the API tokens"),
    )
    session.commit()
    return page


@bp.post("/<int:token_id>/revoke")
@allow(*ALL_ROLES)
def revoke(token_id):
    session, actor = get_session(), current_actor()
    row = tokens.revoke_token(session, actor, tokens.get_token(session, actor, token_id))
    session.commit()
    flash(gettext("Token %(prefix)s… revoked.", prefix=row.prefix))
    return redirect(url_for("tokens.index"))
