"""The public deployment (deploy/nginx/binc.conf, deploy/README.md): `binc serve --allowed-host
NAME` on a loopback port behind Debian's nginx with the template rendered as documented, a
throwaway certificate, and Chromium as the visitor (tests/support/proxy.py starts and stops it).

Checked: compression of the static bundles (the bytes unchanged), the security and cache headers,
nginx's copy of the static files (never of the HTML shell), the host-name handling, and every
dashboard page drawn in Chromium through the proxy (so the WebSocket passes) with no
Content-Security-Policy violation; afterwards no process is left. Needs nginx, its brotli module,
openssl, Chromium and playwright: a missing one FAILS the test (CI installs them; see
`support.proxy.APT_LINE`), it never skips.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import importlib.util
import re
import socket
import ssl
from pathlib import Path

import pytest
from support.browser import FLAGS, PAGES
from support.proxy import APT_LINE, CHROMIUM, TEMPLATE, alive, deployment, missing_tools, render
from support.small_release import small_release

from dashboard import navigation

STREAMLIT_STATIC = Path(importlib.util.find_spec("streamlit").origin).parent / "static"
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
YEAR = "public, max-age=31536000, immutable"
# Collects Content-Security-Policy violations in the page, from before Streamlit's first script.
CSP_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ${JSON.stringify(e.sample)}` +
  ` in ${e.sourceFile}:${e.lineNumber}`));
"""
# The Plotly chunk fetched by the page, as the browser decodes it: its encoding and SHA-256.
FETCH_DIGEST = """async url => {
  const response = await fetch(url, {cache: 'no-store'});
  const digest = await crypto.subtle.digest('SHA-256', await response.arrayBuffer());
  const hex = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
  return {encoding: response.headers.get('content-encoding'), sha256: hex};
}"""


def _plotly_chunk() -> str:
    """The URL path of Plotly's chunk (4.7 MB), the largest file a page needs."""
    (chunk,) = (STREAMLIT_STATIC / "static" / "js").glob("PlotlyChart.*.js")
    return f"/static/js/{chunk.name}"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    missing = missing_tools()
    if missing:
        pytest.fail(f"the proxy test needs {', '.join(missing)}; install with: {APT_LINE}")
    folder = tmp_path_factory.mktemp("proxy")
    with deployment(small_release()[0], folder) as running:
        pids = running.pids()
        yield running
    # (d) nothing left behind: nginx's master and workers and `binc serve` are gone
    assert [pid for pid in pids if alive(pid)] == []
    for port in (running.https_port, running.http_port, running.upstream_port):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def test_the_template_names_every_placeholder():
    text = TEMPLATE.read_text()
    placeholders = set(re.findall(r"@([A-Z_]+)@", text))
    assert placeholders == {"SERVER_NAME", "TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY",
                            "UPSTREAM_PORT", "HTTPS_LISTEN", "HTTP_LISTEN", "CACHE_DIR"}  # fmt: skip
    for name in placeholders:  # each is explained in the template's header
        assert re.search(rf"^#\s+@{name}@\s+\S", text, re.MULTILINE), name
    with pytest.raises(ValueError, match="SERVER_NAME"):
        render(text, {n: "x" for n in placeholders - {"SERVER_NAME"}})


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize("path", ["plotly", "index"])
def test_static_bundles_are_compressed_and_unchanged(deployed, encoding, path):
    if path == "plotly":
        path = _plotly_chunk()
    else:
        html = deployed.direct("/")[2].decode()
        path = "/" + re.search(r'src="\./(static/js/index\.[^"]+\.js)"', html)[1]
    status, direct_headers, original = deployed.direct(path)
    assert status == 200
    assert direct_headers["Content-Encoding"] is None  # Streamlit sends it uncompressed
    status, headers, body = deployed.request(path, {"Accept-Encoding": encoding})
    assert status == 200
    assert headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in headers["Vary"]
    assert len(body) < len(original) / 2.5, (len(body), len(original))
    if encoding == "gzip":
        assert gzip.decompress(body) == original
    # brotli has no decoder in Python's standard library: the browser test decodes it
    status, _, plain = deployed.request(path, {"Accept-Encoding": "identity"})
    assert (status, plain) == (200, original)


def test_security_and_cache_headers(deployed):
    chunk = _plotly_chunk()
    for path, cache in (("/", "no-cache"), ("/?lang=nl", "no-cache"),
                        (f"/{navigation.PAGES[1].slug}", "no-cache"),
                        ("/_stcore/health", "no-cache"), (chunk, YEAR),
                        ("/static/css/" + next(
                            (STREAMLIT_STATIC / "static" / "css").glob("index.*.css")).name, YEAR),
                        # Streamlit answers a missing static file with the HTML shell, 200:
                        # that is never cached for a year
                        ("/static/js/no-such-bundle.js", "no-cache")):  # fmt: skip
        status, headers, _ = deployed.request(path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers.get_all("Cache-Control") == [cache], path
        for name, value in SECURITY_HEADERS.items():
            assert headers.get_all(name) == [value], (path, name)
        assert headers["Server"] == "nginx"  # no version, and not Streamlit's uvicorn
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, path
        assert "object-src 'none'" in csp, path
        assert "'unsafe-eval'" not in csp


def test_the_html_shell_preloads_plotlys_chunk(deployed):
    """The Link header names Streamlit's Plotly chunk of the version installed (the name changes
    with Streamlit's version; then this says which name to put into deploy/nginx/binc.conf)."""
    chunk = _plotly_chunk()
    for path in ("/", f"/{navigation.PAGES[1].slug}"):
        link = deployed.request(path)[1]["Link"]
        assert link == f"<{chunk}>; rel=modulepreload", f"the template should preload {chunk}"
    assert deployed.request(chunk)[1]["Link"] is None


def test_nginx_keeps_a_copy_of_static_files_but_never_of_the_html_shell(deployed):
    """Streamlit (the process that also answers the questions) serves each static file once."""
    bundle = "/static/css/" + next((STREAMLIT_STATIC / "static" / "css").glob("index.*.css")).name
    missing = "/static/js/not-a-bundle.js"  # Streamlit answers with the HTML shell
    for path in (bundle, bundle, missing, missing):
        assert deployed.request(path, {"Accept-Encoding": "gzip"})[0] == 200
    log = (deployed.folder / "access.log").read_text().splitlines()
    assert [line.rsplit("cache=", 1)[1] for line in log if f"GET {bundle} " in line][-1] == "HIT"
    assert {line.rsplit("cache=", 1)[1] for line in log if f"GET {missing} " in line} == {"MISS"}


def test_the_csp_allows_exactly_the_inline_scripts_of_streamlits_html_shell(deployed):
    """script-src lists the hash of each inline script of the HTML shell that binc serve sends;
    after a Streamlit upgrade this says which hash to put into deploy/nginx/binc.conf."""
    html = deployed.direct("/")[2].decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)
    assert inline  # the control: the shell has one (window.prerenderReady = false)
    csp = deployed.request("/")[1]["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src, f"put 'sha256-{digest}' in script-src"
    assert "'unsafe-inline'" not in script_src


def test_only_the_deployments_name_reaches_the_dashboard(deployed):
    # plain HTTP: the right name is sent to HTTPS, any other name gets the connection closed
    status, headers, _ = deployed.request("/doelgroep?lang=nl", https=False)
    assert status == 301
    assert headers["Location"] == f"https://{deployed.name}/doelgroep?lang=nl"
    with pytest.raises(http.client.RemoteDisconnected):
        deployed.request("/", name="evil.example", https=False)
    # HTTPS: no handshake for another name (so no certificate for it, and no page)
    with pytest.raises(ssl.SSLError):
        deployed.request("/", name="evil.example")
    # The WebSocket through the proxy: accepted from the page's own origin only
    origin = f"https://{deployed.name}:{deployed.https_port}"
    assert deployed.websocket_status(origin).endswith("101 Switching Protocols")
    assert deployed.websocket_status("https://evil.example").endswith("403 Forbidden")


@pytest.mark.browser
def test_every_page_draws_through_the_proxy_without_csp_violations(deployed):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the proxy test needs the playwright package (requirements-dev.lock)")
    if not CHROMIUM.exists():
        pytest.fail(f"the proxy test needs {CHROMIUM}: apt-get install -y chromium")
    chunk = _plotly_chunk()
    plotly_sha256 = hashlib.sha256(deployed.direct(chunk)[2]).hexdigest()
    sockets: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=[*FLAGS, *deployed.chromium_args])  # fmt: skip
        try:
            context = browser.new_context(ignore_https_errors=True,
                                          viewport={"width": 1400, "height": 1000})  # fmt: skip
            context.add_init_script(CSP_WATCH)
            page = context.new_page()
            page.on("websocket", lambda socket: sockets.append(socket.url))
            # every page, each with what shows it has drawn (tests/support/browser.py), and the
            # overview in English too (the dashboard's inline script differs by language)
            visits = [(slug, drawn, "nl") for slug, drawn in PAGES.items()]
            visits.append(("", PAGES[""], "en"))
            for i, (slug, drawn, lang) in enumerate(visits):
                page.goto(f"{deployed.url}{slug}?lang={lang}", wait_until="domcontentloaded")
                page.wait_for_selector(drawn, timeout=60_000)
                page.wait_for_timeout(500)  # late scripts and styles (Plotly's) have run too
                assert page.locator('[data-testid="stException"]').count() == 0, (slug, lang)
                assert page.evaluate("window.__violations") == [], (slug, lang)
                if i == 0:
                    # the browser's own decoding of the brotli-compressed Plotly chunk
                    fetched = page.evaluate(FETCH_DIGEST, chunk)
                    assert fetched == {"encoding": "br", "sha256": plotly_sha256}
        finally:
            browser.close()
    # the statistics came over the proxy's WebSocket, not around it
    stream = f"wss://{deployed.name}:{deployed.https_port}/_stcore/stream"
    assert sockets
    assert set(sockets) == {stream}
