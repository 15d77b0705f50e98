"""The one rule for a line of free text (panel/text.py), and its users."""

from __future__ import annotations

import pytest

from panel import passwords, text
from panel.addresses import AddressError, normalize_address, normalize_domain
from panel.mailserver.maillog.lines import decode

REFUSED = {
    "\x00": "control characters (U+0000)",
    "\x1b": "control characters (U+001B)",
    "\t": "control characters (U+0009)",
    "\x7f": "control characters (U+007F)",
    "\x80": "control characters (U+0080)",
    "\x9f": "control characters (U+009F)",
    "\n": "a line break (U+000A)",
    "\r": "a line break (U+000D)",
    "\x85": "a line break (U+0085)",
    "\u2028": "a line break (U+2028)",
    "\u2029": "a line break (U+2029)",
    "\u061c": "direction of text (U+061C)",
    "\u200e": "direction of text (U+200E)",
    "\u200f": "direction of text (U+200F)",
    "\u202a": "direction of text (U+202A)",
    "\u202e": "direction of text (U+202E)",
    "\u2066": "direction of text (U+2066)",
    "\u2069": "direction of text (U+2069)",
    "\ud800": "broken character (U+D800",
}
ACCEPTED = ["Zoë O'Neil", "Ärger & <Söhne>", "日本語", "שלום", "مرحبا", "emoji 😀", "a\u00a0b", "²٣"]


@pytest.mark.parametrize("ch", REFUSED)
def test_refused_characters_are_named_in_plain_words(ch):
    with pytest.raises(text.TextError) as raised:
        text.one_line(f"before {ch} after", 255)
    assert REFUSED[ch] in str(raised.value)


@pytest.mark.parametrize("value", ACCEPTED)
def test_letters_of_every_script_pass(value):
    # Right-to-left text is fine: only the invisible controls are refused.
    assert text.one_line(f"  {value}  ", 255) == value


def test_length_is_counted_after_stripping():
    assert text.one_line(" " + "x" * 10 + " ", 10) == "x" * 10
    with pytest.raises(text.TextError, match="at most 10 characters"):
        text.one_line("x" * 11, 10)


def test_addresses_and_domains_use_the_rule():
    for bad in ("a\u202e@example.org", "a@exa\u202emple.org", "a\x85b@example.org", "a@exa\u2028mple.org"):
        with pytest.raises(AddressError):
            normalize_address(bad)
    with pytest.raises(AddressError, match="must not contain spaces"):
        normalize_address("a b@example.org")
    with pytest.raises(AddressError, match="direction of text"):
        normalize_domain("\u202eexample.org")


def test_passwords_refuse_what_cannot_be_hashed():
    with pytest.raises(passwords.PasswordError, match="broken character"):
        passwords.check_plain("long-enough\ud800")
    assert passwords.verify("long-enough\ud800", passwords.hash_password("long-enough-1")) is False
    passwords.check_plain("tab\tand bidi \u202e are a password's business")


def test_log_lines_show_the_same_characters_as_escapes():
    line = decode("a\x1b[31m \u202eevil\u202c \u2028 \x85 tab\tkept".encode(), 0, "postfix.log")
    assert line.text == "a\\x1b[31m \\u202eevil\\u202c \\u2028 \\x85 tab\tkept"
