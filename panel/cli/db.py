import click
from flask import current_app
from flask.cli import AppGroup

from .. import migrate

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def upgrade_command():
    """Migrate the database to the latest schema."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest schema")


COMMANDS = [db_cli]
