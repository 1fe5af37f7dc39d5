"""The tidy export table of an answer, exactly as the export contract promises (docs/design.md §8).

Columns, in order: for each dimension its stable code column and a `<dim>_label` column, then
`value`, `ci_low`, `ci_high`, `suppressed`, `too_uncertain` and, for a release on the publication
calendar only, `provisional` (contract version 3). The `base` a value rests on is never exported. Margin rows keep the code "TOTAL". Rounding (half away from zero, as people round by hand):
counts become integers; shares, medians and rates keep one decimal. Where a cell is suppressed all
three numbers are empty, whatever the input held — the export re-applies the mask rather than trust
it. `too_uncertain` flags a shown value whose interval is too wide to read by the release's rule
(binc.core.table.UncertaintyRule; false where suppressed); its value and interval are kept, for
researchers who pool or model them. `provisional` marks a row that rests on a start year still open
(binc/answering/calendar.py): its figures are replaced by a later release's definitive ones.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from binc.answering.calendar import with_provisional
from binc.core.table import AnsweredTable, decimals_for, with_too_uncertain
from binc.export.labels import labels_of

NUMBER_COLUMNS = ("value", "ci_low", "ci_high")
FLAG_COLUMNS = ("suppressed", "too_uncertain")
PROVISIONAL = "provisional"  # after the flags, only for a release on the publication calendar
ROUND_MODE: Final = "half_away_from_zero"  # Final: typed as the literal polars expects


def column_order(dimensions: tuple[str, ...], provisional: bool = False) -> list[str]:
    """The export's column names, in order (`provisional`: a release on the calendar's)."""
    names: list[str] = []
    for dim in dimensions:
        names += [dim, f"{dim}_label"]
    return [*names, *NUMBER_COLUMNS, *FLAG_COLUMNS, *([PROVISIONAL] if provisional else [])]


def provisional_column(table: AnsweredTable) -> pl.Series | None:
    """The table's `provisional` flags (an answer carries them; a table made some other way gets
    them from its release's calendar), or None for a release without a calendar."""
    frame = with_provisional(table.frame, table.dimensions, table.filters, table.release_metadata)
    return frame[PROVISIONAL].fill_null(False) if PROVISIONAL in frame.columns else None


def export_frame(table: AnsweredTable, language: str = "nl") -> pl.DataFrame:
    """The contract columns of `table`, labels in `language` ("nl" or "en")."""
    frame = table.frame
    if "suppressed" not in frame.columns:
        # Never publish a table that has not been through suppression.
        raise ValueError(f"answer for {table.measure!r} has no 'suppressed' column; suppress first")
    hidden = frame["suppressed"].fill_null(True) | frame["value"].is_null()
    # An answer carries the flag; a table made some other way gets it by the release's rule.
    uncertain = with_too_uncertain(frame, table.kind, table.release_metadata)["too_uncertain"]
    columns: list[pl.Series] = []
    for dim in table.dimensions:
        codes = frame[dim].cast(pl.String)
        columns.append(codes.alias(dim))
        columns.append(
            pl.Series(f"{dim}_label", labels_of(dim, codes.to_list(), language), pl.String)
        )
    decimals = decimals_for(table.kind)
    for name in NUMBER_COLUMNS:
        numbers = frame[name].cast(pl.Float64).round(decimals, mode=ROUND_MODE)
        numbers = pl.select(pl.when(hidden).then(None).otherwise(numbers)).to_series()
        columns.append(numbers.cast(pl.Int64 if decimals == 0 else pl.Float64).alias(name))
    columns.append(hidden.alias("suppressed"))
    columns.append((uncertain.fill_null(False) & ~hidden).alias("too_uncertain"))
    provisional = provisional_column(table)
    if provisional is not None:
        columns.append(provisional.alias(PROVISIONAL))
    return pl.DataFrame(columns).select(column_order(table.dimensions, provisional is not None))
