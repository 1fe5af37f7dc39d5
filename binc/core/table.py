"""The one shape in which an answer leaves the answering layer (for the dashboard, export and audit).

`frame` columns, in order:
- one column per dimension in `dimensions`, holding stable codes (str); margin rows hold "TOTAL";
- `value` (Float64): the estimate (a count, a share in percent, a median in months/days, ...);
- `ci_low`, `ci_high` (Float64): its 95% interval;
- `base` (Float64): the noisy count the value rests on (for counts: the count itself; for shares,
  medians and rates: the denominator) — suppression decides on it; never exported as such;
- `suppressed` (Boolean): True where the value may not be shown; then value, ci_low, ci_high and
  base are null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

TOTAL = "TOTAL"

MeasureKind = Literal["count", "share", "median", "rate"]
KINDS: tuple[MeasureKind, ...] = ("count", "share", "median", "rate")

VALUE_COLUMNS = ("value", "ci_low", "ci_high", "base", "suppressed")


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
