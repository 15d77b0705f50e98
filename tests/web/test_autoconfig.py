"""Thunderbird autoconfig and Outlook autodiscover, parsed as a client would
(standard library only): hosted domains answered, the same answer for any
local part, 404 elsewhere, hostile input answered safely, nothing written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.helpers import world_state

THUNDERBIRD_URLS = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
OUTLOOK_URLS = ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml")
REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
    "<Request><EMailAddress>{}</EMailAddress>"
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)
OUT = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


@pytest.fixture
def anonymous(app, world):
    app.config["MAIL_HOSTNAME"] = "mail.example.net"
    return app.test_client()


def _servers(body: bytes) -> list[tuple]:
    root = ET.fromstring(body)
    found = []
    for server in root.iter():
        if server.tag in ("incomingServer", "outgoingServer"):
            found.append(
                (
                    server.get("type"),
                    server.findtext("hostname"),
                    int(server.findtext("port")),
                    server.findtext("socketType"),
                    server.findtext("username"),
                    server.findtext("authentication"),
                )
            )
    return found


@pytest.mark.parametrize("url", THUNDERBIRD_URLS)
def test_thunderbird_gets_implicit_tls_first_then_starttls(anonymous, url):
    response = anonymous.get(url, query_string={"emailaddress": "alice@example.org"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert ET.fromstring(response.data).find("emailProvider/domain").text == "example.org"
    assert _servers(response.data) == [
        ("imap", "mail.example.net", 993, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ("imap", "mail.example.net", 143, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
        ("pop3", "mail.example.net", 995, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ("pop3", "mail.example.net", 110, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
        ("smtp", "mail.example.net", 465, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ("smtp", "mail.example.net", 587, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
    ]
    assert "Set-Cookie" not in response.headers


def test_thunderbird_answer_is_the_same_for_a_known_and_an_unknown_local_part(anonymous):
    known = anonymous.get(THUNDERBIRD_URLS[0], query_string={"emailaddress": "alice@example.org"})
    unknown = anonymous.get(THUNDERBIRD_URLS[0], query_string={"emailaddress": "nobody-here@example.org"})
    assert known.data == unknown.data


@pytest.mark.parametrize(
    "email", ["alice@not-hosted.example", "", "no-at-sign", "a@<script>.org", "x@" + "a" * 10_000 + ".org"]
)
def test_thunderbird_refuses_a_domain_not_hosted_here(anonymous, email):
    assert anonymous.get(THUNDERBIRD_URLS[0], query_string={"emailaddress": email}).status_code == 404


@pytest.mark.parametrize("local", ["<script>alert(1)</script>", '"&amp;]]>', "a\r\nX-Injected: 1", "x" * 10_000])
def test_hostile_email_address_is_answered_safely(anonymous, local):
    response = anonymous.get(THUNDERBIRD_URLS[0], query_string={"emailaddress": f"{local}@example.org"})
    assert response.status_code in (200, 404)  # 404: longer than any address
    assert b"<script>alert" not in response.data and b"\r\nX-Injected" not in response.data
    if response.status_code == 200:
        ET.fromstring(response.data)
    posted = anonymous.post(OUTLOOK_URLS[0], data=REQUEST.format(_escape(f"{local}@example.org")))
    assert posted.status_code in (200, 413)
    if posted.status_code == 200:
        assert b"<script>alert" not in posted.data and b"\r\nX-Injected" not in posted.data
        ET.fromstring(posted.data)  # still well-formed: every echoed value escaped


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("url", OUTLOOK_URLS)
def test_outlook_gets_imap_and_smtp_over_tls(anonymous, url):
    response = anonymous.post(url, data=REQUEST.format("alice@example.org"), content_type="text/xml")
    assert response.status_code == 200
    account = ET.fromstring(response.data).find(f"{OUT}Response/{OUT}Account")
    protocols = {
        p.findtext(f"{OUT}Type"): (
            p.findtext(f"{OUT}Server"),
            int(p.findtext(f"{OUT}Port")),
            p.findtext(f"{OUT}SSL"),
            p.findtext(f"{OUT}LoginName"),
        )
        for p in account.findall(f"{OUT}Protocol")
    }
    assert protocols == {
        "IMAP": ("mail.example.net", 993, "on", "alice@example.org"),
        "SMTP": ("mail.example.net", 465, "on", "alice@example.org"),
    }


def test_outlook_unknown_domain_is_404_and_known_and_unknown_local_parts_agree(anonymous):
    assert anonymous.post(OUTLOOK_URLS[0], data=REQUEST.format("a@not-hosted.example")).status_code == 404
    one = anonymous.post(OUTLOOK_URLS[0], data=REQUEST.format("nobody@example.org")).data
    assert (
        one.replace(b"nobody@", b"alice@")
        == anonymous.post(OUTLOOK_URLS[0], data=REQUEST.format("alice@example.org")).data
    )


def test_outlook_refuses_an_xml_bomb_an_external_entity_and_a_big_body(anonymous):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<Autodiscover><Request><EMailAddress>&lol2;@example.org</EMailAddress></Request></Autodiscover>"
    )
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<Autodiscover><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>"
    )
    assert anonymous.post(OUTLOOK_URLS[0], data=bomb).status_code == 400
    assert anonymous.post(OUTLOOK_URLS[0], data=external).status_code == 400
    assert anonymous.post(OUTLOOK_URLS[0], data="<" * 5000).status_code == 413
    assert anonymous.post(OUTLOOK_URLS[0], data="not xml").status_code == 400


def test_client_setup_writes_nothing(anonymous, world):
    before = world_state(world)
    anonymous.get(THUNDERBIRD_URLS[0], query_string={"emailaddress": "alice@example.org"})
    anonymous.post(OUTLOOK_URLS[0], data=REQUEST.format("alice@example.org"))
    assert world_state(world) == before


def test_portal_shows_the_client_sheet_and_an_apple_profile_without_password(app, world):
    import plistlib

    from tests.helpers import client_as

    app.config["MAIL_HOSTNAME"] = "mail.example.net"
    client = client_as(app, "mailbox")
    page = client.get("/me/").get_data(as_text=True)
    assert "mail.example.net" in page and "993" in page and "465" in page and "STARTTLS" in page
    response = client.get("/me/mail.mobileconfig")
    assert response.status_code == 200 and response.mimetype == "application/x-apple-aspen-config"
    profile = plistlib.loads(response.data)
    account = profile["PayloadContent"][0]
    assert account["PayloadType"] == "com.apple.mail.managed"
    assert account["EmailAddress"] == "alice@example.org"
    assert (account["IncomingMailServerHostName"], account["IncomingMailServerPortNumber"]) == ("mail.example.net", 993)
    assert account["OutgoingMailServerUseSSL"] is True
    assert not any("Password" in key and key != "OutgoingPasswordSameAsIncomingPassword" for key in account)
    assert plistlib.loads(client.get("/me/mail.mobileconfig").data)["PayloadUUID"] != profile["PayloadUUID"]


def test_an_admin_downloads_the_apple_profile_of_a_mailbox(app, world):
    import plistlib

    from tests.helpers import client_as

    app.config["MAIL_HOSTNAME"] = "mail.example.net"
    client = client_as(app, "domainadmin")
    assert "mail.example.net" in client.get("/mailboxes/alice@example.org").get_data(as_text=True)
    response = client.get("/mailboxes/alice@example.org/mail.mobileconfig")
    assert response.status_code == 200
    assert plistlib.loads(response.data)["PayloadContent"][0]["EmailAddress"] == "alice@example.org"


JSON_URLS = ("/autodiscover/autodiscover.json", "/Autodiscover/Autodiscover.json", "/AUTODISCOVER/autodiscover.JSON")


@pytest.mark.parametrize("url", JSON_URLS)
def test_autodiscover_v2_redirects_to_the_pox_endpoint_in_any_spelling(anonymous, url):
    import json

    response = anonymous.get(
        url,
        query_string={"Email": "alice@example.org", "Protocol": "AutodiscoverV1"},
        headers={"Host": "autodiscover.example.org"},
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.data) == {
        "Protocol": "AutodiscoverV1",
        "Url": "https://autodiscover.example.org/autodiscover/autodiscover.xml",
    }


def test_autodiscover_v2_same_for_any_local_part_404_elsewhere_400_for_nonsense(anonymous):
    def ask(email, protocol="AutodiscoverV1"):
        return anonymous.get(JSON_URLS[0], query_string={"Email": email, "Protocol": protocol})

    assert ask("alice@example.org").data == ask("nobody-at-all@example.org").data
    assert ask("alice@not-hosted.example").status_code == 404
    for email, protocol, code in [
        ("alice@example.org", "Rest", "InvalidProtocol"),
        ("alice@example.org", "", "InvalidProtocol"),
        ("no-at-sign", "AutodiscoverV1", "InvalidEmail"),
        ("", "AutodiscoverV1", "InvalidEmail"),
    ]:
        refused = ask(email, protocol)
        assert refused.status_code == 400 and refused.is_json and refused.json["ErrorCode"] == code


def test_autodiscover_v2_does_not_echo_a_hostile_host_header(anonymous):
    response = anonymous.get(
        JSON_URLS[0],
        query_string={"Email": "alice@example.org", "Protocol": "AutodiscoverV1"},
        headers={"Host": "evil<script>.example"},
    )
    assert response.status_code in (200, 400)
    assert b"<script>" not in response.data


# What current Outlook asks: the address in the path (Microsoft's autodiscover v2).
PATH_URLS = (
    "/autodiscover/autodiscover.json/v1.0/{}",
    "/Autodiscover/Autodiscover.json/V1.0/{}",
    "/AUTODISCOVER/AUTODISCOVER.JSON/v1.0/{}",
)


@pytest.mark.parametrize("url", PATH_URLS)
def test_outlooks_path_form_answers_what_the_query_form_answers(anonymous, url):
    headers = {"Host": "autodiscover.example.org"}
    asked = anonymous.get(url.format("alice@example.org"), query_string={"Protocol": "AutodiscoverV1"}, headers=headers)
    query = {"Email": "alice@example.org", "Protocol": "AutodiscoverV1"}
    assert asked.status_code == 200 and asked.mimetype == "application/json"
    assert asked.json == {
        "Protocol": "AutodiscoverV1",
        "Url": "https://autodiscover.example.org/autodiscover/autodiscover.xml",
    }
    assert asked.data == anonymous.get(JSON_URLS[0], query_string=query, headers=headers).data
    assert asked.headers["Cache-Control"] == "no-store"


def test_outlooks_path_form_same_for_any_local_part_404_elsewhere_400_for_nonsense(anonymous):
    def ask(email, protocol="AutodiscoverV1", **extra):
        return anonymous.get(PATH_URLS[0].format(email), query_string={"Protocol": protocol, **extra})

    assert ask("alice@example.org").data == ask("nobody-at-all@example.org").data
    assert ask("alice@example.org", RedirectCount="1").status_code == 200  # Outlook adds it on a second try
    assert ask("alice@example.net").status_code == 200  # an alias domain of example.org
    assert ask("a/b@example.org").data == ask("alice@example.org").data  # RFC 5321 allows "/" there
    assert ask("a%0d%0aX-Injected:%201@example.org").data == ask("alice@example.org").data  # nothing echoed
    unknown = ask("alice@not-hosted.example")
    assert unknown.status_code == 404 and unknown.is_json and unknown.json["ErrorCode"] == "NotFound"
    for email, protocol, code in [
        ("alice@example.org", "ActiveSync", "InvalidProtocol"),
        ("alice@example.org", "", "InvalidProtocol"),
        ("no-at-sign", "AutodiscoverV1", "InvalidEmail"),
        ("alice@exa%0d%0aX-Injected:%201mple.org", "AutodiscoverV1", "InvalidEmail"),
        ("x" * 10_000 + "@example.org", "AutodiscoverV1", "InvalidEmail"),
    ]:
        refused = ask(email, protocol)
        assert refused.status_code == 400 and refused.is_json and refused.json["ErrorCode"] == code, email[:40]
        assert b"X-Injected" not in refused.data and "X-Injected" not in str(refused.headers)


def test_outlooks_path_form_escapes_what_it_echoes_and_writes_nothing(anonymous, world):
    before = world_state(world)
    response = anonymous.get(
        PATH_URLS[0].format("%3Cscript%3E@example.org"),
        query_string={"Protocol": "AutodiscoverV1"},
        headers={"Host": "evil<script>.example"},
    )
    assert response.status_code in (200, 400) and b"<script>" not in response.data
    assert "Set-Cookie" not in response.headers
    assert world_state(world) == before


@pytest.mark.parametrize("url", ["/AutoDiscover/AUTODISCOVER.XML", "/autodiscover/Autodiscover.xml"])
def test_outlook_pox_in_any_spelling(anonymous, url):
    assert anonymous.post(url, data=REQUEST.format("alice@example.org")).status_code == 200
    assert anonymous.post(url.replace(".", "x"), data=REQUEST.format("alice@example.org")).status_code == 404
