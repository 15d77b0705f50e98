"""Sealing secrets the panel must read back (TOTP seeds, secrets waiting to
be shown once) with the ``cryptography`` library's Fernet (AES-128-CBC and
HMAC-SHA256), never by hand.

Keys are derived from a master secret with HKDF, one per purpose, so a
value sealed for one use cannot be opened as another. Rotating the
panel's SECRET_KEY makes sealed TOTP seeds unreadable: those accounts then
enrol again (``flask admin totp disable``, then enable).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Unreadable(ValueError):
    """A sealed value that this key cannot open (wrong key, or altered)."""


def _fernet(master: str | bytes, purpose: str) -> Fernet:
    material = master.encode() if isinstance(master, str) else master
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"mailpanel {purpose}".encode()).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str, master: str | bytes, purpose: str) -> str:
    return _fernet(master, purpose).encrypt(text.encode()).decode("ascii")


def unseal(token: str, master: str | bytes, purpose: str) -> str:
    try:
        return _fernet(master, purpose).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise Unreadable(f"cannot open this {purpose}") from None
