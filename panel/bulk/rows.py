"""A planned import row and the cell parsers the planners share.

A row's ``row_kind`` says what it writes: a mailbox (with the aliases that
deliver to it alone in ``new_aliases``), an alias, or an alias domain;
``kind`` whether it creates, updates or leaves it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..languages import N_, Message
from ..models import Alias, AliasDomain, Domain, Mailbox
from ..services import ServiceError, bulk, mailboxes
from ..sizes import format_limit

_TRUE = {"", "true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_ALIAS_SEPARATORS = (";", " ", "\t", "\n", "\r")
KINDS = ("mailbox", "alias", "alias_domain")


@dataclass(slots=True)
class PlannedRow:
    line: int
    kind: str  # create | update | unchanged
    domain: Domain
    address: str
    new: bulk.NewMailbox | None = None
    mailbox: Mailbox | None = None
    changes: dict = field(default_factory=dict)
    password: str | None = None
    password_hash: str | None = None
    generate: bool = False
    new_aliases: list[str] = field(default_factory=list)
    row_kind: str = "mailbox"  # mailbox | alias | alias_domain
    alias: Alias | None = None
    alias_domain: AliasDomain | None = None
    destinations: list[str] = field(default_factory=list)  # an alias's; an alias domain's target
    active: bool | None = None  # an alias's or alias domain's; None: as it is (or true when new)

    def describe(self) -> str:
        """What writing this row does, in words (a dry run's list)."""
        if self.row_kind == "alias":
            text = "delivers to " + ", ".join(self.destinations)
        elif self.row_kind == "alias_domain":
            text = f"alias domain of {self.destinations[0]}"
        elif self.kind == "create":
            text = self._describe_new_mailbox()
        else:
            text = ", ".join(self._describe_changes()) or "aliases only"
        if self.row_kind != "mailbox" and self.active is False:
            text += ", disabled"
        if self.new_aliases:
            text += "; new aliases: " + ", ".join(self.new_aliases)
        return text

    def _describe_new_mailbox(self) -> str:
        parts = [f"quota {format_limit(self.new.quota_bytes)}"]
        if self.new.name:
            parts.append(f"name {self.new.name}")
        if not self.new.active:
            parts.append("disabled")
        parts.append("generated password" if self.generate else "password given" if self.password else "hash given")
        return ", ".join(parts)

    def _describe_changes(self) -> list[str]:
        parts = []
        if "name" in self.changes:
            parts.append(f"name {self.mailbox.name or '(none)'} → {mailboxes.parse_display_name(self.changes['name'])}")
        if "quota" in self.changes:
            parts.append(f"quota {format_limit(self.mailbox.quota_bytes)} → {format_limit(self.changes['quota'])}")
        if "active" in self.changes:
            parts.append("enabled" if self.changes["active"] else "disabled")
        if self.password or self.password_hash:
            parts.append("new password")
        return parts


def parse_active(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return None if text == "" else True
    if text in _FALSE:
        return False
    raise ServiceError("active", Message(N_("%(value)s is not true/false/1/0/yes/no"), value=repr(value.strip()[:20])))


def parse_kind(value: str | None) -> str:
    text = (value or "").strip().lower()
    if not text:
        return "mailbox"
    if text in KINDS:
        return text
    not_a_kind = N_("%(value)s is not mailbox, alias or alias_domain")
    raise ServiceError("kind", Message(not_a_kind, value=repr(value.strip()[:20])))


def split_aliases(value: str | None) -> list[str]:
    text = value or ""
    for separator in _ALIAS_SEPARATORS[1:]:
        text = text.replace(separator, _ALIAS_SEPARATORS[0])
    return [part for part in text.split(_ALIAS_SEPARATORS[0]) if part]
