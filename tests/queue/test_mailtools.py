"""The one module that runs postqueue/postsuper/postcat: argument lists,
validated ids, a timeout, the prefix, and clear errors."""

from __future__ import annotations

import pytest

from panel.mailserver.tools import MailToolError, MailTools, is_queue_id, validate_queue_ids
from tests.queue.queue_fakes import queue_line


@pytest.mark.parametrize(
    "queue_id", ["C3EBD1622BE", "4A5B6C", "0123456789ABCDEF0123", "4Wj3Rr1mPBzFbYd", "3yQ1XsZ0kGz9X", "BCDFGHJKLMz0"]
)
def test_short_and_long_queue_ids_are_accepted(queue_id):
    assert is_queue_id(queue_id)


@pytest.mark.parametrize(
    "queue_id",
    [
        "",
        "ALL",
        "-d",
        "c3ebd1622be",
        "C3EB",
        "C3EBD1622BE; rm -rf /",
        "../../etc/passwd",
        "C3EBD1622BE\nALL",
        "4Wj3Rr1mPBzFbYdz",
        "AEIOUaeiouz1",
        "4Wj3Rr1mPBxFbYd",
        "X" * 60,
        "C3EBD 1622BE",
        "<script>",
    ],
)
def test_anything_else_is_refused_before_a_command_runs(queue_id, fake_queue):
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    with pytest.raises(MailToolError) as refused:
        tools.postsuper_action("delete", [queue_id])
    assert refused.value.reason == "invalid"
    assert fake_queue.calls() == []


def test_postsuper_gets_an_argument_list_and_the_ids_on_stdin(fake_queue):
    fake_queue.write([queue_line(1), queue_line(2), queue_line(3)])
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))

    result = tools.postsuper_action("hold", ["A000001", "A000002", "A000001"])

    assert fake_queue.calls() == [{"argv": ["/usr/sbin/postsuper", "-h", "-"], "stdin": "A000001\nA000002\n"}]
    assert result.ids == ("A000001", "A000002")
    assert result.affected == 2
    assert [m["queue_name"] for m in fake_queue.messages()] == ["hold", "hold", "deferred"]


def test_retry_runs_postqueue_i_once_per_id(fake_queue):
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    tools.retry(["A000001", "A000002"])
    assert [c["argv"] for c in fake_queue.calls()] == [
        ["/usr/sbin/postqueue", "-i", "A000001"],
        ["/usr/sbin/postqueue", "-i", "A000002"],
    ]


def test_the_prefix_is_split_like_a_shell_would_but_never_run_by_one():
    tools = MailTools.from_config({"QUEUE_COMMAND_PREFIX": "sudo -n", "QUEUE_COMMAND_TIMEOUT": "5"})
    assert tools.command(tools.postsuper, "-d", "-") == ["sudo", "-n", "/usr/sbin/postsuper", "-d", "-"]
    assert tools.timeout == 5.0
    assert MailTools.from_config({"QUEUE_COMMAND_TIMEOUT": "soon"}).timeout == 30.0
    assert MailTools.from_config({}).prefix == ()


def test_queue_listing_is_streamed_line_by_line(fake_queue):
    fake_queue.write([queue_line(n) for n in range(300)])
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    with tools.queue_lines() as lines:
        first = next(lines)
        rest = sum(1 for _ in lines)
    assert b'"queue_id": "A000000"' in first
    assert rest == 299


def test_stopping_early_is_not_an_error(fake_queue):
    fake_queue.write([queue_line(n) for n in range(20000)])
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    with tools.queue_lines() as lines:
        assert next(lines)


def test_a_missing_program_is_a_clear_error():
    tools = MailTools(postqueue="/nonexistent/postqueue")
    with pytest.raises(MailToolError) as missing:
        with tools.queue_lines() as lines:
            list(lines)
    assert missing.value.reason == "missing"
    assert "postqueue" in str(missing.value) and "not installed" in str(missing.value)


def test_a_refusal_carries_the_programs_message(fake_queue):
    fake_queue.mode("fail")
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    with pytest.raises(MailToolError) as refused:
        tools.flush()
    assert refused.value.reason == "refused"
    assert "postqueue refused: sudo: a password is required" == str(refused.value)
    with pytest.raises(MailToolError) as listing:
        with tools.queue_lines() as lines:
            list(lines)
    assert listing.value.reason == "refused"


def test_a_hanging_program_is_killed_after_the_timeout(fake_queue):
    fake_queue.mode("sleep")
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()), timeout=0.5)
    with pytest.raises(MailToolError) as slow:
        with tools.queue_lines() as lines:
            list(lines)
    assert slow.value.reason == "timeout"
    with pytest.raises(MailToolError) as slow_action:
        tools.postsuper_action("delete", ["A000001"])
    assert slow_action.value.reason == "timeout"


def test_postcat_output_is_capped(fake_queue):
    fake_queue.write([queue_line(1, content="Subject: big\n\n" + "x" * 100_000)])
    tools = MailTools(prefix=tuple(fake_queue.prefix.split()))
    content, cut = tools.show_message("A000001", cap=1000)
    assert len(content) == 1000 and cut
    content, cut = tools.show_message("A000001")
    assert not cut and content.endswith(b"x")


def test_validate_queue_ids_keeps_order_and_drops_duplicates():
    assert validate_queue_ids([" B00001 ", "A00001", "B00001"]) == ["B00001", "A00001"]
