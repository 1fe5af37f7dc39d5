"""Real headless Chromium tabs during a load test: what a person waits for, browser work included.

Each tab opens the dashboard, then keeps clicking a random other page in the sidebar's menu (the
app's st.page_link menu, whose links carry the filters).
A page time runs from the click to Streamlit reporting the script finished
(`data-test-script-state="notRunning"` on stApp, after it was seen running) with every Plotly
chart on the page drawn (an `svg.main-svg` inside each `stPlotlyChart`), measured in the page with
performance.now(). Needs Debian's /usr/bin/chromium and the playwright package (dev extra).

    .venv/bin/python benchmarks/browser_load.py [--release R] [--tabs 2] [--duration 30]
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from urllib.parse import urljoin

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         # several tabs at once: none of them may be throttled as a background tab
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows"]  # fmt: skip
NAV_LINK = '[data-testid="stPageLink-NavLink"]'

CLICK_AND_WAIT = """
([href, limit]) => new Promise((resolve) => {
  const app = () => document.querySelector('[data-testid="stApp"]');
  const link = [...document.querySelectorAll('[data-testid="stPageLink-NavLink"]')]
    .find((a) => a.getAttribute('href') === href);
  if (!link) { resolve(-2); return; }
  const started = performance.now();
  let running = false;
  link.click();
  const tick = () => {
    const state = app() && app().dataset.testScriptState;
    if (state && state !== 'notRunning') running = true;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const drawn = charts.every((chart) => chart.querySelector('svg.main-svg'));
    const elapsed = performance.now() - started;
    // A very short rerun can start and finish between two ticks: then the URL having moved to
    // the new page (and a second gone by) stands in for having seen it run (CI saw one such hang).
    const arrived = location.pathname === new URL(link.href, location.href).pathname;
    if ((running || (arrived && elapsed > 1000)) && state === 'notRunning' && drawn) resolve(elapsed);
    else if (elapsed > limit) resolve(-1);
    else setTimeout(tick, 5);
  };
  tick();
})
"""


async def _tab(browser, url: str, deadline: float, rng: random.Random, times: list[float],
               errors: list[str]) -> None:  # fmt: skip
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        await page.goto(url, wait_until="domcontentloaded")
        await page.wait_for_selector(NAV_LINK, timeout=60_000)
        while time.perf_counter() < deadline:
            hrefs = [
                await link.get_attribute("href") for link in await page.query_selector_all(NAV_LINK)
            ]
            current = page.url.split("?")[0]
            # the links are relative and carry the filters (?lang=…&year=…): compare their pages
            choices = [h for h in hrefs if h and urljoin(page.url, h).split("?")[0] != current]
            href = rng.choice(choices)
            elapsed = await page.evaluate(CLICK_AND_WAIT, [href, 30_000])
            if elapsed < 0:
                errors.append(
                    f"browser: {href} did not finish within 30 s" if elapsed == -1 else "no link"
                )
            else:
                times.append(elapsed / 1000)
            if await page.locator('[data-testid="stException"]').count():
                errors.append("browser: exception shown")
            await asyncio.sleep(rng.uniform(1.0, 3.0))
    finally:
        await page.close()


async def browse(port: int, tabs: int, duration: float, seed: int) -> tuple[list[float], list[str]]:
    """Page times (seconds) and errors of `tabs` Chromium tabs clicking through the pages."""
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + duration
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            url = f"http://127.0.0.1:{port}/?lang=nl"
            await asyncio.gather(*(_tab(browser, url, deadline, random.Random(seed + i), times, errors)
                                   for i in range(tabs)))  # fmt: skip
        finally:
            await browser.close()
    return times, errors


def main(argv: list[str] | None = None) -> int:
    """Browser tabs alone against a fresh `binc serve` (load_serve.py --browser N runs them
    alongside simulated sessions). Exit status 1 when a tab saw an error."""
    import argparse
    import tempfile

    import load_serve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, help="release file (default: the demo's)")
    parser.add_argument("--tabs", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of clicking")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    release = load_serve.release_path(args)
    with tempfile.TemporaryDirectory(prefix="binc-browser-") as scratch:
        log = Path(scratch) / "serve.log"
        server = load_serve.Server(release, load_serve.free_port(), log)
        try:
            healthy = server.wait_healthy()
            times, errors = asyncio.run(browse(server.port, args.tabs, args.duration, args.seed))
            errors += server.log_errors()
        finally:
            server.stop()
    s = load_serve.spread(times)
    print(f"release {release}; server healthy after {healthy:.1f} s; {args.tabs} tab(s), "
          f"{args.duration:g} s")  # fmt: skip
    print(f"browser page times: n={s['n']}  p50 {s['p50'] * 1000:.0f} ms  "
          f"p95 {s['p95'] * 1000:.0f} ms  max {s['max'] * 1000:.0f} ms")  # fmt: skip
    print(f"errors: {len(errors)}")
    for error in sorted(set(errors))[:5]:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
