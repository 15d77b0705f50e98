"""New addresses use the narrower alphabet on every road in (services, CLI,
CSV import); a stored address of any RFC 5321 shape stays reachable.

Rows made before the rule are simulated by renaming a row in SQL, the only
way such an address can still come to exist."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from sqlalchemy import select, update

from panel import passwords
from panel.addresses import NEW_LOCAL_SPECIALS
from panel.models import Alias, Mailbox
from panel.services import ServiceError, aliases, domains, mailboxes
from tests.bulk.imports import do_import
from tests.test_addresses import REFUSED_IN_NEW


@pytest.fixture
def domain(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    return "example.org"


def stored_mailbox(session, actor, address: str) -> str:
    """A mailbox at ``address``, which the services would no longer create."""
    mailboxes.create_mailbox(session, actor, "placeholder@example.org", password="secret123")
    session.execute(
        update(Mailbox)
        .where(Mailbox.address == "placeholder@example.org")
        .values(address=address, local_part=address.split("@")[0])
    )
    session.commit()
    return address


def stored_alias(session, actor, address: str, destination: str) -> str:
    aliases.create_alias(session, actor, "placeholder@example.org", [destination])
    session.execute(update(Alias).where(Alias.address == "placeholder@example.org").values(address=address))
    session.commit()
    return address


@pytest.mark.parametrize("special", list(REFUSED_IN_NEW))
def test_the_services_refuse_a_new_mailbox_or_alias_with_a_refused_character(session, actor, domain, special):
    with pytest.raises(ServiceError) as refused:
        mailboxes.create_mailbox(session, actor, f"a{special}b@example.org", password="secret123")
    assert f"{special!r} is not allowed" in refused.value.fields["address"]
    with pytest.raises(ServiceError) as refused:
        aliases.create_alias(session, actor, f"a{special}b@example.org", ["x@example.net"])
    assert f"{special!r} is not allowed" in refused.value.fields["address"]
    session.rollback()
    assert session.scalar(select(Mailbox.id)) is None and session.scalar(select(Alias.id)) is None


def test_the_services_take_every_allowed_character(session, actor, domain):
    for special in NEW_LOCAL_SPECIALS:
        mailboxes.create_mailbox(session, actor, f"a{special}b@example.org", password="secret123")
        aliases.create_alias(session, actor, f"l{special}b@example.org", [f"a{special}b@example.org"])
    session.commit()
    assert len(session.scalars(select(Mailbox.address)).all()) == len(NEW_LOCAL_SPECIALS)


def test_an_alias_may_deliver_to_any_rfc_address_elsewhere(session, actor, domain):
    alias = aliases.create_alias(session, actor, "out@example.org", ["a/b!c@example.net", "x=y@example.com"])
    assert alias.goto == "a/b!c@example.net,x=y@example.com"


def test_a_stored_mailbox_of_any_shape_is_found_changed_and_deleted(session, actor, domain):
    for special in REFUSED_IN_NEW:
        address = stored_mailbox(session, actor, f"x{special}y@example.org")
        mailbox = mailboxes.get_mailbox(session, actor, address)
        mailboxes.update_mailbox(session, actor, mailbox, name="Old Row", active=False)
        mailboxes.set_password(session, actor, mailbox, password="new-secret-1")
        session.commit()
        assert passwords.verify("new-secret-1", mailbox.password_hash) and not mailbox.active
        mailboxes.delete_mailbox(session, actor, mailbox)
        session.commit()
    assert session.scalar(select(Mailbox.id)) is None


def test_the_cli_refuses_a_refused_character_in_one_line_and_creates_nothing(runner, session, domain):
    result = runner.invoke(args=["mailbox", "add", "a/b@example.org", "--password-stdin"], input="secret123\n")
    assert result.exit_code != 0
    assert "'/' is not allowed in a new address: use letters, digits and . _ - + '" in result.output
    result = runner.invoke(args=["alias", "add", "a!b@example.org", "x@example.net"])
    assert result.exit_code != 0 and "'!' is not allowed" in result.output
    assert session.scalar(select(Mailbox.id)) is None and session.scalar(select(Alias.id)) is None


def test_the_cli_manages_a_stored_mailbox_and_alias_of_any_shape(runner, session, actor, domain):
    address = stored_mailbox(session, actor, "a/b#c@example.org")
    stored_alias(session, actor, "l/s?t@example.org", address)
    for args, stdin in (
        (["mailbox", "passwd", address, "--password-stdin"], "brand-new-1\n"),
        (["mailbox", "disable", address], None),
        (["mailbox", "enable", address], None),
        (["alias", "delete", "l/s?t@example.org"], None),
        (["mailbox", "delete", address], None),
    ):
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 0, (args, result.output)
    session.expire_all()
    assert session.scalar(select(Mailbox.id)) is None and session.scalar(select(Alias.id)) is None


def test_csv_import_refuses_refused_characters_per_line_and_imports_nothing(session, actor, domain):
    data = (
        "email,password,aliases\n"
        "good@example.org,secret123,\n"
        "a/b@example.org,secret123,\n"
        "ok@example.org,secret123,l=st@example.org\n"
    )
    result = do_import(session, actor, data)
    assert result.problems == [
        "line 3: email: '/' is not allowed in a new address: use letters, digits and . _ - + '",
        "line 4: aliases: l=st@example.org: '=' is not allowed in a new address: use letters, digits and . _ - + '",
    ]
    assert session.scalar(select(Mailbox.id)) is None


def test_csv_import_updates_a_stored_mailbox_of_any_shape(session, actor, domain):
    address = stored_mailbox(session, actor, "a/b%c@example.org")
    result = do_import(session, actor, f"email,name,active\n{address},Kept,false\n", update=True)
    assert result.ok, result.problems
    mailbox = mailboxes.get_mailbox(session, actor, address)
    assert (mailbox.name, mailbox.active) == ("Kept", False)


def test_dovecot_accepts_at_login_exactly_what_a_new_address_may_hold():
    conf = (Path(__file__).resolve().parent.parent / "deploy" / "dovecot" / "dovecot.conf.in").read_text()
    [chars] = re.findall(r'^auth_username_chars = "([^"]+)"$', conf, re.M)
    assert set(chars) == set(string.ascii_letters + string.digits + "@" + NEW_LOCAL_SPECIALS)
    # No subaddressing: LMTP must look the whole address up.
    assert re.search(r"^recipient_delimiter =$", conf, re.M)
