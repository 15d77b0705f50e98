"""`flask status [--json]`: the status checks of panel/services/status.py.

Exit 0 when every check is ok, 1 when any is failing or warning (a warning
is something an admin should look at; monitoring wants to hear of it),
2 when a check could not run (unknown) and nothing is failing.
"""

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_session
from ..services import status


@click.command("status")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
def status_command(as_json: bool):
    """Is the mail system healthy? Runs every check once."""
    results = status.run_all(get_session(), current_app.config)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        for r in results:
            line = f"{r.state:8} {r.name:14} {r.reason}"
            click.echo(line + (f" -- {r.todo}" if r.todo else ""))
    states = {r.state for r in results}
    if states & {status.FAILING, status.WARNING}:
        raise SystemExit(1)
    raise SystemExit(2 if status.UNKNOWN in states else 0)


COMMANDS = [status_command]
