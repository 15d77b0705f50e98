"""Reading the policy records a receiver reads: does an SPF record let the
mail host send (RFC 7208, the mechanisms that can be judged without a
message: ip4, ip6, a, mx, include, redirect, all), and are the tags of a
DMARC (RFC 7489), TLS-RPT (RFC 8460) or MTA-STS (RFC 8461) record valid."""

from __future__ import annotations

import ipaddress
import re

from .dns_lookup import Lookup, host

SPF_LOOKUPS = 10  # RFC 7208 4.6.4: more DNS-querying terms is a permerror
PASS, NOT_LISTED, ANYONE = "pass", "not listed", "anyone"


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


class SpfWalk:
    """Follows one domain's SPF record (and its include:/redirect=) to see
    whether ``mail_host`` (its name and addresses) is allowed to send."""

    def __init__(self, lookup: Lookup, mail_host: str, addresses: list[str]):
        self.lookup, self.mail_host = lookup, mail_host
        self.addresses = [ipaddress.ip_address(a) for a in addresses]
        self.budget = SPF_LOOKUPS

    def verdict(self, domain: str, record: str) -> str:
        redirect = None
        for term in record.split()[1:]:
            if "%" in term:  # macros depend on the message: not judged here
                continue
            name, _, value = term.partition("=")
            if "=" in term and ":" not in name:
                redirect = value if name.lower() == "redirect" else redirect
                continue
            qualifier, mechanism = (term[0], term[1:]) if term[0] in "+-~?" else ("+", term)
            if mechanism.lower() == "all":
                return ANYONE if qualifier == "+" else NOT_LISTED
            if self._matches(domain, mechanism):
                return PASS if qualifier == "+" else NOT_LISTED
        if redirect:
            return self._follow(redirect)
        return NOT_LISTED

    def _matches(self, domain: str, mechanism: str) -> bool:
        kind, _, arg = mechanism.partition(":")
        kind = kind.lower()
        if "/" in kind:  # "a/24", "mx/24"
            kind, _, cidr = kind.partition("/")
            arg = f"{arg}/{cidr}" if arg else f"/{cidr}"
        if kind in ("ip4", "ip6"):
            return self._covers([arg])
        if kind == "include":
            return self._follow(arg) == PASS
        if kind not in ("a", "mx") or not self._spend():
            return False  # ptr, exists: depend on the sender
        target, _, prefix = (arg or domain).partition("/")
        target = target or domain
        if kind == "a":
            names = [target]
        else:
            names = [host(r.exchange) for r in self.lookup.records(target, "MX")]
        if self.mail_host in (host(n) for n in names):
            return True
        found = [a for n in names[:SPF_LOOKUPS] for a in self.lookup.addresses(n)]
        return self._covers([f"{a}/{prefix}" if prefix else a for a in found])

    def _follow(self, domain: str) -> str:
        if not self._spend():
            return NOT_LISTED
        records = [t for t in self.lookup.txt(domain) if is_spf(t)]
        return self.verdict(domain, records[0]) if len(records) == 1 else NOT_LISTED

    def _spend(self) -> bool:
        self.budget -= 1
        return self.budget >= 0

    def _covers(self, networks: list[str]) -> bool:
        for text in networks:
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if any(a.version == network.version and a in network for a in self.addresses):
                return True
        return False


def tags(record: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``name=value`` pairs of a tag list (RFC 6376 3.2), and its malformed parts."""
    pairs, broken = [], []
    for part in record.split(";"):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            broken.append(f"{part!r} is not a name=value tag")
        else:
            pairs.append((name.strip(), value.strip()))
    return pairs, broken


_DMARC_CHOICES = {
    "p": ("none", "quarantine", "reject"),
    "sp": ("none", "quarantine", "reject"),
    "adkim": ("r", "s"),
    "aspf": ("r", "s"),
}
_REPORT_URI = re.compile(r"^mailto:[^@\s!,]+@[^@\s!,]+(?:![0-9]+[kmgt]?)?$", re.IGNORECASE)


def dmarc_problems(record: str) -> list[str]:
    """What is invalid in a DMARC record ([]: nothing). Unknown tags are
    ignored, as receivers must (RFC 7489 6.3)."""
    pairs, problems = tags(record)
    names = [name for name, _ in pairs]
    if not pairs or pairs[0] != ("v", "DMARC1"):
        problems.append("v=DMARC1 must be the first tag")
    problems += [f"{name}= appears twice" for name in sorted(set(names)) if names.count(name) > 1]
    values = dict(pairs)
    if "p" not in values:
        problems.append("p= is required (none, quarantine or reject)")
    for name, value in pairs:
        problem = _dmarc_tag_problem(name, value)
        if problem:
            problems.append(f"{name}={value}: {problem}")
    return problems


def _dmarc_tag_problem(name: str, value: str) -> str:
    if name in _DMARC_CHOICES and value not in _DMARC_CHOICES[name]:
        return "use " + " or ".join(_DMARC_CHOICES[name])
    if name == "pct" and not (value.isdigit() and 0 <= int(value) <= 100):
        return "a whole number from 0 to 100"
    if name == "ri" and not value.isdigit():
        return "a number of seconds"
    if name == "fo" and not set(value.split(":")) <= {"0", "1", "d", "s"}:
        return "colon-separated 0, 1, d, s"
    if name == "rf" and value.lower() != "afrf":
        return "afrf is the only report format"
    if name in ("rua", "ruf") and not all(_REPORT_URI.match(uri.strip()) for uri in value.split(",")):
        return "comma-separated mailto: addresses"
    return ""


def tlsrpt_problems(record: str) -> list[str]:
    pairs, problems = tags(record)
    values = dict(pairs)
    if not pairs or pairs[0] != ("v", "TLSRPTv1"):
        problems.append("v=TLSRPTv1 must be the first tag")
    uris = [u.strip() for u in values.get("rua", "").split(",") if u.strip()]
    if not uris:
        problems.append("rua= is required (mailto: or https: addresses for the reports)")
    bad = [u for u in uris if not (u.lower().startswith("mailto:") and "@" in u or u.lower().startswith("https://"))]
    problems += [f"rua: {u} is neither mailto: nor https:" for u in bad]
    return problems


def mta_sts_problems(record: str) -> list[str]:
    pairs, problems = tags(record)
    values = dict(pairs)
    if not pairs or pairs[0] != ("v", "STSv1"):
        problems.append("v=STSv1 must be the first tag")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", values.get("id", "")):
        problems.append("id= must be 1 to 32 letters and digits (change it with each new policy)")
    return problems
