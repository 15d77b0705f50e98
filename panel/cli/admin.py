import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import passwords
from ..models import Admin
from ..services import admins
from .common import obtain_password, password_option, print_generated, transaction

admin_cli = AppGroup("admin", help="Panel accounts.")


@admin_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["superadmin", "domainadmin", "helpdesk"]))
@click.option("--domain", "domains", multiple=True, help="A domain this account may manage (repeatable).")
@password_option
def create_command(username, role, domains, password_stdin):
    """Create a panel account."""
    password, generated = obtain_password(password_stdin)
    with transaction() as (session, actor):
        admin = admins.create_admin(session, actor, username, role, password, domains)
    click.echo(f"created {admin.role} {admin.username}")
    if generated:
        print_generated(admin.username, password)


@admin_cli.command("bootstrap")
@click.option("--username", default="admin", show_default=True)
def bootstrap_command(username):
    """Create the first superadmin, only when there is no admin at all."""
    with transaction() as (session, actor):
        if session.scalar(select(func.count()).select_from(Admin)):
            click.echo("an admin account exists already; nothing to do")
            return
        password = passwords.generate()
        admins.create_admin(session, actor, username, "superadmin", password)
    click.echo(f"first superadmin created: {username}")
    print_generated(username, password)


COMMANDS = [admin_cli]
