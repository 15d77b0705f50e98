"""The web panel: login, CSRF, security headers and one blueprint per resource."""
from __future__ import annotations

from flask import render_template
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select

from ..db import get_session
from ..models import Admin

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"
csrf = CSRFProtect()

# No inline script anywhere: scripts live in static/ files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@login_manager.user_loader
def _load_admin(admin_id: str):
    try:
        ident = int(admin_id)
    except ValueError:
        return None
    return get_session().scalar(select(Admin).where(Admin.id == ident, Admin.active.is_(True)))


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _error_page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _register_error_pages(app) -> None:
    app.register_error_handler(403, lambda e: _error_page(403, "Not allowed", "You do not have access to this page."))
    app.register_error_handler(404, lambda e: _error_page(404, "Not found", "There is nothing at this address."))
    app.register_error_handler(405, lambda e: _error_page(405, "Not allowed", "That method is not allowed here."))
    app.register_error_handler(CSRFError, lambda e: _error_page(400, "Form expired",
                                                                "The form was too old or not sent from this site. Please try again."))
    app.register_error_handler(500, lambda e: _error_page(500, "Something went wrong",
                                                          "The error has been logged. Please try again."))


def init_app(app) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
    app.after_request(_security_headers)
    _register_error_pages(app)

    from . import auth, home

    for module in (auth, home):
        app.register_blueprint(module.bp)
