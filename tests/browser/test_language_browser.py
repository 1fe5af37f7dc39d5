"""One language per page, as the browser shows it: every page in Dutch and in English, in Debian's
chromium; every visible text node of the rendered page (Streamlit's own widget texts, the charts'
SVG text and modebar, tables, notices) and every aria-label, title, placeholder, alt and
data-title attribute, plus the tab title, are searched for common words of the other language.
`<html lang>` must name the page's language and every page has its own tab title.

tests/app/test_language.py does the same in-process for what the app itself writes; this test sees
what AppTest cannot: Streamlit's and plotly.js's texts in the browser.

Streamlit's own texts (its chrome, the widgets' aria-labels, the data table's toolbar and menus, the
dropdowns) are translated in the page by dashboard/streamlit_texts.py; any of them still in the other
language fails too, whether or not it holds a word of the lists (so "Open" and "Fullscreen" count).
To show them, the widgets are used: on the first page the sidebar's dropdowns are opened (one with a
search that finds nothing) and the sidebar is collapsed; on the tables page the data table's
toolbar, tooltip, search, column list, column menu, statistics and full screen, the citation's copy
button, and the dimensions' dropdown at its limit of three. A second test switches the language
on an open page and back.

Left out: proper names (partnerships, provinces, BINC, Opgroeien, 1 Gezin 1 Plan, the bilingual
language switch), links (a URL's parameter names are code) and text hidden from every reader (in a
closed expander, `aria-hidden`: e.g. Material icon names)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.browser import PAGES, chromium, visit

from binc.core import i18n, reference
from dashboard import navigation, streamlit_texts

pytestmark = pytest.mark.browser

# Words of one language that the other does not use (not "of", "in", "per", "open", "download",
# "link", "stop", "type", "minimum").
ENGLISH = {"the", "and", "not", "share", "trajectories", "trajectory", "cannot", "choose", "select",
           "option", "options", "results", "table", "chart", "year", "years", "total", "children",
           "months", "days", "suppressed", "none", "with", "started", "ended", "planned", "reached",
           "waiting", "duration", "partnership", "province", "sex", "family", "age", "still",
           "remove", "clear", "all", "search", "show", "hide", "columns", "heading",
           "copy", "clipboard", "sidebar", "collapse", "expand", "help", "for", "selected",
           "values", "source", "licence", "view", "unit", "synthetic", "data", "image", "plot",
           "zoom", "click", "preparing", "succeeded", "sorry", "skip", "main", "content", "close",
           "fullscreen", "copied", "dismiss", "available", "sort", "ascending", "descending",
           "column", "statistics", "result", "previous", "next", "running", "unable", "connect",
           "average", "distinct", "empty", "median", "length", "matches", "frequency"}  # fmt: skip
DUTCH = {"het", "van", "een", "niet", "naar", "jaar", "trajecten", "traject", "kinderen", "maanden",
         "dagen", "onderdrukt", "geen", "met", "tabel", "grafiek", "totaal", "samenwerkingsverband",
         "provincie", "soort", "geslacht", "leeftijd", "gezin", "duur", "wachttijd", "nog", "kies",
         "alle", "bron", "licentie", "weergave", "eenheid", "deze", "voor", "startjaar",
         "startjaren", "synthetische", "demogegevens", "aandeel", "technische", "uitleg"}  # fmt: skip
OTHER = {"nl": ENGLISH, "en": DUTCH}

# Streamlit's own texts, by the language they would be wrong in: on a Dutch page an English one
# that the page's script translates, on an English page a Dutch one it failed to put back.
OWN = {"nl": streamlit_texts.table("en", "nl"), "en": streamlit_texts.table("nl", "en")}
URL = re.compile(r"\w+://\S+")

TABLES = next(page.slug for page in navigation.PAGES if page.name == "tables")
# Three dimensions, the most the tables page takes: its dropdown then says so.
AT_THE_LIMIT = "&by=year&by=province&by=sex"
# Streamlit's texts that the widgets used below show (the control that they were used), each in
# the page's language.
SHOWN = ("skip_link", "sidebar", "collapse_sidebar", "expand_sidebar", "link_to_heading", "help_for",
         "open", "clear_all", "selected_values", "remove", "select_all", "no_results", "dismiss",
         "options_available", "max_many", "fullscreen", "close_fullscreen", "show_hide_columns",
         "download_csv", "search", "type_to_search", "previous_result", "next_result",
         "close_search", "results", "column_menu", "column_kind_text", "copy_column_name",
         "sort_ascending", "sort_descending", "statistics", "autosize", "pin_column",
         "hide_column", "values", "empty", "distinct", "top_values_chart", "copy")  # fmt: skip

# Every visible text node, and the texts of attributes that screen readers or tooltips read.
COLLECT = r"""() => {
  const out = [];
  const hidden = el => el.closest('[aria-hidden="true"], [inert], script, style, noscript, template');
  // a chart's text: one <text> per label, its wrapped lines (<tspan class="line">) joined by spaces
  for (const svg of document.querySelectorAll('svg text')) {
    if (hidden(svg)) continue;
    const lines = [...svg.querySelectorAll('tspan.line')].map(line => line.textContent);
    const text = (lines.length ? lines.join(' ') : svg.textContent).trim();
    if (text) out.push(['chart', text]);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim(), el = walker.currentNode.parentElement;
    if (!text || !el || hidden(el) || el.closest('svg text')) continue;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if ((box.width === 0 && box.height === 0) || style.visibility === 'hidden') continue;
    out.push(['text', text]);
  }
  const names = ['aria-label', 'title', 'placeholder', 'alt', 'data-title', 'aria-description'];
  for (const el of document.querySelectorAll(names.map(n => `[${n}]`).join(',')))
    for (const name of names) {
      const value = (el.getAttribute(name) || '').trim();
      if (value) out.push([name, value]);
    }
  out.push(['<title>', document.title]);
  return out;
}"""


def _proper_names() -> list[str]:
    names = list(reference.partnerships()["label_nl"]) + list(reference.partnerships()["label_en"])
    names += list(reference.provinces()["label_nl"]) + list(reference.provinces()["label_en"])
    names += ["Taal / Language", "1 Gezin, 1 Plan", "1 Gezin 1 Plan", "1Gezin1Plan", "BINC",
              "Begeleiding In Cijfers", "Opgroeien", "Plotly"]  # fmt: skip
    return sorted(set(names), key=len, reverse=True)


NAMES = _proper_names()


def foreign_words(found: list[list[str]], language: str) -> set[tuple[str, str, str]]:
    """(where, word, text) for each word of the other language in the collected texts, and
    (where, "Streamlit", text) for each of Streamlit's own texts in the other language."""
    words = set()
    for where, text in found:
        if streamlit_texts.translate(text, OWN[language]) != text:
            words.add((where, "Streamlit", text[:90]))
            continue
        if where == "text" and text in ("NL", "EN"):
            continue
        cleaned = URL.sub(" ", text)
        for name in NAMES:
            cleaned = cleaned.replace(name, " ")
        for word in re.findall(r"[A-Za-zÀ-ÿ]+", cleaned):
            if word.lower() in OTHER[language]:
                words.add((where, word, text[:90]))
    return words


def test_the_check_finds_english_on_a_dutch_page_and_keeps_what_it_must():
    found = [["text", "Gestarte trajecten per year"], ["aria-label", "Choose an option"],
             ["aria-label", "Remove 2025"], ["text", "Deze weergave: http://x/duur?lang=nl&year=2025"],
             ["text", "1 Family 1 Plan Antwerp"], ["title", "Show all"], ["aria-label", "Open"],
             ["aria-label", "2025 verwijderen"], ["aria-label", "Openen"]]  # fmt: skip
    assert {word for _, word, _ in foreign_words(found, "nl")} == {
        "year",
        "Choose",
        "option",
        "Show",
        "all",
        "Streamlit",  # "Remove 2025", and "Open", which holds no word of the list
    }
    assert {text for _, word, text in foreign_words(found, "nl") if word == "Streamlit"} == {
        "Remove 2025",
        "Open",
    }
    assert foreign_words([["aria-label", "Zijbalk inklappen"]], "en") == {
        ("aria-label", "Streamlit", "Zijbalk inklappen")
    }
    assert foreign_words([["text", "Trajectories started in het jaar"]], "en") == {
        ("text", "het", "Trajectories started in het jaar"), ("text", "jaar", "Trajectories started in het jaar")
    }  # fmt: skip


def test_every_page_speaks_one_language_in_the_browser(server):
    problems: list[str] = []
    titles: dict[str, set[str]] = {}
    with chromium() as browser:
        for lang in i18n.LANGUAGES:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            seen: list[list[str]] = []
            for slug in PAGES:
                visit(page, server, slug, lang, settle_ms=1000)
                name = f"{slug or 'overzicht'} ({lang})"
                if (declared := page.evaluate("() => document.documentElement.lang")) != lang:
                    problems.append(f"{name}: <html lang={declared!r}>")
                titles.setdefault(lang, set()).add(page.title())
                found = page.evaluate(COLLECT)
                if slug == next(iter(PAGES)):  # the sidebar: the same on every page
                    found += _use_the_sidebar(page)
                if slug == TABLES:
                    # by start year: seven rows that all hold a "2", so the search below finds
                    # several cells ("{count} results") whatever the release's numbers
                    page.goto(f"{server}/{slug}?lang={lang}&by=year", wait_until="domcontentloaded")
                    found += _use_the_data_table(page)
                    page.goto(
                        f"{server}/{slug}?lang={lang}{AT_THE_LIMIT}",
                        wait_until="domcontentloaded",
                    )
                    found += _open_the_dimensions_at_their_limit(page)
                seen += found
                problems += [
                    f"{name}: {word!r} in {where} {text!r}"
                    for where, word, text in sorted(foreign_words(found, lang))
                ]
            if missing := not_shown(seen, lang):
                problems.append(f"({lang}) never shown, so not checked: {missing}")
            page.close()
    assert not problems, (
        "words of the other language ('Streamlit': one of Streamlit's own texts, see"
        " dashboard/streamlit_texts.py):\n" + "\n".join(problems)
    )
    for lang, seen in titles.items():
        assert len(seen) == len(PAGES), f"pages share a tab title ({lang}): {sorted(seen)}"


def test_switching_the_language_on_an_open_page_switches_streamlits_texts_too(server):
    """The script stays in the page after the switch to English: it puts Streamlit's English back
    (and stops), and translates again after the switch back. Its translation is also compared
    with dashboard/streamlit_texts.translate for every text of the tables."""
    samples = []
    for key in i18n.texts_of("streamlit", "en"):
        for lang in i18n.LANGUAGES:
            filled = _filled(i18n.text(f"streamlit.{key}", lang))
            samples += [
                [filled, "nl"],
                [filled, "en"],
                [f" {filled}: Tabel ", "nl"],
                [f"{filled}: Tabel", "en"],
            ]
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?lang=nl", wait_until="domcontentloaded")
        page.wait_for_selector(PAGES[""], timeout=30_000)
        translated = page.evaluate(
            "samples => samples.map(([text, lang]) => window.__bincStreamlitTexts.translate(text, lang))",
            samples,
        )
        expected = [streamlit_texts.translate(text, OWN[lang]) for text, lang in samples]
        assert [(sample, got) for sample, got, want in zip(samples, translated, expected, strict=True)
                if got != want] == []  # fmt: skip
        for lang in ("en", "nl"):
            page.locator('[data-testid="stSidebar"] button', has_text=lang.upper()).click()
            page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
            page.wait_for_selector(PAGES[""], timeout=30_000)
            page.wait_for_timeout(1500)  # the rerun has drawn the page in the new language
            found = page.evaluate(COLLECT) + _use_the_sidebar(page)
            problems += [f"after the switch to {lang}: {word!r} in {where} {text!r}"
                         for where, word, text in sorted(foreign_words(found, lang))]  # fmt: skip
    assert not problems, "\n".join(problems)


# --- using the widgets that show more of Streamlit's texts -----------------------------------


def _name(key: str) -> re.Pattern[str]:
    """A button's or menu item's accessible name: Streamlit's text in either language (so that a
    text left in the wrong one is reported by the check, not by a click that finds nothing)."""
    either = "|".join(
        streamlit_texts.regex(i18n.text(f"streamlit.{key}", lang)) for lang in i18n.LANGUAGES
    )
    return re.compile(f"^(?:{either})(: .*)?$")


def _filled(template: str) -> str:
    return streamlit_texts.PLACEHOLDER.sub(
        lambda m: "7" if m.group(1) in streamlit_texts.NUMBERS else "Regio", template
    )


def not_shown(found: list[list[str]], lang: str) -> list[str]:
    """The keys of SHOWN whose text (in `lang`) none of the collected texts is."""
    texts = {text.strip() for _, text in found}
    missing = []
    for key in SHOWN:
        template = i18n.text(f"streamlit.{key}", lang)
        expression = re.compile(f"(?:{streamlit_texts.regex(template)})(?:: .*)?", re.DOTALL)
        if not any(expression.fullmatch(text) for text in texts):
            missing.append(key)
    return missing


def _use_the_sidebar(page: Any) -> list[list[str]]:
    """The region's dropdown, the start years' dropdown (and a search in it that finds nothing),
    and the sidebar collapsed (its button to expand it) and expanded again."""
    found: list[list[str]] = []
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.wait_for_selector('[data-testid="stSelectboxVirtualDropdown"]')
    found += page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    sidebar.locator('[data-testid="stMultiSelect"]').first.click()
    page.wait_for_selector('[data-testid="stMultiSelectDropdown"]')
    found += page.evaluate(COLLECT)
    page.keyboard.type("zzz")
    page.wait_for_timeout(300)
    found += page.evaluate(COLLECT)
    for key in ("Backspace", "Backspace", "Backspace", "Escape"):
        page.keyboard.press(key)
    sidebar.hover()  # its collapse button shows on hover
    page.get_by_role("button", name=_name("collapse_sidebar")).click()
    expand = page.get_by_role("button", name=_name("expand_sidebar"))
    expand.wait_for()
    found += page.evaluate(COLLECT)
    expand.click()
    page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="false"]')
    return found


def _use_the_data_table(page: Any) -> list[list[str]]:
    """The first data table's toolbar (and a button's tooltip), search, list of columns, column
    menu with its statistics, and full screen; then the citation's copy button."""
    found: list[list[str]] = []
    table = page.locator('[data-testid="stDataFrame"]').first

    def button(key: str) -> Any:
        table.hover()
        return page.get_by_role("button", name=_name(key)).first

    button("show_hide_columns").hover()
    page.get_by_test_id("stTooltipContent").wait_for()  # after a second
    found += page.evaluate(COLLECT)
    button("show_hide_columns").click()
    page.get_by_test_id("stDataFrameColumnVisibilityMenu").wait_for()
    found += page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    button("search").click()
    page.wait_for_timeout(300)
    found += page.evaluate(COLLECT)
    page.keyboard.type("2")
    page.get_by_test_id("search-result-area").wait_for()
    found += page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    _open_the_first_column_menu(page, table)
    found += page.evaluate(COLLECT)
    page.get_by_role("menuitem", name=_name("statistics")).hover()
    page.get_by_test_id("stDataFrameStatisticsMenu").wait_for()
    found += page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    button("fullscreen").click()
    close = page.get_by_role("button", name=_name("close_fullscreen")).first
    close.wait_for(state="attached")
    found += page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    page.get_by_test_id("stCode").first.hover()
    found += page.evaluate(COLLECT)
    return found


def _open_the_first_column_menu(page: Any, table: Any) -> None:
    """Click the menu button of the first column's header. The table is drawn on a canvas: the
    button shows on hover at the header's right end, just before the pointer becomes `col-resize`
    (a click elsewhere on the header sorts, so it is tried again after a while)."""
    from playwright.sync_api import TimeoutError as NotYet

    box = table.bounding_box()
    y = box["y"] + 17  # the header row
    cursor = (
        "() => getComputedStyle(document.querySelector('[data-testid=stDataFrame] canvas')).cursor"
    )
    edge = 8
    while edge < box["width"]:
        page.mouse.move(box["x"] + edge, y)
        if page.evaluate(cursor) == "col-resize":
            break
        edge += 4
    menu = page.get_by_test_id("stDataFrameColumnMenu")
    for _ in range(5):
        page.mouse.move(box["x"] + edge - 14, y)
        page.wait_for_timeout(300)  # the table draws the hovered header with its button
        page.mouse.click(box["x"] + edge - 14, y)
        try:
            menu.wait_for(timeout=2000)
            return
        except NotYet:
            page.mouse.move(box["x"] + 8, y + 40)
    menu.wait_for()


def _open_the_dimensions_at_their_limit(page: Any) -> list[list[str]]:
    """The tables page's dimensions, three chosen: their dropdown says that three is the most."""
    dimensions = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').first
    dimensions.locator('[data-tag-index="2"]').wait_for(timeout=30_000)  # the third one chosen
    dimensions.click()
    page.wait_for_selector('[data-testid="stMultiSelectDropdown"]')
    page.wait_for_timeout(300)
    found = page.evaluate(COLLECT)
    page.keyboard.press("Escape")
    return found
