"""Mailpanel: an admin panel for Postfix + Dovecot whose data lives in SQL."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import config, db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    config.load(app, overrides)
    db.init_app(app)

    from . import cli

    cli.init_app(app)

    from .web import init_app as init_web

    init_web(app)

    from .api import init_app as init_api

    init_api(app)
    return app
