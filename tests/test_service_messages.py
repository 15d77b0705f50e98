"""Service messages keep their English and the template a page translates."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from panel.languages import Message
from panel.models import Role
from panel.services import admins, mailbox_bulk
from panel.services.errors import ServiceError


def test_a_message_with_values_reads_as_before_and_keeps_its_template():
    message = mailbox_bulk.too_many_message(SimpleNamespace(name="example.org"))
    assert isinstance(message, Message)
    assert message.startswith("one bulk action changes at most 1000 mailboxes:")
    assert message.endswith("use the command line for all of example.org")
    assert "%(domain)s" in message.template and message.values["domain"] == "example.org"


def test_the_count_of_failing_rows_picks_the_form_and_the_english_stays():
    one = mailbox_bulk.BulkRefused(None, 5, {"a@example.org": "is disabled"})
    two = mailbox_bulk.BulkRefused(None, 5, {"a@example.org": "x", "b@example.org": "y"})
    assert one.message == "nothing was changed: 1 of the 5 mailboxes cannot be changed"
    assert two.message == "nothing was changed: 2 of the 5 mailboxes cannot be changed"
    assert isinstance(one.message.template, tuple) and one.message.values["count"] == 1


@pytest.mark.parametrize(
    ("role", "words"),
    [
        (Role.DOMAINADMIN, "a domain admin needs at least one domain, or all domains"),
        (Role.HELPDESK, "a helpdesk account needs at least one domain, or all domains"),
    ],
)
def test_each_role_has_its_whole_sentence(role, words):
    with pytest.raises(ServiceError) as refused:
        admins._check_scope(role, [], False)
    assert refused.value.fields == {"domains": words}
