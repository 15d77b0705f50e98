"""Numbers as people type them (panel/sizes.py): ASCII digits only, exact
arithmetic, bounded; and one way to show them."""

from __future__ import annotations

import pytest

from panel.sizes import MAX_BYTES, SizeError, format_limit, format_size, parse_count, parse_size


@pytest.mark.parametrize(
    "typed, size",
    [("0", 0), ("500M", 500 * 1024**2), ("1.5G", 1536 * 1024**2), ("2 GiB", 2 * 1024**3), ("0.1K", 102), (7, 7)],
)
def test_sizes(typed, size):
    assert parse_size(typed) == size


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("9" * 400, "too large"),
        ("9" * 400 + "G", "too large"),
        ("1." + "0" * 400 + "1G", "decimals"),
        (str(MAX_BYTES + 1), "too large"),
        ("8388608T", "too large"),
        (2**64, "too large"),
        ("-1", "cannot be negative"),
        (-1, "negative"),
        ("²", "not a size"),
        ("٣G", "not a size"),
        ("1_000", "not a size"),
        ("1e9", "not a size"),
        ("nan", "not a size"),
        (True, "not a size"),
    ],
)
def test_sizes_refused(typed, reason):
    with pytest.raises(SizeError, match=reason):
        parse_size(typed)


def test_counts():
    assert parse_count("0042") == 42 and parse_count(5) == 5 and parse_count(" 7 ") == 7
    for bad in ("²", "٣", "1_0", "+1", "-1", "1.0", "", "9" * 400, str(2**31), True):
        with pytest.raises(SizeError):
            parse_count(bad)
    assert parse_count(str(2**63 - 1), 2**63 - 1) == 2**63 - 1


def test_formats():
    assert [format_size(n) for n in (None, 0, 512, 1536, 1024**3)] == ["0", "0", "512B", "1.5K", "1G"]
    assert [format_limit(n) for n in (None, 0, 1024**3)] == ["unlimited", "unlimited", "1G"]
    for n in (1, 1100, 1536 * 1024**2, 1024**4, MAX_BYTES):
        assert parse_size(format_size(n, exact=True)) == n
