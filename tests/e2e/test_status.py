"""The status checks, /health and the queue page on the real mail stack:
all well while it runs; Postfix stopped (by deploy/mailstack itself, started
again before the test ends, so the shared stack is left as found) fails its
check, `flask status` exits 1 naming it, /health is 503 and the queue page
says Postfix is not running."""

from __future__ import annotations

import pytest

from panel.services import status
from tests.helpers import client_as

pytestmark = pytest.mark.e2e


def _states(app, session) -> dict[str, str]:
    status.clear_cache()
    return {r.name: r.state for r in status.run_all(session, app.config)}


def test_checks_while_the_stack_runs_and_with_postfix_stopped(mail, app, session, cli, runner, world):
    running = _states(app, session)
    assert {k: running[k] for k in ("postfix", "dovecot", "database", "queue_size", "postfix_log")} == dict.fromkeys(
        ("postfix", "dovecot", "database", "queue_size", "postfix_log"), "ok"
    )
    assert app.test_client().get("/health").status_code == 200
    mail.command("stop")
    try:
        assert _states(app, session)["postfix"] == "failing"
        result = runner.invoke(args=["status"])
        assert result.exit_code == 1 and "Postfix is not running" in result.output
        status.clear_cache()
        assert app.test_client().get("/health").status_code == 503
        page = client_as(app, "superadmin").get("/queue/")
        assert page.status_code == 503 and "Postfix is not running" in page.get_data(as_text=True)
        assert "Flush the whole queue" not in page.get_data(as_text=True)
    finally:
        mail.command("start")
    assert _states(app, session)["postfix"] == "ok"
