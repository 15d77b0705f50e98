"""CSV upload (with dry run), one-time download of generated passwords, CSV export.

The view only hands the uploaded file to the importer (panel/bulk), which
applies the services' rules; a domain admin is scoped by the Actor.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import gettext
from flask_login import current_user

from ..bulk import csvfile
from ..bulk.exporter import streamed_export
from ..bulk.importer import ImportFailed, Options, run_import
from ..db import get_session
from ..languages import N_, Message
from ..models import MANAGERS
from ..services import lists
from .access import allow, current_actor

bp = Blueprint("bulk", __name__)
_DOWNLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# An unclaimed download of generated passwords is deleted after this long.
DOWNLOAD_LIFETIME_S = 3600


def _checked(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "yes", "true")


def _page(status: int = 200, **context):
    """The import page, with what an export would cover beside its link."""
    coverage = lists.export_coverage(get_session(), current_actor())
    context.setdefault("result", None)
    context.setdefault("options", None)
    return render_template("bulk/import.html", coverage=coverage, **context), status


@bp.route("/import", methods=["GET", "POST"])
@allow(*MANAGERS)
def import_page():
    if request.method == "GET":
        return _page()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(422, error=gettext("Choose a CSV file to upload."))
    options = Options(
        dry_run=_checked("dry_run"),
        update=_checked("update"),
        create_domains=_checked("create_domains") and current_actor().is_superadmin,
        scheme=current_app.config["HASH_SCHEME"].upper(),
        update_advice=Message(N_("tick “Update existing mailboxes” to change it")),
        create_domains_advice=Message(N_("tick “Create domains that do not exist yet” to add it")),
    )
    session = get_session()
    try:
        result = run_import(session, current_actor(), upload.stream, options)
    except ImportFailed as exc:
        session.rollback()
        return _page(409, options=options, problems=exc.problems)
    if not result.ok or options.dry_run:
        session.rollback()
        return _page(422 if not result.ok else 200, result=result, options=options, problems=result.problems)
    download = _keep_passwords(result.generated) if result.generated else None
    session.commit()
    return _page(result=result, options=options, download=download)


@bp.get("/import/sample.csv")
@allow(*MANAGERS)
def sample():
    """A small file with every kind of row, to start from."""
    return Response(
        csvfile.SAMPLE, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="sample.csv"'}
    )


def _passwords_dir() -> Path:
    path = Path(current_app.instance_path) / "import-passwords"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _forget_stale(directory: Path) -> None:
    """Passwords nobody downloaded do not stay on disk (nor, after as long,
    the marks of downloads that were used)."""
    cutoff = time.time() - DOWNLOAD_LIFETIME_S
    for old in [*directory.glob("*.csv"), *directory.glob("*.used")]:
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            pass


def _keep_passwords(generated: list[tuple[str, str]]) -> str:
    """Park the generated passwords for one download by this admin (mode 0600)."""
    directory = _passwords_dir()
    _forget_stale(directory)
    download_id = secrets.token_urlsafe(24)
    path = directory / f"{current_user.id}-{download_id}.csv"
    csvfile.write_generated_passwords(path, generated)
    return download_id


@bp.get("/import/passwords/<download_id>")
@allow(*MANAGERS)
def passwords(download_id):
    """Hand the file over once, then delete it. A used link answers 410 with
    a page that says so (a mark is left for as long as the file would have
    lived); an unknown one, or another admin's, 404."""
    if not _DOWNLOAD_ID.match(download_id):
        abort(404)
    path = _passwords_dir() / f"{current_user.id}-{download_id}.csv"
    used = path.with_suffix(".used")
    _forget_stale(path.parent)
    try:
        data = path.read_bytes()
        path.unlink()
    except FileNotFoundError:
        if used.exists():
            return render_template("bulk/download_used.html"), 410, {"Cache-Control": "no-store"}
        abort(404)
    used.touch(mode=0o600)
    return Response(
        data, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="generated-passwords.csv"'}
    )


@bp.get("/export")
@allow(*MANAGERS)  # helpdesk finds single mailboxes; a full list is not theirs
def export():
    """All mailboxes the admin can see (or one domain's), streamed as CSV."""
    session, actor = get_session(), current_actor()
    name = request.args.get("domain") or None
    # Another tenant's or a malformed name: the service's NotFound or
    # ValidationError, answered by the panel's error page.
    domain = lists.visible_domain(session, actor, name) if name else None
    filename = f"mailboxes-{domain.name}.csv" if domain else "mailboxes.csv"
    return Response(
        stream_with_context(streamed_export(actor, domain)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
