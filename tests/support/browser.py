"""The dashboard in Debian's chromium: `binc serve` on a small test release, the pages to visit and
what shows that each has drawn, and the axe-core accessibility audit.

Used by tests/browser (its conftest.py starts the server once for the folder). Playwright drives
/usr/bin/chromium; no browser is ever downloaded. axe-core's axe.min.js comes installed with the
dev dependency axe-playwright-python, so the audit needs no network either.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.resources
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import navigation

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# What shows that a page has drawn its content; every other page draws a chart.
DRAWN = {
    "tables": '[data-testid="stDataFrame"]',
    "method": '[data-testid="stTable"]',
    "glossary": '[data-testid="stExpander"]',  # its code tables sit in closed expanders
}
# url path -> that selector; the default page (Overzicht) lives at the root
PAGES = {
    ("" if i == 0 else page.slug): DRAWN.get(page.name, '[data-testid="stPlotlyChart"]')
    for i, page in enumerate(navigation.PAGES)
}


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def visit(page: Any, server: str, slug: str, lang: str = "nl", settle_ms: int = 1500) -> None:
    """Open the page at `slug` in `lang` and wait until it has drawn its content (`PAGES`) and
    Plotly has had `settle_ms` to finish drawing."""
    page.goto(f"{server}/{slug}?lang={lang}", wait_until="domcontentloaded")
    page.wait_for_selector(PAGES[slug], timeout=30_000)
    page.wait_for_timeout(settle_ms)


def requirements() -> None:
    """Skip (fail in CI, CI=true) when chromium or playwright is missing."""
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


@contextlib.contextmanager
def serve(release: Path) -> Iterator[str]:
    """`binc serve` on a free localhost port (synthetic banner on); yields its URL once healthy."""
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


# --- the accessibility audit ------------------------------------------------------------------

# The WCAG 2.1 levels A and AA (axe-core's tags); the audit fails on these impacts.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")


def axe_script() -> str:
    """axe.min.js as installed by axe-playwright-python (MPL-2.0, Deque Systems)."""
    return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")


def run_axe(page: Any, script: str) -> dict[str, Any]:
    """Inject axe into the page (once) and audit the whole document against WCAG 2.1 A/AA."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=script)
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )


def failing(results: dict[str, Any], excluded: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """Violations with a failing impact, less the nodes excluded by (rule id, exact target)."""
    found = []
    for violation in results["violations"]:
        if violation.get("impact") not in FAILING_IMPACTS:
            continue
        nodes = [
            node
            for node in violation["nodes"]
            if (violation["id"], ", ".join(map(str, node["target"]))) not in excluded
        ]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def summary(violations: list[dict[str, Any]]) -> str:
    """One line per rule: id, impact, how many nodes, the first one's target."""
    return "\n".join(
        f"  {v['id']} ({v['impact']}) x{len(v['nodes'])}: {', '.join(map(str, v['nodes'][0]['target']))}"
        for v in violations
    )


# axe-core leaves the text inside an SVG "incomplete" (it cannot tell the background), so the
# charts' own text is checked here: every plotly text's fill against the white page, WCAG's
# contrast formula. Returns [text, fill, ratio] for each one below 4.5:1.
CHART_TEXT_CONTRAST = """() => {
  const channel = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4 };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const low = [];
  for (const text of document.querySelectorAll('.js-plotly-plot svg text')) {
    if (!text.textContent.trim()) continue;
    const style = getComputedStyle(text);
    const [r, g, b, a = 1] = style.fill.match(/[\\d.]+/g).map(Number);
    const alpha = a * Number(style.fillOpacity) * Number(style.opacity);
    const shown = [r, g, b].map(c => alpha * c + (1 - alpha) * 255);  // over white
    const ratio = 1.05 / (luminance(shown) + 0.05);
    if (ratio < 4.5) low.push([text.textContent.slice(0, 40), style.fill, Math.round(ratio * 100) / 100]);
  }
  return low;
}"""
# How many charts lack an accessible name (st.plotly_chart(alt=...)).
UNNAMED_CHARTS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .filter(chart => !(chart.getAttribute('aria-label') || '').trim()).length"""
