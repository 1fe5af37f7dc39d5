"""Every view in its link, in Debian's chromium: change a page's choices, copy the address bar, open
the copy in a new tab (a new session) and find the same view; a menu link keeps the filters; a
value or a page the link holds that does not exist gives a notice in the reader's language, not
Streamlit's English "Page not found" dialog.

The server (tests/browser/conftest.py) and the browser's flags live in tests/support/browser.py;
the same behaviour in-process, for every choice of every page: tests/app/test_view_links.py."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright import sync_api
from support.browser import chromium

from binc.core import i18n
from binc.export.labels import label_for
from dashboard import navigation

pytestmark = pytest.mark.browser

SLUG = {page.name: page.slug for page in navigation.PAGES}
CHART = '[data-testid="stPlotlyChart"]'
TABLE = '[data-testid="stDataFrame"]'
MENU_LINK = '[data-testid="stPageLink-NavLink"]'
# What each widget (found by its key, class st-key-<key>) shows as chosen.
STATE = """keys => Object.fromEntries(keys.map(key => {
  const box = document.querySelector('.st-key-' + key);
  if (!box) return [key, null];
  if (box.querySelector('[data-testid="stMultiSelect"]'))
    return [key, [...box.querySelectorAll('[data-tag]')].map(tag => tag.getAttribute('aria-label'))];
  const combo = box.querySelector('input[role="combobox"]');
  if (combo) return [key, combo.value];
  const radio = box.querySelector('label[data-testid="stRadioOption"][data-selected="true"]');
  if (radio) return [key, radio.innerText.trim()];
  const toggle = box.querySelector('input[role="switch"]');
  if (toggle) return [key, toggle.checked];
  return [key, 'unknown widget'];
}))"""
# The headings, captions and notices of the page's main part, in order.
TEXTS = """() => [...document.querySelectorAll('[data-testid="stMain"] :is(h1, h2, h3, [data-testid="stCaptionContainer"], [data-testid="stAlertContentInfo"] [data-testid="stMarkdownContainer"])')]
  .map(element => element.innerText.trim())"""
IDLE = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'"""
FILTERS = ["f_years", "f_region", "f_types"]


def _settle(page) -> None:
    page.wait_for_function(IDLE, timeout=30_000)
    page.wait_for_timeout(800)  # let the last deltas and plotly land


def _load(page, url: str, ready: str = CHART) -> None:
    """Open `url` and wait until `ready` is drawn and the run is done."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(ready, timeout=30_000)
    _settle(page)


def _after(page, *pairs: str) -> None:
    """Wait until the address bar holds every `name=value` of `pairs`, then until the run is done."""
    page.wait_for_url(lambda url: all(pair in url for pair in pairs), timeout=30_000)
    _settle(page)


def _view(page, keys: list[str]) -> dict:
    return {
        "widgets": page.evaluate(STATE, keys),
        "texts": page.evaluate(TEXTS),
        "charts": page.locator(CHART).count(),
        "tables": page.locator(TABLE).count(),
    }


def _query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def _choose(page, key: str, option: str) -> None:
    """Pick `option` (its label) in the select box or multiselect with key `key`."""
    box = page.locator(f".st-key-{key} input[role='combobox']")
    box.click()
    box.fill(option)  # the list is filtered (and may be too long to show every option)
    page.get_by_role("option", name=option, exact=True).click()


def _switch(page, key: str, pair: str) -> None:
    """Flip the toggle with key `key` and wait until the address bar holds `pair`. A click that
    lands while the page still re-renders can be lost (seen once in CI under load, with the other
    test worker busy): the toggle is then still in its old state, and is clicked again."""
    toggle = page.locator(f".st-key-{key} input[role='switch']")
    before = toggle.is_checked()
    for _ in range(3):
        page.locator(f".st-key-{key} label").click()
        try:
            page.wait_for_function(
                "([selector, before]) => document.querySelector(selector)?.checked !== before",
                arg=[f".st-key-{key} input[role='switch']", before],
                timeout=5_000,
            )
            break
        except sync_api.TimeoutError:
            continue
    _after(page, pair)


def _reopened(context, url: str, ready: str, keys: list[str]):
    """The copied link in a new tab: a new session."""
    other = context.new_page()
    _load(other, url, ready)
    return other, _view(other, keys)


def _notices(page) -> list[str]:
    return [t for t in page.evaluate(TEXTS) if "link" in t]


@pytest.fixture
def browser_context():
    with chromium() as browser:
        yield browser.new_context(viewport={"width": 1400, "height": 1000})


def test_a_copied_link_of_the_regions_page_opens_the_same_view(server, browser_context):
    page = browser_context.new_page()
    _load(page, f"{server}/{SLUG['compare']}?lang=nl&year=2024")
    _choose(page, "f_region", i18n.text("filters.partnership_option", "nl",
                                        name=label_for("partnership", "P03", "nl")))  # fmt: skip
    _after(page, "region=P03")
    # (the small test release measures only trajectories per province: the measure stays)
    page.locator(".st-key-cmp_level").get_by_text(
        i18n.text("dim.province", "nl"), exact=True
    ).click()
    _after(page, "level=province")
    page.wait_for_selector(".st-key-cmp_map .js-plotly-plot", timeout=30_000)
    keys = [*FILTERS, "cmp_measure", "cmp_level"]
    view = _view(page, keys)
    assert view["widgets"]["cmp_level"] == i18n.text("dim.province", "nl")
    assert label_for("partnership", "P03", "nl") in view["widgets"]["f_region"]
    assert view["charts"] == 3  # side by side, over the years, the map

    other, copied = _reopened(browser_context, page.url, ".st-key-cmp_map .js-plotly-plot", keys)
    assert copied == view
    assert _query(other.url) == _query(page.url)
    assert not _notices(other)


def test_a_copied_link_of_the_table_builder_opens_the_same_table(server, browser_context):
    page = browser_context.new_page()
    _load(page, f"{server}/{SLUG['tables']}?lang=en&year=2024", TABLE)
    _choose(page, "tables_measure", i18n.text("measure.share", "en"))
    _after(page, "measure=share")
    _choose(page, "tables_by", i18n.text("dim.year", "en"))
    _after(page, "by=year")
    _choose(page, "tables_by", i18n.text("dim.sex", "en"))
    _after(page, "by=year", "by=sex")
    _switch(page, "tables_totals", "totals=yes")
    _switch(page, "tables_filters", "filters=no")
    keys = [*FILTERS, "tables_measure", "tables_by", "tables_filters", "tables_totals"]
    view = _view(page, keys)
    assert view["widgets"]["tables_by"] == [i18n.text("dim.year", "en"), i18n.text("dim.sex", "en")]
    assert (view["widgets"]["tables_totals"], view["widgets"]["tables_filters"]) == (True, False)

    other, copied = _reopened(browser_context, page.url, TABLE, keys)
    assert copied == view
    assert _query(other.url) == _query(page.url)
    assert other.evaluate("() => document.documentElement.lang") == "en"


def test_a_menu_link_keeps_the_filters(server, browser_context):
    page = browser_context.new_page()
    _load(page, f"{server}/{SLUG['compare']}?lang=nl&year=2024&region=P03&level=province")
    links = page.locator(MENU_LINK)
    assert links.count() == len(navigation.PAGES)
    for i in range(links.count()):
        _, query = _query(links.nth(i).get_attribute("href") or "")
        # the filters, and none of this page's choices (level)
        assert query == {"lang": ["nl"], "year": ["2024"], "region": ["P03"]}, query

    duration = i18n.text("page.duration", "nl")
    page.locator(MENU_LINK, has_text=duration).click()
    page.wait_for_url(re.compile(rf"/{SLUG['duration']}\?"), timeout=30_000)
    page.wait_for_selector(CHART, timeout=30_000)
    _settle(page)
    path, query = _query(page.url)
    assert path == f"/{SLUG['duration']}"
    assert (query["year"], query["region"]) == (["2024"], ["P03"])
    assert "level" not in query
    assert page.locator("h1").first.inner_text() == i18n.text("duration.title", "nl")
    region = page.evaluate(STATE, ["f_region"])["f_region"]
    assert label_for("partnership", "P03", "nl") in region

    # a changed filter goes into every menu link; opened in a new tab, the link keeps it
    _choose(page, "f_region", i18n.text("filters.partnership_option", "nl",
                                        name=label_for("partnership", "P05", "nl")))  # fmt: skip
    _after(page, "region=P05")
    href = page.locator(MENU_LINK, has_text=i18n.text("page.outcomes", "nl")).get_attribute("href")
    assert "region=P05" in (href or "")
    other = browser_context.new_page()
    _load(other, f"{server}/{href}")
    assert label_for("partnership", "P05", "nl") in other.evaluate(STATE, ["f_region"])["f_region"]


def test_an_unknown_page_says_so_in_the_readers_language(server, browser_context):
    page = browser_context.new_page()
    _load(page, f"{server}/bestaatniet?lang=nl&year=2024")
    expected = i18n.text("url.unknown_page", "nl", page="'bestaatniet'",
                         shown=i18n.text("page.overview", "nl"))  # fmt: skip
    assert expected in _notices(page)
    assert page.locator("h1").first.inner_text() == i18n.text("overview.title", "nl")
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("dialog").count() == 0
    assert _query(page.url) == ("/", {"lang": ["nl"], "year": ["2024"]})

    # the default page's own slug is the overview, without a notice or a dialog
    _load(page, f"{server}/{SLUG['overview']}?lang=en")
    assert page.locator("h1").first.inner_text() == i18n.text("overview.title", "en")
    assert not _notices(page)
    assert page.get_by_role("dialog").count() == 0


def test_an_unknown_choice_in_a_link_is_named_and_dropped(server, browser_context):
    page = browser_context.new_page()
    _load(page, f"{server}/{SLUG['compare']}?lang=nl&measure=kans&level=province")
    (notice,) = _notices(page)
    assert notice == i18n.text("url.choice_ignored", "nl", choice=i18n.text("compare.measure", "nl"),
                               values="'kans'", shown=i18n.text("measure.trajectories", "nl"))  # fmt: skip
    widgets = page.evaluate(STATE, ["cmp_measure", "cmp_level"])
    assert widgets == {"cmp_measure": i18n.text("measure.trajectories", "nl"),
                       "cmp_level": i18n.text("dim.province", "nl")}  # fmt: skip
    _, query = _query(page.url)
    assert "measure" not in query
    assert query["level"] == ["province"]
