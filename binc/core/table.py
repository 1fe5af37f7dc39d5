"""The one shape in which an answer leaves the answering layer (for the dashboard, export and audit).

`frame` columns, in order:
- one column per dimension in `dimensions`, holding stable codes (str); margin rows hold "TOTAL";
- `value` (Float64): the estimate (a count, a share in percent, a median in months/days, ...);
- `ci_low`, `ci_high` (Float64): its 95% interval;
- `base` (Float64): the noisy count the value rests on (for counts: the count itself; for shares,
  medians and rates: the denominator) — suppression decides on it; never exported as such;
- `suppressed` (Boolean): True where the value may not be shown; then value, ci_low, ci_high and
  base are null;
- `too_uncertain` (Boolean): True where the value is shown (not suppressed) but its 95% interval is
  too wide to read, by the release's uncertainty rule (`UncertaintyRule`, the config's
  `[uncertainty]`): half-width (ci_high − ci_low) / 2 above `share_points` percentage points for
  shares and rates, above `count_relative` × value for counts, above `median_relative` × value for
  medians. Value and interval are kept (they are DP estimates like any other: privacy is not
  affected); the dashboard shows "te onzeker" instead of drawing them, exports flag them;
- `provisional` (Boolean), only in an answer of a release on the publication calendar (metadata
  `calendar`; binc/answering/calendar.py): True where the row rests on a start year that is still
  open, whose figures a later release replaces — in a row with a start year, that year; in a margin
  over the start years (year TOTAL) and in an answer without the start year in its rows, any start
  year it sums. Suppression and flags are unaffected; the dashboard, exports and fact sheets mark
  those rows "voorlopig" / "provisional".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

TOTAL = "TOTAL"

MeasureKind = Literal["count", "share", "median", "rate"]
KINDS: tuple[MeasureKind, ...] = ("count", "share", "median", "rate")

VALUE_COLUMNS = ("value", "ci_low", "ci_high", "base", "suppressed", "too_uncertain")


@dataclass(frozen=True)
class UncertaintyRule:
    """When a shown value is "too uncertain" to read: its 95% half-width, (ci_high − ci_low) / 2,
    is above `share_points` percentage points (shares and rates), above `count_relative` × the value
    (counts) or above `median_relative` × the value (medians). Declared in the release config's
    `[uncertainty]` section and recorded in the release's metadata (key "uncertainty"); a release
    written before the rule existed is read with these defaults, the values the shipped config
    declares."""

    share_points: float = 20.0
    count_relative: float = 0.5
    median_relative: float = 0.5

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> UncertaintyRule:
        """The rule a release records; the defaults for a release without one (or a field that is
        not a positive finite number)."""
        raw = metadata.get("uncertainty")
        if not isinstance(raw, Mapping):
            return cls()
        values = {}
        for name in ("share_points", "count_relative", "median_relative"):
            value = raw.get(name)
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and np.isfinite(value)
                and value > 0
            ):
                values[name] = float(value)
        return cls(**values)

    def as_metadata(self) -> dict[str, float]:
        return {
            "share_points": self.share_points,
            "count_relative": self.count_relative,
            "median_relative": self.median_relative,
        }

    def expression(self, kind: str) -> pl.Expr:
        """`too_uncertain` of an answer's frame of measure kind `kind` (see the module's contract):
        True only where the value is shown and its half-width exceeds the rule; never null."""
        half = (pl.col("ci_high") - pl.col("ci_low")) / 2
        if kind in ("share", "rate"):
            limit = pl.lit(self.share_points)
        elif kind == "count":
            limit = pl.col("value").abs() * self.count_relative
        else:  # median
            limit = pl.col("value").abs() * self.median_relative
        shown = ~pl.col("suppressed").fill_null(True) & pl.col("value").is_not_null()
        return (shown & (half > limit)).fill_null(False).alias("too_uncertain")


def decimals_for(kind: str) -> int:
    """Decimals a value of a measure kind leaves the product with (exports, charts, tables, the
    browser): whole numbers for counts, one decimal otherwise. The median audit
    (binc/disclosure/medians.py) reasons about values rounded so."""
    return 0 if kind == "count" else 1


def margins(
    frame: pl.DataFrame, by: Sequence[str]
) -> Iterator[tuple[tuple[str, ...], pl.DataFrame]]:
    """Every margin of a table with totals by `by`: (the dimensions it keeps, its rows — TOTAL in
    every other dimension of `by`), from the grand total to the margins over one dimension."""
    for size in range(len(by)):
        for kept in itertools.combinations(by, size):
            yield (
                kept,
                frame.filter(
                    *(pl.col(d) == TOTAL for d in by if d not in kept),
                    *(pl.col(d) != TOTAL for d in kept),
                ),
            )


def with_too_uncertain(frame: pl.DataFrame, kind: str, metadata: Mapping[str, Any]) -> pl.DataFrame:
    """`frame` (suppressed already) with its `too_uncertain` column by the rule in `metadata`;
    a frame that has the column keeps it."""
    if "too_uncertain" in frame.columns:
        return frame
    if "suppressed" not in frame.columns:
        raise ValueError("decide suppression before marking values too uncertain")
    return frame.with_columns(UncertaintyRule.from_metadata(metadata).expression(kind))


@dataclass(frozen=True)
class AnsweredTable:
    measure: str
    kind: MeasureKind
    dimensions: tuple[str, ...]
    frame: pl.DataFrame
    unit: str  # "trajectories", "children", "percent", "months", "days", ...
    # What a reader needs to cite and judge it: release id, warehouse version, created at, epsilon of
    # the measurement(s) used, noise scale, c, k, code version ... (the release's metadata).
    release_metadata: Mapping[str, Any] = field(default_factory=dict)
    # Which measured table(s) answered, and any note shown to users (e.g. why cells are suppressed).
    source_tables: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # The question's filters (dimension -> codes), so that a file made from the answer can say
    # which part of the data it shows (a table for one region must not look like all of Flanders).
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimates:
    """The numbers of an answer before suppression, as arrays in C order over `domains` (each with
    TOTAL last when margins were asked): estimate, 95% interval and the noisy base it rests on."""

    domains: tuple[tuple[str, ...], ...]
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    base: np.ndarray

    def frame(self, dimensions: Sequence[str], totals: bool) -> pl.DataFrame:
        """The answer's frame (see `build_frame`) for its first `len(dimensions)` axes."""
        return build_frame(
            dimensions,
            self.domains[: len(dimensions)],
            totals,
            self.value,
            self.low,
            self.high,
            self.base,
        )


def build_frame(
    dimensions: Sequence[str],
    domains: Sequence[Sequence[str]],
    totals: bool,
    value: Any,
    low: Any,
    high: Any,
    base: Any,
) -> pl.DataFrame:
    """The frame of an answer from its arrays (C order over the domains, each with TOTAL last when
    `totals`), without `suppressed`; NaN becomes null."""
    codes = [list(c) + ([TOTAL] if totals else []) for c in domains]
    shape = tuple(len(c) for c in codes)
    grid = np.indices(shape).reshape(len(shape), -1) if shape else np.zeros((0, 1), dtype=np.int64)
    columns: dict[str, Any] = {
        dim: pl.Series(dim, np.array(c, dtype=object)[grid[i]], dtype=pl.String)
        for i, (dim, c) in enumerate(zip(dimensions, codes, strict=True))
    }
    for name, array in (("value", value), ("ci_low", low), ("ci_high", high), ("base", base)):
        columns[name] = pl.Series(
            name,
            np.asarray(array, dtype=np.float64).reshape(-1),
            dtype=pl.Float64,
            nan_to_null=True,
        )
    return pl.DataFrame(columns)
