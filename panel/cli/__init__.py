"""Command-line interface (names are a contract: scripts depend on them)."""

from __future__ import annotations


def init_app(app) -> None:
    from . import admin, alias, api_token, db, domain, mailbox, users

    for module in (db, admin, domain, mailbox, alias, users, api_token):
        for command in module.COMMANDS:
            app.cli.add_command(command)
