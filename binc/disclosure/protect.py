"""Suppressing an answer consistently with its pattern table, within a bounded amount of work.

`disclosure/patterns.py` says which pattern tables a question may use and maps a pattern onto the
answer; this module computes the patterns (once per release, cached on the Release), runs the
disclosure layer's suppression, and refuses a table whose protection would cost too much.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from binc.core.errors import TooCostlyToProtectError
from binc.core.table import TOTAL, Estimates, MeasureKind
from binc.disclosure import patterns
from binc.disclosure.suppression import suppress as suppress_table

YEAR = "year"

# (margins allowed, estimates) of the question by `dims`, filtered by the given single-code
# filters, on the answer's own measured table (bases only are needed).
PatternEstimates = Callable[[tuple[str, ...], dict[str, tuple[str, ...]]], tuple[bool, Estimates]]

# Complementary suppression costs in proportion to (cells below k) × (cells) of a table with margins
# (measured per table in docs/performance.md). Beyond this bound a table is refused rather than
# tying up a core: such a table is mostly hidden anyway. A work count is deterministic, unlike a
# timeout.
MAX_SUPPRESSION_WORK = 450_000
# Many sessions asking different large tables at once would take every core; one at a time keeps the
# rest of the dashboard responsive. Small tables (a page's charts) never wait for the lock.
_LARGE_TABLE = 300
_large_tables = threading.Lock()


def protect(
    k: int,
    cache: MutableMapping[Any, Any],
    kind: MeasureKind,
    share: bool,
    by: tuple[str, ...],
    where: Mapping[str, tuple[str, ...]],
    domains: Mapping[str, tuple[str, ...]],
    frame: pl.DataFrame,
    pattern_estimates: PatternEstimates,
    per_year: bool = False,
) -> pl.DataFrame:
    """`frame` (the answer with its margins) suppressed consistently with its pattern table.

    `per_year` (counts that add up over start years): suppression is decided year by year. Each
    start year the answer covers has its own pattern table, with that year as a filter, the same
    one every question about those dimensions in that year selects from; a cell that adds up
    several years (a year's TOTAL, a filter on several years, no year filter) is shown only where
    every year's part of it is shown. So no answer about several years gives back what one year's
    answers hide (benchmarks/linked_audit.py), and a single year's answers agree with each other.

    `domains`: the code lists of the measured table that answers; `cache`: where the release's
    pattern tables are kept (one per release).

    A share (`share`: taken over the last of `by`) publishes its numerator and its base too: share
    × base is the count. So its pattern is the *count* pattern of its numerators, the very pattern
    the count table of the same question has (`pattern_estimates` gives the counts), and a share is
    hidden where its numerator or its base (the margin over the last dimension) is hidden there."""
    patterns_of = _Patterns(k, cache, "count" if share else kind, domains, pattern_estimates)
    if per_year and YEAR in domains:
        forced = patterns_of.forced_per_year(by, where, frame)
        if share:  # the base: the same rows summed over the last dimension
            forced |= patterns_of.forced_per_year(by, where, _base_rows(frame, by))
        return suppress(frame, by, k, kind, forced)
    forced_rows = patterns_of.forced(by, where, frame, share)
    if forced_rows is None:
        return suppress(frame, by, k, kind)  # one cell: nothing to order or to map
    return suppress(frame, by, k, kind, forced_rows)


def _base_rows(frame: pl.DataFrame, by: tuple[str, ...]) -> pl.DataFrame:
    """The rows of a share's bases: the same rows summed over the last dimension."""
    return frame.with_columns(pl.lit(TOTAL).alias(by[-1]))


@dataclass(frozen=True)
class _Patterns:
    """The pattern tables of one answer's measured table: where they are cached, the kind they
    are decided for, the table's code lists and how to get their estimates."""

    k: int
    cache: MutableMapping[Any, Any]
    kind: MeasureKind
    domains: Mapping[str, tuple[str, ...]]
    estimates: PatternEstimates

    def forced_per_year(
        self, by: tuple[str, ...], where: Mapping[str, tuple[str, ...]], frame: pl.DataFrame
    ) -> np.ndarray:
        """One bool per row of `frame`: hidden where the pattern of any start year it adds up
        hides a cell it adds up (see `protect`)."""
        forced = np.zeros(frame.height, dtype=bool)
        inner = tuple(d for d in by if d != YEAR)
        for year in where.get(YEAR, self.domains[YEAR]):
            rows = (
                frame[YEAR].is_in([year, TOTAL]).to_numpy()
                if YEAR in by
                else np.ones(frame.height, dtype=bool)
            )
            part = frame.filter(pl.Series(rows)).drop(YEAR) if YEAR in by else frame
            within = {**{d: c for d, c in where.items() if d != YEAR}, YEAR: (year,)}
            hidden = self.forced(inner, within, part, share=False, year_kept=True)
            if hidden is None:  # one cell of one year: its own base decides it
                hidden = np.full(part.height, self._below_k(within))
            forced[np.flatnonzero(rows)] |= hidden
        return forced

    def _below_k(self, where: Mapping[str, tuple[str, ...]]) -> bool:
        """Whether the one cell `where` selects has a base below k (or none)."""
        _, estimates = self.estimates((), dict(where))
        base = float(estimates.frame((), False)["base"].item())
        return bool(np.isnan(base) or base < self.k)

    def forced(
        self,
        by: tuple[str, ...],
        where: Mapping[str, tuple[str, ...]],
        frame: pl.DataFrame,
        share: bool,
        year_kept: bool = False,
    ) -> np.ndarray | None:
        """One bool per row of `frame`: hidden by the pattern table of the question (None: the
        question is one cell and its own table, nothing to map)."""
        candidates = patterns.pattern_questions(by, where, self.domains, year_kept=year_kept)
        for number, question in enumerate(candidates):
            if question is None and not by:
                return None
            if question is None:
                # The answer's own table, decided in the canonical order like every pattern table,
                # so that year × region and region × year (and a share over either) hide the same
                # cells.
                own = tuple(d for d in self.domains if d in by)
                question = patterns.PatternQuestion(by=own, where=dict(where), selection={})
            try:
                pattern = _pattern(self.k, self.cache, self.kind, question, self.estimates)
            except TooCostlyToProtectError:
                if number == len(candidates) - 1:
                    raise
                continue  # too much work: try the narrower pattern table
            forced = patterns.hidden_by_pattern(frame, by, question, pattern)
            if share:
                forced |= patterns.hidden_by_pattern(_base_rows(frame, by), by, question, pattern)
            return forced
        raise AssertionError("pattern_questions returns at least one candidate")


def _pattern(
    k: int,
    cache: MutableMapping[Any, Any],
    kind: MeasureKind,
    question: patterns.PatternQuestion,
    pattern_estimates: PatternEstimates,
) -> pl.DataFrame:
    """The suppressed pattern table, computed once per release (a refusal is remembered too).

    A pattern depends only on the table's cells and their bases (and, for counts, values, which are
    the bases), so measures with the same bases share it: survival at 3, 6 and 12 months, say."""
    margins, estimates = pattern_estimates(question.by, question.where)
    base = np.ascontiguousarray(estimates.base, dtype=np.float64)
    key = (
        "pattern",
        kind == "count",
        question.by,
        tuple(sorted(question.where.items())),
        base.shape,
        hashlib.sha256(base.tobytes()).hexdigest(),
    )
    if key not in cache:
        try:
            frame = estimates.frame(question.by, margins)
            weights = _over_all_years(question, pattern_estimates, frame)
            cache[key] = suppress(frame, question.by, k, kind, weights=weights)
        except TooCostlyToProtectError as refusal:
            cache[key] = refusal
    outcome = cache[key]
    if isinstance(outcome, TooCostlyToProtectError):
        raise outcome
    return outcome


def _over_all_years(
    question: patterns.PatternQuestion, pattern_estimates: PatternEstimates, frame: pl.DataFrame
) -> np.ndarray | None:
    """For one year's pattern table: each cell's value summed over all start years, as the cost of
    hiding it. Every year then prefers the same complementary categories (the one that is smaller
    over the years), so the other categories stay shown in every year and their sums over the
    years can be shown too; with each year's own values, the years pick different complements and
    a count over several years is hidden for every category. None for other pattern tables."""
    codes = question.where.get(YEAR, ())
    if len(codes) != 1 or YEAR in question.by:
        return None
    others = {d: c for d, c in question.where.items() if d != YEAR}
    margins, estimates = pattern_estimates(question.by, others)
    pooled = estimates.frame(question.by, margins)
    keys = list(question.by)
    if pooled.select(keys).rows() != frame.select(keys).rows():
        raise AssertionError("a year's pattern table and its sum over the years differ in rows")
    return pooled["base"].cast(pl.Float64).to_numpy()


def suppress(
    frame: pl.DataFrame,
    by: tuple[str, ...],
    k: int,
    kind: MeasureKind,
    forced: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> pl.DataFrame:
    """The disclosure layer's suppression, refused beyond MAX_SUPPRESSION_WORK, one large at a time."""
    base = frame["base"].to_numpy()
    small = int((np.isnan(base) | (base < k)).sum())
    if forced is None and by and small * frame.height > MAX_SUPPRESSION_WORK:
        raise TooCostlyToProtectError(
            f"{small:,} of the {frame.height:,} cells of this table (with margins) are below k = {k}: "
            "too many to protect one by one; break down by fewer dimensions or filter less narrowly",
            reason="too_costly",
            small=small,
            cells=frame.height,
            k=k,
        )
    if frame.height < _LARGE_TABLE:
        return suppress_table(frame, list(by), k, kind=kind, forced=forced, weights=weights)
    with _large_tables:
        return suppress_table(frame, list(by), k, kind=kind, forced=forced, weights=weights)
