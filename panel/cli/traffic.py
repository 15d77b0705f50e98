"""`flask traffic [--domain D] [--hours N] [--json]`: mail traffic per hour;
`flask traffic ingest`: add the new log lines to it (run from cron every
minute: docs/operations.md, "Traffic").

Ingestion commits after each chunk, so a long backlog is many short
transactions and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..mailserver import traffic as mt
from ..services import traffic
from .common import transaction

COLUMNS = (
    ("received", "recv"),
    ("delivered", "dlvr"),
    ("deferred", "defer"),
    ("bounced", "bnce"),
    ("rejected", "rjct"),
    ("sent", "sent"),
    ("imap_logins", "imap"),
    ("imap_failed", "imap!"),
    ("pop3_logins", "pop3"),
    ("pop3_failed", "pop3!"),
    ("smtp_failed", "smtp!"),
)


@click.group("traffic", invoke_without_command=True)
@click.option("--domain", default=None, help="One domain (default: every domain).")
@click.option("--hours", default=24, show_default=True, type=int, help="How many hours back, this one included.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
@with_appcontext
def traffic_group(ctx, domain: str | None, hours: int, as_json: bool):
    """Mail traffic per hour from the Postfix and Dovecot logs."""
    if ctx.invoked_subcommand is not None:
        return
    with transaction() as (session, actor):
        report = traffic.report(session, actor, hours, domain)
        stale = [f for f in traffic.freshness(session, actor) if f.stale]
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report)
    for item in stale:
        when = item.ingested_at.isoformat(timespec="seconds") if item.ingested_at else "never"
        click.echo(f"note: the {item.log} log was last ingested {when} (run `flask traffic ingest`)", err=True)


def _print(report: traffic.Report) -> None:
    click.echo(f"{'hour (UTC)':17}" + "".join(f"{short:>7}" for _, short in COLUMNS))
    for start, counts in report.hours:
        click.echo(f"{start:%Y-%m-%d %H:00} " + "".join(f"{counts[name]:>7}" for name, _ in COLUMNS))
    click.echo(f"{'total':17}" + "".join(f"{report.totals[name]:>7}" for name, _ in COLUMNS))
    click.echo("columns: " + ", ".join(f"{short}={name}" for name, short in COLUMNS))
    for title, rows in (("top reject reasons", report.top_rejects), ("top SASL senders", report.top_senders)):
        if rows:
            click.echo(f"{title}:")
            for name, count in rows:
                click.echo(f"  {count:>7}  {name}")


@traffic_group.command("ingest")
@click.option("--quiet", is_flag=True, help="Say nothing unless a log cannot be read (for cron).")
@click.option("--chunk", default=mt.CHUNK, type=click.IntRange(4096), hidden=True, help="Bytes per step.")
@with_appcontext
def ingest_command(quiet: bool, chunk: int):
    """Add the log lines written since the last run to the traffic counts."""
    read = {name: [0, 0] for name in traffic.LOGS}
    problems: list[str] = []
    more = True
    while more:
        with transaction() as (session, actor):
            try:
                steps = traffic.ingest_step(session, actor, current_app.config, chunk)
            except traffic.Busy as exc:
                session.rollback()  # the other run counts these lines
                click.echo(str(exc), err=True)
                return
        more = any(step.more for step in steps)
        for step in steps:
            read[step.log][0] += step.lines
            read[step.log][1] += step.bytes_read
            if step.missing or step.problem or step.missed:
                problems.append(_problem(step))
    if not quiet:
        click.echo(", ".join(f"{name}: {lines} lines ({size:,} bytes)" for name, (lines, size) in read.items()))
    if problems:
        raise click.ClickException("; ".join(dict.fromkeys(problems)))


def _problem(step: traffic.Step) -> str:
    if step.missing:
        return f"{step.path} does not exist (set MAILPANEL_{traffic.LOGS[step.log]})"
    if step.missed:
        return f"{step.path} was rotated and the old file is gone: some lines may not have been counted"
    return f"cannot read {step.problem} (add the panel's user to the adm group)"


COMMANDS = [traffic_group]
