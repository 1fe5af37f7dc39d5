"""Dashboard speed on the demo release: each page's script run (after warm-up) and a fresh server's
first page load in a real browser. Figures go into the README; targets: ≤ 300 ms median per page,
≤ 3 s first load.

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 15] [--release PATH]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = ("overview", "target_group", "duration", "outcomes", "compare", "tables", "method")
CHROMIUM = Path("/usr/bin/chromium")


def page_runs(release: Path, runs: int) -> dict[str, float]:
    os.environ["BINC_RELEASE"] = str(release)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    medians = {}
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()  # warm-up: fills the answer cache
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
        medians[page] = statistics.median(times) * 1000
    return medians


COLD = """
import os, sys, time
started = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
print(time.perf_counter() - started)
"""


def cold_first_run(release: Path) -> float:
    """Seconds for the first script run in a fresh Python process (imports, release load, answers)."""
    env = {**os.environ, "BINC_RELEASE": str(release)}
    out = subprocess.run([sys.executable, "-c", COLD, str(REPO / "dashboard" / "app.py")], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def first_load(release: Path) -> float | None:
    """Seconds from starting `binc serve` to the first chart drawn in chromium (None without it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binc = Path(sys.executable).parent / "binc"
    started = time.perf_counter()
    server = subprocess.Popen([str(binc), "serve", "--release", str(release), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
            elapsed = time.perf_counter() - started
            browser.close()
        return elapsed
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--release", type=Path, default=REPO / "data" / "demo" / "release.duckdb")
    args = parser.parse_args()
    if not args.release.exists():
        raise SystemExit(f"{args.release}: missing; run `binc demo` first")
    medians = page_runs(args.release, args.runs)
    print(f"page script run, median of {args.runs} after warm-up (target ≤ 300 ms):")
    for page, ms in medians.items():
        print(f"  {page:<13} {ms:7.1f} ms")
    print(
        f"first script run in a fresh process (imports + release load + answers): {cold_first_run(args.release):.2f} s"
    )
    seconds = first_load(args.release)
    if seconds is None:
        print("first page load: skipped (needs /usr/bin/chromium and playwright)")
    else:
        print(
            f"first page load of a fresh server (process start → first chart in headless chromium, target ≤ 3 s): {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
