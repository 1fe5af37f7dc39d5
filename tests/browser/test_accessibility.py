"""Accessibility: axe-core (WCAG 2.1 A and AA) on every page of the dashboard, in Dutch and in
English, in Debian's chromium; no violation of impact serious or critical may remain. Beside axe:
the page declares the language it shows, every page has its own title, every chart has a short
description for screen readers, and the charts' text has 4.5:1 contrast (axe cannot judge text in
an SVG).

axe.min.js is the file installed with the dev dependency axe-playwright-python (no network at test
time). Every violation of any impact is written to tests/screenshots/accessibility.json
(git-ignored) for a reader; the assertion lists rule id, impact, node count and first target.
"""

from __future__ import annotations

import json

import pytest
from support import TESTS
from support.browser import (
    CHART_TEXT_CONTRAST,
    PAGES,
    UNNAMED_CHARTS,
    axe_script,
    chromium,
    failing,
    run_axe,
    summary,
    visit,
)

from binc.core import i18n
from dashboard import navigation

pytestmark = pytest.mark.browser

COMPARE = next(page.slug for page in navigation.PAGES if page.name == "compare")
OPEN_EXPANDERS = """() => document.querySelectorAll('[data-testid="stExpander"] details:not([open]) > summary')
  .forEach(summary => summary.click())"""
REPORT = TESTS / "screenshots" / "accessibility.json"  # git-ignored

# Violations that come from Streamlit's own markup and cannot be fixed from the app:
# (axe rule id, exact target selector) -> why. Never a whole rule.
EXCLUDED: dict[tuple[str, str], str] = {}


def test_every_page_passes_axe_in_both_languages(server):
    script = axe_script()
    report: dict[str, list[dict[str, object]]] = {}
    problems: list[str] = []
    titles: dict[str, set[str]] = {}
    with chromium() as browser:
        for lang in i18n.LANGUAGES:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            for slug in PAGES:
                visit(page, server, slug, lang, settle_ms=0)
                if slug == COMPARE:  # the province map too
                    page.get_by_text(i18n.text("dim.province", lang), exact=True).click()
                    page.wait_for_selector(".st-key-cmp_map .js-plotly-plot", timeout=30_000)
                # what sits in closed expanders (the charts' tables, the code lists) as well
                page.evaluate(OPEN_EXPANDERS)
                page.wait_for_timeout(1500)  # let plotly finish drawing
                results = run_axe(page, script)
                name = f"{slug or 'overzicht'} ({lang})"
                titles.setdefault(lang, set()).add(page.title())
                declared = page.evaluate("() => document.documentElement.lang")
                if declared != lang:
                    problems.append(f"{name}: <html lang={declared!r}>")
                if unnamed := page.evaluate(UNNAMED_CHARTS):
                    problems.append(f"{name}: {unnamed} chart(s) without a description (alt)")
                if faint := page.evaluate(CHART_TEXT_CONTRAST):
                    problems.append(f"{name}: chart text below 4.5:1, e.g. {faint[:3]}")
                report[name] = [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "nodes": [n["target"] for n in v["nodes"]],
                    }
                    for v in results["violations"]
                ]
                found = failing(results, EXCLUDED)
                if found:
                    problems.append(f"{name}:\n{summary(found)}")
            context.close()
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    assert not problems, "accessibility problems:\n" + "\n".join(problems)
    for lang, seen in titles.items():
        assert len(seen) == len(PAGES), f"pages share a title ({lang}): {sorted(seen)}"
