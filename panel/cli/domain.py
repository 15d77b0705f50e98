import click
from flask import current_app
from flask.cli import AppGroup

from ..db import get_session
from ..services import dkim, dns_check, dns_records, domains, lists
from ..sizes import format_limit
from .common import cli_actor, transaction

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
    for domain in lists.all_domains(get_session(), cli_actor()):
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


@domain_cli.command("dns")
@click.argument("name")
@click.option("--check", is_flag=True, help="Ask DNS (MAILPANEL_DNS_RESOLVER) whether each record is published right.")
def dns_command(name, check):
    """The zone-file lines the domain needs (MX, SPF, DKIM, DMARC, client set-up).

    With --check: one line per record (status, record, name, reason); exit 1
    when a record is missing or wrong, 3 when DNS did not answer."""
    mail_host = current_app.config["MAIL_HOSTNAME"]
    with transaction() as (session, actor):
        domain = domains.get_domain(session, name)
        if not check:
            click.echo("\n".join(dns_records.for_domain(session, actor, domain, mail_host)))
            return
        report = dns_check.run(session, actor, domain, mail_host, dns_check.lookup_for(current_app.config))
    _print_report(report)
    if report.problems:
        raise SystemExit(1)
    if report.unknown:
        raise SystemExit(3)


def _print_report(report) -> None:
    click.echo("status\trecord\tname\treason")
    for item in report.findings:
        status = f"{item.status} (optional)" if item.optional and item.status != "ok" else item.status
        click.echo(f"{status}\t{item.record}\t{item.name}\t{item.reason}")
    summary = f"{len(report.problems)} missing or wrong"
    if report.unknown:
        # A check DNS answered in part is kept (its unknown records marked); one it never answered is not.
        kept = "the rest was kept" if report.reached else "nothing was kept"
        summary += f", {len(report.unknown)} unknown (DNS did not answer: {kept})"
    checked = report.checked_at.isoformat(timespec="seconds")
    click.echo(f"checked {checked}: {summary}", err=bool(report.problems or report.unknown))


dkim_cli = AppGroup("dkim", help="DKIM keys of a domain (public keys only are ever shown).")
domain_cli.add_command(dkim_cli)


@dkim_cli.command("generate")
@click.argument("name")
@click.option("--selector", help="A DNS label (default: mp + year and month)")
@click.option("--algorithm", type=click.Choice(["rsa", "ed25519"]), default="rsa", show_default=True)
def dkim_generate_command(name, selector, algorithm):
    """Make a new key, published but not signing yet."""
    with transaction() as (session, actor):
        key = dkim.generate(session, actor, domains.get_domain(session, name), selector, algorithm)
    click.echo(f"generated {key.algorithm} key {key.selector} for {name}: publish its TXT record, then activate it")
    click.echo(_txt_line(name, key))


def _txt_line(name, key) -> str:
    return f"{key.selector}._domainkey.{name}.\tIN\tTXT\t{dns_records.txt_strings(dns_records.dkim_value(key))}"


@dkim_cli.command("activate")
@click.argument("name")
@click.argument("selector")
def dkim_activate_command(name, selector):
    """Sign the domain's mail with this key (the previous one stays published)."""
    with transaction() as (session, actor):
        key = dkim.activate(session, actor, domains.get_domain(session, name), selector)
    click.echo(f"{name} now signs with {key.selector}")


@dkim_cli.command("retire")
@click.argument("name")
@click.argument("selector")
def dkim_retire_command(name, selector):
    """Stop using the key and wipe it; remove its TXT record."""
    with transaction() as (session, actor):
        key = dkim.retire(session, actor, domains.get_domain(session, name), selector)
    click.echo(f"retired {key.selector} of {name}")


@dkim_cli.command("list")
@click.argument("name")
def dkim_list_command(name):
    """The domain's keys (tab-separated)."""
    with transaction() as (session, actor):
        keys = dkim.list_keys(session, actor, domains.get_domain(session, name))
    click.echo("selector\talgorithm\tstate\tcreated\tactivated")
    for key in keys:
        activated = key.activated_at.isoformat(timespec="seconds") if key.activated_at else "-"
        click.echo(
            f"{key.selector}\t{key.algorithm}\t{key.state}\t{key.created_at.isoformat(timespec='seconds')}\t{activated}"
        )


COMMANDS = [domain_cli]
