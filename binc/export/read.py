"""Reading an exported table back (CSV + codebook, nl-BE Excel CSV, XLSX, Parquet), for `binc audit`.

An auditor gets the file a reader gets; everything the audit needs — the dimensions, k, the measure
kind — is recovered from the metadata that travels with it, or from the column layout (a dimension
column is one with a matching `<dim>_label` column) when the metadata is missing.

An export is a complete table: one row for every combination of its dimensions' codes (TOTAL
included when it has margins). A file cut off — a CSV whose last line stops half-way, rows missing
against the codes its codebook lists, a Parquet file without its footer, a workbook without the end
of its ZIP archive — is refused, since an audit of part of a table proves nothing about the table.
"""

from __future__ import annotations

import csv
import itertools
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from binc.core.errors import UserError, shown
from binc.export.codebook import CALENDAR_FORMAT, FORMAT, PARQUET_KEY
from binc.export.frame import NUMBER_COLUMNS
from binc.export.writers import codebook_path

# Versions of the export contract this reader understands (docs/design.md §8): version 1 had no
# `too_uncertain` column; version 2 has it after `suppressed`; version 3 (written for a release on
# the publication calendar; version 2 otherwise) adds `provisional` after `too_uncertain`.
READABLE_FORMATS = ("binc-export/1", FORMAT, CALENDAR_FORMAT)
FLAG_COLUMNS = ("suppressed", "too_uncertain", "provisional")
FLAGS = {"true": True, "false": False, "1": True, "0": False}


@dataclass(frozen=True)
class ExportedTable:
    path: Path
    # dimension codes (String), value/ci_low/ci_high (Float64), suppressed (Boolean), from
    # version 2 of the contract on too_uncertain (Boolean), in version 3 provisional (Boolean)
    frame: pl.DataFrame
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
        if _cut_off(path, suffix):
            raise UserError(
                f"{path}: the file is incomplete (cut off before its end); export the table again"
            ) from None
        raise UserError(
            f"{path}: cannot be read as an exported table ({type(error).__name__})"
        ) from None

    version = metadata.get("format")
    if version not in (None, "", *READABLE_FORMATS):
        raise UserError(
            f"{path}: its codebook says export format {shown(version)}, which this version of "
            f"binc cannot read (it reads {', '.join(READABLE_FORMATS)}); use a newer binc"
        )
    dimensions = metadata.get("dimensions")
    if not isinstance(dimensions, list):
        dimensions = [c for c in frame.columns if f"{c}_label" in frame.columns]
    required = [*dimensions, *NUMBER_COLUMNS, "suppressed"]
    if version in (FORMAT, CALENDAR_FORMAT):
        required.append("too_uncertain")
    if version == CALENDAR_FORMAT:
        required.append("provisional")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: column {missing[0]!r} is missing; is this an exported table?")
    typed = _typed(path, frame, dimensions)
    _check_complete(path, typed, dimensions, metadata)
    return ExportedTable(path, typed, tuple(dimensions), metadata)


def _cut_off(path: Path, suffix: str) -> bool:
    """Does an unreadable Parquet or XLSX file look like the beginning of a good one, cut short?"""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    if suffix == ".parquet":  # a Parquet file starts and ends with PAR1; the footer is at the end
        return head == b"PAR1" and path.read_bytes()[-4:] != b"PAR1"
    if suffix == ".xlsx":  # a ZIP archive's directory is at its end
        return head == b"PK\x03\x04" and not zipfile.is_zipfile(path)
    return False


def _check_incomplete_last_line(path: Path, text: str) -> None:
    """A CSV cut off inside its last line: that line lacks its newline and fields or a flag."""
    if not text or text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    if len(lines) < 2:
        return  # a header alone, or less: the column checks say what is wrong
    dialect = ";" if ";" in lines[0] and "," not in lines[0] else ","
    header = next(csv.reader([lines[0]], delimiter=dialect))
    last = next(csv.reader([lines[-1]], delimiter=dialect), [])
    flags = [header.index(f) for f in FLAG_COLUMNS if f in header]
    complete = len(last) == len(header) and all(
        last[at].strip().lower() in FLAGS for at in flags or [len(header) - 1]
    )
    if not complete:
        raise UserError(
            f"{path}: row {len(lines)} is incomplete (the file stops in the middle of it); "
            "the file was cut off, export the table again"
        )


def _listed_codes(metadata: dict[str, Any], dimension: str) -> list[str] | None:
    """The codes of one dimension as the codebook lists them, or None when it lists none."""
    entries = (metadata.get("codes") or {}).get(dimension) if isinstance(metadata, dict) else None
    if not isinstance(entries, list) or not entries:
        return None
    codes = [str(e.get("code")) if isinstance(e, dict) else str(e) for e in entries]
    return codes if all(c not in ("", "None") for c in codes) else None


def _check_complete(
    path: Path, frame: pl.DataFrame, dimensions: list[str], metadata: dict[str, Any]
) -> None:
    """One row for every combination of the codes (the codebook's, else those in the file)."""
    if not dimensions:
        if frame.height != 1:
            raise UserError(f"{path}: a table without dimensions has one row, not {frame.height}")
        return
    keys = list(frame.select(dimensions).iter_rows())
    codes, listed = [], True
    for position, dim in enumerate(dimensions):
        known = _listed_codes(metadata, dim)
        if known is None:
            listed = False
            known = list(dict.fromkeys(key[position] for key in keys))
        codes.append(known)
    allowed = [set(c) for c in codes]
    seen: dict[tuple[Any, ...], int] = {}
    for row, key in enumerate(keys, start=2):  # row 1 is the header
        for dim, code, ok in zip(dimensions, key, allowed, strict=True):
            if code not in ok:
                raise UserError(
                    f"{path}: row {row}, column {dim!r}: code {code!r} is not among the codes its "
                    "codebook lists; does the codebook belong to another export?"
                )
        if key in seen:
            raise UserError(f"{path}: row {row} repeats the cell of row {seen[key]}")
        seen[key] = row
    expected = 1
    for c in codes:
        expected *= len(c)
    if len(seen) == expected:
        return
    absent = next(key for key in itertools.product(*codes) if key not in seen)
    cell = ", ".join(f"{d}={c}" for d, c in zip(dimensions, absent, strict=True))
    source = "the codes in its codebook" if listed else "the codes in it"
    raise UserError(
        f"{path}: the table is incomplete: {frame.height} of the {expected} rows that {source} "
        f"make (no row for {cell}); was it cut off after row {frame.height + 1}? "
        "Export the table again"
    )


def _read_csv(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    text = path.read_bytes().decode("utf-8-sig")
    _check_incomplete_last_line(path, text)
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
    # Every cell as text: a year written as a number must come back as the code "2024", not 2024.0.
    frame = pl.read_excel(path, sheet_name="data", engine="calamine", infer_schema_length=0)
    metadata: dict[str, Any] = {}
    try:
        rows = pl.read_excel(path, sheet_name="metadata", engine="calamine")
    except Exception:  # a workbook without a metadata sheet: infer from the layout
        return frame, metadata
    # By position: the header and the first rows are in the reader's language (binc/export/writers.py);
    # the technical keys below them are the codebook's.
    keys, values = rows.columns[0], rows.columns[1]
    for key, value in zip(rows[keys].cast(pl.String), rows[values].cast(pl.String), strict=True):
        if not key:
            continue
        node = metadata
        *parents, leaf = (key or "").split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    if isinstance(metadata.get("dimensions"), str):
        metadata["dimensions"] = [d.strip() for d in metadata["dimensions"].split(",") if d.strip()]
    try:
        codes = pl.read_excel(path, sheet_name="codes", engine="calamine", infer_schema_length=0)
    except Exception:  # no codes sheet: completeness is checked against the codes in the data
        return frame, metadata
    if {"dimension", "code"} <= set(codes.columns):
        listed: dict[str, list[dict[str, str]]] = {}
        for dim, code in codes.select("dimension", "code").iter_rows():
            listed.setdefault(str(dim), []).append({"code": str(code)})
        metadata["codes"] = listed
    return frame, metadata


def _typed(path: Path, frame: pl.DataFrame, dimensions: list[str]) -> pl.DataFrame:
    """Dimension codes as text, numbers as Float64, `suppressed` (and `too_uncertain`,
    `provisional`) as Boolean — or a UserError naming the cell."""
    columns = [pl.col(d).cast(pl.String) for d in dimensions]
    for name in NUMBER_COLUMNS:
        text = frame[name].cast(pl.String).str.strip_chars()
        numbers = text.cast(pl.Float64, strict=False)
        bad = (numbers.is_null() & text.is_not_null() & (text != "")).arg_true()
        if len(bad):
            raise UserError(f"{path}: row {bad[0] + 2}, column {name!r} is not a number")
        columns.append(pl.lit(numbers).alias(name))
    for name in FLAG_COLUMNS:
        if name not in frame.columns:
            continue  # too_uncertain: not in a version-1 file; provisional: only in version 3
        flags = frame[name].cast(pl.String).str.strip_chars().str.to_lowercase()
        parsed = flags.replace_strict(FLAGS, default=None)
        bad = parsed.is_null().arg_true()
        if len(bad):
            raise UserError(f"{path}: row {bad[0] + 2}, column {name!r} must be true or false")
        columns.append(pl.lit(parsed.cast(pl.Boolean)).alias(name))
    return frame.select(columns)
