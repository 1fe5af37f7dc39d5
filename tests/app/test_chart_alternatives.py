"""Every chart has text alternatives (issue "Accessibility"): a short description for screen
readers (st.plotly_chart's alt) and its numbers as a table under it, in both languages; a
suppressed point reads "onderdrukt" in that table, never 0. The browser side (axe-core, contrast,
page language and titles) is tests/browser/test_accessibility.py."""

from __future__ import annotations

import polars as pl
import pytest
from support.small_release import PAGES, open_page

from binc.core import i18n
from dashboard.tables import chart_table

pytestmark = pytest.mark.usefixtures("app_release")

# Doelgroep shows its table in a tab beside the chart instead of under it.
TABLE_IN_A_TAB = "target_group"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_chart_has_a_description_and_a_table(page, lang):
    at = open_page(page, {"lang": lang})
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    chart = i18n.text("tabs.chart", lang)
    assert all(c.proto.alt.startswith(f"{chart}: ") for c in charts), [c.proto.alt for c in charts]
    if page != TABLE_IN_A_TAB:
        tables = [e for e in at.expander if e.label == i18n.text("tabs.table", lang)]
        assert len(tables) == len(charts)
        assert all(len(e.get("table")) == 1 for e in tables)


def test_the_chart_table_says_suppressed_and_keeps_the_chart_order():
    frame = pl.DataFrame({"category": ["a", "b"], "series": ["s", "s"], "value": [12.25, None],
                          "ci_low": [10.0, None], "ci_high": [14.5, None], "suppressed": [False, True]})  # fmt: skip
    shown = chart_table(frame, "nl", 1, "Leeftijd", "Soort traject")
    assert shown.columns == ["Soort traject", "Leeftijd", "Waarde", "95%-interval"]
    assert shown.rows() == [("s", "a", "12,2", "10,0 – 14,5"), ("s", "b", "onderdrukt", "")]
    assert chart_table(frame, "en", 0, "Age").row(1) == ("b", "suppressed", "")
