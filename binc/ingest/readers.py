"""Read one provider export (CSV, XLSX or Parquet) into a frame of stripped text, one row per record.

Every value stays text here: validation decides what it means, so a bad value becomes a reject
with its reason instead of a parser crash. Structural problems that make the whole file unreadable
(not UTF-8, no header, missing or unknown columns) raise UserError naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from binc.core.errors import UserError
from binc.core.format_v1 import COLUMNS

LINE = "_line"  # header is line 1, the first record line 2
RAGGED = "_ragged"  # a note when a CSV line had the wrong number of fields
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawExport:
    path: Path
    file_format: str
    sha256: str
    frame: pl.DataFrame  # COLUMNS as stripped text (null when empty) + LINE + RAGGED


def read_export(path: Path) -> RawExport:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame, file_format = _read_csv(path, data), "csv"
    elif suffix in (".xlsx", ".xlsm"):
        frame, file_format = _read_xlsx(path), "xlsx"
    elif suffix == ".parquet":
        frame, file_format = _read_parquet(path), "parquet"
    else:
        raise UserError(
            f"{path}: unknown file type {suffix or '(none)'}; use .csv, .xlsx or .parquet"
        )
    return RawExport(path=path, file_format=file_format, sha256=digest, frame=_tidy(path, frame))


def _check_utf8(path: Path, data: bytes) -> bytes:
    """The bytes without BOM; a clear error at the first byte that is not UTF-8."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = 1 << 24  # checked in 16 MiB steps: no second full copy of a large file in memory
    offset = 0
    try:
        for offset in range(0, len(data), chunk):
            decoder.decode(data[offset : offset + chunk], final=offset + chunk >= len(data))
    except UnicodeDecodeError as error:
        position = offset + error.start
        line = data.count(b"\n", 0, position) + 1
        raise UserError(
            f"{path}: line {line}: not UTF-8 (byte 0x{data[position]:02x}); "
            "save the export as UTF-8 (in Excel: 'CSV UTF-8') and ingest it again"
        ) from None
    return data


def _read_csv(path: Path, data: bytes) -> pl.DataFrame:
    data = _check_utf8(path, data)
    if not data.strip():
        raise UserError(
            f"{path}: line 1: the file is empty; expected a header line with the v1 columns"
        )
    header_line = data.split(b"\n", 1)[0]
    separator = ";" if header_line.count(b";") > header_line.count(b",") else ","
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False, has_header=True)
    except pl.exceptions.ComputeError:
        # A malformed line (wrong number of fields, broken quoting). Read line by line instead so
        # that only the broken lines are rejected and every other row still counts.
        return _number_lines(_read_csv_tolerant(data.decode("utf-8"), separator))
    return _number_lines(frame)


def _read_csv_tolerant(text: str, separator: str) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = next(reader)
    rows: list[list[str | None]] = []
    for fields in reader:
        note = None
        if len(fields) != len(header):
            note = f"the line has {len(fields)} fields where the header has {len(header)}"
            fields = (fields + [""] * len(header))[: len(header)]
        rows.append([*fields, note])
    columns = [*header, RAGGED]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")


def _read_xlsx(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_excel(path, sheet_id=1, infer_schema_length=0)
    except Exception as error:  # the Excel engine raises its own types for corrupt files
        raise UserError(
            f"{path}: cannot read as XLSX ({type(error).__name__}); re-save it from Excel"
        ) from None
    return _number_lines(frame)


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # pyarrow/polars raise several types for corrupt files
        raise UserError(f"{path}: cannot read as Parquet ({type(error).__name__})") from None
    frame = frame.with_columns(
        pl.col(name).dt.strftime("%Y-%m-%d")
        if dtype in (pl.Date, pl.Datetime)
        else pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
    )
    return _number_lines(frame)


def _number_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """Record i (0-based) is line i + 2: the header is line 1, in a CSV as on a sheet."""
    if RAGGED not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(RAGGED))
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _tidy(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    """Match the header case-insensitively, refuse missing or unknown columns, strip every value."""
    renamed: dict[str, str] = {}
    for name in frame.columns:
        if name in (LINE, RAGGED):
            continue
        clean = name.replace("\ufeff", "").strip().lower()
        if clean in renamed.values():
            raise UserError(f"{path}: line 1: column {clean!r} appears twice in the header")
        renamed[name] = clean
    present = set(renamed.values())
    missing = [c for c in COLUMNS if c not in present]
    unknown = sorted(present - set(COLUMNS))
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(unknown))
        raise UserError(
            f"{path}: line 1: {'; '.join(parts)} (registration format v1; names are case-insensitive)"
        )
    frame = frame.rename(renamed)
    # One cheap check per column first: most columns have no padding and no empty text, and for
    # those the strip-and-null rewrite (new strings for every value) would change nothing.
    padded = frame.select(
        ((pl.col(c).str.strip_chars() != pl.col(c)) | (pl.col(c) == "")).any() for c in COLUMNS
    ).row(0)
    return frame.select(
        *(_stripped(c) if needs else pl.col(c) for c, needs in zip(COLUMNS, padded, strict=True)),
        pl.col(LINE),
        pl.col(RAGGED),
    )


def _stripped(column: str) -> pl.Expr:
    """Surrounding whitespace removed; a value that is empty then counts as missing (null)."""
    stripped = pl.col(column).str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped).alias(column)
