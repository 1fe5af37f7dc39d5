"""The publication calendar as a reader meets it: which start years' figures are provisional.

A release on the publication calendar (issue 13) states under `calendar` in its metadata the phase
of each start year: `calendar.years["2024"]["phase"]` is "definitive" (a closed start year,
measured once and carried forward unchanged) or "provisional" (an open one, measured with a smaller
budget and replaced by a later release). `closing_lag_years` and `closing_day` ("MM-DD") say when
a start year closes. A release without `calendar` (every release made before the calendar) marks
nothing: its answers have no `provisional` column and its exports are those of contract version 2.

Every answer of a calendar release carries the Boolean column `provisional` (binc.core.table): in
a row with a start year, whether that year is provisional; in a margin over the start years (year
TOTAL) and in every row of an answer without the start year in its rows, whether any start year it
sums (its year filter, or every year of the release) is. Exports carry the column, the dashboard
and the fact sheets mark those years "voorlopig" / "provisional".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from binc.core.table import TOTAL

PROVISIONAL = "provisional"
DEFINITIVE = "definitive"
COLUMN = "provisional"


def _metadata(source: Any) -> Mapping[str, Any]:
    """The metadata of a Release, or the mapping itself (an answer's `release_metadata`)."""
    metadata = getattr(source, "metadata", source)
    return metadata if isinstance(metadata, Mapping) else {}


def calendar(source: Any) -> Mapping[str, Any] | None:
    """The release's `calendar` block (a Release or its metadata), or None without one."""
    block = _metadata(source).get("calendar")
    return block if isinstance(block, Mapping) else None


def has_calendar(source: Any) -> bool:
    """Is the release on the publication calendar (then every answer has `provisional`)?"""
    return calendar(source) is not None


def provisional_years(source: Any) -> frozenset[str]:
    """The start years (codes, as text) whose figures are provisional in this release (a Release or
    its metadata); empty without a calendar."""
    block = calendar(source)
    years = block.get("years") if block is not None else None
    if not isinstance(years, Mapping):
        return frozenset()
    return frozenset(
        str(year)
        for year, entry in years.items()
        if isinstance(entry, Mapping) and entry.get("phase") == PROVISIONAL
    )


def release_years(source: Any) -> tuple[str, ...]:
    """Every start year of the release, in order: its year domain, else its list of years."""
    metadata = _metadata(source)
    domains = metadata.get("domains")
    listed = domains.get("year") if isinstance(domains, Mapping) else None
    if not listed:
        listed = metadata.get("years") or ()
    return tuple(str(year) for year in listed)


def covered_years(source: Any, where: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The start years an answer sums: its year filter, or every year of the release."""
    chosen = (where or {}).get("year")
    if chosen:
        return tuple(str(year) for year in ((chosen,) if isinstance(chosen, str) else chosen))
    return release_years(source)


def provisional_in(source: Any, where: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The provisional start years among those an answer covers, in order."""
    marked = provisional_years(source)
    return tuple(sorted(set(covered_years(source, where)) & marked))


def with_provisional(
    frame: pl.DataFrame,
    dimensions: Collection[str],
    where: Mapping[str, Sequence[str]] | None,
    source: Any,
) -> pl.DataFrame:
    """`frame` (an answer's, by `dimensions`, filtered by `where`) with its `provisional` column
    when the release (a Release or its metadata) is on the calendar; unchanged without a calendar
    or when the frame has the column already."""
    if COLUMN in frame.columns or not has_calendar(source):
        return frame
    marked = sorted(provisional_years(source))
    summed = bool(provisional_in(source, where))
    if "year" in dimensions:
        year = pl.col("year").cast(pl.String)
        flag = pl.when(year == TOTAL).then(pl.lit(summed)).otherwise(year.is_in(marked))
    else:
        flag = pl.lit(summed)
    return frame.with_columns(flag.fill_null(False).cast(pl.Boolean).alias(COLUMN))


def closing_date(source: Any, year: str) -> date | None:
    """The day start year `year` closes, by the calendar's `closing_lag_years` and `closing_day`
    ("06-30"); None when the calendar does not say."""
    block = calendar(source)
    if block is None:
        return None
    lag, day = block.get("closing_lag_years"), block.get("closing_day")
    if not isinstance(lag, int) or isinstance(lag, bool) or not isinstance(day, str):
        return None
    try:
        month, dom = (int(part) for part in day.split("-"))
        return date(int(year) + lag, month, dom)
    except ValueError:
        return None


def answer_notes(source: Any, where: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The note an answer carries when it covers provisional start years (English, like every
    answer note); none otherwise."""
    years = provisional_in(source, where)
    if not years:
        return ()
    block = calendar(source) or {}
    closing = block.get("closing")
    rule = f" ({closing})" if isinstance(closing, str) and closing else ""
    plural = "s" if len(years) > 1 else ""
    return (
        f"figures of start year{plural} {', '.join(years)} are provisional: the start "
        f"year{plural} {'are' if plural else 'is'} still open{rule}, and a later release replaces "
        "these figures by definitive ones; column provisional marks the rows that rest on them",
    )
