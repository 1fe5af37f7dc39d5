"""Regenerate the screenshots in docs/screenshots/ from a release (default: the demo's).

    .venv/bin/python scripts/screenshots.py [--release FILE] [--out DIR] [--only NAME ...]

Without --release the demo's release is used, `$BINC_DEMO_DIR/release.duckdb` or else
data/demo/release.duckdb (as `make demo` builds it); `binc demo --dir` builds it first when it is
missing. The script starts `binc serve` on a free localhost port, opens each view in Debian's
/usr/bin/chromium through Playwright (as tests/browser do; no browser is downloaded), waits until
the page has finished running and every chart has drawn, and saves the visible window at a fixed
size: the same release gives the same views. The browser asks for 127.0.0.1:8501 (Chromium maps it
to the server's port), so the link in each chart's footer is the same on every run. The fact sheet is `binc factsheet`'s PDF, drawn by
poppler's pdftoppm. Every PNG is optimised losslessly (optipng when installed, else Pillow).
The server and the temporary folder are removed at the end, also on failure; a page that shows
an error fails the run and writes nothing for that view.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from binc.release_file import load_release

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--font-render-hinting=none"]  # fmt: skip
DESKTOP = {"width": 1280, "height": 900}
# The address the browser asks for, whatever free port the server listens on (Chromium maps it):
# each chart's footer names the view's link, which is then the same on every run and the one
# `binc serve` prints by default.
SHOWN_ADDRESS = "127.0.0.1:8501"
FACTSHEET_DPI = 80
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils

# The page has finished: Streamlit's script is no longer running, the connection is up, no element
# is stale (greyed out while the script reruns), the fonts are loaded and every plotly chart has
# drawn its data (or, where none can be drawn, its notes).
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (app.dataset.testConnectionState !== 'CONNECTED') return false;
  if (document.fonts.status !== 'loaded') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const drawn = '.js-plotly-plot .main-svg g.trace, .js-plotly-plot .main-svg g.annotation';
  return charts.every(chart => chart.querySelector(drawn));
}"""
# A summary of the page, to check that it did not change during the pause after SETTLED.
FINGERPRINT = """() => [document.title, document.body.innerText.length,
  document.querySelectorAll('.js-plotly-plot svg *').length,
  document.querySelector('[data-testid="stApp"]').dataset.testScriptState].join('|')"""


@dataclass(frozen=True)
class Shot:
    """One screenshot of the dashboard: a URL (path and query) and what to show of it."""

    file: str  # the PNG in docs/screenshots/
    url: str  # path and query after the server's address
    ready: str  # a selector that shows the page's content has drawn
    scroll_to: str | None = None  # an element to bring to the top of the window
    viewport: tuple[int, int] = (DESKTOP["width"], DESKTOP["height"])  # (390, 844): a phone


CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# Every view's filters are the defaults (the release's latest start year, all of Flanders), set
# through the URL only, so the same release always gives the same views.
SHOTS = (
    Shot("overzicht.png", "/?lang=nl", CHART),
    Shot("regios.png", "/regios?lang=nl", CHART),
    # the map and the heading above it (Streamlit's anchor of "Kaart")
    Shot(
        "kaart.png",
        "/regios?lang=nl&level=province",
        ".st-key-cmp_map .js-plotly-plot",
        scroll_to='[data-testid="stHeading"]:has(#kaart)',
    ),
    Shot("duur.png", "/duur?lang=nl", CHART),
    Shot("tabellen.png", "/tabellen?lang=nl", '[data-testid="stDataFrame"]'),
    Shot("outcomes_en.png", "/resultaten?lang=en", CHART),
)
FACTSHEETS = {"factsheet_P01.png": ("P01", "nl")}  # file -> (region, language)


def demo_release() -> Path:
    """The demo's release, built with `binc demo` when missing."""
    folder = Path(os.environ.get("BINC_DEMO_DIR") or REPO / "data" / "demo")
    release = folder / "release.duckdb"
    if not release.exists():
        print(f"building the demo in {folder} (binc demo) …", flush=True)
        subprocess.run([binc(), "demo", "--dir", str(folder)], check=True)  # noqa: S603
    return release


def binc() -> str:
    return shutil.which("binc", path=str(BIN)) or "binc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(release: Path, log: Path) -> Iterator[str]:
    """`binc serve` on a free localhost port; yields its URL once /_stcore/health answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        command = [binc(), "serve", "--release", str(release), "--port", str(port)]
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            started = time.perf_counter()
            while True:
                try:
                    health = f"{url}/_stcore/health"  # http, built here
                    with urllib.request.urlopen(health, timeout=1) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.perf_counter() - started > 60:
                    tail = log.read_text("utf-8", errors="replace")[-2000:]
                    raise SystemExit(f"binc serve did not come up within 60 s:\n{tail}")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def settle(page: Any, timeout: float = 60.0) -> None:
    """Wait until the page has finished running and drawing and stays so for a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.wait_for_function(SETTLED, timeout=max(1.0, deadline - time.monotonic()) * 1000)
        before = page.evaluate(FINGERPRINT)
        page.wait_for_timeout(1000)  # plotly's last layout pass, the page's translation script
        if page.evaluate(SETTLED) and page.evaluate(FINGERPRINT) == before:
            return
    raise SystemExit(f"{page.url} did not settle within {timeout:.0f} s")


def problems(page: Any) -> list[str]:
    """What makes a screenshot unfit for the docs: an error box or a page that is not there."""
    found = []
    if count := page.locator('[data-testid="stException"]').count():
        found.append(f"{count} exception box(es)")
    if page.get_by_text("Page not found").count():
        found.append("'Page not found'")
    return found


def shoot(browser: Any, shot: Shot, release_id: str, target: Path) -> None:
    """Open the view in a fresh browser context (a new session), wait, save the window."""
    from playwright.sync_api import Error as PlaywrightError

    width, height = shot.viewport
    phone = width < DESKTOP["width"] // 2
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  is_mobile=phone, has_touch=phone, locale="nl-BE",
                                  timezone_id="Europe/Brussels", reduced_motion="reduce")  # fmt: skip
    url = f"http://{SHOWN_ADDRESS}{shot.url}"
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector(shot.ready, timeout=60_000)
        settle(page)
        if shot.scroll_to:
            page.locator(shot.scroll_to).first.evaluate(
                "element => element.scrollIntoView({block: 'start'})"
            )
            settle(page)
        found = problems(page)
        if release_id not in page.inner_text("body"):  # the page came from another server
            found.append(f"not release {release_id}")
        if found:
            raise SystemExit(f"{shot.file}: {url} shows {', '.join(found)}")
        page.screenshot(path=str(target), animations="disabled", caret="hide")
    except PlaywrightError as error:  # a timeout: say which view, not a traceback
        raise SystemExit(f"{shot.file}: {url}: {error.message.splitlines()[0]}") from None
    finally:
        context.close()


def factsheet(release: Path, region: str, language: str, tmp: Path, target: Path) -> None:
    pdf = tmp / f"factsheet_{region}_{language}.pdf"
    command = [binc(), "factsheet", "--release", str(release), "--region", region,
               "--language", language, "--out", str(pdf)]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    # pdftoppm -singlefile writes <stem>.png
    command = [PDFTOPPM, "-png", "-r", str(FACTSHEET_DPI), "-singlefile", str(pdf), str(target.with_suffix(""))]  # fmt: skip
    subprocess.run(command, check=True)  # noqa: S603


def optimise(raw: Path, target: Path) -> None:
    """Write `raw` to `target` losslessly smaller: optipng when installed, else Pillow."""
    optipng = shutil.which("optipng")
    if optipng:
        shutil.copyfile(raw, target)
        subprocess.run([optipng, "-quiet", "-o2", "-strip", "all", str(target)], check=True)  # noqa: S603
        return
    with Image.open(raw) as image:
        image.load()
        # no metadata, so the same pixels give the same bytes
        image.save(target, format="PNG", optimize=True)


def report(path: Path, what: str) -> None:
    with Image.open(path) as image:
        size = f"{image.width}×{image.height}"
    try:
        shown = path.relative_to(REPO)
    except ValueError:
        shown = path
    print(f"wrote {shown} ({size}, {path.stat().st_size // 1024} KiB): {what}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, help="release to show (default: the demo's)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    parser.add_argument(
        "--only", nargs="+", metavar="FILE", help="only these files, e.g. kaart.png"
    )
    args = parser.parse_args()

    names = [shot.file for shot in SHOTS] + list(FACTSHEETS)
    wanted = set(args.only or names)
    if unknown := wanted - set(names):
        parser.error(f"unknown screenshot(s) {sorted(unknown)}; known: {', '.join(names)}")
    if not CHROMIUM.exists():
        raise SystemExit(f"needs {CHROMIUM} (apt-get install chromium)")
    if any(name in wanted for name in FACTSHEETS) and not Path(PDFTOPPM).exists():
        raise SystemExit("needs pdftoppm (apt-get install poppler-utils)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("needs playwright (make setup installs it)") from None

    release = (args.release or demo_release()).resolve()
    if not release.exists():
        raise SystemExit(f"no release at {release}")
    release_id = load_release(release).release_id
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"release {release} ({release_id})", flush=True)
    with tempfile.TemporaryDirectory(prefix="binc-screenshots-") as folder:
        tmp = Path(folder)
        shots = [shot for shot in SHOTS if shot.file in wanted]
        if shots:
            with serve(release, tmp / "serve.log") as server, sync_playwright() as p:
                mapped = f"--host-rules=MAP {SHOWN_ADDRESS} {urlsplit(server).netloc}"
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*FLAGS, mapped])
                try:
                    for shot in shots:
                        raw = tmp / shot.file
                        shoot(browser, shot, release_id, raw)
                        optimise(raw, args.out / shot.file)
                        report(
                            args.out / shot.file,
                            f"{shot.url}, {shot.viewport[0]}×{shot.viewport[1]}",
                        )
                finally:
                    browser.close()
        for file, (region, language) in FACTSHEETS.items():
            if file in wanted:
                raw = tmp / file
                factsheet(release, region, language, tmp, raw)
                optimise(raw, args.out / file)
                report(args.out / file, f"binc factsheet --region {region} --language {language}, "
                                        f"{FACTSHEET_DPI} dpi")  # fmt: skip
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
