"""Export writers: bytes for the dashboard's download buttons, files (written atomically) for the CLI.

Every format carries the codebook: beside a CSV as `<name>.codebook.json`, as `metadata` and `codes`
sheets in XLSX, as key-value metadata (key `binc`) in Parquet. Files are written to a temporary file
in the target directory and moved into place with os.replace, so a failed export never leaves half
a file behind and never replaces a good one. The file gets the mode any new file of the user gets
(0o666 less the umask, e.g. 0o644), not the 0o600 of a temporary file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from binc.core import i18n
from binc.core.errors import UserError, storage_message
from binc.core.table import AnsweredTable, decimals_for
from binc.export.codebook import PARQUET_KEY, codebook, codebook_bytes, flatten
from binc.export.frame import export_frame

FORMATS = ("csv", "xlsx", "parquet")


def frame_csv_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as the contract CSV: UTF-8 without BOM, `,` separated, `.` decimals, empty for null."""
    return frame.write_csv().encode()


def frame_excel_csv_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as Excel in a Belgian (nl-BE) locale opens it: UTF-8 with BOM, `;`, decimal comma."""
    return "\ufeff".encode() + frame.write_csv(separator=";", decimal_comma=True).encode()


def csv_bytes(table: AnsweredTable, language: str = "nl") -> bytes:
    """The contract CSV: UTF-8 without BOM, `,` separated, `.` decimals, empty where suppressed."""
    return frame_csv_bytes(export_frame(table, language))


def excel_csv_bytes(table: AnsweredTable, language: str = "nl") -> bytes:
    """CSV as Excel in a Belgian (nl-BE) locale opens it: UTF-8 with BOM, `;` separated, decimal comma."""
    return frame_excel_csv_bytes(export_frame(table, language))


def parquet_bytes(table: AnsweredTable, language: str = "nl") -> bytes:
    arrow = export_frame(table, language).to_arrow()
    # Plain string columns (not string views) keep the file readable by older Parquet readers.
    schema = pa.schema(
        [
            pa.field(f.name, pa.string() if pa.types.is_string_view(f.type) else f.type)
            for f in arrow.schema
        ]
    )
    arrow = arrow.cast(schema).replace_schema_metadata(
        {PARQUET_KEY: json.dumps(codebook(table, language), ensure_ascii=False)}
    )
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


def xlsx_bytes(table: AnsweredTable, language: str = "nl") -> bytes:
    """A workbook with sheets `data` (the export), `metadata` (codebook as key-value) and `codes`."""
    frame = export_frame(table, language)
    document = codebook(table, language)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    number = workbook.add_format({"num_format": "0" if decimals_for(table.kind) == 0 else "0.0"})
    whole = workbook.add_format({"num_format": "0"})

    data = workbook.add_worksheet("data")
    data.write_row(0, 0, frame.columns, bold)
    numeric = {"value", "ci_low", "ci_high"}
    for c, name in enumerate(frame.columns):
        for r, cell in enumerate(frame[name].to_list(), start=1):
            if cell is None:
                continue  # suppressed: an empty cell, never a zero
            if isinstance(cell, bool):
                data.write_boolean(r, c, cell)
            elif name in numeric:
                data.write_number(r, c, cell, number)
            elif name == "year" and str(cell).isdigit():
                # a start year is a number to a spreadsheet user (sorting, filters, formulas);
                # the margin row keeps its code TOTAL as text
                data.write_number(r, c, int(cell), whole)
            else:
                data.write_string(r, c, str(cell))
        data.set_column(c, c, max(10, min(40, len(name) + 2)))
    data.freeze_panes(1, 0)

    # Read top-down by a person first (what, which part, source, how to cite, in their language),
    # then the codebook's technical keys for software (binc audit reads those).
    about = document["about"]
    metadata = workbook.add_worksheet("metadata")
    text = i18n.texts_of("export", language)
    metadata.write_row(0, 0, [text["header_key"], text["header_value"]], bold)
    rows = [
        ("key_synthetic", about["synthetic_text"]),
        ("key_title", about["title"]),
        ("key_filters", about["filters_text"]),
        ("key_provisional", about["provisional_text"]),
        ("key_source", about["source"]),
        ("key_cite", about["cite"]),
        ("key_licence", about["licence"]),
    ]
    r = 1
    for key, value in rows:
        if value:
            metadata.write_string(r, 0, text[key], bold)
            metadata.write_string(r, 1, value)
            r += 1
    metadata.write_string(r + 1, 0, text["technical"], bold)
    for row, (key, value) in enumerate(flatten(document), start=r + 2):
        metadata.write_string(row, 0, key)
        metadata.write_string(row, 1, value)
    metadata.set_column(0, 0, 28)
    metadata.set_column(1, 1, 100)

    codes = workbook.add_worksheet("codes")
    codes.write_row(0, 0, ["dimension", "code", "label_nl", "label_en"], bold)
    r = 1
    for dim, entries in document["codes"].items():
        for entry in entries:
            codes.write_row(r, 0, [dim, entry["code"], entry["label_nl"], entry["label_en"]])
            r += 1
    workbook.close()
    return buffer.getvalue()


def codebook_path(path: Path) -> Path:
    """Where the codebook of a CSV export lives: `table.csv` -> `table.codebook.json`."""
    return path.with_suffix(".codebook.json")


def _umask() -> int:
    """The process's umask, read without changing it (Linux); else set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # Another thread creating a file meanwhile gets a stricter mode, never a looser one.
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The permission bits a newly created file gets under the current umask (0o644 under 022)."""
    return 0o666 & ~_umask()


def write_atomic(files: dict[Path, bytes]) -> None:
    """Write all files, each via a temporary file in its own directory; nothing is replaced on failure.

    A full disk or a read-only directory is a UserError naming the file; earlier files stay as
    they were."""
    staged: list[tuple[str, Path]] = []
    path = next(iter(files), Path())
    mode = new_file_mode()
    try:
        for path, content in files.items():
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            staged.append((temporary, path))
            with os.fdopen(handle, "wb") as out:
                # mkstemp makes the file 0o600; the export is the user's file like any other.
                os.fchmod(out.fileno(), mode)
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as error:
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        message = storage_message(error, path, "the export", writing=True, kept=kept)
        if message is None:
            raise
        raise UserError(message) from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def export_files(
    table: AnsweredTable, path: Path, fmt: str, language: str = "nl"
) -> dict[Path, bytes]:
    """The file(s) an export to `path` consists of, rendered in memory (a failure writes nothing)."""
    if fmt == "csv":
        return {
            codebook_path(path): codebook_bytes(table, language),
            path: csv_bytes(table, language),
        }
    if fmt == "xlsx":
        return {path: xlsx_bytes(table, language)}
    if fmt == "parquet":
        return {path: parquet_bytes(table, language)}
    raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")


def write_export(table: AnsweredTable, path: Path, fmt: str, language: str = "nl") -> list[Path]:
    """Write an export (and its codebook) atomically; returns the paths written."""
    files = export_files(table, Path(path), fmt, language)
    write_atomic(files)
    return list(files)
