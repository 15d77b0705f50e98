"""The OpenAPI 3.0 document of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the views and checked by schemathesis in the tests
(every documented operation is fuzzed; responses must match this file).
"""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import MethodNotAllowed

from ..access import public
from . import bp
from .errors import error_response

ERRORS = (400, 401, 403, 404, 409, 413)
_S, _I, _B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_NULL_S = {"type": "string", "nullable": True}
# Times are UTC with their zone: 2026-12-03T14:05:09Z.
_NULL_TIME = {"type": "string", "format": "date-time", "nullable": True}
_SIZE = {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required=(), extra: bool = False) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = list(required)
    return schema


def _page(item: str) -> dict:
    return _object({"items": {"type": "array", "items": _ref(item)}, "next": _NULL_S}, ("items", "next"))


SCHEMAS = {
    "Error": _object(
        {
            "error": _S,
            "fields": {"type": "object", "additionalProperties": _S},
            "problems": {"type": "array", "items": _S},
        },
        ("error", "fields"),
    ),
    "Domain": _object(
        {
            "name": _S,
            "description": _S,
            "active": _B,
            "max_mailboxes": _I,
            "max_aliases": _I,
            "max_quota": _I,
            "total_quota": _I,
            "default_quota": _I,
            "mailbox_count": _I,
            "alias_count": _I,
            "quota_allocated": _I,
            "users_change_password": _B,
            "users_forward_outside": _B,
            "created_at": _NULL_TIME,
        },
        ("name", "active", "max_mailboxes", "max_aliases", "max_quota", "total_quota", "default_quota"),
    ),
    "DomainCreate": _object(
        {
            "name": _S,
            "description": _S,
            "active": _B,
            "max_mailboxes": _I,
            "max_aliases": _I,
            "max_quota": _SIZE,
            "total_quota": _SIZE,
            "default_quota": _SIZE,
            "users_change_password": _B,
            "users_forward_outside": _B,
        },
        ("name",),
    ),
    "DomainUpdate": _object(
        {
            "description": _S,
            "active": _B,
            "max_mailboxes": _I,
            "max_aliases": _I,
            "max_quota": _SIZE,
            "total_quota": _SIZE,
            "default_quota": _SIZE,
            "users_change_password": _B,
            "users_forward_outside": _B,
        }
    ),
    "Mailbox": _object(
        {
            "email": _S,
            "domain": _S,
            "name": _S,
            "quota": _I,
            "active": _B,
            "created_at": _NULL_TIME,
            "password_changed_at": _NULL_TIME,
        },
        ("email", "domain", "name", "quota", "active"),
    ),
    "MailboxWithPassword": _object({"mailbox": _ref("Mailbox"), "password": _S}, ("mailbox",)),
    "MailboxCreate": _object(
        {"email": _S, "name": _S, "password": _S, "password_hash": _S, "quota": _SIZE, "active": _B}, ("email",)
    ),
    "MailboxUpdate": _object({"name": _S, "quota": _SIZE, "active": _B}),
    "PasswordChange": _object({"password": _S, "password_hash": _S}),
    "MailboxBulk": _object(
        {
            "action": {"type": "string", "enum": ["disable", "enable", "quota", "delete"]},
            "emails": {"type": "array", "items": _S, "maxItems": 1000},
            "all": _B,
            "state": {"type": "string", "enum": ["active", "disabled"]},
            "unused": {"type": "string", "enum": ["30", "90", "365", "never"]},
            "quota": _SIZE,
            "expected": _I,
        },
        ("action",),
    ),
    "MailboxBulkResult": _object({"action": _S, "changed": _I, "unchanged": _I}, ("action", "changed", "unchanged")),
    "Alias": _object(
        {
            "address": _S,
            "domain": _S,
            "active": _B,
            "destinations": {"type": "array", "items": _S},
            "created_at": _NULL_TIME,
        },
        ("address", "domain", "active", "destinations"),
    ),
    "AliasCreate": _object(
        {"address": _S, "active": _B, "destinations": {"oneOf": [{"type": "array", "items": _S}, _S]}},
        ("address", "destinations"),
    ),
    "AliasUpdate": _object({"active": _B, "destinations": {"oneOf": [{"type": "array", "items": _S}, _S]}}),
    "AliasDomain": _object(
        {"name": _S, "target": _S, "active": _B, "created_at": _NULL_TIME}, ("name", "target", "active")
    ),
    "AliasDomainCreate": _object({"name": _S, "target": _S, "active": _B}, ("name", "target")),
    "AliasDomainUpdate": _object({"active": _B}, ("active",)),
    "ImportResult": _object(
        {
            "dry_run": _B,
            "rows": _I,
            "created": _I,
            "updated": _I,
            "unchanged": _I,
            "aliases_created": _I,
            "aliases_updated": _I,
            "aliases_unchanged": _I,
            "alias_domains_created": _I,
            "alias_domains_updated": _I,
            "alias_domains_unchanged": _I,
            "domains_created": {"type": "array", "items": _S},
            "generated_passwords": {
                "type": "array",
                "items": _object({"email": _S, "password": _S}, ("email", "password")),
            },
        },
        ("dry_run", "rows", "created", "updated", "unchanged"),
    ),
    "Vacation": _object(
        {
            "active": _B,
            "subject": _S,
            "body": _S,
            "first_day": _NULL_S,
            "last_day": _NULL_S,
            "days": _I,
        },
        ("active", "subject", "body", "first_day", "last_day", "days"),
    ),
    "VacationUpdate": _object(
        {
            "active": _B,
            "subject": _S,
            "body": _S,
            "first_day": _S,
            "last_day": _S,
            "days": {"oneOf": [_I, _S]},
        },
        ("active",),
    ),
    "Forwarding": _object(
        {"destinations": {"type": "array", "items": _S}, "keep_copy": _B, "active": _B},
        ("destinations", "keep_copy", "active"),
    ),
    "ForwardingUpdate": _object({"destinations": {"type": "array", "items": _S}, "keep_copy": _B}, ("destinations",)),
    "AppPassword": _object(
        {
            "id": _I,
            "name": _S,
            "protocols": {"type": "array", "items": _S},
            "created_at": _NULL_TIME,
            "expires_at": _NULL_TIME,
            "last_used_at": _NULL_TIME,
        },
        ("id", "name", "protocols", "created_at", "expires_at", "last_used_at"),
    ),
    "AppPasswordList": _object({"items": {"type": "array", "items": _ref("AppPassword")}}, ("items",)),
    "AppPasswordCreate": _object({"name": _S, "protocols": {"type": "array", "items": _S}, "expires": _S}, ("name",)),
    "AppPasswordWithSecret": _object({"app_password": _ref("AppPassword"), "secret": _S}, ("app_password", "secret")),
    "DkimKey": _object(
        {
            "selector": _S,
            "algorithm": {"type": "string", "enum": ["rsa", "ed25519"]},
            "state": {"type": "string", "enum": ["published", "active", "retired"]},
            "created_at": _S,
            "activated_at": _NULL_S,
            "retired_at": _NULL_S,
            "public_key": _S,
            "dns_name": _S,
            "txt": _S,
        },
        ("selector", "algorithm", "state", "created_at", "activated_at", "retired_at", "public_key", "dns_name", "txt"),
    ),
    "DkimKeyList": _object({"items": {"type": "array", "items": _ref("DkimKey")}}, ("items",)),
    "DkimKeyCreate": _object({"selector": _S, "algorithm": {"type": "string", "enum": ["rsa", "ed25519"]}}),
}
for _name in ("Domain", "Mailbox", "Alias", "AliasDomain"):
    SCHEMAS[_name + "Page"] = _page(_name)


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _op(summary: str, ok: int, ok_schema: str | None, body: str | None = None, params=(), ok_content=None) -> dict:
    responses = {str(code): {"description": "error", "content": _json(_ref("Error"))} for code in ERRORS}
    ok_response = {"description": "success"}
    if ok_schema:
        ok_response["content"] = _json(_ref(ok_schema))
    if ok_content:
        ok_response["content"] = ok_content
    responses[str(ok)] = ok_response
    operation = {"summary": summary, "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    if params:
        operation["parameters"] = list(params)
    return operation


def _path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, schema=None) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"}}


_PAGING = (_query("after"), _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}))
_FLAG = {"type": "string", "enum": ["0", "1"]}


def document() -> dict:
    email, address, name = _path_param("email"), _path_param("address"), _path_param("name")
    paths = {
        "/domains": {
            "get": _op("List domains", 200, "DomainPage", params=_PAGING),
            "post": _op("Create a domain", 201, "Domain", "DomainCreate"),
        },
        "/domains/{name}": {
            "parameters": [name],
            "get": _op("A domain", 200, "Domain"),
            "patch": _op("Change a domain", 200, "Domain", "DomainUpdate"),
            "delete": _op("Delete an empty domain", 204, None),
        },
        "/domains/{name}/dkim": {
            "parameters": [name],
            "get": _op("The domain's DKIM keys (public keys and TXT records only)", 200, "DkimKeyList"),
            "post": _op("Make a DKIM key, published but not signing yet", 201, "DkimKey", "DkimKeyCreate"),
        },
        "/domains/{name}/dkim/{selector}/activate": {
            "parameters": [name, _path_param("selector")],
            "post": _op("Sign the domain's mail with this key (the previous one stays published)", 200, "DkimKey"),
        },
        "/domains/{name}/dkim/{selector}/retire": {
            "parameters": [name, _path_param("selector")],
            "post": _op("Stop using the key and wipe its private key", 200, "DkimKey"),
        },
        "/domains/{name}/mailboxes/bulk": {
            "parameters": [name],
            "post": _op(
                "Disable, enable, delete or set the quota of the listed mailboxes (emails) or of all matching"
                " a filter (all, state, unused): at most 1000, all or none, one audit event each",
                200,
                "MailboxBulkResult",
                "MailboxBulk",
            ),
        },
        "/mailboxes": {
            "get": _op(
                "Search mailboxes (keyset pages)", 200, "MailboxPage", params=(_query("domain"), _query("q")) + _PAGING
            ),
            "post": _op("Create a mailbox", 201, "MailboxWithPassword", "MailboxCreate"),
        },
        "/mailboxes/{email}": {
            "parameters": [email],
            "get": _op("A mailbox", 200, "Mailbox"),
            "patch": _op("Change a mailbox", 200, "Mailbox", "MailboxUpdate"),
            "delete": _op("Delete a mailbox (its mail stays on disk)", 204, None),
        },
        "/mailboxes/{email}/password": {
            "parameters": [email],
            "post": _op("Set a password", 200, "MailboxWithPassword", "PasswordChange"),
        },
        "/mailboxes/{email}/disable": {"parameters": [email], "post": _op("Disable", 200, "Mailbox")},
        "/mailboxes/{email}/enable": {"parameters": [email], "post": _op("Enable", 200, "Mailbox")},
        "/mailboxes/{email}/vacation": {
            "parameters": [email],
            "get": _op("The out-of-office reply", 200, "Vacation"),
            "put": _op("Set the out-of-office reply", 200, "Vacation", "VacationUpdate"),
            "delete": _op("Switch the out-of-office reply off (its text is kept)", 204, None),
        },
        "/mailboxes/{email}/forwarding": {
            "parameters": [email],
            "get": _op("Where the mailbox's mail is forwarded", 200, "Forwarding"),
            "put": _op("Forward the mailbox's mail", 200, "Forwarding", "ForwardingUpdate"),
            "delete": _op("Stop forwarding", 204, None),
        },
        "/mailboxes/{email}/app-passwords": {
            "parameters": [email],
            "get": _op("The mailbox's app passwords (no secrets)", 200, "AppPasswordList"),
            "post": _op(
                "Make an app password (its secret is in this answer only)",
                201,
                "AppPasswordWithSecret",
                "AppPasswordCreate",
            ),
        },
        "/mailboxes/{email}/app-passwords/{id}": {
            "parameters": [email, _path_param("id")],
            "delete": _op("Revoke an app password", 204, None),
        },
        "/aliases": {
            "get": _op("Search aliases", 200, "AliasPage", params=(_query("domain"), _query("q")) + _PAGING),
            "post": _op("Create an alias", 201, "Alias", "AliasCreate"),
        },
        "/aliases/{address}": {
            "parameters": [address],
            "get": _op("An alias", 200, "Alias"),
            "patch": _op("Change an alias", 200, "Alias", "AliasUpdate"),
            "delete": _op("Delete an alias", 204, None),
        },
        "/alias-domains": {
            "get": _op("List alias domains", 200, "AliasDomainPage", params=_PAGING),
            "post": _op("Create an alias domain", 201, "AliasDomain", "AliasDomainCreate"),
        },
        "/alias-domains/{name}": {
            "parameters": [name],
            "get": _op("An alias domain", 200, "AliasDomain"),
            "patch": _op("Enable or disable", 200, "AliasDomain", "AliasDomainUpdate"),
            "delete": _op("Delete an alias domain", 204, None),
        },
        "/import": {
            "post": {
                **_op(
                    "Import mailboxes, aliases and alias domains from CSV (all or nothing)",
                    200,
                    "ImportResult",
                    params=(_query("dry_run", _FLAG), _query("update", _FLAG), _query("create_domains", _FLAG)),
                ),
                "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            }
        },
        "/export": {
            "get": _op(
                "Export mailboxes, aliases and alias domains as CSV (streamed)",
                200,
                None,
                params=(_query("domain"),),
                ok_content={"text/csv": {"schema": {"type": "string"}}},
            )
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Mailpanel API", "version": "1"},
        "servers": [{"url": request.script_root + bp.url_prefix}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(document())


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
def not_found(unknown):
    """Routing errors under /api/v1 answer JSON too (blueprint handlers
    never see them otherwise)."""
    adapter = request.url_rule.map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(request.path, method="GET")
    except MethodNotAllowed:  # the path exists for other methods
        endpoint = None
    except Exception:  # NotFound, a redirect: no such endpoint
        return error_response(404, "no such API endpoint")
    if endpoint == request.endpoint:
        return error_response(404, "no such API endpoint")
    return error_response(405, "method not allowed here")
