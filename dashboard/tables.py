"""Turn answered tables into what pages draw: labelled chart frames, display tables and headline figures.

Only presentation happens here (labels, nl-BE formatting, the "onderdrukt" marker); the numbers are
exactly those of the AnsweredTable. A suppressed cell keeps no number at all on its way to the screen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from binc.core import i18n
from binc.core.table import TOTAL, AnsweredTable
from dashboard.ui import label

NUMBERS = ("value", "ci_low", "ci_high")


def decimals(table: AnsweredTable) -> int:
    return 0 if table.kind == "count" else 1


def unit(table: AnsweredTable, lang: str) -> str:
    return i18n.text(f"unit.{table.unit}", lang)


def _hidden(frame: pl.DataFrame) -> pl.Expr:
    return pl.col("suppressed").fill_null(True) | pl.col("value").is_null()


def chart_frame(
    table: AnsweredTable, category: str, series: str | None = None, lang: str = "nl"
) -> pl.DataFrame:
    """category/series labels, the code of `category`, value, interval and suppressed (no TOTAL rows)."""
    frame = table.frame
    for dim in table.dimensions:
        frame = frame.filter(pl.col(dim) != TOTAL)
    hidden = frame.select(_hidden(frame)).to_series()
    columns = {
        "code": frame[category],
        "category": [label(category, c, lang) for c in frame[category]],
    }
    if series is not None:
        columns["series"] = [label(series, c, lang) for c in frame[series]]
    out = pl.DataFrame(columns).with_columns(suppressed=hidden)
    for name in NUMBERS:
        out = out.with_columns(
            pl.when(pl.col("suppressed")).then(None).otherwise(frame[name]).alias(name)
        )
    return out


def display_table(table: AnsweredTable, lang: str) -> pl.DataFrame:
    """Labelled, formatted rows for st.dataframe; suppressed cells read "onderdrukt", never 0."""
    frame = table.frame
    hidden = frame.select(_hidden(frame)).to_series().to_list()
    places = decimals(table)
    columns: dict[str, list[str]] = {}
    for dim in table.dimensions:
        columns[i18n.text(f"dim.{dim}", lang)] = [label(dim, c, lang) for c in frame[dim]]
    columns.update(_value_columns(frame, hidden, lang, places))
    return pl.DataFrame(columns)


def _value_columns(
    frame: pl.DataFrame, hidden: list[bool], lang: str, places: int
) -> dict[str, list[str]]:
    """Value and 95% interval as the reader reads them; a hidden value says "onderdrukt", never 0."""
    word = i18n.text("chart.suppressed", lang)

    def fmt(value: float | None) -> str:
        return i18n.format_number(value, lang, places)

    return {
        i18n.text("table.value", lang): [
            word if h else fmt(v) for v, h in zip(frame["value"], hidden, strict=True)
        ],
        i18n.text("table.interval", lang): [
            "" if h else f"{fmt(lo)} – {fmt(hi)}"
            for lo, hi, h in zip(frame["ci_low"], frame["ci_high"], hidden, strict=True)
        ],
    }


def chart_table(
    frame: pl.DataFrame, lang: str, places: int, category: str, series: str | None = None
) -> pl.DataFrame:
    """The numbers a chart draws, from its chart frame, as a display table (the chart's text
    alternative): series and category labels under the given headers, value and interval;
    a suppressed point reads "onderdrukt", never 0."""
    hidden = frame["suppressed"].to_list()
    columns: dict[str, list[str]] = {}
    if series is not None and "series" in frame.columns:
        columns[series] = frame["series"].to_list()
    columns[category] = frame["category"].to_list()
    columns.update(_value_columns(frame, hidden, lang, places))
    return pl.DataFrame(columns)


@dataclass(frozen=True)
class Figure:
    """One headline number with its interval, or None where suppressed."""

    value: float | None
    low: float | None
    high: float | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


def figure(table: AnsweredTable, **codes: str) -> Figure:
    """The single cell of `table` matching `codes` (all of it when the table has no dimensions)."""
    frame = table.frame
    for dim, code in codes.items():
        frame = frame.filter(pl.col(dim) == code)
    if frame.height != 1:
        raise ValueError(f"{table.measure}: {frame.height} cells match {codes}")
    row = frame.row(0, named=True)
    if row["suppressed"] or row["value"] is None:
        return Figure(None, None, None)
    return Figure(row["value"], row["ci_low"], row["ci_high"])


def change_exceeds_noise(before: Figure, after: Figure) -> bool:
    """True when the year-on-year change is larger than the noise of both figures combined.

    Each interval is value ± half-width; for independent noise the difference has half-width
    √(h₁² + h₂²) (normal approximation), so a change beyond that is more than noise.
    """
    if before.value is None or after.value is None:  # suppressed
        return False
    if before.low is None or before.high is None or after.low is None or after.high is None:
        return False  # a shown value without an interval: no noise to compare the change with
    h1 = (before.high - before.low) / 2
    h2 = (after.high - after.low) / 2
    return abs(after.value - before.value) > (h1**2 + h2**2) ** 0.5


def survival_frame(
    answers: dict[int, AnsweredTable], series: str | None, lang: str
) -> pl.DataFrame:
    """Survival points (month → share still in support) per series; month 0 is 100% by definition."""
    rows = []
    for months, table in sorted(answers.items()):
        frame = table.frame
        hidden = frame.select(_hidden(frame)).to_series().to_list()
        codes = frame[series].to_list() if series else [None] * frame.height
        for i, code in enumerate(codes):
            if code == TOTAL:
                continue
            name = label(series, code, lang) if series else ""
            if months == min(answers):
                rows.append({"category": "0", "series": name, "value": 100.0, "ci_low": 100.0,
                             "ci_high": 100.0, "suppressed": False})  # fmt: skip
            values = {n: None if hidden[i] else frame[n][i] for n in NUMBERS}
            rows.append(
                {"category": str(months), "series": name, **values, "suppressed": hidden[i]}
            )
    out = pl.DataFrame(rows, schema={"category": pl.String, "series": pl.String, "value": pl.Float64,
                                     "ci_low": pl.Float64, "ci_high": pl.Float64, "suppressed": pl.Boolean})  # fmt: skip
    out = out.sort("series", maintain_order=True)
    return out if series else out.drop("series")


def file_stem(parts: Sequence[str], limit: int = 120) -> str:
    """A download's file name (without extension) from its parts: lower case, letters, digits,
    '-' and '_' only, so it is the same on every system and holds nothing but public codes."""
    cleaned = [re.sub(r"[^a-z0-9-]+", "-", part.lower()).strip("-") for part in parts]
    return "_".join(part for part in cleaned if part)[:limit]
