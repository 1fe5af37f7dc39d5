"""A value too uncertain to read is said, not drawn (issue 11, items 7 and 8): "te onzeker" in the
tables, no point, bar or whisker in the figure sent to the browser, a note under the chart; not used
for the order of regions nor for "clearly higher/lower"; regions compared over the last 3 complete
start years by default for outcome measures, named in the heading.

Most tests run on the small release with the shipped rule (`strict_app_release`: most of its
values are too uncertain) or with a rule that splits the regions of one question
(`split_app_release`); the order of regions is tested on the small release as the page tests
see it (`app_release`: nothing too uncertain, so every interval is drawn)."""

from __future__ import annotations

import json
import shutil
from itertools import pairwise
from pathlib import Path

import duckdb
import polars as pl
import pytest
from support.small_release import (
    app_test,
    page_path,
    release_with_rule,
    small_release,
    split_rule_release,
    strict_release,
)

from binc.answering import answer
from binc.core import i18n
from binc.export.labels import display_label
from binc.release_file import load_release
from dashboard.tables import as_displayed, interval_order

SIDEBAR = ("lang", "year", "region", "type")
POOLED = ("2023", "2024", "2025")  # the small release's data date is in 2026


def _open(page: str, link: dict | None = None):
    """`page` as a copied link opens it: the sidebar's filters on the first run, the page's own
    choices when the page is entered."""
    link = dict(link or {})
    at = app_test()
    at.query_params = {k: v for k, v in link.items() if k in SIDEBAR}
    at.run()
    at.query_params = {**at.query_params, **link}
    at.switch_page(page_path(page)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figure(at, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def _chart_table(at, index: int = 0) -> pl.DataFrame:
    tables = [
        e.get("table")[0].value for e in at.expander if e.label == i18n.text("tabs.table", "nl")
    ]
    return pl.from_pandas(tables[index])


def _labels(dimension: str, codes) -> list[str]:
    return [display_label(dimension, code, "nl") for code in codes]


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


# --- not drawn, but said ----------------------------------------------------------------------------


# The count per partnership in one start year: shown for nearly every partnership in every build of
# the small release, and the rule (split_rule_release) is set between their widths, so some are too
# uncertain and some are drawn whatever the draw. (A share of ended trajectories per partnership is
# suppressed for every partnership in some builds.)
REGION_QUESTION = ("trajectories", ("partnership",), {"year": ("2025",)})


@pytest.fixture
def split_app_release(monkeypatch: pytest.MonkeyPatch) -> Path:
    release = split_rule_release(*REGION_QUESTION)
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release


def test_a_too_uncertain_region_reads_te_onzeker_and_gets_no_point(split_app_release):
    measure, by, where = REGION_QUESTION
    at = _open("compare", {"measure": measure, "year": "2025"})
    expected = answer(load_release(split_app_release), measure, by=by, where=where).frame
    uncertain = expected.filter("too_uncertain")["partnership"].to_list()
    drawn_codes = expected.filter(~pl.col("suppressed") & ~pl.col("too_uncertain"))["partnership"]
    assert uncertain, "the rule must make some regions too uncertain for this test to bite"
    assert len(drawn_codes), "and leave some drawn"
    # the figure: no point (and so no whisker) for a too uncertain region, a note instead
    figure = _figure(at)
    points = [y for trace in figure["data"] for y in trace.get("y") or ()]
    assert not set(points) & set(_labels("partnership", uncertain))
    assert sorted(points) == sorted(_labels("partnership", drawn_codes))
    notes = [a["text"] for a in figure["layout"].get("annotations", [])]
    assert sum("te onzeker" in note for note in notes) == len(uncertain)
    # its table says so, without an interval
    table = _chart_table(at)
    pairs = zip(table["Waarde"], table["95%-interval"], strict=True)
    rows = dict(zip(table[table.columns[0]], pairs, strict=True))
    for label in _labels("partnership", uncertain):
        assert rows[label] == ("te onzeker", "")
    # and a note under the chart counts them, once
    count = i18n.text("chart.too_uncertain_note", "nl", count=len(uncertain))
    one = i18n.text("chart.too_uncertain_note_one", "nl")
    assert (one if len(uncertain) == 1 else count) in _captions(at)
    captions = _captions(at)
    assert not [a for a, b in pairwise(captions) if a == b], captions


def test_a_too_uncertain_year_is_a_gap_in_the_trend(strict_app_release):
    at = _open("overview", {"year": "2025"})
    expected = answer(load_release(strict_release()), "trajectories", by=("year",)).frame
    flags = dict(zip(expected["year"], expected["too_uncertain"], strict=True))
    assert any(flags.values()), "the strict release must have too uncertain years"
    assert not all(flags.values()), "and some that are drawn"
    trend = next(f for f in map(json.loads, (c.proto.spec for c in at.get("plotly_chart")))
                 if f["data"] and f["data"][0].get("mode") == "lines+markers")  # fmt: skip
    (trace,) = trend["data"]
    for year, y, plus in zip(trace["x"], trace["y"], trace["error_y"]["array"], strict=True):
        if flags[year]:
            assert y is None  # no point and no line through it
            assert plus == 0  # and no whisker
        else:
            assert y is not None
    notes = [a["text"] for a in trend["layout"]["annotations"] if "te onzeker" in a["text"]]
    assert len(notes) == sum(flags.values())
    table = _chart_table(at)
    assert [v == "te onzeker" for v in table["Waarde"]] == [flags[y] for y in trace["x"]]
    count = sum(flags.values())
    note = (i18n.text("chart.too_uncertain_note_one", "nl") if count == 1
            else i18n.text("chart.too_uncertain_note", "nl", count=count))  # fmt: skip
    assert note in _captions(at)  # under the chart (dashboard.panels)


def test_a_too_uncertain_headline_reads_te_onzeker(strict_app_release):
    at = _open("overview", {"year": "2025"})
    release = load_release(strict_release())
    cards = {m.label: m.value for m in at.metric}
    for measure in ("trajectories", "share_planned_end"):
        frame = answer(release, measure, where={"year": "2025"}).frame
        label = i18n.text(f"measure.{measure}", "nl")
        if frame["too_uncertain"].item():
            assert cards[label] == "te onzeker"
        else:
            assert cards[label] != "te onzeker"
    assert "te onzeker" in cards.values()


def _demo_sized(rule: float) -> Path:
    """The small release with every estimate times 40 (the demo's size; the noise, and so the
    intervals' variances, stay the small release's) and the share rule `rule`: Flanders is then
    clearly more precise than every partnership, whatever the small release's draw."""
    copy = release_with_rule(rule, 10.0, 10.0)
    scaled = copy.with_name(f"demo-sized-{rule:g}.duckdb")
    shutil.copyfile(copy, scaled)
    con = duckdb.connect(str(scaled))
    try:
        tables = [
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        for table in (t for t in tables if t.startswith("cells_")):
            con.execute(f'UPDATE "{table}" SET estimate = estimate * 40')
    finally:
        con.close()
    return scaled


def test_no_clearly_higher_or_lower_from_a_too_uncertain_value(monkeypatch):
    """A rule between the interval of Flanders and those of the partnerships (survival after 6
    months, 2023–2025): the whole is drawn as the reference, the partnerships are too uncertain and
    are neither named clearly higher or lower nor counted among the others."""
    question = {"measure": "survival_6m", "where": {"year": POOLED}}
    sized = load_release(_demo_sized(100.0))
    regions = answer(sized, by=("partnership",), **question).frame.filter(~pl.col("suppressed"))
    whole = answer(sized, **question).frame.row(0, named=True)
    half = (whole["ci_high"] - whole["ci_low"]) / 2
    halves = ((regions["ci_high"] - regions["ci_low"]) / 2).to_list()
    assert regions.height >= 3
    assert half < min(halves), "a demo-sized release's regions must be less precise than the whole"
    rule = round((half + min(halves)) / 2, 6)
    release = _demo_sized(rule)
    assert answer(load_release(release), **question).frame.row(0, named=True) == whole
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    at = _open("compare", {"measure": "survival_6m", "level": "partnership"})
    reading = next(m.value for m in at.markdown if "Duidelijk hoger" in m.value)
    nobody = i18n.text("compare.nobody", "nl")
    assert f"Duidelijk hoger: {nobody}. Duidelijk lager: {nobody}." in reading
    assert "Voor de overige 0 regio's" in reading  # not the drawn-before count of regions.height
    assert i18n.format_number(whole["value"], "nl", 1) in reading  # the whole is the reference
    (trace,) = _figure(at)["data"]
    assert not trace["y"]  # no region drawn


# --- the order of regions ------------------------------------------------------------------------


def test_compare_does_not_sort_by_value_where_intervals_overlap(app_release):
    """The default view (trajectories per partnership, 2025): the regions stand in code order unless
    one's whole interval lies above another's."""
    at = _open("compare", {"year": "2025"})
    frame = answer(load_release(small_release()[0]), "trajectories", by=("partnership",),
                   where={"year": "2025"}).frame.filter(~pl.col("suppressed"))  # fmt: skip
    rows = {
        display_label("partnership", r["partnership"], "nl"): r for r in frame.iter_rows(named=True)
    }
    codes = list(frame["partnership"])
    (trace,) = _figure(at)["data"]
    shown = list(trace["y"])  # top to bottom
    assert sorted(shown) == sorted(rows)
    # The test can fail: sorting by value would give another order, because some regions whose
    # intervals overlap have their values the other way round from their codes.
    by_value = sorted(shown, key=lambda name: -rows[name]["value"])
    assert shown != by_value
    for i, upper in enumerate(shown):
        for lower in shown[i + 1 :]:
            a, b = rows[upper], rows[lower]
            assert not b["ci_low"] > a["ci_high"], (
                upper,
                lower,
            )  # never below one clearly under it
            if codes.index(a["partnership"]) > codes.index(b["partnership"]):
                # out of code order only because something above `lower` clearly beats it
                above = shown[: shown.index(lower)]
                assert any(rows[c]["ci_low"] > b["ci_high"] for c in above), (upper, lower)
    overlapping = [(x, y) for x, y in pairwise(shown)
                   if rows[y]["ci_high"] >= rows[x]["ci_low"]]  # fmt: skip
    assert overlapping  # the list does have overlapping neighbours, in code order where they tie


def test_interval_order_on_hand_made_regions():
    frame = pl.DataFrame({
        "category": ["A", "B", "C", "D", "E", "F"],
        "value": [10.0, 50.0, 30.0, None, 20.0, 12.0],
        "ci_low": [5.0, 45.0, 0.0, None, 0.0, 8.0],
        "ci_high": [15.0, 55.0, 60.0, None, 90.0, 16.0],
        "suppressed": [False, False, False, True, False, False],
        "too_uncertain": [False, False, False, False, True, False],
    })  # fmt: skip
    # B lies clearly above A and F: it comes first; A, C and F overlap: code order; D (suppressed)
    # and E (too uncertain) are not ranked and follow in code order
    assert interval_order(frame)["category"].to_list() == ["B", "A", "C", "F", "D", "E"]
    apart = frame.filter(pl.col("category").is_in(["A", "B"]))
    assert interval_order(apart)["category"].to_list() == ["B", "A"]  # by value when apart
    close = frame.filter(pl.col("category").is_in(["A", "F"]))
    assert interval_order(close.reverse())["category"].to_list() == ["F", "A"]  # given order


# --- the pooled period -----------------------------------------------------------------------------


def test_an_outcome_measure_compares_the_last_3_complete_years_pooled_by_default(app_release):
    at = _open("compare", {"measure": "share_planned_end", "year": "2025"})
    (period,) = [r for r in at.radio if r.key == "cmp_period_outcome"]
    assert period.value == "pooled"
    heading = next(s.value for s in at.subheader)
    assert heading == f"{i18n.text('measure.share_planned_end', 'nl')} · startjaren 2023–2025 samen"
    assert any(c.startswith("3 startjaren samen") for c in _captions(at))
    # the numbers are those of the three years together, not of the sidebar's 2025
    pooled = answer(load_release(small_release()[0]), "share_planned_end", by=("partnership",),
                    where={"year": POOLED}).frame  # fmt: skip
    table = _chart_table(at)
    shown = pooled.filter(~pl.col("suppressed"))
    for row in shown.iter_rows(named=True):
        label = display_label("partnership", row["partnership"], "nl")
        (cell,) = table.filter(pl.col(table.columns[0]) == label)["Waarde"]
        assert cell == i18n.format_number(row["value"], "nl", 1)
    assert "period" not in at.query_params  # the default stays out of the link
    # the reader can switch to the sidebar's year, named as such
    period.set_value("years").run()
    assert next(s.value for s in at.subheader).endswith("· startjaar 2025")
    assert at.query_params["period"] in ("years", ["years"])


def test_the_count_compares_the_chosen_years_by_default(app_release):
    at = _open("compare", {"year": ["2024", "2025"]})
    (period,) = [r for r in at.radio if r.key == "cmp_period_count"]
    assert period.value == "years"
    heading = next(s.value for s in at.subheader)
    assert heading == f"{i18n.text('measure.trajectories', 'nl')} · startjaren 2024–2025 samen"
    period.set_value("pooled").run()
    assert next(s.value for s in at.subheader).endswith("startjaren 2023–2025 samen")


def test_the_complete_years_end_before_the_year_of_the_data(app_release):
    metadata = load_release(small_release()[0]).metadata
    as_of_year = int(metadata["as_of"][:4])
    complete = [y for y in metadata["years"] if y < as_of_year]
    assert [str(y) for y in complete[-3:]] == list(POOLED)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_words_come_from_the_language_files(lang, split_app_release):
    at = _open("compare", {"lang": lang, "measure": REGION_QUESTION[0], "year": "2025"})
    word = i18n.text("chart.too_uncertain", lang)
    table = pl.from_pandas(next(e.get("table")[0].value for e in at.expander))
    assert word in table[table.columns[1]].to_list()
    assert (word == "te onzeker") is (lang == "nl")


# --- per 1,000 children ----------------------------------------------------------------------------


def test_trajectories_per_1000_children_per_province(app_release):
    """The count divided by the public population (summed over the start years), its interval
    divided the same way; the source is cited under the chart."""
    from binc.core import reference

    at = _open("compare", {"year": ["2022", "2023"], "measure": "trajectories_per_1000",
                           "level": "province"})  # fmt: skip
    counts = answer(load_release(small_release()[0]), "trajectories", by=("province",),
                    where={"year": ("2022", "2023")}).frame  # fmt: skip
    population = reference.population_0_17().filter(
        (pl.col("region_level") == "province") & pl.col("year").is_in([2022, 2023])
    )
    children = dict(
        population.group_by("region_code").agg(pl.col("children_0_17").sum()).iter_rows()
    )
    drawn = counts.filter(~pl.col("suppressed") & ~pl.col("too_uncertain"))
    assert drawn.height >= 2
    (trace,) = _figure(at)["data"]
    points = dict(zip(trace["y"], trace["x"], strict=True))
    whiskers = dict(zip(trace["y"], trace["error_x"]["array"], strict=True))
    for row in drawn.iter_rows(named=True):
        label = display_label("province", row["province"], "nl")
        per = 1000 / children[row["province"]]
        # the count as shown (whole), as a rate as shown (one decimal)
        value = as_displayed(as_displayed(row["value"], 0) * per, 1)
        high = as_displayed(as_displayed(row["ci_high"], 0) * per, 1)
        assert points[label] == value
        assert whiskers[label] == pytest.approx(high - value)
    assert next(s.value for s in at.subheader).startswith("Gestarte trajecten per 1.000 kinderen")
    assert i18n.text("compare.rate_source", "nl") in _captions(at)
    assert "Statbel" in i18n.text("compare.rate_source", "nl")


def test_a_year_without_a_population_figure_is_named(app_release):
    at = _open("compare", {"year": "2025", "measure": "trajectories_per_1000", "level": "province"})
    (notice,) = [i.value for i in at.info]
    assert notice.startswith("Geen bevolkingscijfer voor 2025")
    assert not at.get("plotly_chart")  # nothing drawn from a made-up population
    at = _open("compare", {"year": "2023", "measure": "trajectories_per_1000"})
    assert "alleen per provincie" in at.info[0].value
