"""deploy/nginx-mailpanel.conf is a configuration nginx accepts and runs:
the snippet itself (loopback ports, a throw-away certificate) proxies the
mail client set-up paths of autoconfig.* and autodiscover.*, in any case,
to the panel, and nothing else of those names."""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SNIPPET = Path(__file__).parents[1] / "deploy" / "nginx-mailpanel.conf"
NAMES = ("autoconfig.example.org", "autodiscover.example.org", "panel.example.org")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Panel(BaseHTTPRequestHandler):
    """Stands in for gunicorn: records what reached it."""

    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers["Host"], self.headers["X-Forwarded-Proto"]))
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"panel")

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    san = ",".join(f"DNS:{name}" for name in NAMES)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=autoconfig.example.org",
        ]
        + ["-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def _site(tmp_path, cert, key, http_port, https_port, upstream_port) -> Path:
    """The snippet with loopback ports, the test certificate and the test panel."""
    text = SNIPPET.read_text()
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.M)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    text = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", text)
    text = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", text)
    assert text.count("proxy_pass http://127.0.0.1:8000;") == 2  # the panel and the client set-up names
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    site = tmp_path / "site.conf"
    site.write_text(text)
    main = tmp_path / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\n{temps}include {site};\n}}\n"
    )
    return main


@pytest.fixture
def nginx(tmp_path, certificate):
    ports = {"http": _free_port(), "https": _free_port()}
    panel = ThreadingHTTPServer(("127.0.0.1", 0), _Panel)
    _Panel.seen = []
    threading.Thread(target=panel.serve_forever, daemon=True).start()
    main = _site(tmp_path, *certificate, ports["http"], ports["https"], panel.server_address[1])
    base = ["nginx", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", ports["https"]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield ports, certificate[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
        panel.shutdown()


def _https(ports, cafile, host: str) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(cafile))
    connection = http.client.HTTPSConnection("127.0.0.1", ports["https"], context=context, timeout=10)
    # Verify the certificate against the name the client asked for, as a client would.
    connection.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", ports["https"]), timeout=10), server_hostname=host
    )
    return connection


def _ask(connection, method: str, path: str, host: str, body: bytes | None = None) -> int:
    connection.request(method, path, body=body, headers={"Host": host})
    response = connection.getresponse()
    response.read()
    return response.status


def test_nginx_serves_the_client_set_up_paths_of_autoconfig_and_autodiscover_to_the_panel(nginx):
    ports, cafile = nginx
    plain = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
    query = "?emailaddress=alice@example.org"
    assert _ask(plain, "GET", "/.well-known/autoconfig/mail/config-v1.1.xml" + query, NAMES[0]) == 200
    assert _ask(plain, "GET", "/mail/config-v1.1.xml" + query, NAMES[0]) == 200
    secure = _https(ports, cafile, NAMES[1])
    assert _ask(secure, "POST", "/Autodiscover/Autodiscover.xml", NAMES[1], b"<x/>") == 200
    assert _ask(secure, "GET", "/AUTODISCOVER/autodiscover.json?Email=a@example.org", NAMES[1]) == 200
    outlook = "/Autodiscover/Autodiscover.json/v1.0/a@example.org?Protocol=AutodiscoverV1"  # what current Outlook asks
    assert _ask(secure, "GET", outlook, NAMES[1]) == 200
    assert _ask(secure, "GET", "/admins/", NAMES[1]) == 404  # the panel itself is not behind these names
    assert _ask(plain, "GET", "/login", NAMES[0]) == 404
    assert _Panel.seen == [
        ("GET", "/.well-known/autoconfig/mail/config-v1.1.xml" + query, NAMES[0], "http"),
        ("GET", "/mail/config-v1.1.xml" + query, NAMES[0], "http"),
        ("POST", "/Autodiscover/Autodiscover.xml", NAMES[1], "https"),
        ("GET", "/AUTODISCOVER/autodiscover.json?Email=a@example.org", NAMES[1], "https"),
        ("GET", outlook, NAMES[1], "https"),
    ]


def test_nginx_still_sends_the_panel_name_to_https_and_proxies_it(nginx):
    ports, cafile = nginx
    plain = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
    assert _ask(plain, "GET", "/login", NAMES[2]) == 301
    assert _ask(_https(ports, cafile, NAMES[2]), "GET", "/login", NAMES[2]) == 200
    assert _Panel.seen == [("GET", "/login", NAMES[2], "https")]
