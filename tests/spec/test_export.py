"""Spec: exports are tidy tables exactly as docs/design.md §8 promises — codes plus labels, value, interval,
suppressed, too_uncertain (contract version 2) — with the codebook travelling alongside in every
format, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow.parquet as pq
import pytest
from support.tables import T, cube

from binc.cli import main
from binc.cli.export import parse_by, parse_where
from binc.core.dimensions import DIMENSIONS, meaning
from binc.core.errors import UserError
from binc.core.table import AnsweredTable
from binc.disclosure.suppression import suppress
from binc.export import writers
from binc.export.codebook import codebook
from binc.export.labels import label_for
from binc.export.writers import (
    csv_bytes,
    excel_csv_bytes,
    parquet_bytes,
    write_export,
    xlsx_bytes,
)

RELEASE = {
    "release_id": "r-2026-11-29",
    "warehouse_version": "w-abc123",
    "created_at": "2026-11-29T10:00:00+01:00",
    "epsilon": 1.5,
    "c": 3,
    "k": 5,
    "noise": "discrete Gaussian",
}
CONTRACT = [
    "year",
    "year_label",
    "sex",
    "sex_label",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "too_uncertain",
]


def counts() -> AnsweredTable:
    cells = {
        ("2023", "M"): 41.0,
        ("2023", "V"): 3.0,
        ("2023", "X"): 22.0,
        ("2024", "M"): 50.0,
        ("2024", "V"): 47.0,
        ("2024", "X"): 18.0,
    }
    frame = suppress(cube(cells, ("year", "sex")), ["year", "sex"], 5, kind="count")
    return AnsweredTable(
        "trajectories", "count", ("year", "sex"), frame, "trajectories", RELEASE, ("target_group",)
    )


def shares() -> AnsweredTable:
    frame = pl.DataFrame(
        {
            "year": ["2023"] * 4,
            "sex": ["M", "V", "X", T],
            "value": [12.25, 55.0, 40.0, 30.04],
            "ci_low": [10.0, 50.0, 30.0, 28.0],
            "ci_high": [14.55, 60.0, 50.0, 32.0],
            "base": [40.0, 2.0, 35.0, 77.0],
        }
    )
    frame = suppress(frame, ["sex"], 5, kind="share")
    return AnsweredTable("goals_reached", "share", ("year", "sex"), frame, "percent", RELEASE)


def test_a_csv_export_has_exactly_the_contract_columns_and_no_base(tmp_path: Path):
    path = tmp_path / "t.csv"
    write_export(counts(), path, "csv")
    frame = pl.read_csv(path, infer_schema=False)
    assert frame.columns == CONTRACT
    row = frame.filter((pl.col("year") == "2023") & (pl.col("sex") == "M")).row(0, named=True)
    assert row == {
        "year": "2023",
        "year_label": "2023",
        "sex": "M",
        "sex_label": "Jongen",
        "value": "41",
        "ci_low": "39",
        "ci_high": "43",
        "suppressed": "false",
        "too_uncertain": "false",
    }


def test_suppressed_rows_have_empty_numbers_and_totals_read_totaal(tmp_path: Path):
    path = tmp_path / "t.csv"
    write_export(counts(), path, "csv")
    text = path.read_text()
    assert "2023,2023,V,Meisje,,,,true,false" in text
    frame = pl.read_csv(path, infer_schema=False)
    hidden = frame.filter(pl.col("suppressed") == "true")
    assert hidden.height >= 2
    assert hidden.select("value", "ci_low", "ci_high").null_count().row(0) == (hidden.height,) * 3
    totals = frame.filter(pl.col("sex") == T)
    assert set(totals["sex_label"]) == {"Totaal"}
    assert frame.filter((pl.col("year") == T) & (pl.col("sex") == T))["value"].to_list() == ["181"]


def test_english_labels_with_language_en():
    text = csv_bytes(counts(), "en").decode()
    assert "2023,2023,M,Boy,41," in text
    assert "TOTAL,Total,TOTAL,Total,181," in text


def test_shares_keep_one_decimal_rounded_half_away_from_zero():
    frame = pl.read_csv(csv_bytes(shares()), infer_schema=False)
    # V's base is small; X (the smaller partner) hides it from the total's base.
    assert frame["value"].to_list() == ["12.3", None, None, "30.0"]
    assert frame["ci_high"].to_list() == ["14.6", None, None, "32.0"]


def test_the_codebook_beside_a_csv_is_complete(tmp_path: Path):
    path = tmp_path / "t.csv"
    written = write_export(counts(), path, "csv")
    assert set(written) == {path, tmp_path / "t.codebook.json"}
    book = json.loads((tmp_path / "t.codebook.json").read_text())
    assert [c["name"] for c in book["columns"]] == CONTRACT
    assert book["measure"] == "trajectories"
    assert (book["kind"], book["unit"], book["dimensions"]) == (
        "count",
        "trajectories",
        ["year", "sex"],
    )
    assert book["release"] == RELEASE
    assert book["disclosure"]["k"] == 5
    assert {"code": "V", "label_nl": "Meisje", "label_en": "Girl"} in book["codes"]["sex"]
    assert {"code": T, "label_nl": "Totaal", "label_en": "Total"} in book["codes"]["year"]
    assert "r-2026-11-29" in book["citation"]
    assert "rounding" in book
    assert book["source_tables"] == ["target_group"]


def test_xlsx_has_a_data_and_a_metadata_sheet(tmp_path: Path):
    path = tmp_path / "t.xlsx"
    write_export(counts(), path, "xlsx", "en")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:2] == ["data", "metadata"]
    data = list(workbook["data"].iter_rows(values_only=True))
    assert list(data[0]) == CONTRACT
    # the year is a number to a spreadsheet user; its label column stays text
    assert (2023, "2023", "V", "Girl", None, None, None, True, False) in data
    assert (2023, "2023", "M", "Boy", 41, 39, 43, False, False) in data
    assert all(isinstance(row[0], int) or row[0] == "TOTAL" for row in data[1:])
    metadata = dict(workbook["metadata"].iter_rows(min_row=2, values_only=True))
    assert metadata["measure"] == "trajectories"
    assert metadata["disclosure.k"] == "5"
    assert metadata["release.warehouse_version"] == "w-abc123"
    assert "citation" in metadata


def test_parquet_carries_the_codebook_as_key_value_metadata(tmp_path: Path):
    path = tmp_path / "t.parquet"
    write_export(counts(), path, "parquet")
    book = json.loads(pq.read_schema(path).metadata[b"binc"])
    assert book["release"]["epsilon"] == 1.5
    frame = pl.read_parquet(path)
    assert frame.columns == CONTRACT
    assert frame.schema["value"] == pl.Int64
    assert frame.schema["suppressed"] == pl.Boolean
    assert frame.schema["too_uncertain"] == pl.Boolean
    assert frame.filter("suppressed")["value"].null_count() == frame["suppressed"].sum()


def test_writers_give_bytes_for_the_dashboard():
    table = counts()
    assert xlsx_bytes(table)[:2] == b"PK"
    assert parquet_bytes(table)[:4] == b"PAR1"
    assert csv_bytes(table).startswith(b"year,year_label,")


def test_the_nl_be_excel_csv_has_bom_semicolons_and_decimal_commas():
    data = excel_csv_bytes(shares())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "year;year_label;sex;sex_label;value;ci_low;ci_high;suppressed;too_uncertain"
    assert lines[1] == "2023;2023;M;Jongen;12,3;10,0;14,6;false;false"


def test_a_failing_writer_leaves_the_old_file_untouched(tmp_path: Path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("the good old export\n")
    (tmp_path / "t.codebook.json").write_text("{}")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writers, "csv_bytes", broken)
    with pytest.raises(RuntimeError):
        write_export(counts(), path, "csv")
    assert path.read_text() == "the good old export\n"
    assert (tmp_path / "t.codebook.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.codebook.json", "t.csv"]


def test_a_failure_while_moving_into_place_leaves_no_half_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"old")

    def no_replace(src, dst):
        raise OSError("device full")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(OSError, match="device full"):
        write_export(counts(), path, "parquet")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_an_export_gets_the_mode_of_a_new_file_under_the_umask(tmp_path: Path, fmt, umask):
    """Not the 0o600 of the temporary file it is written through: a researcher's export is an
    ordinary file, 0o644 under umask 022 (0o640 under 027), codebook included."""
    previous = os.umask(umask)
    try:
        written = write_export(counts(), tmp_path / f"t.{fmt}", fmt)
    finally:
        os.umask(previous)
    assert len(written) == (2 if fmt == "csv" else 1)
    for path in written:
        assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~umask), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_new_file_mode_is_what_the_umask_gives_a_plain_open(tmp_path: Path):
    previous = os.umask(0o037)
    try:
        mode = writers.new_file_mode()
        (tmp_path / "plain").write_bytes(b"")
    finally:
        os.umask(previous)
    assert mode == 0o640 == (tmp_path / "plain").stat().st_mode & 0o777


@pytest.mark.parametrize(
    ("dimension", "code", "language", "label"),
    [
        ("year", "2024", "nl", "2024"),
        ("year", T, "en", "Total"),
        ("sex", "X", "nl", "X (andere)"),
        ("sex", "V", "en", "Girl"),
        ("age_band", "0-2", "nl", "0–2 jaar"),
        ("duration_band", "18+", "en", "18 months or longer"),
        ("province", "10000", "nl", "Antwerpen"),
        ("province", "10000", "en", "Antwerp"),
        ("partnership", "P02", "nl", "1 Gezin 1 Plan Antwerpen"),
        ("municipality", "11002", "en", "Antwerpen"),
        ("trajectory_type", "coaching_short", "nl", "Gezinscoaching kort"),
        ("unknown_dimension", "abc", "nl", "abc"),
    ],
)
def test_label_for(dimension, code, language, label):
    assert label_for(dimension, code, language) == label


# --- CLI input validation (before any release is opened) ----------------------------------------


def export_args(tmp_path: Path, **overrides: str) -> list[str]:
    options = {
        "--release": str(tmp_path / "release"),
        "--measure": "trajectories",
        "--by": "year,sex",
        "--format": "csv",
        "--out": str(tmp_path / "t.csv"),
    } | overrides
    return ["export", *[part for item in options.items() for part in item]]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--format": "json"}, "--format 'json' is not supported; allowed: csv, xlsx, parquet"),
        ({"--language": "fr"}, "--language 'fr' is not supported; allowed: nl, en"),
        ({"--out": "/no/such/dir/t.csv"}, "directory /no/such/dir does not exist"),
    ],
)
def test_export_refuses_bad_options_with_one_line(tmp_path: Path, capsys, overrides, message):
    assert main(export_args(tmp_path, **overrides)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err


def test_by_and_where_are_checked_against_the_known_dimensions():
    allowed = ("year", "sex")
    assert parse_by("year, sex", allowed) == ("year", "sex")
    assert parse_where(["year=2024"], allowed) == {"year": "2024"}
    with pytest.raises(UserError, match=r"--by: unknown dimension 'age'; allowed: year, sex"):
        parse_by("year,age", allowed)
    for bad in ("year", "=2024", "year=", "year:2024"):
        with pytest.raises(UserError, match="malformed; write DIM=CODE"):
            parse_where([bad], allowed)
    with pytest.raises(UserError, match="unknown dimension 'region'"):
        parse_where(["region=1"], allowed)


def _for_one_region(synthetic: bool = False) -> AnsweredTable:
    table = counts()
    release = {**RELEASE, "as_of": "2026-11-29", "synthetic": synthetic}
    return AnsweredTable(
        table.measure, table.kind, table.dimensions, table.frame, table.unit, release,
        table.source_tables, filters={"partnership": ("P01",), "trajectory_type": ("bridging",)},
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_file_says_which_part_of_the_data_it_shows(tmp_path: Path, fmt: str):
    """A table for one partnership and one type must not look like one for all of Flanders."""
    written = write_export(_for_one_region(), tmp_path / f"t.{fmt}", fmt, "nl")
    if fmt == "csv":
        beside = next(p for p in written if p.name.endswith(".codebook.json"))
        book = json.loads(beside.read_text(encoding="utf-8"))
    elif fmt == "parquet":
        book = json.loads(pq.read_schema(written[0]).metadata[b"binc"])
    else:
        sheet = openpyxl.load_workbook(written[0])["metadata"]
        rows = list(sheet.iter_rows(values_only=True))
        book = {"about": dict(rows[1:7])}
    about = book["about"]
    partnership = label_for("partnership", "P01", "nl")
    filters = about["filters_text"] if fmt != "xlsx" else about["Filters"]
    assert f"Samenwerkingsverband: {partnership}" in filters
    assert f"Soort traject: {label_for('trajectory_type', 'bridging', 'nl')}" in filters
    if fmt != "xlsx":
        assert about["filters"]["partnership"] == [{"code": "P01", "label": partnership}]
        assert about["title"] == "Gestarte trajecten naar startjaar, geslacht"
        assert "release r-2026-11-29" in about["source"]
        assert "29 november 2026" in about["source"]


def test_the_xlsx_metadata_sheet_reads_top_down_in_the_readers_language(tmp_path: Path):
    path = tmp_path / "t.xlsx"
    write_export(_for_one_region(synthetic=True), path, "xlsx", "nl")
    rows = list(openpyxl.load_workbook(path)["metadata"].iter_rows(values_only=True))
    assert rows[0] == ("Gegeven", "Waarde")
    assert [r[0] for r in rows[1:7]] == [
        "Let op", "Titel", "Filters", "Bron", "Citeer als", "Licentie",
    ]  # fmt: skip
    assert rows[1][1].startswith("SYNTHETISCHE DEMOGEGEVENS")
    assert rows[4][1].startswith("Opgroeien, BINC")
    keys = [r[0] for r in rows]
    # the technical keys follow, for software (binc audit reads them back)
    assert keys.index("measure") > keys.index("Licentie")
    english = list(openpyxl.load_workbook(write_export(_for_one_region(), tmp_path / "e.xlsx",
                                                       "xlsx", "en")[0])["metadata"].iter_rows(
        values_only=True))  # fmt: skip
    assert english[0] == ("Item", "Value")
    assert english[1][0] == "Title"
    assert english[1][1] == "Trajectories started by start year, sex"


def test_a_table_without_filters_says_it_covers_everything():
    about = codebook(counts(), "en")["about"]
    assert about["filters"] == {}
    assert about["filters_text"].startswith("none: all start years, all regions")
    assert about["synthetic"] is False
    assert about["synthetic_text"] == ""


def test_the_codebook_speaks_the_readers_language():
    dutch, english = codebook(counts(), "nl"), codebook(counts(), "en")
    assert dutch["columns"][0] == {
        "name": "year",
        "type": "string",
        "description": "code: startjaar van het traject; TOTAL = alle samen",
    }
    assert (
        english["columns"][0]["description"]
        == "code: start year of the trajectory; TOTAL = all together"
    )
    assert dutch["totals"].startswith("rijen met code TOTAL")
    assert dutch["disclosure"]["rule"].startswith("een waarde met een basis onder k")
    assert dutch["rounding"].startswith("aantallen en hun intervallen afgerond")
    # types stay machine words in every language: software reads them
    assert [c["type"] for c in dutch["columns"]] == [c["type"] for c in english["columns"]]


def test_every_dimension_has_its_meaning_in_both_languages():
    for language in ("nl", "en"):
        for dimension in DIMENSIONS:
            assert meaning(dimension, language)
