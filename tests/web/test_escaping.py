"""Values with markup or quotes come back escaped: mailbox name, alias
destination, audit details."""

from __future__ import annotations

from panel.db import get_session
from panel.services import Actor, aliases, mailboxes
from tests.helpers import client_as, post

NASTY_NAME = '<script>alert("x")</script> O\'Neil "Q"'


def test_mailbox_name_alias_destination_and_audit_details_are_escaped(app, world):
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        mailboxes.create_mailbox(session, actor, "nasty@example.org", password="long-enough-1", name=NASTY_NAME)
        # ' is a valid character of a local part (RFC 5321 atext).
        aliases.create_alias(session, actor, "quote@example.org", ["o'neil@example.org"])
        session.commit()
    client = client_as(app, "superadmin")
    pages = {
        "list": client.get("/domains/example.org/mailboxes").get_data(as_text=True),
        "search": client.get("/mailboxes?q=nasty").get_data(as_text=True),
        "edit": client.get("/mailboxes/nasty@example.org").get_data(as_text=True),
        "audit": client.get("/audit/?target=nasty@example.org").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "&lt;script&gt;alert(" in html, name
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Neil &#34;Q&#34;"' in pages["edit"]
    aliases_page = client.get("/domains/example.org/aliases").get_data(as_text=True)
    assert "o&#39;neil@example.org" in aliases_page and "o'neil@example.org" not in aliases_page
    edit_alias = client.get("/aliases/quote@example.org").get_data(as_text=True)
    assert "o&#39;neil@example.org</textarea>" in edit_alias


def test_a_typed_value_with_markup_comes_back_escaped_in_the_form(app, world):
    client = client_as(app, "superadmin")
    response = post(
        client,
        "/domains/example.org/mailboxes/new",
        {
            "local_part": '"><script>x()</script>',
            "name": "<b>n</b>",
            "password": "long-enough-1",
            "password_confirm": "long-enough-1",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>x()" not in html and "<b>n</b>" not in html
    assert "&#34;&gt;&lt;script&gt;x()&lt;/script&gt;" in html
