"""One real browser: `binc serve` on localhost, Debian's chromium opens every page, waits for the
charts, saves a screenshot and fails on any Streamlit exception box — and on any request the page
makes to anyone but the dashboard's own server (the product must work offline and must not show a
visitor to a third party). The compare page's province map must draw from the bundled outlines.

Skips when chromium or playwright is missing, except in CI (CI=true), where .ci/run installs both.
The server (tests/browser/conftest.py) and the page list live in tests/support/browser.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from support import TESTS
from support.browser import PAGES, chromium, visit

from binc.core import i18n
from dashboard import charts, navigation

pytestmark = pytest.mark.browser

SCREENSHOTS = TESTS / "screenshots"  # git-ignored
COMPARE = next(page.slug for page in navigation.PAGES if page.name == "compare")
# The compare page's map (st.plotly_chart(key="cmp_map") gets the class st-key-cmp_map) and the
# filled province outlines in it.
MAP = ".st-key-cmp_map .js-plotly-plot"
MAP_FILLS = f"{MAP} .scatterlayer .trace path.js-fill"


def _foreign(urls: list[str], server: str) -> list[str]:
    """The URLs that go anywhere but the dashboard's own host:port (data: and blob: stay local)."""
    own = urlsplit(server).netloc
    return [
        u for u in urls if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
    ]


def test_foreign_finds_a_third_party_but_not_the_server():
    server = "http://127.0.0.1:8501"
    urls = [f"{server}/regios?lang=nl", "ws://127.0.0.1:8501/_stcore/stream", "data:image/png;base64,AA",
            "blob:http://127.0.0.1:8501/5f0c", "https://cdn.plot.ly/un/world_110m.json",
            "http://127.0.0.1:8502/", "http://localhost:8501/"]  # fmt: skip
    assert _foreign(urls, server) == urls[-3:]


def _show_the_map(page, slug: str) -> int:
    """Switch the compare page to provinces; how many filled province outlines the map draws."""
    page.get_by_text(i18n.text("dim.province", "nl"), exact=True).click()
    page.wait_for_selector(MAP, timeout=30_000)
    page.wait_for_timeout(1500)  # let plotly finish drawing
    page.screenshot(path=str(SCREENSHOTS / f"{slug}_kaart.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0, slug
    return page.locator(MAP_FILLS).evaluate_all(
        "paths => paths.filter(p => (p.getAttribute('d') || '').length > 20).length"
    )


def test_every_page_in_a_real_browser(server):
    SCREENSHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        # every request of every page, worker and web socket in this browser context
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        context.on("page", lambda new: new.on("websocket", lambda ws: requested.append(ws.url)))
        page = context.new_page()
        for slug in PAGES:
            requested.clear()
            visit(page, server, slug)
            page.screenshot(path=str(SCREENSHOTS / f"{slug or 'overzicht'}.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0, slug
            assert page.get_by_text("Page not found").count() == 0, slug
            assert page.get_by_text("synthetische demogegevens").count() >= 1, slug
            fills = _show_the_map(page, slug) if slug == COMPARE else None
            assert any(u.startswith(server) for u in requested), slug  # the recorder works
            assert _foreign(requested, server) == [], slug
            # the map: one filled outline per province (after the requests, which may say why not)
            assert fills in (None, len(charts._provinces())), fills
