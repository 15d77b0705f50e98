from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import passwords
from ..db import get_session
from ..mailserver import maildirs
from ..passwords import WRITABLE_SCHEMES
from ..services import lists, mailboxes
from ..services.errors import ServiceError
from ..sizes import format_limit, format_size
from .common import cli_actor, obtain_password, password_option, print_generated, transaction

mailbox_cli = AppGroup("mailbox", help="Mailboxes.")
scheme_option = click.option(
    "--scheme",
    type=click.Choice(WRITABLE_SCHEMES, case_sensitive=False),
    help="Password hash scheme (default: MAILPANEL_HASH_SCHEME or ARGON2ID).",
)


def _scheme(value: str | None) -> str:
    return (value or current_app.config["HASH_SCHEME"]).upper()


@mailbox_cli.command("add")
@click.argument("email")
@password_option
@click.option("--quota", help="Bytes or 500M/2G; 0 = unlimited; default: the domain's default.")
@click.option("--name", default="", help="Display name.")
@scheme_option
def add_command(email, password_stdin, quota, name, scheme):
    """Create a mailbox."""
    password, generated = obtain_password(password_stdin)
    prepared = passwords.prepare(password, _scheme(scheme))  # before the transaction: no lock while hashing
    with transaction() as (session, actor):
        mailbox = mailboxes.create_mailbox(
            session, actor, email, password=prepared, quota=quota, name=name, scheme=_scheme(scheme)
        )
    click.echo(f"added mailbox {mailbox.address} (quota {format_limit(mailbox.quota_bytes)})")
    if generated:
        print_generated(mailbox.address, password)


@mailbox_cli.command("passwd")
@click.argument("email")
@password_option
@scheme_option
def passwd_command(email, password_stdin, scheme):
    """Set a mailbox's password."""
    password, generated = obtain_password(password_stdin)
    prepared = passwords.prepare(password, _scheme(scheme))  # before the transaction: no lock while hashing
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        mailboxes.set_password(session, actor, mailbox, password=prepared, scheme=_scheme(scheme))
    click.echo(f"password of {mailbox.address} changed")
    if generated:
        print_generated(mailbox.address, password)


def _set_active(email: str, active: bool) -> None:
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        mailboxes.set_mailbox_active(session, actor, mailbox, active)
    click.echo(f"{mailbox.address} {'enabled' if active else 'disabled'}")


@mailbox_cli.command("disable")
@click.argument("email")
def disable_command(email):
    """Stop delivery and logins for a mailbox (its mail is kept)."""
    _set_active(email, False)


@mailbox_cli.command("enable")
@click.argument("email")
def enable_command(email):
    _set_active(email, True)


@mailbox_cli.command("delete")
@click.argument("email")
def delete_command(email):
    """Delete a mailbox account; its maildir stays on disk."""
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        mailboxes.delete_mailbox(session, actor, mailbox)
    click.echo(f"deleted mailbox {mailbox.address}; its mail remains in {mailbox.maildir}")


@mailbox_cli.command("list")
@click.option("--domain", help="Only this domain.")
def list_command(domain):
    """Mailboxes with usage / quota (tab-separated; streamed)."""
    session, actor = get_session(), cli_actor()
    try:
        scope = lists.visible_domain(session, actor, domain) if domain else None
    except ServiceError as exc:  # one line, non-zero
        raise click.ClickException(str(exc)) from None
    click.echo("address\tactive\tused\tquota\tmessages\tname")
    for row in lists.usage_rows(session, actor, scope):
        click.echo(
            "\t".join(
                [
                    row.address,
                    "yes" if row.active else "no",
                    format_size(row.bytes),
                    format_limit(row.quota_bytes),
                    str(row.messages or 0),
                    row.name,
                ]
            )
        )


@mailbox_cli.command("orphans")
def orphans_command():
    """Maildirs no mailbox uses (left by deleted mailboxes): one absolute
    path a line, for review. Nothing is removed."""
    root = Path(current_app.config["MAIL_ROOT"])
    if not root.is_dir():
        raise click.ClickException(f"{root} is not a directory (MAILPANEL_MAIL_ROOT)")
    try:
        for home in mailboxes.orphan_maildirs(get_session(), cli_actor(), maildirs.homes(root)):
            click.echo(root / home)
    except OSError as exc:  # e.g. run as a user who may not read the mail homes
        raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror}") from None


COMMANDS = [mailbox_cli]
