"""Turn answered tables into what pages draw: labelled chart frames, display tables and headline figures.

Only presentation happens here (labels, nl-BE formatting, the "onderdrukt" and "te onzeker" markers);
the numbers are exactly those of the AnsweredTable. A suppressed cell keeps no number at all on its
way to the screen, and neither does a value too uncertain to read (`too_uncertain`, the release's
rule): charts draw neither, tables say which it is. A release on the publication calendar marks the
rows that rest on a provisional start year (`provisional`): a start year's label reads "2025
(voorlopig)", chart frames and chart CSVs keep the column, charts draw those points differently.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from binc.core import i18n
from binc.core.table import TOTAL, AnsweredTable, decimals_for
from dashboard.ui import label

NUMBERS = ("value", "ci_low", "ci_high")
PROVISIONAL = "provisional"


def decimals(table: AnsweredTable) -> int:
    return decimals_for(table.kind)


def unit(table: AnsweredTable, lang: str) -> str:
    return i18n.text(f"unit.{table.unit}", lang)


def _hidden(frame: pl.DataFrame) -> pl.Expr:
    return pl.col("suppressed").fill_null(True) | pl.col("value").is_null()


def _uncertain(frame: pl.DataFrame) -> pl.Expr:
    """Shown but too uncertain to read (False where the frame has no such column)."""
    if "too_uncertain" not in frame.columns:
        return pl.repeat(False, pl.len())
    return pl.col("too_uncertain").fill_null(False) & ~pl.col("suppressed").fill_null(True)


def labels(frame: pl.DataFrame, dimension: str, lang: str) -> list[str]:
    """The labels of a frame's `dimension` column, a start year marked "(voorlopig)" in the rows
    the frame flags `provisional` (a release on the publication calendar)."""
    names = [label(dimension, code, lang) for code in frame[dimension]]
    if dimension != "year" or PROVISIONAL not in frame.columns:
        return names
    return [
        i18n.text("provisional.year", lang, year=name) if marked else name
        for name, marked in zip(names, frame[PROVISIONAL].fill_null(False), strict=True)
    ]


def chart_frame(
    table: AnsweredTable, category: str, series: str | None = None, lang: str = "nl"
) -> pl.DataFrame:
    """category/series labels, the codes of `category` (`code`) and `series` (`series_code`), value,
    interval, suppressed and too_uncertain (no TOTAL rows), and `provisional` when the answer has
    it. A value too uncertain to read keeps no number either: charts draw nothing for it. Numbers
    are rounded as displayed (`displayed_numbers`)."""
    frame = table.frame
    for dim in table.dimensions:
        frame = frame.filter(pl.col(dim) != TOTAL)
    hidden = frame.select(_hidden(frame)).to_series()
    uncertain = frame.select(_uncertain(frame)).to_series()
    columns = {"code": frame[category], "category": labels(frame, category, lang)}
    if series is not None:
        columns["series"] = labels(frame, series, lang)
        columns["series_code"] = frame[series]
    out = pl.DataFrame(columns).with_columns(suppressed=hidden, too_uncertain=uncertain)
    if PROVISIONAL in frame.columns:
        out = out.with_columns(frame[PROVISIONAL].fill_null(False).alias(PROVISIONAL))
    for name in NUMBERS:
        out = out.with_columns(
            pl.when(pl.col("suppressed") | pl.col("too_uncertain"))
            .then(None)
            .otherwise(frame[name])
            .alias(name)
        )
    return displayed_numbers(out, decimals(table))


def displayed_numbers(frame: pl.DataFrame, places: int) -> pl.DataFrame:
    """The number columns rounded as the page shows them (`as_displayed`). A chart's data reach
    the browser, so more digits there would publish more than the page does."""
    return frame.with_columns(
        pl.Series(name, [None if v is None else float(as_displayed(v, places)) for v in frame[name]],
                  pl.Float64)
        for name in NUMBERS
    )  # fmt: skip


def display_table(table: AnsweredTable, lang: str) -> pl.DataFrame:
    """Labelled, formatted rows for st.dataframe; suppressed cells read "onderdrukt", never 0, and
    values too uncertain to read "te onzeker"."""
    frame = table.frame
    hidden = frame.select(_hidden(frame)).to_series().to_list()
    places = decimals(table)
    columns: dict[str, list[str]] = {}
    for dim in table.dimensions:
        columns[i18n.text(f"dim.{dim}", lang)] = labels(frame, dim, lang)
    columns.update(_value_columns(frame, hidden, lang, places))
    return pl.DataFrame(columns)


def _value_columns(
    frame: pl.DataFrame, hidden: list[bool], lang: str, places: int
) -> dict[str, list[str]]:
    """Value and 95% interval as the reader reads them; a hidden value says "onderdrukt", never 0,
    and a value too uncertain to read says "te onzeker" (without its interval)."""
    word = i18n.text("chart.suppressed", lang)
    unsure = i18n.text("chart.too_uncertain", lang)
    uncertain = frame.select(_uncertain(frame)).to_series().to_list()

    def fmt(value: float | None) -> str:
        return i18n.format_number(value, lang, places)

    return {
        i18n.text("table.value", lang): [
            word if h else unsure if u else fmt(v)
            for v, h, u in zip(frame["value"], hidden, uncertain, strict=True)
        ],
        i18n.text("table.interval", lang): [
            "" if h or u else f"{fmt(lo)} – {fmt(hi)}"
            for lo, hi, h, u in zip(
                frame["ci_low"], frame["ci_high"], hidden, uncertain, strict=True
            )
        ],
    }


def chart_table(
    frame: pl.DataFrame, lang: str, places: int, category: str, series: str | None = None
) -> pl.DataFrame:
    """The numbers a chart draws, from its chart frame, as a display table (the chart's text
    alternative): series and category labels under the given headers, value and interval;
    a suppressed point reads "onderdrukt", never 0, and one too uncertain to draw "te onzeker"."""
    hidden = frame["suppressed"].to_list()
    columns: dict[str, list[str]] = {}
    if series is not None and "series" in frame.columns:
        columns[series] = frame["series"].to_list()
    columns[category] = frame["category"].to_list()
    columns.update(_value_columns(frame, hidden, lang, places))
    return pl.DataFrame(columns)


def as_displayed(value: float, places: int) -> float | int:
    """A number rounded to what the screen shows of it (i18n.format_number's rounding), so that a
    chart's CSV holds the very numbers of its table and its hover texts."""
    rounded = float(f"{value:.{places}f}")
    return int(rounded) if places == 0 else rounded


def chart_csv_frame(frame: pl.DataFrame, places: int, category: str, series: str | None = None,
                    about: Mapping[str, str] | None = None) -> pl.DataFrame:  # fmt: skip
    """Exactly what a chart shows, from its chart frame, in the columns of the export contract
    (docs/design.md §8): for the series and then the category their code and a `_label` column (the
    category alone where it has no code, e.g. months), `value`, `ci_low` and `ci_high` rounded
    exactly as the chart and its table show them (`as_displayed`), empty where suppressed or too
    uncertain to draw, `suppressed` and `too_uncertain` (and `provisional` for a release on the
    publication calendar); then `about`: what the chart's image says about it (title, filters, unit,
    source, licence, link, synthetic mark), one column each and the same on every row, since a CSV
    has no other place that every program reads. Same rows, same order as the chart's table."""
    columns: list[pl.Series] = []
    if series is not None and "series" in frame.columns:
        if "series_code" in frame.columns:
            columns.append(frame["series_code"].cast(pl.String).alias(series))
        columns.append(frame["series"].alias(f"{series}_label"))
    if "code" in frame.columns:
        columns.append(frame["code"].cast(pl.String).alias(category))
        columns.append(frame["category"].alias(f"{category}_label"))
    else:
        columns.append(frame["category"].alias(category))
    uncertain = frame.select(_uncertain(frame)).to_series()
    hidden = (frame["suppressed"].fill_null(True) | frame["value"].is_null()) & ~uncertain
    for name in NUMBERS:
        numbers = [None if h or u or v is None else as_displayed(v, places)
                   for v, h, u in zip(frame[name], hidden, uncertain, strict=True)]  # fmt: skip
        columns.append(pl.Series(name, numbers, pl.Int64 if places == 0 else pl.Float64))
    columns.append(hidden.alias("suppressed"))
    columns.append(uncertain.alias("too_uncertain"))
    if PROVISIONAL in frame.columns:
        columns.append(frame[PROVISIONAL].fill_null(False).alias(PROVISIONAL))
    out = pl.DataFrame(columns)
    return out.with_columns(
        pl.lit(value, pl.String).alias(key) for key, value in (about or {}).items()
    )


@dataclass(frozen=True)
class Figure:
    """One headline number with its interval, or None where suppressed."""

    value: float | None
    low: float | None
    high: float | None
    # shown, but its interval is too wide to read (the release's rule): say "te onzeker", do not
    # compare or draw it
    uncertain: bool = False
    # rests on a provisional start year (a release on the publication calendar): say "voorlopig"
    provisional: bool = False

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
    provisional = bool(row.get(PROVISIONAL))
    if row["suppressed"] or row["value"] is None:
        return Figure(None, None, None, provisional=provisional)
    return Figure(row["value"], row["ci_low"], row["ci_high"], bool(row.get("too_uncertain")),
                  provisional)  # fmt: skip


def change_exceeds_noise(before: Figure, after: Figure) -> bool:
    """True when the year-on-year change is larger than the noise of both figures combined.

    Each interval is value ± half-width; for independent noise the difference has half-width
    √(h₁² + h₂²) (normal approximation), so a change beyond that is more than noise. A figure too
    uncertain to read is not compared at all.
    """
    if before.value is None or after.value is None:  # suppressed
        return False
    if before.uncertain or after.uncertain:
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
        uncertain = frame.select(_uncertain(frame)).to_series().to_list()
        codes = frame[series].to_list() if series else [None] * frame.height
        for i, code in enumerate(codes):
            if code == TOTAL:
                continue
            name = label(series, code, lang) if series else ""
            if months == min(answers):
                rows.append({"category": "0", "series": name, "series_code": code, "value": 100.0,
                             "ci_low": 100.0, "ci_high": 100.0, "suppressed": False,
                             "too_uncertain": False})  # fmt: skip
            values = {n: None if hidden[i] or uncertain[i] else frame[n][i] for n in NUMBERS}
            rows.append({"category": str(months), "series": name, "series_code": code, **values,
                         "suppressed": hidden[i], "too_uncertain": uncertain[i]})  # fmt: skip
    out = pl.DataFrame(rows, schema={"category": pl.String, "series": pl.String, "series_code": pl.String,
                                     "value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
                                     "suppressed": pl.Boolean, "too_uncertain": pl.Boolean})  # fmt: skip
    out = displayed_numbers(
        out.sort("series", maintain_order=True), decimals(answers[min(answers)])
    )
    return out if series else out.drop("series", "series_code")


def uncertain_count(frame: pl.DataFrame) -> int:
    """How many of a chart frame's values are too uncertain to draw."""
    return int(frame["too_uncertain"].sum()) if "too_uncertain" in frame.columns else 0


def interval_order(frame: pl.DataFrame) -> pl.DataFrame:
    """A chart frame's rows in an order that claims no more than the intervals show: a region is
    put above another only when its whole interval lies above the other's (ci_low > the other's
    ci_high); otherwise the frame's own order (the reference order of the codes) decides. So when
    every interval overlaps, the order is that of the codes; when all are apart, it is by value.
    Values not shown (suppressed) or too uncertain to read are not ranked: they follow, in the
    codes' order."""
    drawn = ~pl.col("suppressed").fill_null(True) & pl.col("value").is_not_null()
    if "too_uncertain" in frame.columns:
        drawn = drawn & ~pl.col("too_uncertain").fill_null(False)
    indexed = frame.with_row_index("_row")
    ranked = indexed.filter(drawn)
    rest = indexed.filter(~drawn)
    # a shown value without an interval is apart from nothing
    lows = [-math.inf if v is None else v for v in ranked["ci_low"].to_list()]
    highs = [math.inf if v is None else v for v in ranked["ci_high"].to_list()]
    left = list(range(ranked.height))
    order: list[int] = []
    while left:
        # the first (in code order) of the rows that no remaining row lies clearly above
        pick = next(i for i in left if not any(lows[j] > highs[i] for j in left if j != i))
        order.append(pick)
        left.remove(pick)
    if order:
        ranked = ranked[order]
    return pl.concat([ranked, rest]).drop("_row")


def per_children(frame: pl.DataFrame, children: Mapping[str, float], per: float = 1000.0,
                 code: str = "code") -> pl.DataFrame:  # fmt: skip
    """A chart frame of counts as a rate per `per` children: value and interval divided by the
    region's number of children (`children`, by the codes in column `code`). The population is
    public and exact, so the count's interval divided by it is the rate's interval, and a count too
    uncertain to read gives a rate just as uncertain. A region without a figure keeps no number.
    Rates are rounded to the one decimal they are shown with."""
    divisor = pl.col(code).replace_strict(children, default=None, return_dtype=pl.Float64)
    rates = frame.with_columns((pl.col(name) / divisor * per).alias(name) for name in NUMBERS)
    return displayed_numbers(rates, 1)


def definition_key(measure: str, by: Sequence[str], where: Mapping[str, Sequence[str]],
                   totals: bool, lang: str) -> str:  # fmt: skip
    """A short key for one table definition (what is measured, by what, for which part, with or
    without totals, in which language): download buttons keyed on it belong to that table only."""
    parts = [measure, *by, "|", *(f"{d}={','.join(map(str, c))}" for d, c in sorted(where.items())),
             "|", str(totals), lang]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def file_stem(parts: Sequence[str], limit: int = 120) -> str:
    """A download's file name (without extension) from its parts: lower case, letters, digits,
    '-' and '_' only, so it is the same on every system and holds nothing but public codes."""
    cleaned = [re.sub(r"[^a-z0-9-]+", "-", part.lower()).strip("-") for part in parts]
    return "_".join(part for part in cleaned if part)[:limit]
