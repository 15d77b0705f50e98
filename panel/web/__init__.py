"""The web panel. Until its pages land, a minimal landing page."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template_string("<!doctype html><title>Mailpanel</title><h1>Mailpanel</h1><p>The panel is running.</p>")


def init_app(app) -> None:
    app.register_blueprint(bp)
