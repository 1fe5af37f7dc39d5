"""Write the registrations as provider export files, each provider with its own habits.

Real exports differ: some partnerships save CSV the way Excel nl-BE does (`;`, UTF-8 with BOM,
DD/MM/YYYY, CRLF), others write `,` with ISO dates; national numbers are sometimes written as
YY.MM.DD-SSS.CC. Ingest must accept all of these, so the demo exercises them. Every file is
written byte-identically for the same input (XLSX gets a fixed creation time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from binc.core.format_v1 import COLUMNS
from binc.core.reference import partnerships
from binc.synthetic import draws
from binc.synthetic.recipe import Recipe
from binc.synthetic.registrations import FILE

FORMATS = ("csv", "xlsx", "parquet")


@dataclass(frozen=True)
class CsvStyle:
    separator: str
    bom: bool
    date_format: str
    line_terminator: str


EXCEL_NL_BE = CsvStyle(separator=";", bom=True, date_format="%d/%m/%Y", line_terminator="\r\n")
PLAIN = CsvStyle(separator=",", bom=False, date_format="%Y-%m-%d", line_terminator="\n")


def _partnership(stem: str) -> str | None:
    parts = stem.split("_")
    return parts[2] if len(parts) == 3 and parts[1] == "1g1p" else None


def style_of(stem: str, recipe: Recipe) -> CsvStyle:
    return EXCEL_NL_BE if _partnership(stem) in recipe.excel_style_partnerships else PLAIN


def format_national_numbers(recipe: Recipe, frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Write some numbers as YY.MM.DD-SSS.CC, more often at Excel-style providers."""
    rng = draws.stream(seed, "number-format")
    excel = frame["partnership_id"].is_in(list(recipe.excel_style_partnerships)).to_numpy()
    share = np.where(
        excel, recipe.formatted_number_share_excel, recipe.formatted_number_share_plain
    )
    number = pl.col("national_number")
    dotted = pl.format(
        "{}.{}.{}-{}.{}", *(number.str.slice(a, b - a) for a, b in ((0, 2), (2, 4), (4, 6), (6, 9), (9, 11)))
    )  # fmt: skip
    formatted = pl.Series(rng.random(frame.height) < share)
    return frame.with_columns(
        pl.when(formatted & number.str.contains(r"^\d{11}$"))
        .then(dotted)
        .otherwise(number)
        .alias("national_number")
    )


def expected_stems(recipe: Recipe) -> list[str]:
    """Every file an active provider sends: each partnership from its first year, other youth care."""
    years = recipe.start_years
    stems = [f"{year}_other_youth_care" for year in years]
    for partnership in partnerships()["partnership_id"]:
        first = recipe.partnership_first_year.get(partnership, recipe.first_year)
        stems += [f"{year}_1g1p_{partnership}" for year in years if year >= first]
    return stems


def _write_xlsx(data: pl.DataFrame, path: Path, exported: date) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    # A fixed creation time (the export date, 18:00) makes the file byte-identical for the same seed.
    created = datetime(exported.year, exported.month, exported.day, 18, 0)
    workbook.set_properties({"created": created})
    data.write_excel(
        workbook,
        worksheet="registrations",
        dtype_formats={pl.Date: "yyyy-mm-dd"},
        autofilter=False,
        table_style=None,
    )
    workbook.close()


def write_exports(
    recipe: Recipe, frame: pl.DataFrame, out_dir: Path, file_format: str
) -> list[Path]:
    """One file per FILE stem, in sorted (= chronological) order; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    parts = {
        stem: part
        for (stem,), part in frame.partition_by(FILE, as_dict=True, maintain_order=True).items()
    }
    empty = frame.clear()
    for stem in sorted(set(parts) | set(expected_stems(recipe))):
        # An active partnership sends its file even when (at a small --children) it is empty.
        data = parts.get(stem, empty).select(COLUMNS)
        path = out_dir / f"{stem}.{file_format}"
        if file_format == "csv":
            style = style_of(str(stem), recipe)
            data.write_csv(
                path,
                separator=style.separator,
                include_bom=style.bom,
                date_format=style.date_format,
                line_terminator=style.line_terminator,
            )
        elif file_format == "parquet":
            data.write_parquet(path)
        else:
            _write_xlsx(data, path, recipe.export_date)
        written.append(path)
    return written
