"""Read-only lists for the panel: paged, counted and scoped in SQL.

Every list is keyset-paged on an indexed sort key (``after``/``before`` a
row's key, never OFFSET; :mod:`.keyset`) and scoped by the actor's domains
in the WHERE clause. Totals come from the counters on the domain row, never
count(*) over a large table, and nothing loads a whole domain into Python.
The web pages, the API and the CLI read through these functions, so each
list has one rule for who sees what.
"""

from __future__ import annotations

from .aliases import (
    alias_domains_by_target,
    alias_domains_of,
    alias_page,
    api_alias_domains,
    api_aliases,
    delivered_mailboxes,
    search_aliases,
)
from .audit import (
    AuditFilter,
    action_words,
    admin_page,
    audit_details,
    audit_page,
    audit_rows,
    domain_events,
    recent_events,
)
from .domains import (
    all_domains,
    api_domains,
    delete_blockers,
    domain_choices,
    domain_page,
    domain_totals,
    largest_domains,
    mailbox_limit_reached,
    only_domain,
    quota_share,
    visible_domain,
)
from .export import (
    Coverage,
    export_alias_chunks,
    export_alias_domains,
    export_chunks,
    export_coverage,
    usage_rows,
)
from .keyset import PAGE_SIZE, Page, encode_key
from .mailboxes import DOMAIN_MAILBOX_SORTS, MAILBOX_SORTS, NEAR_QUOTA, STATES, UNUSED, mailbox_page, near_quota
from .search import api_mailboxes, search_mailboxes

__all__ = [
    "Coverage",
    "export_alias_chunks",
    "export_alias_domains",
    "export_coverage",
    "DOMAIN_MAILBOX_SORTS",
    "MAILBOX_SORTS",
    "NEAR_QUOTA",
    "PAGE_SIZE",
    "STATES",
    "UNUSED",
    "AuditFilter",
    "Page",
    "admin_page",
    "all_domains",
    "alias_domains_by_target",
    "alias_domains_of",
    "alias_page",
    "api_alias_domains",
    "api_aliases",
    "api_domains",
    "api_mailboxes",
    "action_words",
    "audit_details",
    "audit_page",
    "audit_rows",
    "domain_events",
    "delete_blockers",
    "delivered_mailboxes",
    "domain_choices",
    "domain_page",
    "domain_totals",
    "encode_key",
    "export_chunks",
    "largest_domains",
    "mailbox_limit_reached",
    "only_domain",
    "mailbox_page",
    "near_quota",
    "quota_share",
    "recent_events",
    "search_aliases",
    "search_mailboxes",
    "usage_rows",
    "visible_domain",
]
