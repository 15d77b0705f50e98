"""``flask api-token create USERNAME``: a bearer token for /api/v1, printed once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import admins, tokens
from .common import transaction

api_token_cli = AppGroup("api-token", help="Bearer tokens for the JSON API.")


@api_token_cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in lists).")
def create_command(username, name):
    """Create a token acting with USERNAME's role and domains."""
    with transaction() as (session, actor):
        row, token = tokens.create_token(session, actor, admins.get_admin(session, username), name)
    click.echo(f"token {row.prefix}… for {row.admin.username} (shown once):")
    click.echo(token)


COMMANDS = [api_token_cli]
