"""One language per page, as the browser shows it: every page in Dutch and in English, in Debian's
chromium; every visible text node of the rendered page (Streamlit's own widget texts, the charts'
SVG text and modebar, tables, notices) and every aria-label, title, placeholder, alt and
data-title attribute, plus the tab title, are searched for common words of the other language.
`<html lang>` must name the page's language and every page has its own tab title.

tests/app/test_language.py does the same in-process for what the app itself writes; this test sees
what AppTest cannot: Streamlit's and plotly.js's texts in the browser.

Left out: proper names (partnerships, provinces, BINC, Opgroeien, 1 Gezin 1 Plan, the bilingual
language switch), links (a URL's parameter names are code), text hidden from every reader (in a
closed expander, `aria-hidden`: e.g. Material icon names) — and a short, exact list of Streamlit
1.67's own texts that an app cannot set (STREAMLIT_OWN, each with where it comes from)."""

from __future__ import annotations

import re

import pytest
from support.browser import CHROMIUM, FLAGS, PAGES

from binc.core import i18n, reference

pytestmark = pytest.mark.browser

# Words of one language that the other does not use (not "of", "in", "per", "open", "download").
ENGLISH = {"the", "and", "not", "share", "trajectories", "trajectory", "cannot", "choose", "select",
           "option", "options", "results", "table", "chart", "year", "years", "total", "children",
           "months", "days", "suppressed", "none", "with", "started", "ended", "planned", "reached",
           "waiting", "duration", "partnership", "province", "sex", "family", "age", "still",
           "remove", "clear", "all", "search", "show", "hide", "columns", "link", "heading",
           "copy", "clipboard", "sidebar", "collapse", "expand", "help", "for", "selected",
           "values", "source", "licence", "view", "unit", "synthetic", "data", "image", "plot",
           "zoom", "click", "preparing", "succeeded", "sorry", "skip", "main", "content"}  # fmt: skip
DUTCH = {"het", "van", "een", "niet", "naar", "jaar", "trajecten", "traject", "kinderen", "maanden",
         "dagen", "onderdrukt", "geen", "met", "tabel", "grafiek", "totaal", "samenwerkingsverband",
         "provincie", "soort", "geslacht", "leeftijd", "gezin", "duur", "wachttijd", "nog", "kies",
         "alle", "bron", "licentie", "weergave", "eenheid", "deze", "voor", "startjaar",
         "startjaren", "synthetische", "demogegevens", "aandeel", "technische", "uitleg"}  # fmt: skip
OTHER = {"nl": ENGLISH, "en": DUTCH}

# Streamlit 1.67's own texts, the same on every site and not settable by an app (no parameter, no
# locale): the aria-labels of its chrome and widgets and its screen-reader skip link. Exact texts
# (or the one pattern each), so that any other English on a Dutch page still fails.
STREAMLIT_OWN = [
    r"Skip to main content",  # the skip link for screen readers, first in the page
    r"Sidebar|Collapse sidebar|Expand sidebar",  # the sidebar and its toggle
    r"Link to heading",  # the anchor link of every heading
    r"Open|Close",  # a selectbox's dropdown button
    r"Selected values|Clear all|Remove .+",  # a multiselect's chosen values (tags) and buttons
    r"Help for .+",  # a widget's help icon
    r"Show/hide columns|Search|Fullscreen|Download as CSV",  # st.dataframe's toolbar
    r"Copy to clipboard",  # st.code's button (the citation)
]
OWN = re.compile("|".join(f"(?:{pattern})" for pattern in STREAMLIT_OWN))
URL = re.compile(r"\w+://\S+")

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
    """(where, word, text) for each word of the other language in the collected texts."""
    words = set()
    for where, text in found:
        if OWN.fullmatch(text) or (where == "text" and text in ("NL", "EN")):
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
             ["text", "1 Family 1 Plan Antwerp"], ["title", "Show all"]]  # fmt: skip
    assert {word for _, word, _ in foreign_words(found, "nl")} == {
        "year",
        "Choose",
        "option",
        "Show",
        "all",
    }
    assert foreign_words([["text", "Trajectories started in het jaar"]], "en") == {
        ("text", "het", "Trajectories started in het jaar"), ("text", "jaar", "Trajectories started in het jaar")
    }  # fmt: skip


def test_every_page_speaks_one_language_in_the_browser(server):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    titles: dict[str, set[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for lang in i18n.LANGUAGES:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for slug, ready in PAGES.items():
                    page.goto(f"{server}/{slug}?lang={lang}", wait_until="domcontentloaded")
                    page.wait_for_selector(ready, timeout=30_000)
                    page.wait_for_timeout(1000)  # let plotly finish drawing
                    name = f"{slug or 'overzicht'} ({lang})"
                    if (declared := page.evaluate("() => document.documentElement.lang")) != lang:
                        problems.append(f"{name}: <html lang={declared!r}>")
                    titles.setdefault(lang, set()).add(page.title())
                    problems += [
                        f"{name}: {word!r} in {where} {text!r}"
                        for where, word, text in sorted(foreign_words(page.evaluate(COLLECT), lang))
                    ]
                page.close()
        finally:
            browser.close()
    assert not problems, "words of the other language:\n" + "\n".join(problems)
    for lang, seen in titles.items():
        assert len(seen) == len(PAGES), f"pages share a tab title ({lang}): {sorted(seen)}"
