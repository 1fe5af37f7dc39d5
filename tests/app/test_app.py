"""The dashboard in-process (Streamlit AppTest): every page renders, widgets and language change what
is shown, and query parameters restore a shared view."""

from __future__ import annotations

import json
import shutil

import pytest
from support.small_release import PAGES, app_test, open_page

from binc.core import i18n
from binc.disclosure import protect
from binc.export.labels import label_for

pytestmark = pytest.mark.usefixtures("app_release")


def _texts(at) -> str:
    """Everything a reader sees as text on the current page (titles, prose, metrics, alerts)."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                  "warning", "error") for e in getattr(at, kind)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def _charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception_or_error(page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == i18n.text(f"{page}.title", "nl")
    # the synthetic-data banner is visible on every page
    assert any(i18n.text("banner.synthetic", "nl") == w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_language_switch_changes_labels(page):
    at = open_page(page)
    at.button_group(key="f_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == i18n.text(f"{page}.title", "en")
    assert at.sidebar.multiselect[0].label == i18n.text("filters.years", "en")
    assert at.query_params["lang"] in ("en", ["en"])


def test_query_parameters_restore_a_view():
    query = {"lang": "en", "year": ["2023", "2024"], "region": "P03", "type": ["coaching_short"]}
    at = open_page("overview", query)
    assert at.session_state["f_years"] == ["2023", "2024"]
    assert at.session_state["f_region"] == "P03"
    assert at.session_state["f_types"] == ["coaching_short"]
    assert at.title[0].value == i18n.text("overview.title", "en")


def test_unknown_query_parameters_are_ignored():
    at = open_page(
        "overview", {"lang": "xx", "year": ["1900"], "region": "<script>", "type": ["nope"]}
    )
    assert not at.exception
    assert at.session_state["f_region"] == "ALL"
    assert at.session_state["f_types"] == []
    assert at.title[0].value == i18n.text("overview.title", "nl")


def test_filters_are_written_to_the_url():
    at = open_page("overview")
    at.selectbox(key="f_region").set_value("P05").run()
    assert at.query_params["region"] in ("P05", ["P05"])


def test_overview_trend_measure_changes_the_chart():
    at = open_page("overview")
    before = _charts(at)
    at.selectbox(key="overview_trend").set_value("share_planned_end").run()
    after = _charts(at)
    assert not at.exception
    assert before != after


def test_overview_region_filter_changes_the_headlines():
    at = open_page("overview")
    before = [m.value for m in at.metric]
    at.selectbox(key="f_region").set_value("P01").run()
    assert [m.value for m in at.metric] != before


def test_table_builder_dimensions_change_the_preview_and_offer_downloads():
    at = open_page("tables")
    at.multiselect(key="tables_by").set_value(["year", "sex"]).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert {i18n.text("dim.year", "nl"), i18n.text("dim.sex", "nl")} <= set(frame.columns)
    assert len(at.get("download_button")) == 5
    assert any("release" in c.value for c in at.code)


def test_table_builder_explains_a_combination_outside_the_workload():
    at = open_page("tables")
    at.multiselect(key="tables_by").set_value(["province", "trajectory_type"]).run()
    assert not at.exception
    # said in Dutch, with the breakdowns by their names (the English sentence named codes)
    why = next(
        i.value for i in at.info if i.value.startswith(i18n.text("error.not_measured", "nl")[:20])
    )
    assert i18n.text("dim.province", "nl") in why
    assert i18n.text("dim.trajectory_type", "nl") in why
    assert "province" not in why
    assert "no measured table" not in why


def test_table_builder_explains_a_table_too_costly_to_protect(app_release, tmp_path, monkeypatch):
    """Suppression is decided year by year, and one year of the small test release is cheap to
    protect; so the bound is lowered here (its own value is tested in tests/spec/test_patterns.py)
    and a copy of the release is served, whose pattern tables no other test has computed yet."""
    copy = tmp_path / "release.duckdb"
    shutil.copyfile(app_release, copy)
    monkeypatch.setenv("BINC_RELEASE", str(copy))
    monkeypatch.setattr(protect, "MAX_SUPPRESSION_WORK", 10_000)
    at = open_page("tables")
    # by partnership and duration: nearly every cell of a year below k, over 10,000 units of work
    at.multiselect(key="tables_by").set_value(["year", "partnership", "duration_band"]).run()
    assert not at.exception
    first_words = i18n.text("error.too_costly", "nl").split(".")[0]
    assert any(i.value.startswith(first_words) for i in at.info)
    assert not at.get("download_button")


def test_compare_province_level_draws_a_map():
    at = open_page("compare")
    charts = len(at.get("plotly_chart"))
    at.radio(key="cmp_level").set_value("province").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 1
    # drawn from the bundled outlines on plain axes: no geo trace, whose base map comes from a CDN
    types = [(d.get("type", "scatter"), d.get("fill")) for c in _charts(at) for d in c["data"]]
    assert types.count(("scatter", "toself")) == 6  # 5 Flemish provinces + Brussels
    geo = ("choropleth", "scattergeo", "scattermap", "densitymap")  # also the *mapbox variants
    assert not [kind for kind, _ in types if kind.startswith(geo)]


def test_target_group_dimension_changes_the_chart():
    at = open_page("target_group")
    before = _charts(at)
    at.radio(key="tg_dim").set_value("sex").run()
    assert _charts(at) != before


def test_a_refused_question_is_explained_not_a_traceback():
    # province × trajectory type is not measured: pages explain instead of failing
    at = open_page("target_group", {"region": "10000", "type": ["bridging"]})
    assert not at.exception
    assert at.info


def test_missing_release_gives_a_friendly_message(monkeypatch, tmp_path):
    monkeypatch.setenv("BINC_RELEASE", str(tmp_path / "none.duckdb"))
    at = app_test().run()
    assert not at.exception
    assert at.error
    assert "binc release" in at.error[0].value


def test_every_ui_key_exists_in_both_languages():
    assert i18n.keys("nl") == i18n.keys("en")


def test_nl_be_number_and_date_formats():
    assert i18n.format_number(1234.5, "nl", 1) == "1.234,5"
    assert i18n.format_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.format_number(None, "nl") == "–"
    assert i18n.format_date("2026-03-05T10:00:00+00:00", "nl") == "5 maart 2026"


def test_the_overview_names_its_period_and_region_and_answers_goals_reached():
    at = open_page("overview", {"year": ["2023", "2024"], "region": "P03"})
    assert not at.exception
    region = label_for("partnership", "P03", "nl")
    assert at.subheader[0].value == i18n.text(
        "overview.headlines", "nl", year="2024", region=region
    )
    labels = [m.label for m in at.metric]
    assert i18n.text("measure.share_goals_reached", "nl") in labels
    for metric in at.metric:
        share = metric.label in (
            i18n.text("measure.share_planned_end", "nl"),
            i18n.text("measure.share_goals_reached", "nl"),
        )
        if share and metric.value not in ("–", i18n.text("chart.suppressed", "nl")):
            assert metric.value.endswith(" %"), metric.value


def test_the_first_year_is_compared_with_nothing():
    at = open_page("overview", {"year": ["2019"]})
    assert not at.exception
    prose = [m.value for m in at.markdown]
    assert i18n.text("overview.no_previous", "nl", previous="2018") in prose
    assert not any("2018" in line and "veranderde" in line for line in prose)


def test_a_breakdown_by_start_year_shows_every_year_whatever_the_sidebar_holds():
    at = open_page("tables", {"year": ["2024"], "region": "P03"})
    at.multiselect(key="tables_by").set_value(["year"]).run()
    assert not at.exception
    years = at.dataframe[0].value[i18n.text("dim.year", "nl")].to_list()
    assert len(years) > 1
    assert "2024" in years


def test_the_citation_on_the_tables_page_is_in_the_readers_language():
    at = open_page("tables", {"region": "P03"})
    cite = at.code[0].value
    assert cite.startswith("Opgroeien, BINC (Begeleiding In Cijfers), release")
    assert "Samenwerkingsverband: " + label_for("partnership", "P03", "nl") in cite
