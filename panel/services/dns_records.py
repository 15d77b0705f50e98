"""The DNS records a hosted domain needs, as zone-file lines: where its mail
goes (MX), who may send it (SPF), its DKIM keys, its DMARC policy, and the
names mail clients use to find the server (autoconfig, RFC 6186 SRV), and
where receivers send TLS failure reports (TLS-RPT, RFC 8460)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..languages import N_, Message
from ..models import Domain
from . import dkim
from .actor import Actor

TTL = 3600
TXT_CHUNK = 255  # the longest character-string a TXT record holds (RFC 1035)

# RFC 6186 (and RFC 8314 for the implicit-TLS names): service, port.
SRV = (
    ("_submissions._tcp", 465),
    ("_submission._tcp", 587),
    ("_imaps._tcp", 993),
    ("_imap._tcp", 143),
    ("_pop3s._tcp", 995),
    ("_pop3._tcp", 110),
)


def txt_strings(value: str) -> str:
    """A TXT value as quoted strings of at most 255 characters each."""
    chunks = [value[i : i + TXT_CHUNK] for i in range(0, len(value), TXT_CHUNK)] or [""]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def dkim_value(key: dkim.KeyInfo) -> str:
    return f"v=DKIM1; k={key.algorithm}; p={key.public_key}"


def _line(name: str, kind: str, data: str) -> str:
    return f"{name}\t{TTL}\tIN\t{kind}\t{data}"


def zone_lines(domain_name: str, mail_host: str, keys: list[dkim.KeyInfo]) -> list[str]:
    """The lines to paste into the domain's zone. A comment line is a
    :class:`Message` (English here and in the CLI, the page's language on
    the DNS page); the records themselves are never translated."""
    apex, host = f"{domain_name}.", f"{mail_host.rstrip('.')}."
    lines = [
        Message(N_("; Mail records for %(domain)s, to publish in its zone."), domain=domain_name),
        _line(apex, "MX", f"10 {host}"),
        _line(apex, "TXT", txt_strings("v=spf1 mx -all")),
    ]
    for key in keys:
        lines.append(
            Message(
                N_("; DKIM selector %(selector)s (%(algorithm)s, %(state)s)"),
                selector=key.selector,
                algorithm=key.algorithm,
                state=key.state,
            )
        )
        lines.append(_line(f"{key.selector}._domainkey.{apex}", "TXT", txt_strings(dkim_value(key))))
    lines += [
        # One sentence on two comment lines, translated as a whole.
        Message(
            N_(
                "; DMARC: start with p=none and read the reports sent to rua; once all of the\n"
                "; domain's mail passes DKIM or SPF, move to p=quarantine, then to p=reject."
            )
        ),
        _line(f"_dmarc.{apex}", "TXT", txt_strings(f"v=DMARC1; p=none; rua=mailto:postmaster@{domain_name}")),
        Message(N_("; Mail client set-up (Thunderbird autoconfig, Outlook autodiscover, RFC 6186).")),
        _line(f"autoconfig.{apex}", "CNAME", host),
        _line(f"autodiscover.{apex}", "CNAME", host),
    ]
    lines += [_line(f"{service}.{apex}", "SRV", f"0 1 {port} {host}") for service, port in SRV]
    lines += [
        Message(N_("; TLS-RPT: receivers that fail to reach this host over TLS say so in daily reports.")),
        _line(f"_smtp._tls.{apex}", "TXT", txt_strings(f"v=TLSRPTv1; rua=mailto:postmaster@{domain_name}")),
        Message(
            N_(
                "; MTA-STS (_mta-sts TXT) also needs its policy served over HTTPS at mta-sts.%(domain)s:"
                " the panel does not serve it, so it is not listed here; the check reads it if you publish it."
            ),
            domain=domain_name,
        ),
    ]
    return lines


def for_domain(session: Session, actor: Actor, domain: Domain, mail_host: str) -> list[str]:
    return zone_lines(domain.name, mail_host, dkim.live_keys(session, actor, domain))
