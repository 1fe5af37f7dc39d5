"""The codebook that travels with every export: what each column means, every code's labels, and the
release it came from — enough for a researcher to cite, judge and reproduce the table.

The same JSON document is written beside a CSV (`<name>.codebook.json`), under the key `binc` in a
Parquet file's key-value metadata, and flattened into the `metadata` sheet of an XLSX workbook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import polars as pl

from binc.answering.calendar import calendar, closing_date, provisional_in
from binc.core import i18n
from binc.core.table import AnsweredTable, UncertaintyRule, decimals_for, with_too_uncertain
from binc.export.frame import provisional_column
from binc.export.labels import code_list, display_label
from binc.release_file import budget_text

# The export contract's version (docs/design.md §8). 2 added the column `too_uncertain`; 3 adds
# `provisional`, which only a release on the publication calendar has. A file without it (a
# release without a calendar) is a version-2 file to the letter and says so: every reader of
# version 2 keeps reading it. `format_of` gives the version a table's files state.
FORMAT = "binc-export/2"
CALENDAR_FORMAT = "binc-export/3"
PARQUET_KEY = "binc"


def format_of(table: AnsweredTable) -> str:
    """The contract version a table's files state: 3 with `provisional`, else 2."""
    return FORMAT if provisional_column(table) is None else CALENDAR_FORMAT


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def release_k(metadata: Mapping[str, Any]) -> int | None:
    """The suppression threshold k recorded in release metadata (top level or under 'disclosure')."""
    for source in (metadata, metadata.get("disclosure") or {}, metadata.get("privacy") or {}):
        if isinstance(source, Mapping) and isinstance(source.get("k"), int):
            return int(source["k"])
    return None


def _first(metadata: Mapping[str, Any], *names: str) -> Any:
    return next((metadata[n] for n in names if metadata.get(n) not in (None, "")), None)


def citation(table: AnsweredTable) -> str:
    meta = table.release_metadata
    release_id = _first(meta, "release_id", "id", "release") or "unknown release"
    created = _first(meta, "created_at", "created")
    budget = budget_text(dict(meta))
    by = ", ".join(table.dimensions) or "total"
    parts = [
        "Opgroeien, BINC '1 Gezin, 1 Plan' statistics",
        f"release {release_id}" + (f" ({created})" if created else ""),
        f"measure {table.measure} by {by}",
    ]
    privacy = []
    if budget:
        privacy.append(f"privacy budget {budget}")
    k = release_k(meta)
    if k is not None:
        privacy.append(f"cells with base below {k} suppressed")
    return "; ".join(parts + privacy) + "."


def _word(section: str, name: str, language: str) -> str:
    """The language file's word for a measure or dimension; its own name for one it lacks."""
    key = f"{section}.{name}"
    return i18n.text(key, language) if key in i18n.keys(language) else name


def description(table: AnsweredTable, language: str = "nl") -> dict[str, Any]:
    """What the table is, in the reader's language: title, the filters it shows, source line,
    licence, how to cite, and the synthetic-data mark — the first thing every file says."""
    measure = _word("measure", table.measure, language)
    if table.dimensions:
        by = ", ".join(_word("dim", d, language).lower() for d in table.dimensions)
        title = i18n.text("export.title_by", language, measure=measure, by=by)
    else:
        title = i18n.text("export.title", language, measure=measure)
    filters = [
        i18n.text(
            "export.filter",
            language,
            dimension=_word("dim", dimension, language),
            codes=", ".join(display_label(dimension, code, language) for code in codes),
        )
        for dimension, codes in sorted(table.filters.items())
    ]
    filters_text = "; ".join(filters) or i18n.text("export.filters_none", language)
    meta = table.release_metadata
    source = i18n.text(
        "export.source",
        language,
        release=_first(meta, "release_id") or "–",
        as_of=i18n.format_date(_first(meta, "as_of", "created_at"), language),
    )
    synthetic = meta.get("synthetic") is True
    provisional = (
        provisional_in(meta, table.filters) if provisional_column(table) is not None else ()
    )
    return {
        "title": title,
        "filters": {
            dimension: [
                {"code": code, "label": display_label(dimension, code, language)} for code in codes
            ]
            for dimension, codes in sorted(table.filters.items())
        },
        "filters_text": filters_text,
        "source": source,
        "licence": i18n.text("export.licence", language),
        "cite": i18n.text(
            "export.cite", language, source=source, title=title, filters=filters_text
        ),
        "synthetic": synthetic,
        "synthetic_text": i18n.text("export.synthetic", language) if synthetic else "",
        # the start years whose figures a later release replaces ("" when none is)
        "provisional_text": (
            i18n.text("export.provisional", language, years=", ".join(provisional))
            if provisional
            else ""
        ),
    }


def columns_meaning(table: AnsweredTable, language: str) -> list[dict[str, str]]:
    """Every column of the export: name, type and what it holds, in the reader's language."""
    text = i18n.texts_of("codebook", language)
    # Types stay machine words (string, integer, number, boolean): software reads them.
    number_type = "integer" if decimals_for(table.kind) == 0 else "number"
    rows = []
    for dim in table.dimensions:
        meaning_key = f"meaning.{dim}"
        meaning = i18n.text(meaning_key, language) if meaning_key in i18n.keys(language) else dim
        rows.append(
            {
                "name": dim,
                "type": "string",
                "description": text["code_column"].format(meaning=meaning),
            }
        )
        rows.append(
            {
                "name": f"{dim}_label",
                "type": "string",
                "description": text["label_column"].format(dimension=_word("dim", dim, language)),
            }
        )
    unit = _word("unit", table.unit, language)
    rows += [
        {"name": "value", "type": number_type, "description": text["value"].format(unit=unit)},
        {"name": "ci_low", "type": number_type, "description": text["ci_low"]},
        {"name": "ci_high", "type": number_type, "description": text["ci_high"]},
        {"name": "suppressed", "type": "boolean", "description": text["suppressed"]},
        {"name": "too_uncertain", "type": "boolean", "description": text["too_uncertain"]},
    ]
    if provisional_column(table) is not None:
        rows.append({"name": "provisional", "type": "boolean", "description": text["provisional"]})
    return rows


def provisional_section(table: AnsweredTable, language: str) -> dict[str, Any] | None:
    """What the codebook says about provisional figures: the provisional start years the table
    covers, each with the day it closes, how many rows rest on them and what that means; None for
    a release without a calendar."""
    flags = provisional_column(table)
    if flags is None:
        return None
    years = provisional_in(table.release_metadata, table.filters)
    closes = {year: closing_date(table.release_metadata, year) for year in years}
    closing = (calendar(table.release_metadata) or {}).get("closing")
    return {
        "provisional_years": list(years),
        "closes": {year: day.isoformat() for year, day in closes.items() if day is not None},
        "provisional_rows": int(flags.sum()),
        "rule": i18n.text("codebook.provisional_rule", language),
        "closing": closing if isinstance(closing, str) else None,
    }


def _plain(value: float, language: str) -> str:
    """A rule's number as a reader writes it: 20, 12,5 (nl) or 12.5 (en)."""
    if float(value).is_integer():
        return i18n.format_number(value, language, 0)
    return i18n.format_number(value, language, 2).rstrip("0")


def codebook(table: AnsweredTable, language: str = "nl") -> dict[str, Any]:
    """The codebook document of one exported table."""
    frame = table.frame
    codes = {
        dim: code_list(dim, frame[dim].cast(pl.String).unique(maintain_order=True).to_list())
        for dim in table.dimensions
    }
    decimals = decimals_for(table.kind)
    suppressed = int(frame["suppressed"].fill_null(True).sum()) if "suppressed" in frame else None
    rule = UncertaintyRule.from_metadata(table.release_metadata)
    uncertain = (
        int(with_too_uncertain(frame, table.kind, table.release_metadata)["too_uncertain"].sum())
        if "suppressed" in frame
        else None
    )
    document: dict[str, Any] = {
        "about": description(table, language),
        "format": format_of(table),
        "measure": table.measure,
        "kind": table.kind,
        "unit": table.unit,
        "language": language,
        "dimensions": list(table.dimensions),
        "columns": columns_meaning(table, language),
        "codes": codes,
        "totals": i18n.text("codebook.totals", language),
        "rounding": i18n.text(
            "codebook.rounding_whole" if decimals == 0 else "codebook.rounding_decimal", language
        ),
        "disclosure": {
            "k": release_k(table.release_metadata),
            "rule": i18n.text("codebook.rule", language),
            "suppressed_cells": suppressed,
        },
        "uncertainty": {
            **rule.as_metadata(),
            "rule": i18n.text(
                "codebook.uncertainty_rule",
                language,
                share_points=_plain(rule.share_points, language),
                count_percent=_plain(rule.count_relative * 100, language),
                median_percent=_plain(rule.median_relative * 100, language),
            ),
            "too_uncertain_cells": uncertain,
        },
        "release": _json_safe(dict(table.release_metadata)),
        "source_tables": list(table.source_tables),
        "notes": list(table.notes),
        "citation": citation(table),
    }
    provisional = provisional_section(table, language)
    if provisional is not None:
        document["provisional"] = provisional
    return document


def codebook_bytes(table: AnsweredTable, language: str = "nl") -> bytes:
    return (json.dumps(codebook(table, language), ensure_ascii=False, indent=2) + "\n").encode()


def flatten(document: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Key-value rows for the XLSX metadata sheet (nested keys joined with dots)."""
    rows: list[tuple[str, str]] = []
    for key, value in document.items():
        name = f"{prefix}{key}"
        if key in ("codes", "about"):
            continue  # its own sheet; the reader's rows at the top
        if isinstance(value, Mapping):
            rows += flatten(value, f"{name}.")
        elif key == "columns":
            rows += [(f"column.{c['name']}", f"{c['type']}: {c['description']}") for c in value]
        elif isinstance(value, list):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows
