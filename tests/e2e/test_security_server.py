"""Security (issue 5, part 3): `binc serve` hardens Streamlit whatever the config files and
STREAMLIT_* variables around it say, checked in its effective config and over HTTP. (The flags it
passes and the host names it allows: tests/spec/test_serve_config.py.)

The hostile environment (tests/support/security_world.py) has a user config, a config in the working
directory and STREAMLIT_* variables that all switch the protections off. Checked by hand once
(2026-11-29): a plain `streamlit run` with only `enableCORS = false` answers the same requests
with `Access-Control-Allow-Origin: *`, sets no XSRF cookie and accepts the evil WebSocket, so
these checks do tell a weak server from a hardened one.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO
from support.proxy import stop
from support.security_world import hostile_environment
from support.small_release import small_release

from binc.serving import HARDENING

EVIL_ORIGIN = "http://evil.example"


@pytest.fixture(scope="module")
def release():
    return small_release()[0]


# `binc serve ARGS`, reporting Streamlit's effective options once they are loaded, just before
# the server starts. It runs in a folder with a hostile .streamlit/config.toml: an installed
# `binc serve` has no repository to read settings from, so its flags must carry every one.
SERVE_AND_REPORT = """
import json, os, sys
from streamlit import config
from streamlit.web import bootstrap
from binc.serving import HARDENING
real_run = bootstrap.run
def report_then_serve(*args, **kwargs):
    names = [*HARDENING, "server.maxMessageSize"]
    effective = {n: config.get_option(n) for n in names}
    print("EFFECTIVE " + json.dumps(effective), flush=True)
    return real_run(*args, **kwargs)
bootstrap.run = report_then_serve
from binc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_serve_configuration_wins_over_hostile_config_files_and_variables(served):
    _, log = served
    line = next((x for x in log.read_text().splitlines() if x.startswith("EFFECTIVE ")), None)
    assert line is not None, log.read_text()
    effective = json.loads(line.removeprefix("EFFECTIVE "))
    assert effective.pop("server.maxMessageSize") == 7  # the control: hostile files were read
    assert {k: str(v).lower() for k, v in effective.items()} == HARDENING


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(port: int, method: str, path: str, headers: dict[str, str]):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _websocket_status(port: int, origin: str) -> str:
    return _websocket_status_as(port, f"127.0.0.1:{port}", origin)


@pytest.fixture(scope="module")
def served(release, tmp_path_factory):
    """`binc serve --release R` on a free localhost port, started in the hostile environment:
    (port, log file)."""
    base = tmp_path_factory.mktemp("serve")
    env, cwd = hostile_environment(base)
    port = _free_port()
    log = base / "serve.log"
    with _serving([sys.executable, "-c", SERVE_AND_REPORT, "serve", "--release", str(release),
                   "--port", str(port)], cwd, env, port, log):  # fmt: skip
        yield port, log


@contextlib.contextmanager
def _serving(command: list[str], cwd: Path, env: dict[str, str], port: int, log: Path):
    """Run `command` (a `binc serve`), writing its output to `log`, until /_stcore/health answers;
    stop it on exit."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/_stcore/health", {})[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"binc serve did not come up: {log.read_text()}")
            time.sleep(0.2)
        yield
    finally:
        stop(process)


def test_health_sets_the_xsrf_cookie_and_no_cross_origin_grant(served):
    port, _ = served
    status, headers, body = _request(port, "GET", "/_stcore/health", {"Origin": EVIL_ORIGIN})
    assert (status, body) == (200, b"ok")
    assert headers.get("access-control-allow-origin") is None
    assert "_streamlit_xsrf=" in headers.get("set-cookie", "")
    preflight = _request(port, "OPTIONS", "/_stcore/health",
                         {"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert preflight[1].get("access-control-allow-origin") is None


def test_websocket_only_from_the_servers_own_origin(served):
    port, _ = served
    assert _websocket_status(port, f"http://127.0.0.1:{port}").endswith("101 Switching Protocols")
    assert _websocket_status(port, EVIL_ORIGIN).endswith("403 Forbidden")


def test_no_upload_without_xsrf_token_and_no_agent_api(served):
    port, _ = served
    status, _, _ = _request(
        port, "PUT", "/_stcore/upload_file/session/file", {"Origin": EVIL_ORIGIN}
    )
    assert status == 403
    _, _, body = _request(port, "GET", "/_stcore/agent/openapi.json", {})
    assert json.loads(body)["info"]["x-streamlit-agent-api"] == "disabled"


# --- no network call at run time; DNS-rebinding protection (server.allowedHosts) -----------------

# `binc serve ARGS` with Streamlit's only outgoing request (net_util._make_blocking_http_get, used
# by get_external_ip to ask checkip.amazonaws.com) replaced by a spy that reports every call.
SERVE_WATCHING_THE_NETWORK = """
import sys
from streamlit import net_util
def spy(url, timeout=5):
    print("NETWORK " + url, flush=True)
    return None
net_util._make_blocking_http_get = spy
from binc.cli import main
sys.exit(main(sys.argv[1:]))
"""
DEPLOYMENT_HOST = "statistiek.example.be"
DEPLOYMENT_HOST_FROM_ENV = "intranet.example.be"


@pytest.fixture(scope="module")
def served_on_all_interfaces(release, tmp_path_factory):
    """`binc serve` on 0.0.0.0 (where Streamlit's banner would show an "External URL"), with one
    deployment name from --allowed-host and one from BINC_ALLOWED_HOSTS: (port, log file)."""
    base = tmp_path_factory.mktemp("serve-wildcard")
    port = _free_port()
    log = base / "serve.log"
    env = {**os.environ, "BINC_ALLOWED_HOSTS": DEPLOYMENT_HOST_FROM_ENV, "PYTHONPATH": str(REPO)}
    argv = ["serve", "--release", str(release), "--port", str(port), "--address", "0.0.0.0",
            "--allowed-host", DEPLOYMENT_HOST]  # fmt: skip
    with _serving([sys.executable, "-c", SERVE_WATCHING_THE_NETWORK, *argv], base, env, port, log):
        time.sleep(1)  # the banner is printed just after the server starts
        yield port, log


def _websocket_status_as(port: int, host: str, origin: str) -> str:
    """The status line of a WebSocket handshake with this Host header and Origin."""
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: streamlit\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(handshake.encode())
        return connection.recv(4096).decode(errors="replace").split("\r\n")[0]


def test_no_network_call_while_starting_or_refusing_a_foreign_origin(served_on_all_interfaces):
    """Streamlit looks up the external IP for its banner and for every WebSocket from a foreign
    origin; `binc serve` does neither, and still refuses the foreign origin."""
    port, log = served_on_all_interfaces
    status = _websocket_status_as(port, f"127.0.0.1:{port}", EVIL_ORIGIN)
    assert status.endswith("403 Forbidden")
    time.sleep(0.5)
    text = log.read_text()
    assert "binc serve: release" in text  # the control: this is the server's log
    assert [x for x in text.splitlines() if x.startswith("NETWORK ")] == []
    assert "External URL" not in text


def test_websocket_only_for_allowed_host_names(served_on_all_interfaces):
    """DNS rebinding: evil.example resolving to this machine gives a same-origin request whose
    Host is evil.example; the WebSocket (everything the dashboard shows) is refused."""
    port, _ = served_on_all_interfaces
    for host in ("localhost", "127.0.0.1", DEPLOYMENT_HOST, DEPLOYMENT_HOST_FROM_ENV):
        status = _websocket_status_as(port, f"{host}:{port}", f"http://{host}:{port}")
        assert status.endswith("101 Switching Protocols"), host
    for host in ("evil.example", "statistiek.example.be.evil.example"):
        status = _websocket_status_as(port, f"{host}:{port}", f"http://{host}:{port}")
        assert status.endswith("403 Forbidden"), host
