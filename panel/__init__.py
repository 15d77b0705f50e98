"""Mailpanel: an admin panel for Postfix + Dovecot whose data lives in SQL.

Importing the package loads nothing: :mod:`panel.mailserver.queries` must
import with the system Python alone (deploy/mailstack runs before any
virtualenv exists), so Flask is imported inside :func:`create_app`.
"""

from __future__ import annotations


def create_app(overrides: dict | None = None):
    """The application: defaults, then MAILPANEL_* environment, then ``overrides``."""
    from flask import Flask

    from . import api, cli, config, db, i18n, urls, web

    app = Flask(__name__, instance_path=config.instance_path(), instance_relative_config=True)
    config.load(app, overrides)
    db.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
    urls.init_app(app)
    web.init_app(app)
    api.init_app(app)
    web.csrf.exempt(api.bp)  # the API authenticates with bearer tokens, never cookies
    return app
