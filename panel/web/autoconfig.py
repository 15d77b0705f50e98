"""Mail clients set themselves up: Thunderbird's autoconfig (Mozilla
clientConfig 1.1) and Outlook's autodiscover (POX, responseschema/2006a).

Anonymous by necessity (a client asks before anyone signs in), so: the
answer depends on the domain alone (same for a known and an unknown local
part), 404 for a domain not hosted here, nothing written (no audit row, no
session), every value built with ElementTree so it is escaped, and the
request XML parsed with defusedxml (no entities, no external references)
after a size check. Each client address has a budget of requests
(services.request_budget, kept in the database so it holds across web
workers): beyond it, 429 with Retry-After.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, abort, current_app, jsonify, request

from ..db import get_session, short_write
from ..services import client_settings, request_budget
from . import csrf
from .access import public

bp = Blueprint("autoconfig", __name__)
AUTODISCOVER_BODY_MAX = 4096
_REQUEST_NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006}"
_RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
_OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
_XML = "application/xml; charset=utf-8"
_JSON_ENDPOINTS = {"autoconfig.outlook_json", "autoconfig.outlook_json_path"}  # errors in JSON, 429 too
# What a Host header may be for the v2 redirect to name it (a DNS name, an optional port).
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?")


@bp.before_request
def _within_budget():
    limit = current_app.config["CLIENT_SETUP_RATE_LIMIT"]
    window = timedelta(seconds=current_app.config["CLIENT_SETUP_RATE_WINDOW"])
    key = request_budget.client_key("c", request.remote_addr)
    with short_write() as session:
        wait = request_budget.charge(session, key, limit, window)
    if not wait:
        return None
    headers = {"Retry-After": str(wait), "Cache-Control": "no-store"}
    if request.endpoint in _JSON_ENDPOINTS:
        return _json_error(429, "TooManyRequests", f"Too many requests; try again in {wait} seconds.", headers)
    return f"Too many requests; try again in {wait} seconds.\n", 429, {"Content-Type": "text/plain", **headers}


def _hosted_domain(email: str | None) -> str:
    domain = client_settings.domain_of(email)
    if not client_settings.is_hosted(get_session(), domain):
        abort(404)
    return domain


def _xml(root: ET.Element):
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    # Public and the same for everyone asking about a domain, but never cached
    # by a shared proxy across a change of the server's settings.
    return body, 200, {"Content-Type": _XML, "Cache-Control": "no-store"}


def _sub(parent: ET.Element, tag: str, text: str | int | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = str(text)
    return element


# -- Thunderbird ------------------------------------------------------------------


def _client_config(domain: str) -> ET.Element:
    hostname = current_app.config["MAIL_HOSTNAME"]
    root = ET.Element("clientConfig", version="1.1")
    provider = _sub(root, "emailProvider", id=domain)
    _sub(provider, "domain", domain)
    _sub(provider, "displayName", f"Mail for {domain}")
    _sub(provider, "displayShortName", domain)
    incoming, outgoing = client_settings.servers(hostname)
    for server in incoming:
        _mozilla_server(provider, "incomingServer", server)
    for server in outgoing:
        _mozilla_server(provider, "outgoingServer", server)
    return root


def _mozilla_server(parent: ET.Element, tag: str, server) -> None:
    element = _sub(parent, tag, type=server.protocol)
    _sub(element, "hostname", server.hostname)
    _sub(element, "port", server.port)
    _sub(element, "socketType", server.socket)
    _sub(element, "username", "%EMAILADDRESS%")
    _sub(element, "authentication", "password-cleartext")


@bp.get("/mail/config-v1.1.xml")
@bp.get("/.well-known/autoconfig/mail/config-v1.1.xml", endpoint="thunderbird_well_known")
@public
def thunderbird():
    return _xml(_client_config(_hosted_domain(request.args.get("emailaddress"))))


# -- Outlook ----------------------------------------------------------------------


def _requested_email() -> str | None:
    if (request.content_length or 0) > AUTODISCOVER_BODY_MAX:
        abort(413)
    body = request.get_data(cache=False)  # the server already capped it by MAX_CONTENT_LENGTH
    if len(body) > AUTODISCOVER_BODY_MAX:
        abort(413)
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        abort(400)
    found = root.find(f"{_REQUEST_NS}Request/{_REQUEST_NS}EMailAddress")
    return found.text.strip() if found is not None and found.text else None


def _outlook_protocol(account: ET.Element, kind: str, server, email: str) -> None:
    protocol = _sub(account, "Protocol")
    _sub(protocol, "Type", kind)
    _sub(protocol, "Server", server.hostname)
    _sub(protocol, "Port", server.port)
    _sub(protocol, "LoginName", email)
    _sub(protocol, "DomainRequired", "off")
    _sub(protocol, "SPA", "off")
    _sub(protocol, "SSL", "on")
    if server.socket == "STARTTLS":
        _sub(protocol, "Encryption", "TLS")
    else:
        _sub(protocol, "Encryption", "SSL")
    _sub(protocol, "AuthRequired", "on")


@bp.post('/<anycase("autodiscover"):_dir>/<anycase("autodiscover.xml"):_file>')
@public
@csrf.exempt  # Outlook posts here before anyone signs in: no session, no form, nothing changes.
def outlook(_dir: str, _file: str):
    email = _requested_email()
    _hosted_domain(email)
    hostname = current_app.config["MAIL_HOSTNAME"]
    incoming, outgoing = client_settings.servers(hostname)
    root = ET.Element("Autodiscover", xmlns=_RESPONSE_NS)
    response = _sub(root, "Response", xmlns=_OUTLOOK_NS)
    account = _sub(response, "Account")
    _sub(account, "AccountType", "email")
    _sub(account, "Action", "settings")
    _outlook_protocol(account, "IMAP", incoming[0], email)
    _outlook_protocol(account, "SMTP", outgoing[0], email)
    return _xml(root)


# -- Outlook's autodiscover v2: where the POX answer is -----------------------------


def _json_error(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify(ErrorCode=code, ErrorMessage=message)
    response.headers.update({"Cache-Control": "no-store", **(headers or {})})
    return response, status


@bp.get('/<anycase("autodiscover"):_dir>/<anycase("autodiscover.json"):_file>')
@public
def outlook_json(_dir: str, _file: str):
    """The v2 (JSON) question "where is protocol X for this address?",
    answered for AutodiscoverV1 only: the POX endpoint on the host asked
    (the autodiscover.<domain> the client resolved, or the panel's name)."""
    return _v2_answer(request.args.get("Email"))


@bp.get(
    '/<anycase("autodiscover"):_dir>/<anycase("autodiscover.json"):_file>/<anycase("v1.0"):_version>/<address:email>'
)
@public
def outlook_json_path(_dir: str, _file: str, _version: str, email: str):
    """The same question as current Outlook asks it: the address in the path,
    /autodiscover/autodiscover.json/v1.0/<email>?Protocol=AutodiscoverV1."""
    return _v2_answer(email)


def _v2_answer(email: str | None):
    if (request.args.get("Protocol") or "").lower() != "autodiscoverv1":
        return _json_error(400, "InvalidProtocol", "The only supported Protocol is AutodiscoverV1.")
    domain = client_settings.domain_of(email)
    if domain is None:
        return _json_error(400, "InvalidEmail", "Email must be an email address.")
    if not client_settings.is_hosted(get_session(), domain):
        return _json_error(404, "NotFound", "No mail is hosted here for this domain.")
    host = request.host if _HOST.fullmatch(request.host) else current_app.config["MAIL_HOSTNAME"]
    response = jsonify(Protocol="AutodiscoverV1", Url=f"https://{host}/autodiscover/autodiscover.xml")
    response.headers["Cache-Control"] = "no-store"
    return response
