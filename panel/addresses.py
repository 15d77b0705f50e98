"""Syntax and normal form of domains and e-mail addresses.

Stored form: lower-case ASCII. Unicode domains become IDNA 2008 A-labels
(Postfix 3.7's PostgreSQL client talks LATIN1, so nothing else is safe).
Local parts follow RFC 5321's dot-atom; quoted local parts are refused on
purpose: Postfix and Dovecot lookups would need their quotes round-tripped.

Two alphabets. Any dot-atom is *read*: an existing row (made before the
narrower rule) is still found, edited, reset and deleted, and an alias may
deliver to any remote address. A *new* hosted address (a mailbox or an
alias source) takes letters, digits and ``. _ - + '`` only, starting with a
letter or digit -- what the mail servers accept end to end (Dovecot's
``auth_username_chars`` in deploy/dovecot/dovecot.conf.in says the same;
docs/rules.md).
"""

from __future__ import annotations

import re

import idna

from . import text
from .languages import N_, Message

LOCAL_MAX = 64
DOMAIN_MAX = 253
ADDRESS_MAX = 254

# RFC 5321 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ ; dots between atoms.
_ATEXT = r"[a-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_LOCAL_RE = re.compile(rf"^{_ATEXT}(\.{_ATEXT})*$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# New hosted local parts (already a lower-case dot-atom when checked).
NEW_LOCAL_SPECIALS = "._-+'"
_NEW_LOCAL_RE = re.compile(r"^[a-z0-9][a-z0-9._+'\-]*$")
_NOT_NEW_LOCAL = re.compile(r"[^a-z0-9._+'\-]")


class AddressError(ValueError):
    """Malformed domain or address; the message is user-facing."""


# Whole sentences per subject, so each translates as one.
_NO_SPACES = {
    "a domain": N_("a domain must not contain spaces"),
    "an address": N_("an address must not contain spaces"),
}
_REFUSED = {"a domain": N_("a domain %(problem)s"), "an address": N_("an address %(problem)s")}


def _refuse_controls(value: str, what: str) -> None:
    """The free-text rule (panel/text.py), and no spaces."""
    if " " in value:
        raise AddressError(_NO_SPACES[what])
    reason = text.problem(value)
    if reason:
        raise AddressError(Message(_REFUSED[what], problem=reason))


def normalize_domain(value: str) -> str:
    """Return the lower-case ASCII form of a domain, or raise AddressError."""
    if not isinstance(value, str) or not value.strip():
        raise AddressError(N_("a domain is required"))
    value = value.strip()
    _refuse_controls(value, "a domain")
    value = value.rstrip(".") if value.endswith(".") and not value.endswith("..") else value
    if "" in value.split("."):
        raise AddressError(
            Message(
                N_("%(domain)s has two dots in a row (or a dot at an end): each part between dots needs a name"),
                domain=value[:80],
            )
        )
    try:
        ascii_form = value.lower() if value.isascii() else idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise AddressError(Message(N_("not a valid internationalised domain: %(problem)s"), problem=str(exc))) from None
    if len(ascii_form) > DOMAIN_MAX:
        raise AddressError(Message(N_("a domain is at most %(count)s characters"), count=DOMAIN_MAX))
    labels = ascii_form.split(".")
    if len(labels) < 2:
        raise AddressError(N_("a domain needs at least two parts, like example.org"))
    for label in labels:
        if not _LABEL_RE.match(label):
            raise AddressError(
                Message(
                    N_(
                        "each part of a domain is 1 to 63 letters, digits and hyphens,"
                        " not starting or ending with a hyphen (%(label)s is not)"
                    ),
                    label=label[:63],
                )
            )
    if labels[-1].isdigit():
        raise AddressError(N_("the last part of a domain cannot be a number"))
    return ascii_form


def normalize_local_part(value: str) -> str:
    if not value:
        raise AddressError(N_("the part before @ is empty"))
    _refuse_controls(value, "an address")
    if not value.isascii():
        raise AddressError(N_("the part before @ must be ASCII"))
    value = value.lower()
    if len(value) > LOCAL_MAX:
        raise AddressError(Message(N_("the part before @ is at most %(count)s characters"), count=LOCAL_MAX))
    if not _LOCAL_RE.match(value):
        raise AddressError(N_("the part before @ has a character or dot that is not allowed"))
    return value


def split_address(value: str) -> tuple[str, str]:
    """Normalise ``local@domain``; return (local_part, domain)."""
    if not isinstance(value, str) or not value.strip():
        raise AddressError(N_("an address is required"))
    value = value.strip()
    _refuse_controls(value, "an address")
    if value.count("@") != 1:
        raise AddressError(N_("an address needs exactly one @"))
    local, domain = value.split("@")
    local = normalize_local_part(local)
    domain = normalize_domain(domain)
    if len(local) + 1 + len(domain) > ADDRESS_MAX:
        raise AddressError(Message(N_("an address is at most %(count)s characters"), count=ADDRESS_MAX))
    return local, domain


def normalize_address(value: str) -> str:
    local, domain = split_address(value)
    return f"{local}@{domain}"


def check_new_local_part(local: str) -> str:
    """``local`` (a normalised local part) if a new hosted address may use
    it; AddressError naming the first character it may not."""
    if _NEW_LOCAL_RE.match(local):
        return local
    bad = _NOT_NEW_LOCAL.search(local)
    if bad:
        raise AddressError(
            Message(
                N_("%(character)s is not allowed in a new address: use letters, digits and %(specials)s"),
                character=repr(bad.group()),
                specials=" ".join(NEW_LOCAL_SPECIALS),
            )
        )
    raise AddressError(N_("a new address must start with a letter or a digit"))


def split_new_address(value: str) -> tuple[str, str]:
    """:func:`split_address` for an address about to be created here."""
    local, domain = split_address(value)
    return check_new_local_part(local), domain


def normalize_alias_address(value: str, new: bool = False) -> tuple[str, str]:
    """An alias source: ``user@domain`` or ``@domain`` (catch-all); with
    ``new``, one about to be created (the new-address alphabet).

    Returns (address, domain).
    """
    if isinstance(value, str) and value.strip().startswith("@"):
        domain = normalize_domain(value.strip()[1:])
        return f"@{domain}", domain
    local, domain = split_new_address(value) if new else split_address(value)
    return f"{local}@{domain}", domain
