"""Dovecot-compatible password hashes: ``{SCHEME}hash``.

Every hash written here must pass ``doveadm pw -t``. We hash with
argon2-cffi, bcrypt and libpass (SHA-crypt) -- never by hand.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from passlib.hash import sha256_crypt, sha512_crypt

from . import text
from .languages import N_, Message

DEFAULT_SCHEME = "ARGON2ID"
WRITABLE_SCHEMES = ("ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT")

# Schemes Dovecot 2.3 knows that are safe enough to store; an imported hash
# with another scheme (PLAIN, MD5, ...) is refused.
IMPORTABLE_SCHEMES = {
    "ARGON2ID": re.compile(r"^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$", re.ASCII),
    "ARGON2I": re.compile(r"^\$argon2i\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$", re.ASCII),
    "BLF-CRYPT": re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$", re.ASCII),
    "SHA512-CRYPT": re.compile(r"^\$6\$(rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}$", re.ASCII),
    "SHA256-CRYPT": re.compile(r"^\$5\$(rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43}$", re.ASCII),
}

_SCHEMED = re.compile(r"^\{([A-Z0-9.-]+)\}(.*)$", re.DOTALL)
# The width of the password_hash columns: a longer hash cannot be stored.
HASH_MAX = 255

# Dovecot's argon2 verification uses libsodium limits; these match
# argon2-cffi's RFC 9106 "low memory" profile, which Dovecot accepts.
_argon2 = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, type=Type.ID)

MIN_LENGTH = 8
MAX_LENGTH = 1024
GENERATED_ALPHABET = string.ascii_letters + string.digits


class PasswordError(ValueError):
    """A password or imported hash that cannot be accepted (message is user-facing)."""


def check_plain(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(Message(N_("must be at least %(count)s characters"), count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordError(Message(N_("must be at most %(count)s characters"), count=MAX_LENGTH))
    if any(ch in password for ch in "\0\r\n"):
        raise PasswordError(N_("must not contain NUL or line breaks"))
    if text.has_surrogates(password):  # not text: it cannot be encoded to be hashed
        raise PasswordError(N_("contains a broken character (half of a UTF-16 pair)"))


@dataclass(frozen=True)
class Prepared:
    """A new password hashed before the write transaction that stores it.

    SQLite has one writer at a time: hashing (~0.1 s) while holding its
    lock stalls every other write, Dovecot's quota updates included. A view
    hashes first with :func:`prepare`, then opens the transaction; the
    services accept this in place of the plain text and still check it.
    """

    plain: str
    scheme: str
    hashed: str | None  # None: the text breaks a rule, reported by the service

    def __bool__(self) -> bool:
        return bool(self.plain)


def prepare(password: str, scheme: str = DEFAULT_SCHEME) -> Prepared:
    try:
        return Prepared(password, scheme.upper(), hash_password(password, scheme))
    except PasswordError:
        return Prepared(password, scheme.upper(), None)


def plain_text(password: str | Prepared | None) -> str | None:
    return password.plain if isinstance(password, Prepared) else password


def check_not_derived(password: str | Prepared | None, *names: str) -> None:
    """A password is never the account's own name or address (the first
    thing an attacker tries), in any case."""
    plain = (plain_text(password) or "").strip().lower()
    if plain and any(plain == (name or "").strip().lower() for name in names if name):
        raise PasswordError(N_("must not be the address or user name itself"))


def hash_random_secret(secret: str) -> str:
    """A stored hash for a long random secret (an app password, 128 bits or
    more): SHA512-CRYPT at libpass's default rounds, which Dovecot checks
    at every login; a guessable password needs the slow schemes above."""
    return "{SHA512-CRYPT}" + sha512_crypt.using(rounds=5000).hash(secret)


def hash_password(password: str | Prepared, scheme: str = DEFAULT_SCHEME) -> str:
    if isinstance(password, Prepared):
        check_plain(password.plain)
        if password.hashed and password.scheme == scheme.upper():
            return password.hashed
        password = password.plain
    check_plain(password)
    scheme = scheme.upper()
    if scheme == "ARGON2ID":
        return "{ARGON2ID}" + _argon2.hash(password)
    if scheme == "BLF-CRYPT":
        # bcrypt only reads 72 bytes; Dovecot does the same, so verification agrees.
        digest = bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=12)).decode()
        return "{BLF-CRYPT}" + digest
    if scheme == "SHA512-CRYPT":
        return "{SHA512-CRYPT}" + sha512_crypt.using(rounds=100000).hash(password)
    unknown = N_("unknown scheme %(scheme)s; use one of %(schemes)s")
    raise PasswordError(Message(unknown, scheme=scheme, schemes=", ".join(WRITABLE_SCHEMES)))


def split_scheme(stored: str) -> tuple[str, str]:
    match = _SCHEMED.match(stored or "")
    if not match:
        raise PasswordError(N_("a hash must start with {SCHEME}"))
    return match.group(1), match.group(2)


def check_hash(stored: str) -> str:
    """Validate an imported ``{SCHEME}hash``; returns it unchanged."""
    if len(stored.strip()) > HASH_MAX:
        raise PasswordError(
            Message(N_("is too long for a password hash (at most %(count)s characters)"), count=HASH_MAX)
        )
    scheme, digest = split_scheme(stored.strip())
    pattern = IMPORTABLE_SCHEMES.get(scheme)
    if pattern is None:
        unsupported = N_("unsupported hash scheme {%(scheme)s}; use one of %(schemes)s")
        schemes = ", ".join("{%s}" % s for s in IMPORTABLE_SCHEMES)
        raise PasswordError(Message(unsupported, scheme=scheme, schemes=schemes))
    if not pattern.match(digest):
        raise PasswordError(Message(N_("malformed {%(scheme)s} hash"), scheme=scheme))
    return stored.strip()


def verify(password: str, stored: str) -> bool:
    if text.has_surrogates(password):  # cannot be encoded, so it matches nothing
        return False
    try:
        scheme, digest = split_scheme(stored)
    except PasswordError:
        return False
    try:
        if scheme in ("ARGON2ID", "ARGON2I"):
            return _argon2.verify(digest, password)
        if scheme == "BLF-CRYPT":
            return bcrypt.checkpw(password.encode()[:72], digest.encode())
        if scheme == "SHA512-CRYPT":
            return sha512_crypt.verify(password, digest)
        if scheme == "SHA256-CRYPT":
            return sha256_crypt.verify(password, digest)
    except (VerificationError, InvalidHashError, ValueError):
        return False
    return False


def generate(length: int = 20) -> str:
    """A random password with ~119 bits for length 20, easy to type."""
    return "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(length))
