import click
from flask.cli import AppGroup

from ..services import aliases
from .common import transaction

alias_cli = AppGroup("alias", help="Aliases and catch-alls (@domain).")
alias_domain_cli = AppGroup("alias-domain", help="Alias domains: x@alias delivers to x@target.")


@alias_cli.command("add")
@click.argument("address")
@click.argument("destinations", nargs=-1, required=True)
def add_command(address, destinations):
    """Create an alias ADDRESS (or @domain for a catch-all) delivering to DEST..."""
    with transaction() as (session, actor):
        alias = aliases.create_alias(session, actor, address, list(destinations))
    click.echo(f"added alias {alias.address} -> {', '.join(d.destination for d in alias.destinations)}")


@alias_cli.command("delete")
@click.argument("address")
def delete_command(address):
    with transaction() as (session, actor):
        aliases.delete_alias(session, actor, aliases.get_alias(session, actor, address))
    click.echo(f"deleted alias {address}")


@alias_domain_cli.command("add")
@click.argument("alias_domain")
@click.argument("target_domain")
def add_alias_domain_command(alias_domain, target_domain):
    with transaction() as (session, actor):
        row = aliases.create_alias_domain(session, actor, alias_domain, target_domain)
    click.echo(f"added alias domain {row.name} -> {row.target.name}")


@alias_domain_cli.command("delete")
@click.argument("alias_domain")
def delete_alias_domain_command(alias_domain):
    with transaction() as (session, actor):
        aliases.delete_alias_domain(session, actor, aliases.get_alias_domain(session, actor, alias_domain))
    click.echo(f"deleted alias domain {alias_domain}")


COMMANDS = [alias_cli, alias_domain_cli]
