"""The import page's dry-run list, sample CSV and export coverage, the used
one-time download (410), and the CLI's dry run and export coverage — through
the real login and CSRF."""

from __future__ import annotations

import csv
import html
import io
import re

from sqlalchemy import func, select

from panel.models import Alias, AliasDomain, AuditEvent, Mailbox
from tests.helpers import client_as, post


def _upload(client, text: str, **flags):
    data = {"file": (io.BytesIO(text.encode()), "users.csv"), **{k: "1" for k, v in flags.items() if v}}
    return post(client, "/import", data, content_type="multipart/form-data")


def _counts(world) -> tuple:
    with world() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Mailbox, Alias, AliasDomain, AuditEvent))


def test_a_used_download_link_says_so_with_410_and_an_unknown_one_is_404(app, world):
    client = client_as(app, "superadmin")
    page = _upload(client, "email\nnew@example.org\n").get_data(as_text=True)
    link = re.search(r'href="(/import/passwords/[^"]+)"', page).group(1)
    assert client.get(link).status_code == 200
    used = client.get(link)
    assert used.status_code == 410 and "this download link was already used" in used.get_data(as_text=True).lower()
    assert client.get(link[:-4] + "AAAA").status_code == 404
    assert client_as(app, "domainadmin").get(link).status_code == 404  # not theirs: not even "used"


def test_dry_run_upload_lists_the_first_hundred_rows_and_writes_nothing(app, world):
    client = client_as(app, "superadmin")
    rows = [f"u{n:03}@example.org,secret123,,," for n in range(5)]
    rows += [f"l{n:03}@other.org,secret123,,," for n in range(110)]
    body = "email,password,quota,kind,destinations\n" + "\n".join(rows) + "\nteam@example.org,,,alias,<b>@x.org\n"
    before = _counts(world)
    bad = _upload(client, body, dry_run=True)
    assert bad.status_code == 422 and "&lt;b&gt;@x.org" in bad.get_data(as_text=True)
    body = body.replace("<b>@x.org", "u000@example.org u001@example.org")
    dry = _upload(client, body, dry_run=True)
    page = html.unescape(dry.get_data(as_text=True))
    assert dry.status_code == 200 and "Dry run: nothing was written" in page
    assert page.count("<tr><td>") == 100 and "… and 16 more rows that would be written." in page
    assert "u000@example.org</code></td><td>create</td><td>quota 1G, password given" in page
    assert _counts(world) == before


def test_the_sample_csv_is_offered_and_imports(app, world):
    client = client_as(app, "superadmin")
    page = client.get("/import").get_data(as_text=True)
    sample = client.get(re.search(r'href="(/import/sample\.csv)"', page).group(1))
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    done = _upload(client, sample.get_data(as_text=True))
    assert done.status_code == 200, done.get_data(as_text=True)
    with world() as s:
        assert s.scalar(select(AliasDomain.target_name).where(AliasDomain.name == "example.com")) == "example.org"
        assert s.scalar(select(Alias.goto).where(Alias.address == "team@example.org")) == (
            "anna@example.org,ben@example.org"
        )


def test_the_page_says_what_the_export_covers(app, world):
    page = html.unescape(client_as(app, "domainadmin").get("/import").get_data(as_text=True))
    assert "The export covers 1 domain (example.org): 1 mailbox, 1 alias, 1 alias domain" in page
    assert "without password hashes" in page and "other.org" not in page
    full = html.unescape(client_as(app, "superadmin").get("/import").get_data(as_text=True))
    assert "2 domains (example.org, other.org): 2 mailboxes" in full and "with password hashes" in full


def test_a_domain_admin_upload_with_another_tenants_alias_is_refused_whole(app, world):
    client = client_as(app, "domainadmin")
    before = _counts(world)
    body = "email,password,kind,destinations\nnew@example.org,secret123,,\nspy@other.org,,alias,alice@example.org\n"
    response = _upload(client, body)
    assert response.status_code == 422
    assert "line 3: email: other.org is not one of your domains" in response.get_data(as_text=True)
    assert _counts(world) == before


def test_cli_dry_run_lists_rows_and_export_says_what_it_covers(app, runner, world, tmp_path):
    source = tmp_path / "in.csv"
    lines = [f"u{n:03}@other.org,secret123" for n in range(103)]
    source.write_text("email,password\n" + "\n".join(lines) + "\n")
    before = _counts(world)
    result = runner.invoke(args=["users", "import", str(source), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 2: create mailbox u000@other.org: quota unlimited, password given" in result.output
    assert "... and 3 more rows that would be written" in result.output
    assert "103 mailboxes would be created" in result.output
    assert _counts(world) == before
    export = runner.invoke(args=["users", "export", "--domain", "example.org"])
    assert export.exit_code == 0
    assert "exported 1 domain (example.org): 1 mailbox, 1 alias, 1 alias domain" in export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [(r["email"], r["kind"]) for r in rows] == [
        ("alice@example.org", "mailbox"),
        ("example.net", "alias_domain"),
    ]
