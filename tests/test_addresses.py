import pytest

from panel.addresses import (
    NEW_LOCAL_SPECIALS,
    AddressError,
    normalize_address,
    normalize_alias_address,
    normalize_domain,
    split_new_address,
)

# RFC 5321 atext that a stored address may hold but a new one may not.
REFUSED_IN_NEW = "!#$%&*/=?^`{|}~"


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("Example.ORG", "example.org"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("example.org.", "example.org"),
    ],
)
def test_domains_are_stored_lowercase_ascii(raw, stored):
    assert normalize_domain(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "localhost",
        "-bad.org",
        "bad-.org",
        "a..b.org",
        "exa mple.org",
        "ex\x00ample.org",
        "example.123",
        "a" * 64 + ".org",
        ("a" * 60 + ".") * 5 + "org",
        "under_score.org",
    ],
)
def test_bad_domains_are_refused(raw):
    with pytest.raises(AddressError):
        normalize_domain(raw)


def test_address_is_lowercased_and_domain_converted():
    assert normalize_address("Jane.Doe+Tag@Bücher.Example") == "jane.doe+tag@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "raw",
    [
        "plain",
        "a@b@example.org",
        "@example.org",
        "user@",
        "a b@example.org",
        "a\r\nb@example.org",
        "a\nRCPT TO:<x>@example.org",
        "a\x00b@example.org",
        "a\tb@example.org",
        ".a@example.org",
        "a.@example.org",
        "a..b@example.org",
        '"quoted"@example.org',
        "ü@example.org",
        "a" * 65 + "@example.org",
        "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.org",
        "a(b)@example.org",
        "a,b@example.org",
        "a<b@example.org",
    ],
)
def test_bad_addresses_are_refused(raw):
    with pytest.raises(AddressError):
        normalize_address(raw)


def test_rfc5321_atext_is_read_as_an_address():
    # Rows made under the older rule, and remote destinations, keep working.
    assert normalize_address("!#$%&'*+-/=?^_`{|}~@example.org") == "!#$%&'*+-/=?^_`{|}~@example.org"


def test_the_two_alphabets_cover_rfc5321_atext():
    assert set(NEW_LOCAL_SPECIALS) | set(REFUSED_IN_NEW) == set("!#$%&'*+-/=?^_`{|}~.")
    assert not set(NEW_LOCAL_SPECIALS) & set(REFUSED_IN_NEW)


@pytest.mark.parametrize("special", list(NEW_LOCAL_SPECIALS))
def test_a_new_address_takes_each_allowed_character(special):
    assert split_new_address(f"O{special}Neil@Example.org") == (f"o{special}neil", "example.org")


@pytest.mark.parametrize("special", list(REFUSED_IN_NEW))
def test_a_new_address_refuses_each_other_character_by_name(special):
    with pytest.raises(AddressError) as refused:
        split_new_address(f"o{special}neil@example.org")
    assert str(refused.value) == (f"{special!r} is not allowed in a new address: use letters, digits and . _ - + '")


@pytest.mark.parametrize("local", ["-dash", "_under", "+plus", "'quote"])
def test_a_new_address_starts_with_a_letter_or_digit(local):
    # A leading - reads as an option on a command line, a leading + or - as
    # a formula in a spreadsheet (the CSV export/import).
    with pytest.raises(AddressError, match="must start with a letter or a digit"):
        split_new_address(f"{local}@example.org")
    assert normalize_address(f"{local}@example.org") == f"{local}@example.org"


def test_a_new_alias_source_uses_the_new_alphabet_but_a_catch_all_has_none():
    assert normalize_alias_address("@Example.org", new=True) == ("@example.org", "example.org")
    with pytest.raises(AddressError):
        normalize_alias_address("a/b@example.org", new=True)
    assert normalize_alias_address("a/b@example.org") == ("a/b@example.org", "example.org")


def test_catchall_alias_form():
    assert normalize_alias_address("@Example.org") == ("@example.org", "example.org")
    assert normalize_alias_address("Info@Example.org") == ("info@example.org", "example.org")
    with pytest.raises(AddressError):
        normalize_alias_address("@")
