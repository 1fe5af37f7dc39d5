"""Reading an exported table back (CSV + codebook, nl-BE Excel CSV, XLSX, Parquet), for `binc audit`.

An auditor gets the file a reader gets; everything the audit needs — the dimensions, k, the measure
kind — is recovered from the metadata that travels with it, or from the column layout (a dimension
column is one with a matching `<dim>_label` column) when the metadata is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from dashboard.errors import UserError
from dashboard.export.codebook import PARQUET_KEY
from dashboard.export.frame import NUMBER_COLUMNS
from dashboard.export.writers import codebook_path


@dataclass(frozen=True)
class ExportedTable:
    path: Path
    frame: pl.DataFrame  # dimension codes (String), value/ci_low/ci_high (Float64), suppressed
    dimensions: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)  # the codebook, when it travelled along

    @property
    def k(self) -> int | None:
        for section in ("disclosure", "release"):
            value = (self.metadata.get(section) or {}).get("k")
            if value not in (None, ""):
                try:
                    return int(value)
                except (TypeError, ValueError):
                    return None
        return None

    @property
    def kind(self) -> str | None:
        return self.metadata.get("kind") or None


def read_export(path: Path) -> ExportedTable:
    """Read an export; UserError (one line naming file, row and column) when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file; give the path of an exported table")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame, metadata = _read_csv(path)
        elif suffix == ".xlsx":
            frame, metadata = _read_xlsx(path)
        elif suffix == ".parquet":
            frame = pl.read_parquet(path)
            raw = (pq.read_schema(path).metadata or {}).get(PARQUET_KEY.encode())
            metadata = json.loads(raw) if raw else {}
        else:
            raise UserError(
                f"{path}: unknown file type {suffix!r}; expected .csv, .xlsx or .parquet"
            )
    except UserError:
        raise
    except Exception as error:  # any reader failure is an unreadable file, not a programmer error
        raise UserError(
            f"{path}: cannot be read as an exported table ({type(error).__name__})"
        ) from None

    dimensions = metadata.get("dimensions")
    if not isinstance(dimensions, list):
        dimensions = [c for c in frame.columns if f"{c}_label" in frame.columns]
    missing = [c for c in (*dimensions, *NUMBER_COLUMNS, "suppressed") if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: column {missing[0]!r} is missing; is this an exported table?")
    return ExportedTable(path, _typed(path, frame, dimensions), tuple(dimensions), metadata)


def _read_csv(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    text = path.read_bytes().decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    # The nl-BE Excel variant uses `;` and a decimal comma; the contract CSV `,` and a point.
    excel = ";" in header and "," not in header
    frame = pl.read_csv(
        text.encode(),
        separator=";" if excel else ",",
        infer_schema=False,
    )
    if excel:
        frame = frame.with_columns(
            pl.col(c).str.replace(",", ".", literal=True)
            for c in NUMBER_COLUMNS
            if c in frame.columns
        )
    beside = codebook_path(path)
    metadata = json.loads(beside.read_text(encoding="utf-8")) if beside.is_file() else {}
    return frame, metadata


def _read_xlsx(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    frame = pl.read_excel(path, sheet_name="data", engine="calamine")
    metadata: dict[str, Any] = {}
    try:
        rows = pl.read_excel(path, sheet_name="metadata", engine="calamine")
    except Exception:  # a workbook without a metadata sheet: infer from the layout
        return frame, metadata
    for key, value in zip(rows["key"].cast(pl.String), rows["value"].cast(pl.String), strict=True):
        node = metadata
        *parents, leaf = (key or "").split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    if isinstance(metadata.get("dimensions"), str):
        metadata["dimensions"] = [d.strip() for d in metadata["dimensions"].split(",") if d.strip()]
    return frame, metadata


def _typed(path: Path, frame: pl.DataFrame, dimensions: list[str]) -> pl.DataFrame:
    """Dimension codes as text, numbers as Float64, `suppressed` as Boolean — or a UserError naming the cell."""
    columns = [pl.col(d).cast(pl.String) for d in dimensions]
    for name in NUMBER_COLUMNS:
        text = frame[name].cast(pl.String).str.strip_chars()
        numbers = text.cast(pl.Float64, strict=False)
        bad = (numbers.is_null() & text.is_not_null() & (text != "")).arg_true()
        if len(bad):
            raise UserError(f"{path}: row {bad[0] + 2}, column {name!r} is not a number")
        columns.append(pl.lit(numbers).alias(name))
    flags = frame["suppressed"].cast(pl.String).str.strip_chars().str.to_lowercase()
    parsed = flags.replace_strict(
        {"true": True, "false": False, "1": True, "0": False}, default=None
    )
    bad = parsed.is_null().arg_true()
    if len(bad):
        raise UserError(f"{path}: row {bad[0] + 2}, column 'suppressed' must be true or false")
    columns.append(pl.lit(parsed.cast(pl.Boolean)).alias("suppressed"))
    return frame.select(columns)
