"""A new visitor on a slow link: navigation → first drawn chart through the public deployment
(nginx from deploy/nginx/binc.conf: TLS, HTTP/2, brotli/gzip) and, for comparison, straight from
`binc serve` (plain HTTP/1.1, uncompressed, as Streamlit sends it). Target: ≤ 4 s at 9 Mbit/s and
60 ms latency through the proxy.

    .venv/bin/python benchmarks/proxy_first_chart.py [--runs 5] [--down 9] [--up 9]
        [--latency 60] [--release data/demo/release.duckdb] [--tiny]

Starts `binc serve --allowed-host binc.test` and nginx with a throwaway certificate in a temporary
folder (tests/support/proxy.py, as tests/e2e/test_proxy.py does), then for each run opens the
overview in a new Chromium context (an empty cache: a new visitor) whose network Chromium slows
down itself (DevTools Network.emulateNetworkConditions: each request waits `--latency` ms, and
all downloads share `--down` Mbit/s). The runs alternate between the two ways in, so both meet
the same machine load. "First chart" is read in the page: performance.now() (0 = navigation
start) when the overview's first Plotly chart holds a drawn trace. Bytes are what came over the
network up to then (DevTools encodedDataLength: compressed bodies and headers; the WebSocket's
frames not counted). DevTools' emulation delays each request, not each round trip: TCP and TLS
handshakes and TCP's slow start are not slowed down, so a real link is somewhat slower.
`--tiny`: one run each way (benchmarks/smoke.py). Needs nginx, its brotli module, openssl and
/usr/bin/chromium (tests/support/proxy.py names the Debian packages).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.proxy import APT_LINE, CHROMIUM, deployment, missing_tools  # noqa: E402

CHART = '[data-testid="stPlotlyChart"] .main-svg g.trace'
# Runs in the page before Streamlit's own scripts: ms after navigation start when a chart is drawn.
MARK = """
window.__chart = null;
new MutationObserver(() => {
  if (window.__chart === null && document.querySelector('CHART')) window.__chart = performance.now();
}).observe(document, {childList: true, subtree: true});
""".replace("CHART", CHART.replace("'", "\\'"))
WAYS = {
    "proxy": "via nginx (TLS, HTTP/2, compressed)",
    "direct": "direct (binc serve, no proxy)",
    "floor": "direct, network not slowed down",
}
# s: a visit without a chart by then is reported as stalled, not timed, and made again. Now and
# then (2 in ~50 throttled visits) Chromium's network emulation stops handing data to the page:
# nginx's log shows every request answered at once, Chromium counts 2 of them finished after 90 s.
STALLED = 90.0


def visit(browser, url: str, down: float, up: float, latency: float):
    """One cold visit: (seconds to the first drawn chart or None when it stalled, bytes received,
    requests, protocols). `down` <= 0: the network is not slowed down."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(ignore_https_errors=True)
    try:
        context.add_init_script(MARK)
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("Network.enable")
        if down > 0:
            devtools.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": latency,
                "downloadThroughput": down * 1e6 / 8, "uploadThroughput": up * 1e6 / 8,
            })  # fmt: skip
        received: dict[str, float] = {}
        protocols: set[str] = set()
        devtools.on("Network.loadingFinished",
                    lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))  # fmt: skip
        devtools.on("Network.responseReceived",
                    lambda e: protocols.add(e["response"].get("protocol", "?")))  # fmt: skip
        page.goto(url, wait_until="commit")
        try:
            page.wait_for_selector(CHART, state="attached", timeout=STALLED * 1000)
        except PlaywrightTimeout:
            return None, sum(received.values()), len(received), protocols
        chart = page.evaluate("window.__chart") / 1000
        return chart, sum(received.values()), len(received), protocols
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold visits each way (default 5)")
    parser.add_argument("--down", type=float, default=9.0, help="download Mbit/s (default 9)")
    parser.add_argument("--up", type=float, default=9.0, help="upload Mbit/s (default 9)")
    parser.add_argument("--latency", type=float, default=60.0, help="ms per request (default 60)")
    parser.add_argument("--release", type=Path, default=REPO / "data" / "demo" / "release.duckdb")
    parser.add_argument("--tiny", action="store_true", help="one run each way (smoke test)")
    args = parser.parse_args()
    runs = 1 if args.tiny else args.runs
    if not args.release.exists():
        raise SystemExit(f"{args.release}: missing; run `binc demo` first")
    missing = missing_tools() + ([] if CHROMIUM.exists() else [f"{CHROMIUM} (Debian chromium)"])
    if missing:
        raise SystemExit(f"proxy_first_chart needs {', '.join(missing)}: {APT_LINE}")
    from playwright.sync_api import sync_playwright

    print(f"network: {args.down:g} Mbit/s down, {args.up:g} up, {args.latency:g} ms a request; "
          f"{runs} cold visit(s) each way; load average {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores)", flush=True)  # fmt: skip
    results: dict[str, list[tuple[float, float, int]]] = {way: [] for way in WAYS}
    stalled: dict[str, int] = dict.fromkeys(WAYS, 0)
    with (
        tempfile.TemporaryDirectory(prefix="binc-proxy-bench-") as folder,
        deployment(args.release, Path(folder) / "deployment", synthetic=False) as deployed,
        sync_playwright() as p,
    ):
        urls = {"proxy": deployed.url, "direct": deployed.direct_url, "floor": deployed.direct_url}
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", *deployed.chromium_args],
        )
        try:
            for way in WAYS:  # one unmeasured visit each: the server's caches, the OS's files
                visit(browser, urls[way], 0, 0, 0)
            for run in range(1, runs + 1):
                for way, label in WAYS.items():
                    started = time.perf_counter()
                    down = 0 if way == "floor" else args.down
                    chart, size, requests, protocols = visit(
                        browser, urls[way], down, args.up, args.latency
                    )
                    if chart is None:  # once more, in a new context (see STALLED)
                        stalled[way] += 1
                        print(f"  run {run} {label:<38} STALLED: no chart within {STALLED:g} s "
                              f"({requests} requests done); again", flush=True)  # fmt: skip
                        chart, size, requests, protocols = visit(
                            browser, urls[way], down, args.up, args.latency
                        )
                    if chart is None:
                        print(f"  run {run} {label:<38} STALLED again", flush=True)
                        continue
                    results[way].append((chart, size, requests))
                    print(f"  run {run} {label:<38} first chart {chart:5.2f} s, "
                          f"{size / 1e6:5.2f} MB in {requests} requests "
                          f"({'/'.join(sorted(protocols))}; {time.perf_counter() - started:.1f} s "
                          f"in all, load {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
        finally:
            browser.close()
    print(f"medians of {runs} cold visit(s):")
    for way, label in WAYS.items():
        if not results[way]:
            print(f"  {label:<38} every visit stalled")
            continue
        charts = [r[0] for r in results[way]]
        size = statistics.median(r[1] for r in results[way])
        each = ", ".join(f"{c:.2f}" for c in charts)
        print(f"  {label:<38} median first chart {statistics.median(charts):5.2f} s "
              f"(runs: {each}), {size / 1e6:.2f} MB transferred"
              + (f"; {stalled[way]} stalled" if stalled[way] else ""))  # fmt: skip
    if not results["proxy"]:
        return 1
    proxied = statistics.median(r[0] for r in results["proxy"])
    verdict = "met" if proxied <= 4 else "NOT met"
    print(f"target ≤ 4 s through the proxy at 9 Mbit/s, 60 ms: {verdict} "
          f"({proxied:.2f} s at {args.down:g} Mbit/s, {args.latency:g} ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
