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


@pytest.mark.parametrize(("page", "key"), [("outcomes", "out_by"), ("target_group", "tg_by")])
def test_with_a_region_no_split_by_type_is_offered_and_nothing_is_refused(page: str, key: str):
    """Per region only counts are measured by trajectory type: the split is not offered, so the
    page has no refusal to show; Resultaten opens by start year and says follow-up is not measured
    per region in one line."""
    refused = i18n.text("error.not_measured", "nl").split("{")[0]
    by_type = i18n.text("breakdown.trajectory_type", "nl")
    flanders = open_page(page, {"lang": "nl"})
    assert by_type in flanders.selectbox(key=key).options
    at = open_page(page, {"lang": "nl", "region": "P02"})
    assert not at.exception
    assert by_type not in at.selectbox(key=key).options
    assert not [i.value for i in at.info if i.value.startswith(refused)]
    if page == "outcomes":
        assert at.selectbox(key=key).value == "year"
        assert i18n.text("outcomes.follow_up_not_per_region", "nl") in _captions(at)
