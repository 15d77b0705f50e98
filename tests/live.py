"""A live panel for browser tests: the app on a loopback port, and a
Chromium page logged in to it (console errors fail the test)."""

from __future__ import annotations

import contextlib
import threading

from werkzeug.serving import make_server


@contextlib.contextmanager
def live_server(app):
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextlib.contextmanager
def logged_in_page(chromium, base: str, username: str, password: str, **context_options):
    """A fresh browser context, logged in through the real login form.

    Script errors and CSP violations reach the console, so any console error
    fails the test when the page is done."""
    with contextlib.closing(chromium.new_context(**context_options)) as context:
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(base + "/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        # The dashboard, or a one-domain admin's domain (where they land).
        page.wait_for_url(lambda url: url.startswith(base + "/") and "/login" not in url)
        yield page
        assert errors == []


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(database_url: str, workers: int = 4, log=None, **settings: str):
    """The panel as deployed: gunicorn's sync workers (deploy/mailpanel.service)
    on 127.0.0.1, serving ``database_url``; yields the base URL. ``settings``
    are MAILPANEL_* variables (without the prefix); ``log``, an open file,
    receives gunicorn's and the app's log (default: the test's stderr)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    env = dict(os.environ, MAILPANEL_DATABASE_URL=database_url, MAILPANEL_SECRET_KEY="live-test-secret")
    env.update({f"MAILPANEL_{k}": str(v) for k, v in settings.items()})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "panel:create_app()",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
