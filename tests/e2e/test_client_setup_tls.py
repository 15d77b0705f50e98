"""Mail clients set themselves up, the client's way: each answer (Thunderbird
autoconfig, Outlook autodiscover, an Apple profile) is parsed with the
standard library only, and the client connects to exactly the host, port
and security it names, verifying the test CA's certificate for that name
(mapped to 127.0.0.1), logs in with the mailbox's password, sends a message
through the advertised SMTP server and reads it through the advertised
IMAP server."""

from __future__ import annotations

import imaplib
import plistlib
import poplib
import smtplib
import ssl
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.tls_ca import NAME
from tests.helpers import login
from tests.mailstack_fixture import E2E_PASSWORD, HOST, TIMEOUT, message

pytestmark = pytest.mark.e2e
ADDRESS = "carla@e2e.test"
OUT = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
POX = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
    "<Request><EMailAddress>{}</EMailAddress>"
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)


def _address(host: str) -> str:
    """The test's DNS: the advertised name is this machine."""
    assert host == NAME
    return HOST


class _Named:
    """Connects to 127.0.0.1, verifies the certificate for the advertised name."""

    def __init__(self, context: ssl.SSLContext, host: str):
        self._context, self._host = context, host

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        return self._context.wrap_socket(sock, server_hostname=self._host, **kwargs)

    def __getattr__(self, name):
        return getattr(self._context, name)


def _imap(context, host, port, security) -> imaplib.IMAP4:
    named = _Named(context, host)
    if security == "SSL":
        imap = imaplib.IMAP4_SSL(_address(host), port, ssl_context=named, timeout=TIMEOUT)
    else:
        imap = imaplib.IMAP4(_address(host), port, timeout=TIMEOUT)
        imap.starttls(ssl_context=named)
    imap.login(ADDRESS, E2E_PASSWORD)
    return imap


def _pop3(context, host, port, security) -> None:
    named = _Named(context, host)
    if security == "SSL":
        pop = poplib.POP3_SSL(_address(host), port, context=named, timeout=TIMEOUT)
    else:
        pop = poplib.POP3(_address(host), port, timeout=TIMEOUT)
        pop.stls(context=named)
    pop.user(ADDRESS)
    pop.pass_(E2E_PASSWORD)
    pop.quit()


def _send(context, host, port, security, subject) -> None:
    named = _Named(context, host)
    if security == "SSL":
        smtp = smtplib.SMTP_SSL(_address(host), port, context=named, timeout=TIMEOUT)
    else:
        smtp = smtplib.SMTP(_address(host), port, timeout=TIMEOUT)
        smtp.ehlo("client.test")
        smtp.starttls(context=named)
    with smtp:
        smtp.ehlo("client.test")
        smtp.login(ADDRESS, E2E_PASSWORD)
        smtp.send_message(message(subject, sender=ADDRESS, to=ADDRESS))


def _read(context, imap_server, subject) -> bool:
    for _ in range(50):
        imap = _imap(context, *imap_server)
        imap.select("INBOX", readonly=True)
        found = imap.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
        imap.logout()
        if found:
            return True
        time.sleep(0.2)
    return False


def _thunderbird(client) -> dict:
    response = client.get("/.well-known/autoconfig/mail/config-v1.1.xml", query_string={"emailaddress": ADDRESS})
    assert response.status_code == 200
    provider = ET.fromstring(response.data).find("emailProvider")
    servers = {}
    for server in [*provider.findall("incomingServer"), *provider.findall("outgoingServer")]:
        assert server.findtext("username") == "%EMAILADDRESS%"
        entry = (server.findtext("hostname"), int(server.findtext("port")), server.findtext("socketType"))
        servers.setdefault(server.get("type"), []).append(entry)
    return servers


def _outlook(client) -> dict:
    response = client.post("/Autodiscover/Autodiscover.xml", data=POX.format(ADDRESS), content_type="text/xml")
    assert response.status_code == 200
    servers = {}
    for protocol in ET.fromstring(response.data).iter(f"{OUT}Protocol"):
        assert protocol.findtext(f"{OUT}LoginName") == ADDRESS
        security = {"SSL": "SSL", "TLS": "STARTTLS"}[protocol.findtext(f"{OUT}Encryption")]
        entry = (protocol.findtext(f"{OUT}Server"), int(protocol.findtext(f"{OUT}Port")), security)
        servers.setdefault(protocol.findtext(f"{OUT}Type").lower(), []).append(entry)
    return servers


def _apple(profile: bytes) -> dict:
    account = plistlib.loads(profile)["PayloadContent"][0]
    assert account["EmailAddress"] == ADDRESS and account["IncomingMailServerUsername"] == ADDRESS
    incoming = account["IncomingMailServerHostName"], account["IncomingMailServerPortNumber"]
    outgoing = account["OutgoingMailServerHostName"], account["OutgoingMailServerPortNumber"]
    ssl_in, ssl_out = account["IncomingMailServerUseSSL"], account["OutgoingMailServerUseSSL"]
    assert ssl_in and ssl_out and incoming[1] == 993 and outgoing[1] == 465  # implicit TLS ports
    return {"imap": [(*incoming, "SSL")], "smtp": [(*outgoing, "SSL")]}


@pytest.mark.parametrize("client_kind", ["thunderbird", "outlook", "apple"])
def test_a_client_follows_its_answer_logs_in_sends_and_reads(tls_stack, new_mailbox, app, client_kind):
    new_mailbox(ADDRESS)
    app.config["MAIL_HOSTNAME"] = NAME
    if client_kind == "apple":  # the owner signs in to /me/ and downloads the profile
        browser = app.test_client()
        assert login(browser, ADDRESS, E2E_PASSWORD).status_code == 302
        response = browser.get("/me/mail.mobileconfig")
        assert response.mimetype == "application/x-apple-aspen-config"
        servers = _apple(response.data)
    else:
        servers = (_thunderbird if client_kind == "thunderbird" else _outlook)(app.test_client())
    for server in servers["imap"]:
        _imap(tls_stack, *server).logout()
    for server in servers.get("pop3", []):
        _pop3(tls_stack, *server)
    for number, server in enumerate(servers["smtp"]):
        subject = f"{client_kind} {number} {uuid.uuid4().hex[:8]}"
        _send(tls_stack, *server, subject)
        assert _read(tls_stack, servers["imap"][0], subject), (server, subject)
    if client_kind == "thunderbird":  # every variant it is offered, POP3 STLS on 110 among them
        assert set(servers["pop3"]) == {(NAME, 995, "SSL"), (NAME, 110, "STARTTLS")}
        assert set(servers["smtp"]) == {(NAME, 465, "SSL"), (NAME, 587, "STARTTLS")}
