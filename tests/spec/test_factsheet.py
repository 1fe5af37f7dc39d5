"""Spec: a fact sheet says exactly what `answer()` says — same values and intervals, same suppression,
values too uncertain to read said as "te onzeker" without a number, refused questions left out with
a note — for a partnership, a province and Flanders; and it is one PDF page. Runs on the shared small
synthetic release (tests/support/small_release.py), and on the same release with the shipped "too
uncertain" rule (`strict_release`: most of its values are too uncertain)."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest
from support.pdf_strings import drawn_strings
from support.small_release import small_release, strict_release

from binc.answering import TOTAL, answer
from binc.answering.catalogue import HEADLINES
from binc.core import i18n
from binc.core.errors import UserError
from binc.factsheet import FLANDERS, build, factsheet_pdf, region, regions, render
from binc.factsheet.content import Cell, Panel, Sheet, interval_text, shown_number
from binc.release_file import Release, load_release

REGIONS = ("P01", "10000", FLANDERS)


@pytest.fixture(scope="module")
def release() -> Release:
    path, _ = small_release()
    return load_release(path)


@pytest.fixture(scope="module")
def sheets(release: Release) -> dict[tuple[str, str], Sheet]:
    return {(code, lang): build(release, code, lang) for code in REGIONS for lang in ("nl", "en")}


@pytest.fixture(scope="module")
def strict() -> Release:
    return load_release(strict_release())


@pytest.fixture(scope="module")
def strict_sheets(strict: Release) -> dict[tuple[str, str], Sheet]:
    return {(code, lang): build(strict, code, lang) for code in REGIONS for lang in ("nl", "en")}


def _panels(sheet: Sheet) -> list[Panel]:
    return [*sheet.headlines, sheet.trend, *sheet.breakdowns]


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))


@pytest.mark.parametrize("code", REGIONS)
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("rule", ["lenient", "strict"])
def test_every_number_is_the_answer_to_the_panel_question(request, rule, code, lang):
    release = request.getfixturevalue("release" if rule == "lenient" else "strict")
    sheet = request.getfixturevalue("sheets" if rule == "lenient" else "strict_sheets")[
        (code, lang)
    ]
    latest = max(str(y) for y in release.metadata["years"])
    for panel in _panels(sheet):
        # the question is the region's (and, but for the trend, the latest year's)
        assert {k: v for k, v in panel.where.items() if k in ("partnership", "province")} == (
            region(code).where
        )
        if panel is not sheet.trend:
            assert panel.where["year"] == (latest,)
        try:
            table = answer(release, panel.measure, panel.by, panel.where)
        except UserError:
            assert panel.refused
            assert panel.cells == ()
            assert panel.refusal in {
                i18n.text("factsheet.refused_not_measured", lang),
                i18n.text("factsheet.refused_too_costly", lang),
            }
            continue
        assert not panel.refused
        assert panel.decimals == (0 if table.kind == "count" else 1)
        frame = table.frame
        for dim in table.dimensions:
            frame = frame.filter(pl.col(dim) != TOTAL)
        rows = list(frame.iter_rows(named=True))
        assert len(rows) == len(panel.cells), panel.key
        for row, cell in zip(rows, panel.cells, strict=True):
            if table.dimensions:
                assert cell.code == row[table.dimensions[0]]
            assert cell.suppressed == bool(row["suppressed"]), (panel.key, cell.code)
            assert cell.too_uncertain == bool(row["too_uncertain"]), (panel.key, cell.code)
            if cell.too_uncertain:  # shown by answer(), but the sheet keeps no number of it
                assert (cell.value, cell.low, cell.high) == (None, None, None)
                continue
            assert _same(cell.value, row["value"])
            assert _same(cell.low, row["ci_low"])
            assert _same(cell.high, row["ci_high"])


@pytest.mark.parametrize("code", REGIONS)
def test_a_suppressed_cell_holds_no_number(sheets, code):
    for lang in ("nl", "en"):
        for panel in _panels(sheets[(code, lang)]):
            for cell in panel.cells:
                if cell.suppressed:
                    assert (cell.value, cell.low, cell.high) == (None, None, None)


def test_the_small_release_exercises_suppression_refusal_and_shown_values(sheets):
    """The control: the three sheets hold suppressed, refused and shown figures."""
    cells = [c for s in sheets.values() for p in _panels(s) for c in p.cells]
    assert any(c.suppressed for c in cells)
    assert any(not c.suppressed for c in cells)
    assert any(p.refused for s in sheets.values() for p in _panels(s))


def _texts(cell: Cell, panel: Panel, lang: str, row: dict) -> set[str]:
    """What the PDF would draw for the number of `row` (headline value, interval, trend label, bar
    text): the strings a too uncertain cell must not leave on the page."""
    value = i18n.format_number(row["value"], lang, panel.decimals)
    low = i18n.format_number(row["ci_low"], lang, panel.decimals)
    high = i18n.format_number(row["ci_high"], lang, panel.decimals)
    return {value, f"{value} %", f"{low} – {high}"}


def _answered_cells(release: Release, sheet: Sheet) -> list[tuple[Panel, Cell, dict]]:
    """(panel, cell, the answer's row) for every cell of the sheet."""
    out = []
    for panel in _panels(sheet):
        if panel.refused:
            continue
        table = answer(release, panel.measure, panel.by, panel.where)
        frame = table.frame
        for dim in table.dimensions:
            frame = frame.filter(pl.col(dim) != TOTAL)
        out += zip([panel] * frame.height, panel.cells, frame.iter_rows(named=True), strict=True)
    return out


def _ticks(lang: str) -> set[str]:
    """The labels a chart's axis may carry (0, a round maximum and its half): a too uncertain value
    that happens to equal one cannot be told from it."""
    rounds = [step * 10**power for power in range(9) for step in (1, 2, 2.5, 5)]
    numbers = {0.0, *rounds, *(r / 2 for r in rounds)}
    return {i18n.format_number(n, lang, 0) + suffix for n in numbers for suffix in ("", " %")}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_too_uncertain_cell_says_so_and_shows_no_number(release, strict, strict_sheets, lang):
    """With the shipped rule most cells of the small release are too uncertain: the sheet's content
    keeps no number of them and writes "te onzeker" / "too uncertain" for them; the PDF draws the
    word once per such cell (the reading note explains it, capitalised) and none of their values or
    intervals, while a shown cell keeps its number. The same cells on the lenient release's sheet
    (the same noisy tables) are drawn with their numbers: the check would see them."""
    word = i18n.text("chart.too_uncertain", lang)
    assert word == {"nl": "te onzeker", "en": "too uncertain"}[lang]
    uncertain_total = shown_total = 0
    for code in REGIONS:
        sheet = strict_sheets[(code, lang)]
        cells = _answered_cells(strict, sheet)
        # which cells are too uncertain (or shown) is the answer's word, not the sheet's
        uncertain = [(p, c, r) for p, c, r in cells if r["too_uncertain"]]
        shown = [(p, c, r) for p, c, r in cells if not r["suppressed"] and not r["too_uncertain"]]
        for panel, cell, _ in uncertain:
            assert cell.too_uncertain
            assert not cell.suppressed
            assert not cell.shown
            assert shown_number(cell, panel.decimals, lang) == word
            assert interval_text(cell, panel.decimals, lang) == ""
        drawn = drawn_strings(render(sheet))
        # the word once per such cell (a whole drawn string), as "onderdrukt" once per suppressed one
        assert drawn.count(word) == len(uncertain), (code, lang)
        assert drawn.count(i18n.text("chart.suppressed", lang)) == sum(
            bool(r["suppressed"]) for _, _, r in cells
        )
        # the reading note under the sheet explains it, next to "onderdrukt"
        assert f"'{word.capitalize()}'" in " ".join(drawn)
        # a shown cell keeps its number: as headline with its interval, as label or bar text
        allowed = set(sheet.years) | _ticks(lang)  # what an axis can carry anyway
        for panel, cell, row in shown:
            texts = _texts(cell, panel, lang, row)
            assert texts & set(drawn), (code, lang, panel.key, cell.code)
            allowed |= texts
        forbidden = set().union(*(_texts(c, p, lang, r) for p, c, r in uncertain)) - allowed
        assert not forbidden & set(drawn), (code, lang, forbidden & set(drawn))
        # the control: on the lenient release the same cells are drawn with their numbers
        lenient = set(drawn_strings(render(build(release, code, lang))))
        for panel, cell, row in uncertain:
            # its number (a trend point draws no interval; a number another cell shows is no proof)
            value = i18n.format_number(row["value"], lang, panel.decimals)
            texts = {value, f"{value} %"} - allowed
            assert not texts or texts & lenient, (code, lang, panel.key, cell.code)
        uncertain_total += len(uncertain)
        shown_total += len(shown)
    # the control: both kinds are on the sheets
    assert uncertain_total >= 20
    assert shown_total >= 2


def test_headlines_are_the_overview_measures_and_the_breakdowns_the_pages_questions(sheets):
    sheet = sheets[(FLANDERS, "nl")]
    assert tuple(p.measure for p in sheet.headlines) == HEADLINES
    assert sheet.trend.by == ("year",)
    assert [p.by for p in sheet.breakdowns] == [
        ("age_band",),
        ("sex",),
        ("end_group",),
        ("duration_band",),
    ]
    # end reasons in their groups (what is measured per region), the ended ones only
    end_groups = sheet.breakdowns[2]
    assert end_groups.where["end_group"] == (
        "goals_reached",
        "other_planned",
        "family_withdrew",
        "other_unplanned",
    )
    assert sheet.breakdowns[3].where["status"] == ("ended",)


def test_the_source_line_names_opgroeien_binc_the_release_and_the_date(release, sheets):
    for lang in ("nl", "en"):
        sheet = sheets[(FLANDERS, lang)]
        assert "Opgroeien" in sheet.source
        assert "BINC" in sheet.source
        assert release.release_id in sheet.source
        assert i18n.format_date(release.metadata["as_of"], lang) in sheet.source
        assert not sheet.synthetic  # the test release is not in the demo folder, no env var
        assert i18n.text("factsheet.synthetic", lang) not in sheet.source


def test_a_synthetic_release_is_marked(release, monkeypatch):
    marked = build(release, "P02", "nl", synthetic=True)
    assert marked.source.startswith(i18n.text("factsheet.synthetic", "nl"))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    assert build(release, "P02", "en").synthetic


def test_regions_are_the_partnerships_the_provinces_and_flanders():
    codes = regions()
    assert len(codes) == 16 + 6 + 1
    assert codes[0] == "P01"
    assert codes[-1] == FLANDERS
    assert region("70000").kind == "province"
    assert region("P16").kind == "partnership"
    assert region(FLANDERS).where == {}
    for wrong in ("P17", "7000", "", "Vlaanderen", "P01;DROP"):
        with pytest.raises(UserError, match="unknown region"):
            region(wrong)


def test_the_dutch_sheet_speaks_dutch(sheets):
    nl, en = sheets[("P01", "nl")], sheets[("P01", "en")]
    assert nl.trend.title == i18n.text("factsheet.trend", "nl") != en.trend.title
    assert nl.region_name == "1Gezin1Plan Voor- en Noorderkempen"
    assert [c.label for c in nl.breakdowns[1].cells] == ["Jongen", "Meisje", "X (andere)"]


def test_the_pdf_is_one_page(release):
    pdf = factsheet_pdf(release, FLANDERS, "nl")
    assert pdf.startswith(b"%PDF-")
    assert re.findall(rb"/Count (\d+) /Kids \[ \d+ 0 R \] /Type /Pages", pdf) == [b"1"]
    assert pdf == render(build(release, FLANDERS, "nl"))  # reproducible bytes
