"""Spec: provisional figures (issue 13) are marked wherever a reader meets them. A release on the
publication calendar marks each answer's rows in a column `provisional` — a row with a start year by
that year, a total over the start years and an answer without the start year in its rows by every
year they sum —, every export carries it (contract version 3) with its meaning in the codebook, the
fact sheet names the year "2025 (voorlopig)" and draws its bars light, the charts draw those points
open. A release without a calendar changes in nothing.

Runs on the shared small synthetic release with a calendar added to its metadata
(tests/support/provisional.py: its last start year provisional, nothing measured again)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from support.pdf_strings import drawn_strings
from support.provisional import CLOSING, with_calendar
from support.small_release import small_release

from binc.answering import TOTAL, answer
from binc.answering.calendar import provisional_years, with_provisional
from binc.core import i18n
from binc.core.errors import UserError
from binc.core.table import AnsweredTable
from binc.export.codebook import CALENDAR_FORMAT, FORMAT, codebook
from binc.export.frame import column_order, export_frame
from binc.export.read import read_export
from binc.export.writers import codebook_path, excel_csv_bytes, write_export
from binc.factsheet import FLANDERS, build, factsheet_pdf
from binc.release_file import Release, load_release
from dashboard import charts, tables


@pytest.fixture(scope="module")
def plain() -> Release:
    return load_release(small_release()[0])


@pytest.fixture
def release(plain: Release) -> Release:
    """The small release on the calendar, its last start year provisional (a fresh answer cache)."""
    return with_calendar(plain)


@pytest.fixture(scope="module")
def years(plain: Release) -> list[str]:
    return [str(y) for y in plain.metadata["years"]]


def _flags(table: AnsweredTable, *dims: str) -> dict[tuple[str, ...], bool]:
    frame = table.frame
    return {tuple(r[d] for d in dims): r["provisional"] for r in frame.iter_rows(named=True)}


# ---- answers --------------------------------------------------------------------------------------


def test_the_fixture_marks_the_last_start_year_and_only_it(release, years):
    assert years[-1] == "2025"
    assert len(years) >= 3
    assert provisional_years(release) == frozenset({"2025"})
    assert provisional_years(release.metadata) == frozenset({"2025"})


def test_each_row_with_a_start_year_says_whether_that_year_is_provisional(release, years):
    table = answer(release, "trajectories", by=("year",), totals=True)
    assert table.frame.schema["provisional"] == pl.Boolean
    # every year as it is, and the total over all the years: it sums the provisional 2025 too
    assert table.frame["year"].to_list() == [*years, TOTAL]
    assert table.frame["provisional"].to_list() == [*(y == "2025" for y in years), True]
    (note,) = [n for n in table.notes if "provisional" in n]
    assert note.startswith(
        "figures of start year 2025 are provisional: the start year is still open"
    )
    assert CLOSING in note


def test_two_dimensions_each_row_by_its_year_and_the_year_total(release, years):
    table = answer(release, "trajectories", by=("year", "sex"), totals=True)
    flags = _flags(table, "year", "sex")
    assert len(flags) == (len(years) + 1) * 4  # three sexes and their total, per year and in total
    for (year, sex), flag in flags.items():
        assert flag is (year in ("2025", TOTAL)), (year, sex)


def test_a_total_over_definitive_years_only_is_definitive(release):
    table = answer(release, "trajectories", by=("year",), where={"year": ["2019", "2020"]},
                   totals=True)  # fmt: skip
    assert _flags(table, "year") == {("2019",): False, ("2020",): False, (TOTAL,): False}
    assert not [n for n in table.notes if "provisional" in n]
    mixed = answer(release, "trajectories", by=("year",), where={"year": ["2024", "2025"]},
                   totals=True)  # fmt: skip
    assert _flags(mixed, "year") == {("2024",): False, ("2025",): True, (TOTAL,): True}


def test_an_answer_without_the_year_in_its_rows_is_provisional_when_it_sums_a_provisional_year(
    release, years
):
    one = answer(release, "share_planned_end", where={"year": years[0]})
    assert one.frame["provisional"].to_list() == [False]
    assert not [n for n in one.notes if "provisional" in n]
    assert answer(release, "share_planned_end").frame["provisional"].to_list() == [True]
    both = answer(release, "share_planned_end", where={"year": [years[0], "2025"]})
    assert both.frame["provisional"].to_list() == [True]
    assert [n for n in both.notes if "provisional" in n]
    # every row of a breakdown that is not by year, hidden rows too (the flag is about the year)
    latest = answer(release, "trajectories", by=("partnership",), where={"year": "2025"},
                    totals=True)  # fmt: skip
    assert latest.frame["provisional"].all()
    assert latest.frame["suppressed"].any()
    early = answer(release, "trajectories", by=("partnership",), where={"year": years[0]},
                   totals=True)  # fmt: skip
    assert not early.frame["provisional"].any()


@pytest.mark.parametrize(
    ("measure", "by", "where"),
    [
        ("trajectories", ("year",), None),
        ("share", ("year", "sex"), None),
        ("median_duration_months", ("partnership",), {"year": "2025"}),
        ("children", ("year",), None),
    ],
)
def test_the_calendar_changes_nothing_else_in_an_answer(plain, release, measure, by, where):
    marked = answer(release, measure, by=by, where=where).frame
    as_before = answer(plain, measure, by=by, where=where).frame
    assert marked.columns == [*as_before.columns, "provisional"]
    assert marked.drop("provisional").equals(as_before)


def test_a_release_without_a_calendar_has_no_column_and_states_version_2(plain):
    table = answer(plain, "trajectories", by=("year",), totals=True)
    assert "provisional" not in table.frame.columns
    assert provisional_years(plain) == frozenset()
    assert not [n for n in table.notes if "provisional" in n]
    assert export_frame(table).columns == column_order(("year",))
    book = codebook(table, "nl")
    assert book["format"] == FORMAT == "binc-export/2"
    assert "provisional" not in [c["name"] for c in book["columns"]]
    assert "provisional" not in book
    assert book["about"]["provisional_text"] == ""


def test_a_calendar_without_an_open_year_marks_nothing_but_keeps_the_column(plain, years):
    release = with_calendar(plain, provisional=set())
    table = answer(release, "trajectories", by=("year",), totals=True)
    assert table.frame["provisional"].to_list() == [False] * (len(years) + 1)
    book = codebook(table, "en")
    assert book["format"] == CALENDAR_FORMAT
    assert book["provisional"]["provisional_years"] == []
    assert book["provisional"]["provisional_rows"] == 0


def test_a_table_made_another_way_gets_the_column_from_its_release_metadata(release, years):
    """Like too_uncertain: an export of a frame without the column marks it by the calendar."""
    table = answer(release, "trajectories", by=("year",), totals=True)
    bare = AnsweredTable(table.measure, table.kind, table.dimensions,
                         table.frame.drop("provisional"), table.unit, table.release_metadata)  # fmt: skip
    assert export_frame(bare)["provisional"].to_list() == table.frame["provisional"].to_list()
    assert with_provisional(bare.frame, ("year",), None, {}).columns == bare.frame.columns


# ---- exports --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_export_format_carries_the_column_and_states_version_3(release, tmp_path, fmt):
    table = answer(release, "trajectories", by=("year", "sex"), totals=True)
    path = tmp_path / f"table.{fmt}"
    write_export(table, path, fmt, "nl")
    back = read_export(path)
    assert back.metadata["format"] == CALENDAR_FORMAT == "binc-export/3"
    assert back.frame.schema["provisional"] == pl.Boolean
    assert back.frame["provisional"].to_list() == table.frame["provisional"].to_list()
    assert back.frame["provisional"].any()
    assert not back.frame["provisional"].all()
    if fmt == "csv":
        header = pl.read_csv(path, infer_schema=False).columns
        assert header == column_order(("year", "sex"), provisional=True)
        assert header[-3:] == ["suppressed", "too_uncertain", "provisional"]
        book = json.loads(codebook_path(path).read_text(encoding="utf-8"))
        assert book["provisional"]["provisional_years"] == ["2025"]
    if fmt == "xlsx":
        sheet = pl.read_excel(path, sheet_name="metadata", engine="calamine")
        rows = dict(zip(*(sheet[c].cast(pl.String) for c in sheet.columns[:2]), strict=True))
        assert rows[i18n.text("export.key_provisional", "nl")] == i18n.text(
            "export.provisional", "nl", years="2025"
        )
        assert rows["column.provisional"].startswith("boolean: true: de rij rust op een startjaar")


def test_the_excel_csv_for_belgium_carries_the_column(release):
    table = answer(release, "trajectories", by=("year",))
    text = excel_csv_bytes(table, "nl").decode("utf-8-sig").splitlines()
    assert text[0].split(";")[-1] == "provisional"
    assert [line.split(";")[-1] for line in text[1:]] == [
        "true" if y == "2025" else "false" for y in table.frame["year"]
    ]


@pytest.mark.parametrize(("lang", "word"), [("nl", "voorlopig"), ("en", "provisional")])
def test_the_codebook_documents_the_column_and_the_years(release, lang, word):
    table = answer(release, "trajectories", by=("year",), totals=True)
    book = codebook(table, lang)
    column = book["columns"][-1]
    assert column["name"] == "provisional"
    assert column["type"] == "boolean"
    assert f"'{word}'" in column["description"]
    assert "TOTAL" in column["description"]
    assert book["provisional"] == {
        "provisional_years": ["2025"],
        "closes": {"2025": "2027-06-30"},
        "provisional_rows": 2,  # 2025 and the total over the years
        "rule": i18n.text("codebook.provisional_rule", lang),
        "closing": CLOSING,
    }
    assert book["about"]["provisional_text"] == i18n.text("export.provisional", lang, years="2025")
    assert book["release"]["calendar"]["years"]["2025"]["phase"] == "provisional"
    # a table of definitive years only: still version 3 (the column is there), nothing provisional
    early = codebook(answer(release, "trajectories", where={"year": "2019"}), lang)
    assert early["format"] == CALENDAR_FORMAT
    assert early["provisional"]["provisional_years"] == []
    assert early["about"]["provisional_text"] == ""


def test_a_version_3_file_without_the_column_is_refused(release, tmp_path):
    table = answer(release, "trajectories", by=("year",))
    path = tmp_path / "table.csv"
    write_export(table, path, "csv")
    pl.read_csv(path, infer_schema=False).drop("provisional").write_csv(path)
    with pytest.raises(UserError, match="column 'provisional' is missing"):
        read_export(path)


def test_a_provisional_flag_that_is_not_true_or_false_is_named(release, tmp_path):
    table = answer(release, "trajectories", by=("year",))
    path = tmp_path / "table.csv"
    write_export(table, path, "csv")
    frame = pl.read_csv(path, infer_schema=False)
    frame.with_columns(pl.lit("maybe").alias("provisional")).write_csv(path)
    with pytest.raises(UserError, match="row 2, column 'provisional' must be true or false"):
        read_export(path)


# ---- fact sheets ----------------------------------------------------------------------------------


def test_the_fact_sheet_marks_the_provisional_year_cell_by_cell(release, years):
    sheet = build(release, FLANDERS, "nl")
    assert sheet.provisional == ("2025",)
    assert [c.code for c in sheet.trend.cells] == years
    assert [c.provisional for c in sheet.trend.cells] == [y == "2025" for y in years]
    # the headlines and the breakdowns are of the latest year: every cell is provisional
    for panel in (*sheet.headlines, *sheet.breakdowns):
        assert all(c.provisional for c in panel.cells), panel.key
    assert sheet.year_label("2025") == "2025 (voorlopig)"
    assert sheet.year_label("2024") == "2024"


@pytest.mark.parametrize(("lang", "tag"), [("nl", "(voorlopig)"), ("en", "(provisional)")])
def test_the_fact_sheet_pdf_says_voorlopig_in_its_language(release, lang, tag):
    drawn = drawn_strings(factsheet_pdf(release, FLANDERS, lang))
    text = " ".join(drawn)
    period = i18n.text("factsheet.period", lang, year=f"2025 {tag}", first="2019", last="2025")
    assert period in drawn
    assert i18n.text("factsheet.headlines", lang, year=f"2025 {tag}") in drawn
    assert drawn.count(tag) == 1  # under the trend's one provisional year
    assert i18n.text("factsheet.provisional_reading", lang) in text
    # the shown headline cards say it
    shown = [c for p in build(release, FLANDERS, lang).headlines for c in p.cells if c.shown]
    assert shown
    assert drawn.count(i18n.text("provisional.word", lang)) == len(shown)


def test_a_fact_sheet_without_a_calendar_says_nothing_of_it(plain):
    sheet = build(plain, FLANDERS, "nl")
    assert sheet.provisional == ()
    assert not any(c.provisional for p in (*sheet.headlines, sheet.trend) for c in p.cells)
    text = " ".join(drawn_strings(factsheet_pdf(plain, FLANDERS, "nl")))
    assert "voorlopig" not in text.lower()


# ---- charts and display tables --------------------------------------------------------------------


def _trend_frame(provisional: bool = True) -> pl.DataFrame:
    frame = pl.DataFrame({
        "category": ["2022", "2023", "2024 (voorlopig)"], "code": ["2022", "2023", "2024"],
        "value": [10.0, 12.0, 14.0], "ci_low": [8.0, 10.0, 11.0], "ci_high": [12.0, 14.0, 17.0],
        "suppressed": [False, False, False], "too_uncertain": [False, False, False],
        "provisional": [False, False, True],
    })  # fmt: skip
    return frame if provisional else frame.drop("provisional")


def test_a_trend_draws_a_provisional_year_open_on_a_dashed_line():
    figure = charts.trend(_trend_frame(), "nl", "n", 0)
    solid, dashed = figure.data
    assert list(solid.y) == [10.0, 12.0, None]  # the solid line stops at the last definitive year
    assert list(solid.error_y.array) == [2.0, 2.0, 0.0]
    assert list(dashed.y) == [None, 12.0, 14.0]  # the dashed line runs from it into the open year
    assert dashed.line.dash == "dash"
    assert list(dashed.marker.symbol) == [charts.FILLED, charts.FILLED, charts.OPEN]
    assert list(dashed.error_y.array) == [0.0, 0.0, 3.0]  # each whisker drawn once
    assert charts.provisional_markers(figure) == "line"
    # without the column: one solid trace, as before
    (only,) = charts.trend(_trend_frame(False), "nl", "n", 0).data
    assert list(only.y) == [10.0, 12.0, 14.0]
    assert charts.provisional_markers(charts.trend(_trend_frame(False), "nl", "n", 0)) == ""


def test_small_multiples_forests_and_bars_draw_provisional_values_open():
    multiples = charts.small_multiples(_trend_frame().with_columns(series=pl.lit("P01")), "nl",
                                       "n", 0)  # fmt: skip
    assert [t.meta for t in multiples.data] == [None, "line"]
    assert list(multiples.layout.xaxis.ticktext) == ["2022", "2024<br>(voorlopig)"]
    forest = charts.forest(_trend_frame(), "en", "n", 0)
    assert list(forest.data[0].marker.symbol) == [charts.FILLED, charts.FILLED, charts.OPEN]
    assert charts.provisional_markers(forest) == "points"
    bars = charts.columns(_trend_frame(), "nl", "%", 1)
    assert list(bars.data[0].marker.pattern.shape) == ["", "", charts.HATCH]
    assert charts.provisional_markers(bars) == "bars"
    assert charts.forest(_trend_frame(False), "en", "n", 0).data[0].marker.symbol is None


@pytest.mark.parametrize(
    ("lang", "label"), [("nl", "2025 (voorlopig)"), ("en", "2025 (provisional)")]
)
def test_a_provisional_year_is_labelled_so_in_chart_frames_tables_and_chart_csvs(release, plain,
                                                                                 lang, label):  # fmt: skip
    table = answer(release, "trajectories", by=("year",), totals=True)
    frame = tables.chart_frame(table, "year", lang=lang)
    assert frame["category"].to_list()[-1] == label
    assert frame["category"].to_list()[:-1] == frame["code"].to_list()[:-1]
    assert frame["provisional"].to_list() == [y == "2025" for y in frame["code"]]
    shown = tables.display_table(table, lang)
    total = i18n.text("provisional.year", lang, year="Totaal" if lang == "nl" else "Total")
    assert shown[shown.columns[0]].to_list()[-2:] == [label, total]
    csv = tables.chart_csv_frame(frame, 0, "year")
    assert csv.columns[-3:] == ["suppressed", "too_uncertain", "provisional"]
    assert csv["provisional"].to_list() == frame["provisional"].to_list()
    # a release without a calendar: plain years, no column
    before = tables.chart_frame(answer(plain, "trajectories", by=("year",)), "year", lang=lang)
    assert before["category"].to_list() == before["code"].to_list()
    assert "provisional" not in before.columns
