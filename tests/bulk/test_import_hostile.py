"""The hostile CSV set: every file gives the right line-numbered error and
imports nothing (not even its good rows)."""

from __future__ import annotations

import pytest

from panel.models import Role
from panel.services import domains
from panel.services.actor import Actor
from tests.bulk.imports import alias_count, do_import, mailbox_count

GOOD = "ok1@example.org,Good One,secret123\n"

HOSTILE = {
    "ten_megabyte_cell": (
        "email,name,password\n" + GOOD + "big@example.org," + "x" * (10 * 1024 * 1024) + ",secret123\n",
        "line 3: the line is longer than 64 KiB",
    ),
    "ten_megabyte_quoted_multiline_cell": (
        "email,name,password\n" + GOOD + 'big@example.org,"' + ("y" * 1000 + "\n") * 10000 + '",secret123\n',
        "line 3: not valid CSV: field larger than field limit",
    ),
    "nul_byte": ("email,name,password\n" + GOOD + "nul@example.org,a\0b,secret123\n", "line 3: contains a NUL byte"),
    "invalid_utf8": (
        b"email,name,password\n" + GOOD.encode() + b"bad@example.org,caf\xe9,secret123\n",
        "line 3: not valid UTF-8",
    ),
    "cr_lf_in_address": (
        "email,name,password\n" + GOOD + '"evil\r\nRCPT@example.org",x,secret123\n',
        "line 3: email: an address must be a single line: it contains a line break (U+000D)",
    ),
    "formula_cell": (
        "email,name,password\n" + GOOD + 'f@example.org,"=HYPERLINK(""http://x"")",secret123\n',
        "line 3: name: starts with '='",
    ),
    "formula_in_aliases": (
        "email,name,password,aliases\nok1@example.org,x,secret123,@SUM(1)\n",
        "line 2: aliases: starts with '@'",
    ),
    "duplicate_address": (
        "email,name,password\n" + GOOD + "other@example.org,,secret123\nOK1@Example.org,,secret123\n",
        "line 4: email: ok1@example.org appears twice (also on line 2)",
    ),
    "duplicate_alias": (
        "email,password,aliases\na@example.org,secret123,x@example.org\nb@example.org,secret123,x@example.org\n",
        "line 3: aliases: x@example.org appears twice (also on line 2)",
    ),
    "unknown_columns": (
        "email,name,shoe_size,Password,colour\n" + "a@example.org,x,42,secret123,red\n",
        "line 1: unknown columns: shoe_size, colour",
    ),
    "no_email_column": ("name,password\nx,secret123\n", "line 1: email: the header row needs an email column"),
    # Regression (found by schemathesis): a lone CR in the header made the csv module raise.
    "lone_cr_in_header": ("email\rname,password\n" + GOOD, "line 1: the header row is not valid CSV"),
    # Regression: on PostgreSQL the insert failed (HTTP 500) and logged the batch's other hashes.
    "over_long_hash": (
        "email,password_hash\nh@example.org,{SHA512-CRYPT}$6$rounds=" + "9" * 300 + "$salt$" + "a" * 86 + "\n",
        "line 2: password_hash: is too long for a password hash (at most 255 characters)",
    ),
    "unknown_hash_scheme": (
        "email,password_hash\nh@example.org,{MD5-CRYPT}$1$abc$defghijklmnopqrstuvwx\n",
        "line 2: password_hash: unsupported hash scheme {MD5-CRYPT}",
    ),
    "malformed_hash": (
        "email,password_hash\nh@example.org,{ARGON2ID}notahash\n",
        "line 2: password_hash: malformed {ARGON2ID} hash",
    ),
    "over_domain_limit": (
        "email,password\n" + "".join(f"u{i}@limited.org,secret123\n" for i in range(4)),
        "line 4: email: limited.org allows 2 mailboxes",
    ),
    "unknown_domain": (
        "email,password\n" + GOOD.replace(",Good One", "") + "x@nowhere.org,secret123\n",
        "line 3: email: the domain nowhere.org is not hosted here (use --create-domains",
    ),
    "short_password": ("email,password\n" + "x@example.org,short\n", "line 2: password: must be at least 8"),
    "bad_quota": ("email,password,quota\nx@example.org,secret123,lots\n", "line 2: quota: 'lots' is not a size"),
    "bad_active": ("email,password,active\nx@example.org,secret123,perhaps\n", "line 2: active: 'perhaps' is not true"),
    "wrong_cell_count": ("email,password\nx@example.org,secret123,extra\n", "line 2: has 3 cells but the header has 2"),
    "empty_file": ("", "line 1: the file is empty"),
    "both_password_and_hash": (
        "email,password,password_hash\nx@example.org,secret123,{ARGON2ID}x\n",
        "line 2: password: give a password or a hash, not both",
    ),
    "unterminated_quote": ("email,name,password\n" + GOOD + 'q@example.org,"open,secret123\n', "line 3: not valid CSV"),
}


@pytest.fixture
def hosted(session, actor):
    domains.create_domain(session, actor, "example.org")
    domains.create_domain(session, actor, "limited.org", max_mailboxes=2)
    session.commit()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_reports_line_and_imports_nothing(session, actor, hosted, case):
    data, expected = HOSTILE[case]
    result = do_import(session, actor, data, update=True)
    assert not result.ok
    assert any(expected in problem for problem in result.problems), result.problems
    assert mailbox_count(session) == 0
    assert alias_count(session) == 0


def test_every_bad_row_is_reported_not_just_the_first(session, actor, hosted):
    data = (
        "email,password,quota\nbad@@example.org,secret123,\nok@example.org,secret123,\n"
        "x@example.org,short,\ny@example.org,secret123,-1\n"
    )
    result = do_import(session, actor, data)
    assert result.problems == [
        "line 2: email: an address needs exactly one @",
        "line 4: password: must be at least 8 characters",
        "line 5: quota: starts with '-', which spreadsheets run as a formula; write '- to mean the character itself",
    ]
    assert mailbox_count(session) == 0


def test_bom_semicolons_quoted_newlines_and_blank_lines_import(session, actor, hosted):
    data = (
        "\ufeffemail;name;password;quota;active\r\n"
        "\r\n"
        'a@example.org;"Smith, Ann; ""the boss""";secret123;1G;yes\r\n'
        "\r\n"
        'b@example.org;"two\r\nlines";secret123;;0\r\n'
    ).encode("utf-8")
    # Line breaks are not allowed in names: the error names line 5, where the row starts.
    result = do_import(session, actor, data)
    assert result.problems == ["line 5: name: must be a single line: it contains a line break (U+000D)"]
    fixed = data.replace(b'"two\r\nlines"', b'"two, lines"')
    result = do_import(session, actor, fixed)
    assert result.ok, result.problems
    from panel.services import mailboxes

    a = mailboxes.get_mailbox(session, actor, "a@example.org")
    b = mailboxes.get_mailbox(session, actor, "b@example.org")
    assert (a.name, a.quota_bytes, a.active) == ('Smith, Ann; "the boss"', 1024**3, True)
    assert (b.name, b.active) == ("two, lines", False)


def test_domain_admin_touching_another_domain_is_refused_as_a_whole(session, actor, hosted):
    from panel.services import admins

    admin = admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"])
    session.commit()
    dora = Actor.from_admin(admin)
    data = "email,password\nmine@example.org,secret123\ntheirs@limited.org,secret123\n"
    result = do_import(session, dora, data)
    assert result.problems == ["line 3: email: limited.org is not one of your domains"]
    assert mailbox_count(session) == 0
    assert do_import(session, dora, "email,password\nmine@example.org,secret123\n").ok
    assert mailbox_count(session) == 1


def test_domain_admin_cannot_create_domains(session, actor, hosted):
    from panel.services import admins

    admin = admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"])
    session.commit()
    result = do_import(session, Actor.from_admin(admin), "email,password\nx@new.org,secret123\n", create_domains=True)
    # The answer for another tenant's domain, too (test above): no domain is theirs to learn of.
    assert result.problems == ["line 2: email: new.org is not one of your domains"]


def test_helpdesk_cannot_import(session, actor, hosted):
    helpdesk = Actor("helen", Role.HELPDESK, None)
    result = do_import(session, helpdesk, "email,password\nx@example.org,secret123\n")
    assert result.problems == ["line 2: email: you do not manage this domain"]


def test_a_value_the_database_refuses_during_the_write_is_a_line_error_without_the_value():
    # Defence in depth behind the checks: what the database refuses (the
    # over-long hash above, before it was checked) fails the import cleanly.
    from sqlalchemy.exc import DataError

    from panel.bulk import importer

    with pytest.raises(importer.ImportFailed) as raised:
        with importer._guard(7):
            raise DataError("INSERT INTO mailboxes ...", {"password_hash": "{X}other-rows-hash"}, Exception("too long"))
    assert raised.value.problems == ["line 7: the database refused a value (of this row or a later one)"]
