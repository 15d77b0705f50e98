"""Every stored address has working pages: the links the lists print open
the edit, password and delete pages, whatever the local part holds (``/``,
``?``, ``#``, ``%`` included); a new one with a refused character gets a
clear error next to its field."""

from __future__ import annotations

import html
import re

from sqlalchemy import select, update

from panel import passwords
from panel.db import get_session
from panel.models import Alias, Mailbox
from panel.services import Actor, aliases, mailboxes
from tests.helpers import MAILBOX_PASSWORD, client_as, post
from tests.test_addresses import REFUSED_IN_NEW

_HREF = re.compile(r'href="([^"]+)"')


def _stored(app, world, model, final: list[str], make) -> None:
    """Rows at the ``final`` addresses, made as ``k<n>@other.org`` and renamed
    in SQL: the services no longer create such addresses."""
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        for number in range(len(final)):
            make(session, actor, f"k{number}@other.org")
        session.commit()
    with world() as s:
        for number, address in enumerate(final):
            values = {"address": address}
            if model is Mailbox:
                values["local_part"] = address.split("@")[0]
            s.execute(update(model).where(model.address == f"k{number}@other.org").values(**values))
        s.commit()


def _links(client, page: str) -> set[str]:
    response = client.get(page)
    assert response.status_code == 200
    return {html.unescape(href) for href in _HREF.findall(response.get_data(as_text=True))}


def _link_to(links: set[str], endpoint_path: str) -> str:
    [link] = [href for href in links if href == endpoint_path]
    return link


LEGACY = [f"x{special}y@other.org" for special in REFUSED_IN_NEW]


def _quoted(address: str) -> str:
    # As url_for writes it: ?, # and % are escaped, / is kept.
    return (
        address.replace("%", "%25")
        .replace("#", "%23")
        .replace("?", "%3F")
        .replace("`", "%60")
        .replace("{", "%7B")
        .replace("}", "%7D")
        .replace("|", "%7C")
        .replace("^", "%5E")
    )


def test_stored_mailboxes_of_every_shape_are_edited_reset_disabled_and_deleted(app, world):
    _stored(
        app, world, Mailbox, LEGACY, lambda s, a, addr: mailboxes.create_mailbox(s, a, addr, password=MAILBOX_PASSWORD)
    )
    client = client_as(app, "superadmin")
    links = _links(client, "/domains/other.org/mailboxes")
    for address in LEGACY:
        edit = _link_to(links, f"/mailboxes/{_quoted(address)}")
        assert html.escape(address) in client.get(edit).get_data(as_text=True)
        assert post(client, edit, {"name": "Old Row", "quota": "0"}).status_code == 302  # active unticked
        password = _link_to(links, f"{edit}/password")
        new = {"password": "typed-password-9", "password_confirm": "typed-password-9"}
        assert post(client, password, new).status_code == 302
        with world() as s:
            row = s.scalar(select(Mailbox).where(Mailbox.address == address))
            assert (row.name, row.active) == ("Old Row", False), address
            assert passwords.verify("typed-password-9", row.password_hash)
        delete = _link_to(links, f"{edit}/delete")
        assert client.get(delete).status_code == 200
        assert post(client, delete).status_code == 302
        with world() as s:
            assert s.scalar(select(Mailbox.id).where(Mailbox.address == address)) is None, address


def test_stored_aliases_of_every_shape_are_edited_and_deleted(app, world):
    _stored(app, world, Alias, LEGACY, lambda s, a, addr: aliases.create_alias(s, a, addr, ["olga@other.org"]))
    client = client_as(app, "superadmin")
    links = _links(client, "/domains/other.org/aliases")
    for address in LEGACY:
        edit = _link_to(links, f"/aliases/{_quoted(address)}")
        assert client.get(edit).status_code == 200
        assert post(client, edit, {"destinations": "olga@other.org\nfar@example.net", "active": "1"}).status_code == 302
        with world() as s:
            assert s.scalar(select(Alias.goto).where(Alias.address == address)) == "olga@other.org,far@example.net"
        delete = _link_to(links, f"{edit}/delete")
        assert post(client, delete).status_code == 302
        with world() as s:
            assert s.scalar(select(Alias.id).where(Alias.address == address)) is None, address


def test_a_catch_all_keeps_its_pages(app, world):
    with app.app_context():
        aliases.create_alias(get_session(), Actor.system("test"), "@example.org", ["alice@example.org"])
        get_session().commit()
    client = client_as(app, "domainadmin")
    assert client.get("/aliases/@example.org").status_code == 200
    assert post(client, "/aliases/@example.org/delete").status_code == 302


def test_a_new_mailbox_or_alias_with_a_refused_character_is_an_error_next_to_its_field(app, world):
    client = client_as(app, "domainadmin")
    for special in REFUSED_IN_NEW:
        for page, data in (
            ("/domains/example.org/mailboxes/new", {"local_part": f"a{special}b", "password": "pw-123456"}),
            ("/domains/example.org/aliases/new", {"local_part": f"a{special}b", "destinations": "alice@example.org"}),
        ):
            data.setdefault("password_confirm", data.get("password", ""))
            response = post(client, page, dict(data, active="1"))
            text = response.get_data(as_text=True)
            assert response.status_code == 422, (page, special)
            shown = re.search(r'id="e-local_part" class="error" role="alert">([^<]+)<', text)
            assert shown and f"{special!r} is not allowed in a new address" in html.unescape(shown.group(1)), special
    with world() as s:
        assert s.scalars(select(Mailbox.address)).all() == ["alice@example.org", "olga@other.org"]


def test_a_new_mailbox_takes_each_allowed_character_and_its_pages_work(app, world):
    client = client_as(app, "superadmin")
    for special in ".-_+'":
        created = post(
            client,
            "/domains/other.org/mailboxes/new",
            {"local_part": f"n{special}w", "password": "pw-123456", "password_confirm": "pw-123456", "active": "1"},
        )
        assert created.status_code == 302, special
    links = _links(client, "/domains/other.org/mailboxes")
    for special in ".-_+'":
        edit = _link_to(links, f"/mailboxes/n{special}w@other.org")
        assert client.get(edit).status_code == 200
        assert post(client, f"{edit}/delete").status_code == 302
