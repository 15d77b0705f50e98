"""Secrets shown once stay once (the audit: F5 on a "password shown once"
page re-posted the form and silently set another password)."""

from __future__ import annotations

import os
import re
import stat

import pytest
from sqlalchemy import func, select

from panel import passwords
from panel.models import Admin, ApiToken, Mailbox, OneTimeSecret
from tests.helpers import client_as, post

CASES = {
    "mailbox create": ("domainadmin", "/domains/example.org/mailboxes/new", {"local_part": "bob", "generate": "1"}),
    "mailbox reset": ("helpdesk", "/mailboxes/alice@example.org/password", {"generate": "1"}),
    "admin create": (
        "superadmin",
        "/admins/new",
        {"username": "newbie", "role": "helpdesk", "all_domains": "1", "generate": "1"},
    ),
    "admin reset": ("superadmin", "/admins/dom/password", {"generate": "1"}),
    "api token": ("domainadmin", "/tokens/", {"name": "script"}),
}


def _state(world):
    with world() as s:
        return (
            tuple(s.execute(select(Mailbox.address, Mailbox.password_hash).order_by(Mailbox.address))),
            tuple(s.execute(select(Admin.username, Admin.password_hash).order_by(Admin.username))),
            s.scalar(select(func.count()).select_from(ApiToken)),
        )


@pytest.mark.parametrize("case", CASES)
def test_the_secret_is_shown_once_and_reloading_changes_nothing(app, world, case):
    role, url, form = CASES[case]
    client = client_as(app, role)
    response = post(client, url, form)
    assert response.status_code == 302 and response.headers["Location"].startswith("/shown/")
    with world() as s:
        sealed = s.scalar(select(OneTimeSecret.payload))
    after_post = _state(world)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="secret-1" class="secret-value" readonly value="([^"]+)"', page.get_data(as_text=True))
    secret = secret.group(1)
    assert secret not in sealed  # the row holds it sealed, with a key only the browser has
    reloaded = client.get(response.headers["Location"])  # F5
    assert reloaded.status_code == 410 and secret not in reloaded.get_data(as_text=True)
    assert _state(world) == after_post  # no second password, no second token
    with world() as s:
        assert s.scalar(select(func.count()).select_from(OneTimeSecret)) == 0
        if case.startswith("mailbox"):
            address = "bob@example.org" if case == "mailbox create" else "alice@example.org"
            stored = s.scalar(select(Mailbox.password_hash).where(Mailbox.address == address))
            assert passwords.verify(secret, stored)


def test_another_browser_of_the_same_account_cannot_see_it(app, world):
    client, other = client_as(app, "domainadmin"), client_as(app, "domainadmin")
    response = post(client, "/tokens/", {"name": "script"})
    assert other.get(response.headers["Location"]).status_code == 410
    assert client.get(response.headers["Location"]).status_code == 200  # still its owner's, once


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    from panel import migrate

    path = tmp_path / "new" / "panel.sqlite"
    migrate.upgrade(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for companion in (f"{path}-wal", f"{path}-shm"):
        if os.path.exists(companion):
            assert stat.S_IMODE(os.stat(companion).st_mode) & 0o077 == 0
