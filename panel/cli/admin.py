"""``flask admin``: panel accounts, including the way back for a locked-out
superadmin (a new password, enabling, turning the second factor off)."""

import click
from flask.cli import AppGroup

from .. import passwords
from ..services import admins, second_factor
from .common import obtain_password, password_option, print_generated, transaction

admin_cli = AppGroup("admin", help="Panel accounts.")
totp_cli = AppGroup("totp", help="An account's second factor (TOTP).")
admin_cli.add_command(totp_cli)


@admin_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["superadmin", "domainadmin", "helpdesk"]))
@click.option("--domain", "domains", multiple=True, help="A domain this account may manage (repeatable).")
@click.option("--all-domains", is_flag=True, help="Every domain, now and future (not for a superadmin).")
@password_option
def create_command(username, role, domains, all_domains, password_stdin):
    """Create a panel account."""
    password, generated = obtain_password(password_stdin)
    with transaction() as (session, actor):
        admin = admins.create_admin(session, actor, username, role, password, domains, all_domains=all_domains)
    click.echo(f"created {admin.role} {admin.username}")
    if generated:
        print_generated(admin.username, password)


@admin_cli.command("bootstrap")
@click.option("--username", default="admin", show_default=True)
def bootstrap_command(username):
    """Create the first superadmin, only when there is no admin at all."""
    password = passwords.generate()
    with transaction() as (session, actor):
        created = admins.bootstrap(session, actor, username, password)
    if created is None:
        click.echo("an admin account exists already; nothing to do")
        return
    click.echo(f"first superadmin created: {username}")
    print_generated(username, password)


@admin_cli.command("list")
def list_command():
    """Every account: name, role, domains, state, second factor."""
    with transaction() as (session, actor):
        for admin in admins.list_admins(session, actor):
            everything = admin.role == "superadmin" or admin.all_domains
            scope = "all" if everything else ",".join(d.name for d in admin.domains)
            state = "active" if admin.active else "disabled"
            factor = "2fa" if second_factor.is_enabled(admin) else "-"
            click.echo(f"{admin.username}\t{admin.role}\t{scope or '-'}\t{state}\t{factor}")


@admin_cli.command("passwd")
@click.argument("username")
@password_option
def passwd_command(username, password_stdin):
    """Set an account's password (and lift a login lock); its sessions end."""
    password, generated = obtain_password(password_stdin)
    with transaction() as (session, actor):
        admins.set_admin_password(session, actor, admins.get_admin(session, username), password)
    click.echo(f"password of {username} changed; its sessions have ended")
    if generated:
        print_generated(username, password)


@admin_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable an account: its sessions end and its API tokens are revoked."""
    with transaction() as (session, actor):
        admins.update_admin(session, actor, admins.get_admin(session, username), active=False)
    click.echo(f"{username} disabled")


@admin_cli.command("enable")
@click.argument("username")
def enable_command(username):
    """Enable an account (old sessions and tokens stay ended)."""
    with transaction() as (session, actor):
        admins.update_admin(session, actor, admins.get_admin(session, username), active=True)
    click.echo(f"{username} enabled")


@totp_cli.command("enable")
@click.argument("username")
def totp_enable_command(username):
    """Turn the second factor on; prints the otpauth:// URI and the recovery codes once."""
    with transaction() as (session, actor):
        uri, codes = second_factor.enable_now(session, actor, admins.get_admin(session, username))
    click.echo(f"two-factor authentication is on for {username}; add this to the authenticator app (shown once):")
    click.echo(uri)
    click.echo("recovery codes (shown once, each works once):")
    for code in codes:
        click.echo(f"  {code}")


@totp_cli.command("disable")
@click.argument("username")
def totp_disable_command(username):
    """Turn the second factor off (a lost phone)."""
    with transaction() as (session, actor):
        second_factor.disable(session, actor, admins.get_admin(session, username))
    click.echo(f"two-factor authentication is off for {username}")


COMMANDS = [admin_cli]
