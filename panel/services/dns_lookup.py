"""Asking DNS for the live checks (dnspython), with short timeouts.

A name that does not exist and a name without records of the type are the
same answer here: nothing published. A server that does not answer is a
different one (:class:`Unreachable`), and after the first timeout every
later question fails at once: a check asks some twenty questions, and a
page must not wait twenty timeouts to say that DNS is down.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.resolver
import dns.reversename

from ..languages import N_, Message

TIMEOUT = 2.0  # seconds for one try of one server
LIFETIME = 3.0  # seconds for one question, all tries together


class Unreachable(Exception):
    """DNS gave no answer (timeout, or a server failure for that name).
    Its argument is an N_ string or a Message (``languages.why`` keeps it)."""


class Lookup:
    def __init__(self, resolver: dns.resolver.Resolver | None, problem: str = ""):
        self._resolver = resolver
        self._down = problem
        self._cache: dict[tuple[str, str], list] = {}
        self.answered = 0  # questions DNS answered (with records or without)

    @classmethod
    def using(cls, server: tuple[str, int] | None) -> Lookup:
        """Ask ``server`` (address, port), or the system's resolver when None."""
        try:
            resolver = dns.resolver.Resolver(configure=server is None)
        except (dns.resolver.NoResolverConfiguration, OSError):
            return cls(None, N_("no DNS resolver is configured on this host (/etc/resolv.conf)"))
        if server is not None:
            resolver.nameservers, resolver.port = [server[0]], server[1]
        resolver.timeout, resolver.lifetime = TIMEOUT, LIFETIME
        return cls(resolver)

    @property
    def down(self) -> str:
        """Why DNS cannot be asked at all ('' while it answers)."""
        return self._down

    def records(self, name: str, rdtype: str) -> list:
        """The records of ``name`` (absolute or not: it is made absolute), [] when none."""
        key = (name.rstrip(".").lower() + ".", rdtype)
        if key not in self._cache:
            self._cache[key] = self._ask(*key)
        return self._cache[key]

    def _ask(self, name: str, rdtype: str) -> list:
        if self._down:
            raise Unreachable(self._down)
        try:
            answer = self._resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            self.answered += 1
            return []
        except dns.exception.Timeout:
            self._down = N_("the DNS server did not answer in time")
            raise Unreachable(self._down) from None
        except dns.resolver.NoNameservers:
            failed = N_("the DNS server failed to answer for %(name)s (SERVFAIL or refused)")
            raise Unreachable(Message(failed, name=name)) from None
        except (dns.exception.DNSException, OSError) as exc:  # dnspython's or the system's words stay English
            raise Unreachable(
                Message(N_("DNS lookup of %(name)s failed: %(error)s"), name=name, error=str(exc))
            ) from None
        self.answered += 1
        return list(answer)

    def txt(self, name: str) -> list[str]:
        """Each TXT record as one string (its character-strings joined, RFC 7208 3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.records(name, "TXT")]

    def addresses(self, name: str) -> list[str]:
        return [r.address for kind in ("A", "AAAA") for r in self.records(name, kind)]

    def ptr(self, address: str) -> list[str]:
        return [host(r.target) for r in self.records(str(dns.reversename.from_address(address)), "PTR")]


def host(name: dns.name.Name | str) -> str:
    """A DNS name the way the panel writes host names: lower case, no final dot."""
    return str(name).rstrip(".").lower()
