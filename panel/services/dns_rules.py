"""What each published record should be, checked against what DNS answers:
one :class:`Finding` per record — ok, missing, wrong (and why), or unknown
when DNS did not answer. The expected values are those of
:mod:`.dns_records`, the lines the panel tells the admin to publish."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..languages import N_, SEMICOLONS, Message, Nn_, joined, why
from . import dns_policy
from .dkim import KeyInfo
from .dns_lookup import Lookup, Unreachable, host
from .dns_policy import is_spf
from .dns_records import SRV

OK, MISSING, WRONG, UNKNOWN = "ok", "missing", "wrong", "unknown"


@dataclass(frozen=True)
class Finding:
    record: str  # what it is: "MX", "SPF", "DKIM mp202612", "reverse DNS", ...
    name: str  # the DNS name asked
    status: str
    reason: str  # an N_ string or a Message: English as a string, translated by the page
    found: list[str] = field(default_factory=list)  # what DNS answered, shortened
    # Client set-up and reporting records: not publishing them is no fault
    # (publishing them wrong is).
    optional: bool = False

    @property
    def problem(self) -> bool:
        return self.status == WRONG or (self.status == MISSING and not self.optional)

    def as_dict(self) -> dict:
        """As JSON keeps it (dns_checks.results): ``reason`` in English for
        the API and the CLI, and a Message's template and values so that
        :meth:`of` rebuilds it and a page still translates it."""
        data = asdict(self) | {"reason": str(self.reason)}
        if isinstance(self.reason, Message):
            data |= {"reason_template": self.reason.template, "reason_values": self.reason.values}
        return data

    @classmethod
    def of(cls, data: dict) -> Finding:
        kept = {k: data[k] for k in ("record", "name", "status", "reason", "found", "optional") if k in data}
        if "reason_template" in data:  # a check kept before reasons were translated has none: plain English
            template = data["reason_template"]
            template = tuple(template) if isinstance(template, list) else template  # JSON has no tuple
            kept["reason"] = Message(template, **data.get("reason_values", {}))
        return cls(**kept)


def _short(values: list[str], limit: int = 120) -> list[str]:
    return [v if len(v) <= limit else v[: limit - 1] + "…" for v in values[:5]]


@dataclass
class Context:
    domain: str
    mail_host: str
    lookup: Lookup

    def host_addresses(self) -> list[str]:
        return self.lookup.addresses(self.mail_host)


def _asked(check):
    """A check that DNS could not answer is *unknown*, not missing."""

    def wrapped(ctx: Context, record: str, name: str, *args, **kwargs) -> Finding:
        try:
            return check(ctx, record, name, *args, **kwargs)
        except Unreachable as exc:
            return Finding(record, name, UNKNOWN, why(exc), optional=kwargs.get("optional", False))

    return wrapped


@_asked
def check_mx(ctx: Context, record: str, name: str) -> Finding:
    rows = sorted(ctx.lookup.records(name, "MX"), key=lambda r: r.preference)
    found = [f"{r.preference} {host(r.exchange)}" for r in rows]
    if not rows:
        reason = Message(N_("no MX record: publish one pointing to %(host)s"), host=ctx.mail_host)
        return Finding(record, name, MISSING, reason)
    if [host(r.exchange) for r in rows] == [""]:
        return Finding(record, name, WRONG, N_('a null MX ("."): the domain says it takes no mail'), found)
    ours = [r for r in rows if host(r.exchange) == ctx.mail_host]
    if not ours:
        reason = Message(N_("MX points elsewhere, not to %(host)s"), host=ctx.mail_host)
        return Finding(record, name, WRONG, reason, found)
    first = [host(r.exchange) for r in rows if r.preference < ours[0].preference]
    if first:
        reason = Message(
            Nn_(
                "MX points elsewhere first: %(others)s has a lower preference than %(host)s",
                "MX points elsewhere first: %(others)s have a lower preference than %(host)s",
            ),
            count=len(first),
            others=", ".join(first),
            host=ctx.mail_host,
        )
        return Finding(record, name, WRONG, reason, found)
    return Finding(record, name, OK, Message(N_("mail for the domain goes to %(host)s"), host=ctx.mail_host), found)


@_asked
def check_spf(ctx: Context, record: str, name: str) -> Finding:
    records = [t for t in ctx.lookup.txt(name) if is_spf(t)]
    found = _short(records)
    if not records:
        return Finding(record, name, MISSING, N_("no SPF record (a TXT starting v=spf1): publish v=spf1 mx -all"))
    if len(records) > 1:
        reason = N_("two SPF records: receivers treat that as an error (RFC 7208 permerror); merge them into one")
        return Finding(record, name, WRONG, reason, found)
    addresses = ctx.host_addresses()
    verdict = dns_policy.SpfWalk(ctx.lookup, ctx.mail_host, addresses).verdict(name, records[0])
    if verdict == dns_policy.ANYONE:
        return Finding(record, name, WRONG, N_("+all lets any server on the internet send as the domain"), found)
    if verdict != dns_policy.PASS:
        return Finding(record, name, WRONG, _spf_lacks(ctx.mail_host, addresses), found)
    return Finding(record, name, OK, Message(N_("%(host)s may send as the domain"), host=ctx.mail_host), found)


def _spf_lacks(mail_host: str, addresses: list[str]) -> Message:
    if not addresses:
        template = N_("SPF lacks this host: %(host)s is not allowed to send; add mx, a:%(host)s or its ip4:/ip6:")
        return Message(template, host=mail_host)
    template = N_(
        "SPF lacks this host: %(host)s (%(addresses)s) is not allowed to send; add mx, a:%(host)s or its ip4:/ip6:"
    )
    return Message(template, host=mail_host, addresses=", ".join(addresses))


@_asked
def check_dkim(ctx: Context, record: str, name: str, key: KeyInfo) -> Finding:
    records = ctx.lookup.txt(name)
    found = _short(records)
    if not records:
        return Finding(
            record, name, MISSING, Message(N_("publish the TXT record of selector %(selector)s"), selector=key.selector)
        )
    if len(records) > 1:
        return Finding(record, name, WRONG, N_("two TXT records at this selector: receivers may take either"), found)
    pairs, _ = dns_policy.tags(records[0])
    values = dict(pairs)
    published = "".join(values.get("p", "").split())
    if not published:
        return Finding(record, name, WRONG, N_("the record has an empty p=: it says the key is revoked"), found)
    if published != key.public_key:
        reason = Message(
            N_("the published DKIM key is not ours: its p= is not the panel's key %(selector)s"), selector=key.selector
        )
        return Finding(record, name, WRONG, reason, found)
    if values.get("k", "rsa").lower() != key.algorithm:
        reason = Message(
            N_("the record says k=%(given)s, the key is %(algorithm)s"),
            given=values.get("k", "rsa"),
            algorithm=key.algorithm,
        )
        return Finding(record, name, WRONG, reason, found)
    return Finding(record, name, OK, _PANELS_KEY[key.state], found)


# A sentence per state a checked key can be in (dkim.LIVE_STATES): the state is one of its words.
_PANELS_KEY = {
    "published": N_("the published key is the panel's (published)"),
    "active": N_("the published key is the panel's (active)"),
}


@_asked
def check_dmarc(ctx: Context, record: str, name: str) -> Finding:
    records = [t for t in ctx.lookup.txt(name) if t.startswith("v=DMARC1")]
    found = _short(records)
    if not records:
        return Finding(record, name, MISSING, N_("no DMARC record: publish v=DMARC1; p=none to start"))
    if len(records) > 1:
        return Finding(record, name, WRONG, N_("two DMARC records: receivers ignore both (RFC 7489 6.6.3)"), found)
    problems = dns_policy.dmarc_problems(records[0])
    if problems:
        return Finding(record, name, WRONG, _tag_invalid(record, problems), found)
    policy = dict(dns_policy.tags(records[0])[0])["p"]
    if policy == "none":
        reason = N_("policy p=none (reports only: move to quarantine, then reject, once all mail passes)")
    else:
        reason = Message(N_("policy p=%(policy)s"), policy=policy)
    return Finding(record, name, OK, reason, found)


def _tag_invalid(record: str, problems: list[str]) -> Message:
    """The problems (dns_policy's, in English) are one value of the sentence."""
    return Message(N_("%(record)s tag invalid: %(problems)s"), record=record, problems=joined(problems, SEMICOLONS))


@_asked
def check_reverse(ctx: Context, record: str, name: str, address: str) -> Finding:
    names = ctx.lookup.ptr(address)
    if not names:
        reason = Message(
            N_("%(address)s has no reverse DNS (PTR): many receivers refuse mail from such a server"), address=address
        )
        return Finding(record, name, MISSING, reason)
    if ctx.mail_host not in names:
        reason = Message(
            N_("reverse DNS of %(address)s does not match the mail host's name %(host)s"),
            address=address,
            host=ctx.mail_host,
        )
        return Finding(record, name, WRONG, reason, _short(names))
    reason = Message(N_("%(address)s points back to %(host)s"), address=address, host=ctx.mail_host)
    return Finding(record, name, OK, reason, names)


def check_reverse_dns(ctx: Context) -> list[Finding]:
    name = ctx.mail_host
    try:
        addresses = ctx.host_addresses()
    except Unreachable as exc:
        return [Finding("reverse DNS", name, UNKNOWN, why(exc))]
    if not addresses:
        reason = Message(N_("the mail host %(host)s has no A or AAAA record"), host=name)
        return [Finding("reverse DNS", name, MISSING, reason)]
    return [check_reverse(ctx, "reverse DNS", address, address) for address in addresses]


@_asked
def check_client_name(ctx: Context, record: str, name: str, optional: bool = True) -> Finding:
    mail_host = ctx.mail_host
    targets = [host(r.target) for r in ctx.lookup.records(name, "CNAME")]
    if targets:
        if targets == [mail_host]:
            return Finding(record, name, OK, Message(N_("an alias of %(host)s"), host=mail_host), targets, optional)
        reason = Message(N_("points elsewhere, not to %(host)s"), host=mail_host)
        return Finding(record, name, WRONG, reason, targets, optional)
    addresses = ctx.lookup.addresses(name)
    if not addresses:
        return Finding(record, name, MISSING, Message(N_("publish a CNAME to %(host)s"), host=mail_host), [], optional)
    if set(addresses) & set(ctx.host_addresses()):
        reason = Message(N_("an address of %(host)s"), host=mail_host)
        return Finding(record, name, OK, reason, addresses, optional)
    reason = Message(N_("its address is not one of %(host)s"), host=mail_host)
    return Finding(record, name, WRONG, reason, addresses, optional)


@_asked
def check_srv(ctx: Context, record: str, name: str, port: int, optional: bool = True) -> Finding:
    rows = ctx.lookup.records(name, "SRV")
    found = [f"{r.priority} {r.weight} {r.port} {host(r.target)}" for r in rows]
    where = {"host": ctx.mail_host, "port": port}
    if not rows:
        return Finding(record, name, MISSING, Message(N_("publish 0 1 %(port)s %(host)s"), **where), [], optional)
    if any(host(r.target) == ctx.mail_host and r.port == port for r in rows):
        return Finding(record, name, OK, Message(N_("%(host)s port %(port)s"), **where), found, optional)
    if [host(r.target) for r in rows] == [""]:
        return Finding(record, name, WRONG, N_('says the service is not offered (target ".")'), found, optional)
    reason = Message(N_("points elsewhere, not to %(host)s port %(port)s"), **where)
    return Finding(record, name, WRONG, reason, found, optional)


@_asked
def check_tagged_txt(ctx: Context, record: str, name: str, prefix: str, rule, hint: str, optional=True) -> Finding:
    """TLS-RPT and MTA-STS: one TXT starting ``prefix`` whose tags ``rule`` accepts."""
    records = [t for t in ctx.lookup.txt(name) if t.startswith(prefix)]
    found = _short(records)
    if not records:
        return Finding(record, name, MISSING, hint, [], optional)
    if len(records) > 1:
        reason = Message(N_("two %(prefix)s records: receivers ignore both"), prefix=prefix)
        return Finding(record, name, WRONG, reason, found, optional)
    problems = rule(records[0])
    if problems:
        return Finding(record, name, WRONG, _tag_invalid(record, problems), found, optional)
    return Finding(record, name, OK, N_("published and valid"), found, optional)


def check_records(domain: str, mail_host: str, keys: list[KeyInfo], lookup: Lookup) -> list[Finding]:
    """Every record of :func:`.dns_records.zone_lines`, in its order, then reverse DNS and MTA-STS."""
    ctx = Context(domain.rstrip(".").lower(), mail_host.rstrip(".").lower(), lookup)
    apex = ctx.domain
    findings = [check_mx(ctx, "MX", apex), check_spf(ctx, "SPF", apex)]
    findings += [check_dkim(ctx, f"DKIM {k.selector}", f"{k.selector}._domainkey.{apex}", k) for k in keys]
    if not keys:
        reason = N_("the panel has no DKIM key for the domain: generate one, publish it, then activate it")
        findings.append(Finding("DKIM", f"_domainkey.{apex}", MISSING, reason))
    findings.append(check_dmarc(ctx, "DMARC", f"_dmarc.{apex}"))
    findings += check_reverse_dns(ctx)
    findings += [check_client_name(ctx, label, f"{label}.{apex}") for label in ("autoconfig", "autodiscover")]
    findings += [check_srv(ctx, f"SRV {service}", f"{service}.{apex}", port) for service, port in SRV]
    tlsrpt_hint = Message(N_("not published (optional): v=TLSRPTv1; rua=mailto:postmaster@%(domain)s"), domain=apex)
    findings.append(
        check_tagged_txt(ctx, "TLS-RPT", f"_smtp._tls.{apex}", "v=TLSRPTv1", dns_policy.tlsrpt_problems, tlsrpt_hint)
    )
    sts_hint = Message(
        N_("not published (optional; it needs a policy served over HTTPS at mta-sts.%(domain)s)"), domain=apex
    )
    findings.append(
        check_tagged_txt(ctx, "MTA-STS", f"_mta-sts.{apex}", "v=STSv1", dns_policy.mta_sts_problems, sts_hint)
    )
    return findings
