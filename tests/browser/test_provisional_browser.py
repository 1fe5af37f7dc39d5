"""A release on the publication calendar in a real browser: Chromium shows the open start year as
"voorlopig", draws its trend points as a dashed line with open markers, and the method page
explains provisional and definitive figures, with no Streamlit exception box (issue 13)."""

from __future__ import annotations

import pytest
from support.browser import chromium, requirements, serve, visit
from support.provisional import calendar_release_file

from binc.core import i18n
from dashboard import navigation

pytestmark = pytest.mark.browser

METHOD = next(page.slug for page in navigation.PAGES if page.name == "method")
# Plotly draws a dashed line with a stroke-dasharray on its path.
DASHED = ".js-plotly-plot .scatterlayer .trace path.js-line[style*='stroke-dasharray']"


def test_provisional_figures_are_marked_in_a_real_browser():
    requirements()
    with serve(calendar_release_file()) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        visit(page, server, "")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text(i18n.text("provisional.year", "nl", year="2025")).count() >= 1
        dashes = page.locator(DASHED).evaluate_all(
            "paths => paths.filter(p => !/stroke-dasharray: *(none|0px)?;/.test(p.getAttribute('style'))).length"
        )
        assert dashes >= 1, "the open year's trend is not drawn dashed"
        visit(page, server, METHOD)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text(i18n.text("method.calendar_header", "nl")).count() == 1
        assert page.get_by_text(i18n.text("method.notes_header", "nl")).count() == 1
