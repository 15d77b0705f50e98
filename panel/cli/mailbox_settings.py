"""What a mailbox's owner sets in the portal, from the shell: out-of-office,
forwarding and app passwords (``flask mailbox vacation|forward|app-password``).
The same services as /me/ and the mailbox page; the shell acts as the system."""

from __future__ import annotations

import sys

import click

from ..models import as_utc
from ..services import app_passwords, forwarding, mailboxes, vacation
from .common import transaction
from .mailbox import mailbox_cli


@mailbox_cli.command("vacation")
@click.argument("email")
@click.option("--subject", default="", help="The reply's subject (default: the one stored, or 'Out of office').")
@click.option("--body-stdin", is_flag=True, help="Read the reply's text (plain text, several lines) from stdin.")
@click.option("--first-day", help="YYYY-MM-DD, inclusive, UTC: no replies before it.")
@click.option("--last-day", help="YYYY-MM-DD, inclusive, UTC: no replies after it.")
@click.option("--days", help="Reply at most once per sender in this many days (default 7).")
@click.option("--off", is_flag=True, help="Switch the reply off (its text is kept).")
def vacation_command(email, subject, body_stdin, first_day, last_day, days, off):
    """Set or switch off a mailbox's out-of-office reply."""
    if off and (subject or body_stdin or first_day or last_day or days):
        raise click.UsageError("--off takes no other option")
    if not off and not body_stdin:
        raise click.UsageError("give the reply's text on standard input with --body-stdin, or --off")
    body = sys.stdin.read() if body_stdin else ""
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        if off:
            vacation.switch_off(session, actor, mailbox)
        else:
            row = vacation.set_vacation(
                session,
                actor,
                mailbox,
                active=True,
                subject=subject or "Out of office",
                body=body,
                first_day=first_day,
                last_day=last_day,
                interval_days=days,
            )
    if off:
        click.echo(f"out-of-office reply of {mailbox.address} switched off")
    else:
        period = f" from {row.first_day or 'now'} to {row.last_day or 'until switched off'}"
        click.echo(f"out-of-office reply of {mailbox.address} on{period}, once per sender in {row.interval_days} days")


@mailbox_cli.command("forward")
@click.argument("email")
@click.argument("destinations", nargs=-1)
@click.option("--keep", is_flag=True, help="Keep a copy in the mailbox too.")
@click.option("--off", is_flag=True, help="Stop forwarding: mail stays in the mailbox.")
def forward_command(email, destinations, keep, off):
    """Forward a mailbox's mail to DESTINATIONS (or --off)."""
    if off == bool(destinations) or (off and keep):
        raise click.UsageError("give one or more destinations, or --off alone")
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        if off:
            forwarding.stop_forwarding(session, actor, mailbox)
        else:
            forwarding.set_forwarding(session, actor, mailbox, list(destinations), keep_copy=keep)
    if off:
        click.echo(f"{mailbox.address} no longer forwards")
    else:
        copy = ", keeping a copy" if keep else ""
        click.echo(f"{mailbox.address} forwards to {' '.join(destinations)}{copy}")


@mailbox_cli.group("app-password")
def app_password_cli():
    """App passwords: one per device or program, for chosen protocols."""


@app_password_cli.command("add")
@click.argument("email")
@click.argument("name")
@click.option("--protocols", default="imap,pop3,smtp", show_default=True, help="Comma-separated: imap, pop3, smtp.")
@click.option("--expires", help="YYYY-MM-DD: the last day it works (UTC).")
def app_password_add(email, name, protocols, expires):
    """Make an app password; its secret is printed once."""
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        row, secret = app_passwords.create(session, actor, mailbox, name, protocols, expires=expires)
    click.echo(f"app password {row.name!r} of {mailbox.address} (shown once): {secret}")


@app_password_cli.command("list")
@click.argument("email")
def app_password_list(email):
    """name, protocols, created, expires, last used (tab-separated)."""
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        rows = app_passwords.list_for(session, actor, mailbox)
        used = app_passwords.last_used(session, mailbox)
    click.echo("name\tprotocols\tcreated\texpires\tlast_used")
    for row in rows:
        fields = [
            row.name,
            row.protocols.strip(","),
            _when(row.created_at),
            _when(row.expires_at),
            _when(used.get(row.id)),
        ]
        click.echo("\t".join(fields))


@app_password_cli.command("revoke")
@click.argument("email")
@click.argument("name")
def app_password_revoke(email, name):
    """Revoke the app password called NAME: it stops working at once."""
    with transaction() as (session, actor):
        mailbox = mailboxes.get_mailbox(session, actor, email)
        row = app_passwords.find_by_name(session, actor, mailbox, name)
        app_passwords.revoke(session, actor, mailbox, row)
    click.echo(f"app password {row.name!r} of {mailbox.address} revoked")


def _when(value) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M") if value else "-"


COMMANDS = []  # the commands hang off `flask mailbox`, registered by panel/cli/mailbox.py
