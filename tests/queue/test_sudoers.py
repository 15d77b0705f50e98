"""deploy/sudoers-mailpanel lets the panel's user run exactly the command
lines panel/mailtools.py builds, as root, and nothing else (checked with
the real sudo: ``visudo -c`` and ``sudo -l -U mailpanel COMMAND``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from panel.mailserver.tools import MailToolError, MailTools

SNIPPET = Path(__file__).resolve().parents[2] / "deploy" / "sudoers-mailpanel"
INSTALLED = Path("/etc/sudoers.d/zz-mailpanel-test")
USER = "mailpanel"


@pytest.fixture(scope="module")
def installed_rules():
    subprocess.run(["visudo", "-c", "-f", str(SNIPPET)], check=True, capture_output=True)
    if subprocess.run(["getent", "passwd", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
    shutil.copyfile(SNIPPET, INSTALLED)
    INSTALLED.chmod(0o440)
    try:
        yield
    finally:
        INSTALLED.unlink()


def allowed(argv: list[str]) -> bool:
    return subprocess.run(["sudo", "-l", "-U", USER, *argv], capture_output=True, timeout=30).returncode == 0


def test_every_command_the_panel_builds_is_allowed(installed_rules):
    tools = MailTools()
    for argv in (
        [tools.postqueue, "-j"],
        [tools.postqueue, "-f"],
        [tools.postqueue, "-i", "C3EBD1622BE"],
        [tools.postqueue, "-i", "4Wj3Rr1mPBzFbYd"],
        [tools.postcat, "-q", "C3EBD1622BE"],
        *([tools.postsuper, flag, "-"] for flag in ("-h", "-H", "-r", "-d")),
    ):
        assert allowed(argv), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/sbin/postsuper", "-d", "ALL"],
        ["/usr/sbin/postsuper", "-d", "-", "-c", "/tmp/evil"],
        ["/usr/sbin/postsuper", "-s"],
        ["/usr/sbin/postcat", "-q", "C3EBD1622BE", "-c", "/tmp/evil"],
        ["/usr/sbin/postcat", "/etc/shadow"],
        ["/usr/sbin/postqueue", "-j", "-c", "/tmp/evil"],
        ["/usr/sbin/postqueue", "-i", "C3EBD1622BE", "-c", "/tmp/evil"],
        ["/usr/sbin/postfix", "stop"],
        ["/bin/sh", "-c", "id"],
    ],
)
def test_anything_else_is_refused(installed_rules, argv):
    assert not allowed(argv)


def test_the_panel_runs_through_sudo_as_its_own_user(installed_rules):
    # runuser makes the command ours-as-mailpanel; "sudo -n" is the prefix
    # production uses. An allowed command gets past sudo (it may still fail
    # in Postfix if no mail system is configured yet, but not in sudo); one
    # outside the rules is refused by sudo, and the page says so.
    as_panel = ("runuser", "-u", USER, "--", "sudo", "-n")
    allowed_tools = MailTools(prefix=as_panel, timeout=30)
    try:
        allowed_tools.postsuper_action("hold", ["ABCDEF123456"])
    except MailToolError as exc:
        assert "sudo" not in str(exc), exc
    sneaky = MailTools(prefix=as_panel, postcat="/bin/cat", timeout=30)
    with pytest.raises(MailToolError) as refused:
        sneaky.show_message("ABCDEF123456")
    assert refused.value.reason == "refused"
    assert "sudo: a password is required" in str(refused.value)


def test_the_status_checks_lookups_are_allowed(installed_rules):
    for argv in (
        ["/usr/sbin/postmap", "-q", "e2e.test", "pgsql:/etc/postfix/mailstack/postfix-domains.cf"],
        ["/usr/sbin/postmap", "-q", "status-probe@e2e.test", "sqlite:/etc/postfix/mailstack/postfix-catchall.cf"],
        ["/usr/bin/doveadm", "user", "o'neil+x@e2e.test"],
        ["/usr/bin/doveadm", "auth", "lookup", "bob@e2e.test"],
    ):
        assert allowed(argv), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/sbin/postmap", "-q", "x", "pgsql:/tmp/evil.cf"],
        ["/usr/sbin/postmap", "-q", "x", "pgsql:/etc/postfix/mailstack/../../shadow.cf"],
        ["/usr/sbin/postmap", "-q", "x", "pgsql:/etc/postfix/mailstack/a.cf", "-c", "/tmp"],
        ["/usr/sbin/postmap", "/etc/postfix/mailstack/postfix-domains.cf"],
        ["/usr/bin/doveadm", "user", "bob@e2e.test", "-c", "/tmp/evil.conf"],
        ["/usr/bin/doveadm", "auth", "test", "bob@e2e.test", "secret"],
        ["/usr/bin/doveadm", "stop"],
    ],
)
def test_status_lookups_of_another_shape_are_refused(installed_rules, argv):
    assert not allowed(argv)
