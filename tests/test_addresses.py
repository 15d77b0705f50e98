import pytest

from panel.addresses import AddressError, normalize_address, normalize_alias_address, normalize_domain


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


def test_rfc5321_atext_is_allowed():
    assert normalize_address("!#$%&'*+-/=?^_`{|}~@example.org") == "!#$%&'*+-/=?^_`{|}~@example.org"


def test_catchall_alias_form():
    assert normalize_alias_address("@Example.org") == ("@example.org", "example.org")
    assert normalize_alias_address("Info@Example.org") == ("info@example.org", "example.org")
    with pytest.raises(AddressError):
        normalize_alias_address("@")
