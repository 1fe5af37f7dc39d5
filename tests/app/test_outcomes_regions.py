"""The outcomes page per region: end reasons are measured per partnership and province in five
groups, so the page shows the groups there, says why, and shows single reasons for Flanders."""

from __future__ import annotations

import pytest
from support.small_release import open_page

from binc.core import i18n
from binc.export.labels import display_label

pytestmark = pytest.mark.usefixtures("app_release")


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def _shown(at) -> str:
    """Every chart's specification (labels included) as text."""
    return " ".join(chart.proto.spec for chart in at.get("plotly_chart"))


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("region", ["P02", "40000"])
def test_a_region_shows_the_end_groups_and_says_why(lang: str, region: str) -> None:
    at = open_page("outcomes", {"lang": lang, "region": region})
    assert not at.exception
    assert i18n.text("outcomes.reasons_grouped", lang) in _captions(at)
    shown = _shown(at)
    assert display_label("end_group", "other_planned", lang) in shown
    assert display_label("end_reason", "handed_over", lang) not in shown


def test_flanders_shows_the_single_end_reasons() -> None:
    at = open_page("outcomes", {"lang": "nl"})
    assert not at.exception
    assert i18n.text("outcomes.reasons_grouped", "nl") not in _captions(at)
    shown = _shown(at)
    assert display_label("end_reason", "handed_over", "nl") in shown
