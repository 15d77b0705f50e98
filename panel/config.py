"""Configuration: defaults in code, then MAILPANEL_* environment, then overrides.

Secrets may come from a file (``MAILPANEL_SECRET_KEY_FILE``) so they stay out
of process listings and unit files.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from pathlib import Path

DEFAULTS = {
    "ENV": "development",
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "SECRET_KEY": None,
    "HASH_SCHEME": "ARGON2ID",
    # Where deploy/mailstack keeps mail; homes are MAIL_ROOT/<maildir>.
    "MAIL_ROOT": "/var/vmail",
    # The name mail clients and other servers know this host by (what
    # deploy/mailstack sets as Postfix's myhostname): never hostable as a
    # domain. None: the machine's fully qualified name, as mailstack does.
    "MAIL_HOSTNAME": None,
    # More names no one may host (comma- or space-separated), e.g. the
    # panel's own host name when it differs.
    "RESERVED_DOMAINS": "",
    # Roles that must sign in with a second factor (comma-separated):
    # an account of such a role enrols before it can use the panel.
    "REQUIRE_2FA": "",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "POSTFIX_LOG": "/var/log/mailstack/postfix.log",
    "DOVECOT_LOG": "/var/log/mailstack/dovecot.log",
    # Days of hourly traffic counts kept (the page charts 30 days); older rows are deleted on ingest.
    "TRAFFIC_RETENTION_DAYS": 40,
    "QUEUE_COMMAND_PREFIX": "",
    # The age of the oldest deferred message at which the queue_age status
    # check warns and fails: a duration, "90s", "30m", "1h", "2d" (bare: seconds).
    "STATUS_DEFERRED_WARN": "1h",
    "STATUS_DEFERRED_FAIL": "24h",
    # Where the mail servers serve implicit TLS, "host:port" space- or
    # comma-separated (e.g. "127.0.0.1:993 127.0.0.1:465"): the certificate
    # status check reads the certificate each one actually serves. Empty:
    # it reads the file TLS_CERT instead.
    "TLS_CHECK_ADDRESSES": "",
    # The certificate the mail servers serve (its expiry is a status check); empty: not checked.
    "TLS_CERT": "",
    # The status checks (services.status_mail): the Postfix map files
    # deploy/mailstack writes, and Dovecot's quota-status policy service.
    "POSTFIX_MAP_DIR": "/etc/postfix/mailstack",
    "QUOTA_STATUS_ADDRESS": "127.0.0.1:12340",
    # Seconds before postqueue/postsuper/postcat are killed (panel/mailtools.py).
    "QUEUE_COMMAND_TIMEOUT": "30",
    # Number of reverse proxies in front (nginx: 1) whose X-Forwarded-* to trust; 0: none.
    "PROXY_FIX": 0,
    # The DNS server the live DNS checks ask, as host[:port] (an IP address;
    # [v6]:port for IPv6); empty: the system's (/etc/resolv.conf).
    "DNS_RESOLVER": "",
    # Anonymous mail client set-up requests (autoconfig, autodiscover) one
    # client address (an IPv6 /64) may make per window of seconds; beyond,
    # 429 with Retry-After. Counted in the database, so the limit holds
    # across web workers. 0: no limit.
    "CLIENT_SETUP_RATE_LIMIT": 60,
    "CLIENT_SETUP_RATE_WINDOW": 300,
    # Largest request body (the CSV upload is at most 64 MiB plus form overhead).
    "MAX_CONTENT_LENGTH": 65 * 1024 * 1024,
}

# Settings read from MAILPANEL_<NAME>; booleans and ints are parsed.
_BOOLEAN = {"SESSION_COOKIE_SECURE"}
_INTEGER = {"MAX_CONTENT_LENGTH", "TRAFFIC_RETENTION_DAYS", "CLIENT_SETUP_RATE_LIMIT", "CLIENT_SETUP_RATE_WINDOW"}


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; raised at start-up."""


def _from_environment(environ) -> dict:
    found = {}
    for name in DEFAULTS:
        value = environ.get(f"MAILPANEL_{name}")
        file_name = environ.get(f"MAILPANEL_{name}_FILE")
        if value is None and file_name:
            try:
                value = Path(file_name).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"MAILPANEL_{name}_FILE: cannot read {file_name}: {exc.strerror}") from None
        if value is None:
            continue
        if name in _BOOLEAN:
            value = value.strip().lower() in {"1", "true", "yes", "on"}
        if name in _INTEGER:
            try:
                value = int(value)
            except ValueError:
                raise ConfigError(f"MAILPANEL_{name} must be a whole number, not {value!r}") from None
        found[name] = value
    return found


def instance_path(environ=None) -> str | None:
    """MAILPANEL_INSTANCE_PATH, made absolute; None: Flask's default, which is
    ./instance beside a checkout but <prefix>/var/panel-instance for an
    installed panel (the folder of the default SQLite file, the generated
    secret key and the import's parked passwords)."""
    environ = os.environ if environ is None else environ
    path = environ.get("MAILPANEL_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


def _instance_secret(instance_path: str) -> str:
    """A secret key generated once and kept in the instance folder (dev/SQLite)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _check_hash_scheme(settings: dict) -> None:
    from .passwords import WRITABLE_SCHEMES

    scheme = str(settings["HASH_SCHEME"]).upper()
    if scheme not in WRITABLE_SCHEMES:
        raise ConfigError(f"MAILPANEL_HASH_SCHEME must be one of {', '.join(WRITABLE_SCHEMES)}, not {scheme!r}")
    settings["HASH_SCHEME"] = scheme


def _check_retention(settings: dict) -> None:
    days = settings["TRAFFIC_RETENTION_DAYS"]
    if not isinstance(days, int) or days < 1:
        raise ConfigError(f"MAILPANEL_TRAFFIC_RETENTION_DAYS must be a whole number of days >= 1, not {days!r}")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value, name: str = "a duration") -> int:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"2d"`` or a number of seconds, in seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = int(value)
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", str(value).lower())
        if match is None:
            raise ConfigError(f"{name} must be a duration like 90s, 30m, 1h or 2d, not {value!r}")
        seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 1:
        raise ConfigError(f"{name} must be at least one second, not {value!r}")
    return seconds


def _check_deferred_thresholds(settings: dict) -> None:
    warn = duration_seconds(settings["STATUS_DEFERRED_WARN"], "MAILPANEL_STATUS_DEFERRED_WARN")
    fail = duration_seconds(settings["STATUS_DEFERRED_FAIL"], "MAILPANEL_STATUS_DEFERRED_FAIL")
    if warn > fail:
        raise ConfigError("MAILPANEL_STATUS_DEFERRED_WARN must not be longer than MAILPANEL_STATUS_DEFERRED_FAIL")


def _check_client_setup_rate(settings: dict) -> None:
    limit, window = settings["CLIENT_SETUP_RATE_LIMIT"], settings["CLIENT_SETUP_RATE_WINDOW"]
    if not isinstance(limit, int) or limit < 0:
        raise ConfigError(f"MAILPANEL_CLIENT_SETUP_RATE_LIMIT must be a whole number >= 0 (0: no limit), not {limit!r}")
    if not isinstance(window, int) or window < 1:
        raise ConfigError(f"MAILPANEL_CLIENT_SETUP_RATE_WINDOW must be a whole number of seconds >= 1, not {window!r}")


def mail_hostname(settings) -> str:
    """MAIL_HOSTNAME, or the machine's name the way deploy/mailstack picks it."""
    name = (settings.get("MAIL_HOSTNAME") or socket.getfqdn()).strip().lower().rstrip(".")
    return name if "." in name else "localhost.localdomain"


def dns_resolver(value: str | None) -> tuple[str, int] | None:
    """MAILPANEL_DNS_RESOLVER as (address, port); None: the system's resolver."""
    value = (value or "").strip()
    if not value:
        return None
    host, port = value, "53"
    if value.startswith("["):  # [2001:db8::53]:5353
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else (rest or "53")
    elif value.count(":") == 1:  # 192.0.2.53:5353; a bare IPv6 address has several colons
        host, port = value.split(":")
    try:
        address = str(ipaddress.ip_address(host))
        number = int(port)
    except ValueError:
        number = 0
    if not 0 < number < 65536:
        raise ConfigError(f"MAILPANEL_DNS_RESOLVER must be an IP address with an optional :port, not {value!r}")
    return address, number


def reserved_domains(settings) -> frozenset[str]:
    extra = re.split(r"[\s,;]+", str(settings.get("RESERVED_DOMAINS") or "").lower())
    return frozenset(name.rstrip(".") for name in [mail_hostname(settings), *extra] if name)


def _roles_requiring_2fa(settings: dict) -> None:
    from .models import Role

    names = [n for n in re.split(r"[\s,;]+", str(settings.get("REQUIRE_2FA") or "").lower()) if n]
    known = {r.value for r in Role.admin_roles()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"MAILPANEL_REQUIRE_2FA: unknown role {unknown[0]!r} (use {', '.join(sorted(known))})")
    settings["REQUIRE_2FA"] = frozenset(names)


def load(app, overrides: dict | None = None, environ=None) -> None:
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update(_from_environment(environ))
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        settings["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "mailpanel.sqlite")
    _check_hash_scheme(settings)
    _check_retention(settings)
    _check_deferred_thresholds(settings)
    _check_client_setup_rate(settings)
    _roles_requiring_2fa(settings)
    settings["MAIL_HOSTNAME"] = mail_hostname(settings)
    dns_resolver(settings["DNS_RESOLVER"])  # a typo fails at start, not at the first check
    if not settings["SECRET_KEY"]:
        if settings["ENV"] == "production":
            raise ConfigError("MAILPANEL_SECRET_KEY (or MAILPANEL_SECRET_KEY_FILE) is required in production")
        settings["SECRET_KEY"] = _instance_secret(app.instance_path)
    app.config.update(settings)
