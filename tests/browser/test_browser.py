"""One real browser: `binc serve` on localhost, Debian's chromium opens every page, waits for the
charts, saves a screenshot and fails on any Streamlit exception box.

Skips when chromium or playwright is missing, except in CI (CI=true), where .ci/run installs both.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import TESTS
from support.small_release import small_release

from dashboard import navigation

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = TESTS / "screenshots"  # git-ignored
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# What shows that a page has drawn its content; every other page draws a chart.
DRAWN = {"tables": '[data-testid="stDataFrame"]', "method": '[data-testid="stTable"]'}
# url path -> that selector; the default page (Overzicht) lives at the root
PAGES = {
    ("" if i == 0 else page.slug): DRAWN.get(page.name, '[data-testid="stPlotlyChart"]')
    for i, page in enumerate(navigation.PAGES)
}


def _requirements() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError:
        missing.append("the playwright package")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser test but lacks {', '.join(missing)}")
        pytest.skip(f"browser test needs {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    _requirements()
    release, _ = small_release()
    port = _free_port()
    binc = shutil.which("binc", path=str(Path(sys.executable).parent)) or "binc"
    env = {**os.environ, "BINC_SYNTHETIC": "1"}
    process = subprocess.Popen([binc, "serve", "--release", str(release), "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 60:
                pytest.fail("binc serve did not come up within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_every_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for slug, ready in PAGES.items():
                page.goto(f"{server}/{slug}?lang=nl", wait_until="domcontentloaded")
                page.wait_for_selector(ready, timeout=30_000)
                page.wait_for_timeout(1500)  # let plotly finish drawing
                page.screenshot(
                    path=str(SCREENSHOTS / f"{slug or 'overzicht'}.png"), full_page=True
                )
                assert page.locator('[data-testid="stException"]').count() == 0, slug
                assert page.get_by_text("Page not found").count() == 0, slug
                assert page.get_by_text("synthetische demogegevens").count() >= 1, slug
        finally:
            browser.close()
