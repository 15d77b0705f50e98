"""Command-line interface (names are a contract: scripts depend on them)."""

from __future__ import annotations


def init_app(app) -> None:
    from . import admin, alias, api_token, db, domain, mailbox, mailbox_settings, status, traffic, users

    for module in (db, admin, domain, mailbox, mailbox_settings, alias, users, api_token, status, traffic):
        for command in module.COMMANDS:
            app.cli.add_command(command)


def main() -> None:
    """The ``mailpanel`` command: Flask's CLI bound to the panel's app factory,
    so an installed panel needs neither ``--app`` nor a file in the working
    directory (``mailpanel db upgrade`` is ``flask --app panel:create_app db upgrade``)."""
    from flask.cli import FlaskGroup

    from .. import create_app

    group = FlaskGroup(name="mailpanel", create_app=create_app, help="Mailpanel's command line.")
    # Flask would accept --app and then ignore it for create_app: offer no such option.
    group.params = [param for param in group.params if param.name != "app"]
    group(prog_name="mailpanel")
