"""``flask users import|export``: the CSV importer and exporter on the command line."""

from __future__ import annotations

import os
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..bulk import csvfile
from ..bulk.exporter import export_csv
from ..bulk.importer import ImportFailed, Options, run_import
from ..db import get_session
from ..services import ServiceError, lists
from .common import cli_actor

users_cli = AppGroup("users", help="Bulk import and export of mailboxes (CSV).")


class _ProgressLine:
    """rows/s and ETA on a terminal's stderr; silent otherwise (scripts, cron)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.phase = None
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if phase != self.phase:
            self.phase, self.started = phase, now
        if now - self.last < 0.2 and done != total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        eta = f"  ETA {int((total - done) / rate)}s" if total and rate else ""
        of = f"/{total}" if total else ""
        self.stream.write(f"\r{phase} {done}{of} rows  {rate:,.0f} rows/s{eta}   ")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.phase:
            self.stream.write("\n")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check everything and report what would change; write nothing.")
@click.option("--update", is_flag=True, help="Update existing mailboxes instead of refusing them as duplicates.")
@click.option("--create-domains", is_flag=True, help="Create domains that do not exist yet.")
@click.option(
    "--passwords-out",
    type=click.Path(dir_okay=False),
    help="Write generated passwords (rows without one) to this new file, mode 0600.",
)
def import_command(file, dry_run, update, create_domains, passwords_out):
    """Create (or with --update, update) mailboxes from FILE.csv, all or nothing."""
    if passwords_out and os.path.exists(passwords_out):
        raise click.ClickException(f"{passwords_out} exists; give a new file name")
    options = Options(
        update=update,
        dry_run=dry_run,
        create_domains=create_domains,
        scheme=current_app.config["HASH_SCHEME"].upper(),
        generate_passwords=bool(passwords_out) or dry_run,
    )
    session, progress = get_session(), _ProgressLine()
    try:
        with open(file, "rb") as stream:
            result = run_import(session, cli_actor(), stream, options, progress)
        progress.finish()
        if not result.ok:
            session.rollback()
            click.echo("\n".join(result.problems), err=True)
            raise click.ClickException(f"nothing imported: {len(result.problems)} problems in {file}")
        if result.generated:
            _write_passwords(passwords_out, result.generated)
        try:
            session.commit()
        except BaseException:
            if result.generated:  # those passwords belong to nothing now
                os.unlink(passwords_out)
            raise
    except (ImportFailed, ServiceError) as exc:
        session.rollback()
        raise click.ClickException(f"nothing imported: {exc}") from None
    except SQLAlchemyError as exc:
        session.rollback()
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"nothing imported: database error: {str(reason).splitlines()[0]}") from None
    except BaseException:
        session.rollback()
        raise
    for row in result.preview:
        click.echo(f"line {row.line}: {row.action} {row.kind.replace('_', ' ')} {row.address}: {row.detail}")
    if result.preview_more:
        click.echo(f"... and {result.preview_more} more rows that would be written")
    click.echo(result.summary())
    if result.generated:
        click.echo(f"generated passwords written to {passwords_out}")


def _write_passwords(path: str, generated: list[tuple[str, str]]) -> None:
    csvfile.write_generated_passwords(path, generated, lineterminator="\n")


@users_cli.command("export")
@click.option("--domain", help="Only this domain.")
def export_command(domain):
    """Write every mailbox, alias and alias domain as CSV to standard output
    (streamed); what it covers goes to standard error."""
    session, actor = get_session(), cli_actor()
    try:
        scope = lists.visible_domain(session, actor, domain) if domain else None
        coverage = lists.export_coverage(session, actor, scope)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    for piece in export_csv(session, actor, scope):
        sys.stdout.write(piece)
    sys.stdout.flush()
    click.echo(f"exported {coverage.sentence()}", err=True)


COMMANDS = [users_cli]
