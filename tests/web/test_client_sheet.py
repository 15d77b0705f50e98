"""The client-setup sheet without a browser: it shows only to those who may
see the mailbox (another domain's admin gets the mailbox page's 404, the
helpdesk its 403), its values are escaped, and it is one sheet on both
pages (the portal and the mailbox page say the same)."""

from __future__ import annotations

import re

from panel.db import get_session
from panel.services import Actor, mailboxes
from tests.helpers import client_as

HOSTILE_HOST = '<script>alert("host")</script>.example'
HOSTILE_NAME = '<script>alert("name")</script> "Q"'


def _sheet(html: str) -> str:
    match = re.search(r'<section class="card client-sheet".*?</section>', html, re.S)
    assert match, "no client sheet on the page"
    return match.group(0)


def _rename_alice(app, name: str) -> None:
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        mailboxes.update_mailbox(session, actor, mailboxes.get_mailbox(session, actor, "alice@example.org"), name=name)
        session.commit()


def test_another_domains_admin_gets_no_sheet_of_this_tenant(app, world):
    app.config["MAIL_HOSTNAME"] = "mail.example.net"
    other = client_as(app, "other_domainadmin")
    response = other.get("/mailboxes/alice@example.org")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "client-sheet" not in html and "mail.example.net" not in html
    assert other.get("/mailboxes/alice@example.org/mail.mobileconfig").status_code == 404
    # The helpdesk sees the mailbox (to reset its password) but not the page holding the sheet.
    assert client_as(app, "helpdesk").get("/mailboxes/alice@example.org").status_code == 403
    # Their own tenant's sheet they do get: the 404 above is the fence, not a broken page.
    own = other.get("/mailboxes/olga@other.org")
    assert own.status_code == 200 and "olga@other.org" in _sheet(own.get_data(as_text=True))


def test_hostile_host_name_and_display_name_are_escaped_on_both_sheets(app, world):
    app.config["MAIL_HOSTNAME"] = HOSTILE_HOST
    _rename_alice(app, HOSTILE_NAME)
    pages = {
        "mailbox page": client_as(app, "domainadmin").get("/mailboxes/alice@example.org"),
        "portal": client_as(app, "mailbox").get("/me/"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        sheet = _sheet(response.get_data(as_text=True))
        assert "<script>" not in sheet, where
        assert "&lt;script&gt;alert(&#34;host&#34;)&lt;/script&gt;.example" in sheet, where
        assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; &#34;Q&#34;" in sheet, where


def test_the_sheet_names_the_configured_host_every_port_and_the_full_address(app, world):
    app.config["MAIL_HOSTNAME"] = "mail.example.net"
    sheet = _sheet(client_as(app, "superadmin").get("/mailboxes/alice@example.org").get_data(as_text=True))
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>(\d+)</td><td>([^<]+)</td>", sheet)
    assert rows == [
        ("IMAP (incoming)", "mail.example.net", "993", "SSL/TLS"),
        ("IMAP (incoming)", "mail.example.net", "143", "STARTTLS"),
        ("POP3 (incoming)", "mail.example.net", "995", "SSL/TLS"),
        ("POP3 (incoming)", "mail.example.net", "110", "STARTTLS"),
        ("SMTP (outgoing)", "mail.example.net", "465", "SSL/TLS"),
        ("SMTP (outgoing)", "mail.example.net", "587", "STARTTLS"),
    ]
    assert "<strong>alice@example.org</strong>" in sheet
    assert 'href="/mailboxes/alice@example.org/mail.mobileconfig"' in sheet
    portal_sheet = _sheet(client_as(app, "mailbox").get("/me/").get_data(as_text=True))
    assert re.findall(r"<tr>.*?</tr>", portal_sheet, re.S) == re.findall(r"<tr>.*?</tr>", sheet, re.S)
    assert 'href="http://localhost/me/mail.mobileconfig"' in portal_sheet
    # Staff hand the sheet on with the portal's address; the owner is already there.
    assert 'href="http://localhost/me/"' in sheet and "their portal" not in portal_sheet
