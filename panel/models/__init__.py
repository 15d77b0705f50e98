"""The data model. Plain data: no I/O, no rules (those live in services).

- :mod:`.mail`: what the mail servers serve (domains, mailboxes, aliases,
  alias domains, quota usage);
- :mod:`.accounts`: who uses the panel (admins, API tokens, sessions, login
  throttles, second factors, secrets shown once);
- :mod:`.mailbox_user`: what a mailbox's owner sets (out-of-office, app
  passwords) and its last logins;
- :mod:`.dkim`: the domains' DKIM keys;
- :mod:`.dns_check`: the last live check of each domain's DNS records;
- :mod:`.traffic`: mail traffic counted from the logs;
- :mod:`.audit`: the audit trail.
"""

from ..addresses import ADDRESS_MAX, DOMAIN_MAX
from .accounts import (
    Admin,
    ApiToken,
    LoginThrottle,
    OneTimeSecret,
    RecoveryCode,
    RequestBudget,
    WebSession,
    admin_domains,
)
from .audit import AuditEvent
from .base import ALL_ROLES, MANAGERS, NAMING_CONVENTION, Base, Role, as_utc, utc_iso, utcnow
from .dkim import DkimKey
from .dns_check import DnsCheck
from .mail import Alias, AliasDestination, AliasDomain, Domain, DomainName, Mailbox, QuotaUsage
from .mailbox_user import AppPassword, LastLogin, Vacation
from .traffic import TrafficHour, TrafficLog, TrafficMessage, TrafficTop

__all__ = [
    "ADDRESS_MAX",
    "DOMAIN_MAX",
    "AppPassword",
    "LastLogin",
    "Vacation",
    "NAMING_CONVENTION",
    "Admin",
    "Alias",
    "AliasDestination",
    "AliasDomain",
    "ApiToken",
    "AuditEvent",
    "Base",
    "DkimKey",
    "DnsCheck",
    "Domain",
    "DomainName",
    "LoginThrottle",
    "RequestBudget",
    "Mailbox",
    "OneTimeSecret",
    "QuotaUsage",
    "RecoveryCode",
    "TrafficHour",
    "TrafficLog",
    "TrafficMessage",
    "TrafficTop",
    "Role",
    "ALL_ROLES",
    "MANAGERS",
    "WebSession",
    "admin_domains",
    "as_utc",
    "utc_iso",
    "utcnow",
]
