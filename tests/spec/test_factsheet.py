"""Spec: a fact sheet says exactly what `answer()` says — same values and intervals, same suppression,
refused questions left out with a note — for a partnership, a province and Flanders; and it is one
PDF page. Runs on the shared small synthetic release (tests/support/small_release.py)."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest
from support.small_release import small_release

from binc.answering import TOTAL, answer
from binc.answering.catalogue import HEADLINES
from binc.core import i18n, reference
from binc.core.errors import UserError
from binc.factsheet import FLANDERS, build, factsheet_pdf, region, regions, render
from binc.factsheet.content import Panel, Sheet
from binc.release_file import Release, load_release

REGIONS = ("P01", "10000", FLANDERS)


@pytest.fixture(scope="module")
def release() -> Release:
    path, _ = small_release()
    return load_release(path)


@pytest.fixture(scope="module")
def sheets(release: Release) -> dict[tuple[str, str], Sheet]:
    return {(code, lang): build(release, code, lang) for code in REGIONS for lang in ("nl", "en")}


def _panels(sheet: Sheet) -> list[Panel]:
    return [*sheet.headlines, sheet.trend, *sheet.breakdowns]


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))


@pytest.mark.parametrize("code", REGIONS)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_number_is_the_answer_to_the_panel_question(release, sheets, code, lang):
    sheet = sheets[(code, lang)]
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


def test_headlines_are_the_overview_measures_and_the_breakdowns_the_pages_questions(sheets):
    sheet = sheets[(FLANDERS, "nl")]
    assert tuple(p.measure for p in sheet.headlines) == HEADLINES
    assert sheet.trend.by == ("year",)
    assert [p.by for p in sheet.breakdowns] == [
        ("age_band",),
        ("sex",),
        ("end_reason",),
        ("duration_band",),
    ]
    end_reasons = sheet.breakdowns[2]
    assert end_reasons.where["end_reason"] == reference.codes("end_reason")
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
