"""deploy/sudoers-mailpanel lets the panel's user run exactly the command
lines panel/mailtools.py builds, as root, and nothing else (checked with
the real sudo: ``visudo -c`` and ``sudo -l -U mailpanel COMMAND``)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from panel.mailtools import MailTools

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
    for argv in ([tools.postqueue, "-j"], [tools.postqueue, "-f"], [tools.postqueue, "-i", "C3EBD1622BE"],
                 [tools.postqueue, "-i", "4Wj3Rr1mPBzFbYd"], [tools.postcat, "-q", "C3EBD1622BE"],
                 *([tools.postsuper, flag, "-"] for flag in ("-h", "-H", "-r", "-d"))):
        assert allowed(argv), argv


@pytest.mark.parametrize("argv", [
    ["/usr/sbin/postsuper", "-d", "ALL"],
    ["/usr/sbin/postsuper", "-d", "-", "-c", "/tmp/evil"],
    ["/usr/sbin/postsuper", "-s"],
    ["/usr/sbin/postcat", "-q", "C3EBD1622BE", "-c", "/tmp/evil"],
    ["/usr/sbin/postcat", "/etc/shadow"],
    ["/usr/sbin/postqueue", "-j", "-c", "/tmp/evil"],
    ["/usr/sbin/postqueue", "-i", "C3EBD1622BE", "-c", "/tmp/evil"],
    ["/usr/sbin/postfix", "stop"],
    ["/bin/sh", "-c", "id"],
])
def test_anything_else_is_refused(installed_rules, argv):
    assert not allowed(argv)
