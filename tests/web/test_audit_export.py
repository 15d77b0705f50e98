"""The audit log's CSV: exactly what the page's filters match, every page of
it, newest first, times with their zone, cells a spreadsheet would run
neutralised; for superadmins only."""

from __future__ import annotations

import csv
import io

from panel.db import get_session
from panel.services import audit
from panel.services.actor import Actor
from tests.helpers import audit_events, client_as


def _rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _events(app, count: int, target: str, action: str = "test.event") -> None:
    with app.app_context():
        session = get_session()
        who = Actor.system("auditor")
        for i in range(count):
            audit.record(session, who, action, target, n=i)
        session.commit()


def test_the_csv_holds_every_matching_event_newest_first(app, world):
    _events(app, 1203, "bulk.example")  # more than one chunk of the server-side cursor
    _events(app, 2, "=HYPERLINK(1)", action="test.other")
    client = client_as(app, "superadmin")
    rows = _rows(client.get("/audit/export.csv?action=test.event"))
    assert len(rows) == 1203 == len(audit_events(app, "test.event"))
    assert [int(r["details"].split(": ")[1].rstrip("}")) for r in rows] == list(range(1202, -1, -1))
    assert all(r["actor"] == "auditor" and r["at"].endswith("Z") and len(r["at"]) == 20 for r in rows)
    other = _rows(client.get("/audit/export.csv?action=test.other"))
    assert [r["target"] for r in other] == ["'=HYPERLINK(1)"] * 2
    everything = _rows(client.get("/audit/export.csv"))
    assert len(everything) == len(audit_events(app, "%"))


def test_the_page_links_its_filters_to_the_csv_and_bad_filters_are_explained(app, world):
    client = client_as(app, "superadmin")
    page = client.get("/audit/?action=mailbox.*&since=2026-01-01").get_data(as_text=True)
    assert 'href="/audit/export.csv?action=mailbox.*&amp;since=2026-01-01"' in page
    bad = client.get("/audit/export.csv?since=yesterday")
    assert bad.status_code == 422 and "use a date like 2026-01-31" in bad.get_data(as_text=True)


def test_only_a_superadmin_downloads_it(app, world):
    for role in ("domainadmin", "helpdesk", "other_domainadmin"):
        assert client_as(app, role).get("/audit/export.csv").status_code == 403, role
    assert client_as(app, None).get("/audit/export.csv").status_code == 302
