"""Mailboxes created by the CSV importer log in over IMAP on the real
Dovecot: plain passwords (hashed in the process pool), a generated one, and
pre-hashed passwords of every scheme the importer accepts."""

from __future__ import annotations

import csv

import bcrypt
import pytest
from argon2 import PasswordHasher, Type
from passlib.hash import sha256_crypt, sha512_crypt

pytestmark = pytest.mark.e2e

PLAIN = {f"plain{i}@e2e.test": f"plain-secret-{i}" for i in range(5)}  # >= the pool threshold


def _prehashed() -> dict[str, tuple[str, str]]:
    """address -> (password, {SCHEME}hash), hashed by the libraries, not by us."""
    return {
        "argon2id@e2e.test": ("argon2id-secret", "{ARGON2ID}" + PasswordHasher(type=Type.ID).hash("argon2id-secret")),
        "argon2i@e2e.test": ("argon2i-secret", "{ARGON2I}" + PasswordHasher(type=Type.I).hash("argon2i-secret")),
        "blf@e2e.test": (
            "blf-secret-123",
            "{BLF-CRYPT}" + bcrypt.hashpw(b"blf-secret-123", bcrypt.gensalt(10)).decode().replace("$2b$", "$2y$", 1),
        ),
        "sha512@e2e.test": ("sha512-secret", "{SHA512-CRYPT}" + sha512_crypt.using(rounds=5000).hash("sha512-secret")),
        "sha256@e2e.test": ("sha256-secret", "{SHA256-CRYPT}" + sha256_crypt.hash("sha256-secret")),
    }


def test_imported_mailboxes_log_in_over_imap(mail, runner, tmp_path):
    hashed = _prehashed()
    source = tmp_path / "users.csv"
    with source.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "password", "password_hash"])
        for address, password in PLAIN.items():
            writer.writerow([address, "Plain", password, ""])
        for address, (_, digest) in hashed.items():
            writer.writerow([address, "Hashed", "", digest])
        writer.writerow(["generated@e2e.test", "Generated", "", ""])
    passwords_out = tmp_path / "generated.csv"
    result = runner.invoke(args=["users", "import", str(source), "--passwords-out", str(passwords_out)])
    assert result.exit_code == 0, result.output
    assert "11 mailboxes were created" in result.output
    [generated] = list(csv.DictReader(passwords_out.open()))

    logins = {**PLAIN, **{a: p for a, (p, _) in hashed.items()}, generated["email"]: generated["password"]}
    failed = [address for address, password in logins.items() if not mail.imap_login_ok(address, password)]
    assert failed == []
    assert not mail.imap_login_ok("plain0@e2e.test", "plain-secret-1")
    assert not mail.imap_login_ok("sha512@e2e.test", "argon2id-secret")
