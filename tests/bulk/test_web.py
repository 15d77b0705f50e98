"""The upload page, the one-time password download, the export button, and
API tokens in the web UI — through the real login and CSRF."""

from __future__ import annotations

import csv
import html
import io
import re

from sqlalchemy import select

from panel import passwords
from panel.models import Mailbox
from tests.helpers import bearer, client_as, post


def _upload(client, text: str, **flags):
    data = {"file": (io.BytesIO(text.encode()), "users.csv"), **{k: "1" for k, v in flags.items() if v}}
    return post(client, "/import", data, content_type="multipart/form-data")


def _addresses(world) -> list[str]:
    with world() as s:
        return sorted(s.scalars(select(Mailbox.address)))


def test_domain_admin_upload_touching_another_domain_is_refused_whole(app, world):
    client = client_as(app, "domainadmin")
    response = _upload(client, "email,password\nnew@example.org,secret123\nx@other.org,secret123\n")
    assert response.status_code == 422
    assert "line 3: email: other.org is not one of your domains" in response.get_data(as_text=True)
    assert _addresses(world) == ["alice@example.org", "olga@other.org"]


def test_the_upload_page_names_its_checkboxes_not_the_cli_flags(app, world):
    client = client_as(app, "superadmin")
    response = _upload(client, "email,password\nalice@example.org,secret123\nx@nowhere.org,secret123\n")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "--update" not in page and "--create-domains" not in page
    assert "alice@example.org already exists (tick “Update existing mailboxes” to change it)" in page
    assert "nowhere.org is not hosted here (tick “Create domains that do not exist yet” to add it)" in page


def test_dry_run_then_import_with_one_time_password_download(app, world):
    client = client_as(app, "superadmin")
    body = 'email,name\nnew@example.org,"<script>x</script>"\n'
    dry = _upload(client, body, dry_run=True)
    assert dry.status_code == 200 and "1 mailbox would be created" in dry.get_data(as_text=True)
    assert _addresses(world) == ["alice@example.org", "olga@other.org"]
    done = _upload(client, body)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "1 mailbox was created" in page
    link = re.search(r'href="(/import/passwords/[^"]+)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    with world() as s:
        box = s.scalar(select(Mailbox).where(Mailbox.address == "new@example.org"))
        assert passwords.verify(row["password"], box.password_hash) and box.name == "<script>x</script>"
    assert client.get(link).status_code == 410  # once only (and says so)
    assert client_as(app, "domainadmin").get(link).status_code == 404


def test_export_button_is_scoped(app, world):
    text = client_as(app, "domainadmin").get("/export").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["email"], r["kind"]) for r in rows] == [
        ("alice@example.org", "mailbox"),
        ("example.net", "alias_domain"),
    ]
    assert "password_hash" not in rows[0]
    assert client_as(app, "domainadmin").get("/export?domain=other.org").status_code == 404
    full = client_as(app, "superadmin").get("/export?domain=other.org").get_data(as_text=True)
    assert "olga@other.org" in full and "{ARGON2ID}" in full
    malformed = client_as(app, "superadmin").get("/export?domain=example..org")
    assert malformed.status_code in (400, 422)
    assert "attachment" not in malformed.headers.get("Content-Disposition", "")
    assert client_as(app, "helpdesk").get("/export").status_code == 403


def test_tokens_created_in_the_web_work_and_can_be_revoked(app, world):
    client = client_as(app, "domainadmin")
    created = post(client, "/tokens/", {"name": "provisioning"}, follow_redirects=True)
    token = re.search(r'value="(mpt_[^"]+)"', created.get_data(as_text=True)).group(1)
    api = app.test_client()
    headers = bearer(token)
    assert api.get("/api/v1/mailboxes", headers=headers).status_code == 200
    listing = client.get("/tokens/").get_data(as_text=True)
    assert "provisioning" in listing and token not in listing
    revoke_url = re.search(r'action="(/tokens/\d+/revoke)"', listing).group(1)
    # Another domain admin, with a valid form: not theirs, so not even there for them.
    refused = post(client_as(app, "other_domainadmin"), revoke_url)
    assert refused.status_code == 404 and "no such token" in refused.get_data(as_text=True)
    assert api.get("/api/v1/mailboxes", headers=headers).status_code == 200
    assert post(client, revoke_url).status_code == 302
    assert api.get("/api/v1/mailboxes", headers=headers).status_code == 401


def test_unclaimed_password_downloads_expire(app, world):
    import os
    import time
    from pathlib import Path

    from panel.web.bulk import DOWNLOAD_LIFETIME_S

    client = client_as(app, "superadmin")
    page = _upload(client, "email\nlate@example.org\n").get_data(as_text=True)
    link = re.search(r'href="(/import/passwords/[^"]+)"', page).group(1)
    [parked] = list((Path(app.instance_path) / "import-passwords").glob("*.csv"))
    assert oct(parked.stat().st_mode & 0o777) == "0o600"
    old = time.time() - DOWNLOAD_LIFETIME_S - 1
    os.utime(parked, (old, old))
    assert client.get(link).status_code == 404
    assert not parked.exists()
