"""A planned import row and the cell parsers the planners share.

A row's ``row_kind`` says what it writes: a mailbox (with the aliases that
deliver to it alone in ``new_aliases``), an alias, or an alias domain;
``kind`` whether it creates, updates or leaves it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..languages import N_, Message, joined
from ..models import Alias, AliasDomain, Domain, Mailbox
from ..services import ServiceError, bulk, mailboxes
from ..sizes import format_size

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

    def describe(self) -> Message:
        """What writing this row does, in words (a dry run's list)."""
        if self.row_kind == "alias":
            items = [Message(N_("delivers to %(destinations)s"), destinations=", ".join(self.destinations))]
        elif self.row_kind == "alias_domain":
            items = [Message(N_("alias domain of %(target)s"), target=self.destinations[0])]
        elif self.kind == "create":
            items = self._describe_new_mailbox()
        else:
            items = self._describe_changes() or [Message(N_("aliases only"))]
        if self.row_kind != "mailbox" and self.active is False:
            items.append(Message(N_("disabled")))
        what = joined(items)
        if not self.new_aliases:
            return what
        return Message(N_("%(what)s; new aliases: %(aliases)s"), what=what, aliases=", ".join(self.new_aliases))

    def _describe_new_mailbox(self) -> list[Message]:
        items = [Message(N_("quota %(quota)s"), quota=_limit(self.new.quota_bytes))]
        if self.new.name:
            items.append(Message(N_("name %(name)s"), name=self.new.name))
        if not self.new.active:
            items.append(Message(N_("disabled")))
        if self.generate:
            items.append(Message(N_("generated password")))
        else:
            items.append(Message(N_("password given") if self.password else N_("hash given")))
        return items

    def _describe_changes(self) -> list[Message]:
        items = []
        if "name" in self.changes:
            was, now = self.mailbox.name or Message(N_("(none)")), mailboxes.parse_display_name(self.changes["name"])
            items.append(Message(N_("name %(was)s → %(now)s"), was=was, now=now))
        if "quota" in self.changes:
            was, now = _limit(self.mailbox.quota_bytes), _limit(self.changes["quota"])
            items.append(Message(N_("quota %(was)s → %(now)s"), was=was, now=now))
        if "active" in self.changes:
            items.append(Message(N_("enabled") if self.changes["active"] else N_("disabled")))
        if self.password or self.password_hash:
            items.append(Message(N_("new password")))
        return items


def _limit(number: int) -> str:
    """A quota as :func:`panel.sizes.format_limit` says it, "unlimited" translatable."""
    return format_size(number) if number else Message(N_("unlimited"))


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
