import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_session
from ..models import Domain
from ..services import domains
from ..sizes import format_limit
from .common import transaction

domain_cli = AppGroup("domain", help="Virtual domains.")


@domain_cli.command("add")
@click.argument("name")
@click.option("--max-mailboxes", help="0 = unlimited")
@click.option("--max-aliases", help="0 = unlimited")
@click.option("--max-quota", help="Largest quota of one mailbox (500M, 2G; 0 = unlimited)")
@click.option("--total-quota", help="Sum of the mailboxes' quotas (0 = unlimited)")
@click.option("--default-quota", help="Quota of a new mailbox (0 = unlimited)")
@click.option("--description", default="")
def add_command(name, max_mailboxes, max_aliases, max_quota, total_quota, default_quota, description):
    """Host a new domain."""
    with transaction() as (session, actor):
        domain = domains.create_domain(
            session,
            actor,
            name,
            description=description,
            max_mailboxes=max_mailboxes,
            max_aliases=max_aliases,
            max_quota_bytes=max_quota,
            total_quota_bytes=total_quota,
            default_quota_bytes=default_quota,
        )
    click.echo(f"added domain {domain.name}")


def _set_active(name: str, active: bool) -> None:
    with transaction() as (session, actor):
        domain = domains.set_domain_active(session, actor, domains.get_domain(session, name), active)
    click.echo(f"{domain.name} {'enabled' if active else 'disabled'}")


@domain_cli.command("disable")
@click.argument("name")
def disable_command(name):
    """Stop delivery and logins for a whole domain."""
    _set_active(name, False)


@domain_cli.command("enable")
@click.argument("name")
def enable_command(name):
    _set_active(name, True)


@domain_cli.command("delete")
@click.argument("name")
def delete_command(name):
    """Remove an empty domain."""
    with transaction() as (session, actor):
        domains.delete_domain(session, actor, domains.get_domain(session, name))
    click.echo(f"deleted domain {name}")


@domain_cli.command("list")
def list_command():
    """Domains with their usage and limits (tab-separated)."""
    click.echo("domain\tactive\tmailboxes\taliases\tmax_mailboxes\tmax_aliases\tdefault_quota")
    for domain in get_session().scalars(select(Domain).order_by(Domain.name)):
        click.echo(
            "\t".join(
                [
                    domain.name,
                    "yes" if domain.active else "no",
                    str(domain.mailbox_count),
                    str(domain.alias_count),
                    str(domain.max_mailboxes or "unlimited"),
                    str(domain.max_aliases or "unlimited"),
                    format_limit(domain.default_quota_bytes),
                ]
            )
        )


COMMANDS = [domain_cli]
