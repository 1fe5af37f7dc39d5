"""The public deployment in miniature: `binc serve` on a loopback port behind Debian's nginx,
configured from deploy/nginx/binc.conf, with a throwaway self-signed certificate.

Used by tests/e2e/test_proxy.py and benchmarks/proxy_first_chart.py. Everything lives in one
temporary folder: nginx runs in the foreground (`daemon off`) with its own prefix, pid file, logs
and temporary paths there, so it touches nothing of a system nginx, and it is stopped with the
server when the `deployment()` block ends.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support import REPO

TEMPLATE = REPO / "deploy" / "nginx" / "binc.conf"
NAME = "binc.test"  # the public name in the tests (.test is reserved: it never resolves)
NGINX = Path("/usr/sbin/nginx")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
CHROMIUM = Path("/usr/bin/chromium")
# What CI must install (.ci/run) for the proxy test and benchmark.
APT_PACKAGES = "nginx libnginx-mod-http-brotli-filter openssl"
APT_LINE = f"apt-get install -y --no-install-recommends {APT_PACKAGES}"
LOOPBACK = "127.0.0.1"


def missing_tools() -> list[str]:
    """What the deployment needs that this machine lacks, each with the package that brings it."""
    missing = []
    if not NGINX.exists():
        missing.append(f"{NGINX} (Debian package nginx)")
    if not BROTLI_MODULE.exists():
        missing.append(f"{BROTLI_MODULE} (Debian package libnginx-mod-http-brotli-filter)")
    if shutil.which("openssl") is None:
        missing.append("openssl (Debian package openssl)")
    return missing


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def render(template: str, values: dict[str, str]) -> str:
    """The template with every @PLACEHOLDER@ filled in; ValueError for one without a value."""
    text = template
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        raise ValueError(f"placeholders without a value: {left}")
    return text


def self_signed_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A throwaway certificate for `name` (subjectAltName), valid for a day: (certificate, key)."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def nginx_main_config(folder: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site file, with every path that
    nginx writes under `folder`."""
    temp = folder / "temp"
    for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / kind).mkdir(parents=True, exist_ok=True)
    # As root, nginx would hand its workers to `nobody`, who cannot enter a private temporary
    # folder (large proxied answers such as Plotly's chunk are buffered to proxy_temp_path).
    user = "user root;\n" if os.geteuid() == 0 else ""
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
load_module {BROTLI_MODULE};
events {{ worker_connections 512; }}
http {{
    {mime}
    default_type application/octet-stream;
    log_format timed '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     'request_time=$request_time upstream=$upstream_response_time '
                     'connect=$upstream_connect_time cache=$upstream_cache_status';
    access_log {folder}/access.log timed;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
            return
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}:\n"
                               f"{log.read_text()[-3000:]}")  # fmt: skip
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not open port {port} in {timeout:g} s:\n"
                               f"{log.read_text()[-3000:]}")  # fmt: skip
        time.sleep(0.1)


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("GET", "/_stcore/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def children(pid: int) -> list[int]:
    """The process ids of `pid`'s children (nginx's workers)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Whether `pid` is a running process (a zombie counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def stop(process: subprocess.Popen) -> None:
    """Terminate a server process, and kill it if it does not end within 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@dataclass
class Deployment:
    """A running `binc serve` behind nginx. `url` is the public address (https://NAME:PORT/);
    browsers must map NAME to 127.0.0.1 (`chromium_args`)."""

    folder: Path
    name: str
    https_port: int
    http_port: int
    upstream_port: int
    certificate: Path
    serve: subprocess.Popen
    nginx: subprocess.Popen
    nginx_workers: list[int]

    @property
    def url(self) -> str:
        return f"https://{self.name}:{self.https_port}/"

    @property
    def direct_url(self) -> str:
        return f"http://{LOOPBACK}:{self.upstream_port}/"

    @property
    def chromium_args(self) -> list[str]:
        return [f"--host-resolver-rules=MAP {self.name} {LOOPBACK}"]

    def pids(self) -> list[int]:
        return [self.serve.pid, self.nginx.pid, *self.nginx_workers]

    def _connect(self, name: str | None, https: bool) -> socket.socket:
        """A connection to nginx as a browser on `name` would open it: TLS with SNI, the
        certificate checked against the throwaway one (HTTP/1.1: no ALPN)."""
        port = self.https_port if https else self.http_port
        raw = socket.create_connection((LOOPBACK, port), timeout=30)
        if not https:
            return raw
        context = ssl.create_default_context(cafile=str(self.certificate))
        return context.wrap_socket(raw, server_hostname=name or self.name)

    def request(self, path: str, headers: dict[str, str] | None = None, *, name: str | None = None,
                https: bool = True) -> tuple[int, http.client.HTTPMessage, bytes]:  # fmt: skip
        """GET `path` from nginx with Host: NAME:PORT (NAME: the deployment's, or `name`).
        (status, headers, body as sent: not decompressed)."""
        name = name or self.name
        port = self.https_port if https else self.http_port
        kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = kind(name, port)
        connection.sock = self._connect(name, https)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.msg, response.read()
        finally:
            connection.close()

    def websocket_status(self, origin: str) -> str:
        """The status line nginx returns for the dashboard's WebSocket handshake from `origin`."""
        key = base64.b64encode(os.urandom(16)).decode()
        handshake = (
            f"GET /_stcore/stream HTTP/1.1\r\nHost: {self.name}:{self.https_port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
            f"Origin: {origin}\r\n\r\n"
        )
        with self._connect(None, True) as connection:
            connection.sendall(handshake.encode())
            return connection.recv(4096).decode(errors="replace").split("\r\n")[0]

    def direct(self, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        """GET `path` straight from `binc serve`, bypassing nginx."""
        connection = http.client.HTTPConnection(LOOPBACK, self.upstream_port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.msg, response.read()
        finally:
            connection.close()


@contextlib.contextmanager
def deployment(release: Path, folder: Path, name: str = NAME, *,
               synthetic: bool = True) -> Iterator[Deployment]:  # fmt: skip
    """`binc serve --release R --allowed-host NAME` on a free loopback port, and nginx with the
    rendered template on two more (HTTPS and HTTP), until the block ends; then both are stopped
    (RuntimeError when either does not come up, with its log)."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"the proxy needs {', '.join(missing)}: {APT_LINE}")
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(folder, name)
    upstream, https_port, http_port = free_port(), free_port(), free_port()
    site = folder / "binc.conf"
    site.write_text(render(TEMPLATE.read_text(), {
        "SERVER_NAME": name, "TLS_CERTIFICATE": str(certificate),
        "TLS_CERTIFICATE_KEY": str(key), "UPSTREAM_PORT": str(upstream),
        "HTTPS_LISTEN": f"{LOOPBACK}:{https_port}", "HTTP_LISTEN": f"{LOOPBACK}:{http_port}",
        "CACHE_DIR": str(folder / "cache"),
    }))  # fmt: skip
    main = folder / "nginx.conf"
    main.write_text(nginx_main_config(folder, site))

    binc = Path(sys.executable).parent / "binc"
    env = {**os.environ, **({"BINC_SYNTHETIC": "1"} if synthetic else {})}
    serve_log, nginx_log = folder / "serve.log", folder / "nginx.out"
    with serve_log.open("w") as out:
        serve = subprocess.Popen(
            [str(binc), "serve", "--release", str(release), "--port", str(upstream),
             "--allowed-host", name],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
        )  # fmt: skip
    nginx = None
    try:
        with nginx_log.open("w") as out:
            nginx = subprocess.Popen(
                [str(NGINX), "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for_port(https_port, nginx, "nginx", nginx_log, 20)
        _wait_for_port(upstream, serve, "binc serve", serve_log, 120)
        deadline = time.monotonic() + 60
        while not _healthy(upstream):  # the port may open before Streamlit answers
            if serve.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"binc serve is not healthy:\n{serve_log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Deployment(folder, name, https_port, http_port, upstream, certificate, serve, nginx,
                         children(nginx.pid))  # fmt: skip
    finally:
        if nginx is not None:
            stop(nginx)
        stop(serve)
