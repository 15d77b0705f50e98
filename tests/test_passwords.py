"""Every hash we write must be accepted by Dovecot itself (`doveadm pw -t`)."""

import shutil
import subprocess

import pytest

from panel import passwords

DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


def doveadm_accepts(stored: str, password: str) -> bool:
    result = subprocess.run([DOVEADM, "pw", "-t", stored, "-p", password], capture_output=True, text=True, timeout=30)
    return result.returncode == 0 and "(verified)" in result.stdout


def test_doveadm_is_installed():
    # Not a skip: without doveadm the contract is untested, so fail loudly.
    assert shutil.which("doveadm"), "dovecot-core must be installed (make test installs it)"


@pytest.mark.parametrize(
    "scheme, prefix",
    [
        ("ARGON2ID", "{ARGON2ID}$argon2id$"),
        ("BLF-CRYPT", "{BLF-CRYPT}$2"),
        ("SHA512-CRYPT", "{SHA512-CRYPT}$6$"),
    ],
)
def test_written_hash_carries_scheme_and_passes_doveadm(scheme, prefix):
    stored = passwords.hash_password("Correct horse 1!", scheme)
    assert stored.startswith(prefix)
    assert doveadm_accepts(stored, "Correct horse 1!")
    assert not doveadm_accepts(stored, "wrong password")
    assert passwords.verify("Correct horse 1!", stored)
    assert not passwords.verify("wrong password", stored)


def test_default_scheme_is_argon2id():
    assert passwords.hash_password("long enough").startswith("{ARGON2ID}$argon2id$")


def test_unicode_password_round_trips_through_dovecot():
    stored = passwords.hash_password("pässwörd-ünïcode", "ARGON2ID")
    assert doveadm_accepts(stored, "pässwörd-ünïcode")


@pytest.mark.parametrize("scheme", ["SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "ARGON2ID", "ARGON2I"])
def test_hashes_made_by_doveadm_are_importable(scheme):
    made = subprocess.run(
        [DOVEADM, "pw", "-s", scheme, "-p", "imported-secret"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    assert passwords.check_hash(made) == made
    assert passwords.verify("imported-secret", made)


@pytest.mark.parametrize(
    "stored",
    [
        "{PLAIN}secret",
        "{MD5}abc",
        "{CRYPT}abc",
        "$6$nosheme$abc",
        "{SHA512-CRYPT}not-a-hash",
        "{BLF-CRYPT}$2y$12$short",
        "{ARGON2ID}$argon2id$garbage",
        "",
    ],
)
def test_unknown_or_malformed_imported_hashes_are_refused(stored):
    with pytest.raises(passwords.PasswordError):
        passwords.check_hash(stored)


@pytest.mark.parametrize("bad", ["short", "x" * 1025, "with\nnewline", "nul\x00byte"])
def test_plain_password_rules(bad):
    with pytest.raises(passwords.PasswordError):
        passwords.hash_password(bad)


def test_generated_passwords_are_long_and_distinct():
    made = {passwords.generate() for _ in range(50)}
    assert len(made) == 50 and all(len(p) == 20 for p in made)
