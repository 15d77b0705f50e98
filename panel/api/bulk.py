"""/api/v1/import (CSV body) and /api/v1/export (streamed CSV)."""

from __future__ import annotations

import tempfile

from flask import Response, current_app, jsonify, request, stream_with_context

from ..bulk.exporter import streamed_export
from ..bulk.importer import ImportFailed, Options, run_import
from ..db import get_session
from . import MAX_CSV_BYTES, bp
from .auth import MANAGERS, actor, token_required
from .common import query_flag, text_arg
from .domains import visible_domain
from .errors import error_response

# The upload is spooled (to disk past this size): the importer reads it twice.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _spooled_body():
    request.max_content_length = MAX_CSV_BYTES
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    stream = request.stream
    while chunk := stream.read(1024 * 1024):
        spool.write(chunk)
        if spool.tell() > MAX_CSV_BYTES:
            spool.close()
            return None
    spool.seek(0)
    return spool


@bp.post("/import")
@token_required(*MANAGERS)
def import_csv():
    options = Options(
        dry_run=query_flag("dry_run"),
        update=query_flag("update"),
        create_domains=query_flag("create_domains"),
        scheme=current_app.config["HASH_SCHEME"].upper(),
    )
    spool = _spooled_body()
    if spool is None:
        return error_response(413, "the request body is too large")
    session = get_session()
    with spool:
        try:
            result = run_import(session, actor(), spool, options)
        except ImportFailed as exc:
            session.rollback()
            return error_response(
                409,
                "nothing imported: the data changed during the import",
                {"file": exc.problems[0]},
                problems=exc.problems,
            )
    if not result.ok:
        session.rollback()
        return error_response(
            400,
            f"nothing imported: {len(result.problems)} problems",
            {"file": result.problems[0]},
            problems=result.problems,
        )
    if options.dry_run:
        session.rollback()
    else:
        session.commit()
    return jsonify(
        {
            "dry_run": result.dry_run,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "aliases_created": result.aliases_created,
            "aliases_updated": result.aliases_updated,
            "aliases_unchanged": result.aliases_unchanged,
            "alias_domains_created": result.alias_domains_created,
            "alias_domains_updated": result.alias_domains_updated,
            "alias_domains_unchanged": result.alias_domains_unchanged,
            "domains_created": result.domains_created,
            "generated_passwords": [{"email": e, "password": p} for e, p in result.generated],
        }
    )


@bp.get("/export")
@token_required(*MANAGERS)  # helpdesk finds single mailboxes; a full list is not theirs
def export():
    name = text_arg("domain")
    domain = visible_domain(name) if name else None
    who = actor()
    body = stream_with_context(streamed_export(who, domain))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="mailboxes.csv"'})
