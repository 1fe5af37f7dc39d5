"""Suppressing an answer consistently with its pattern table, within a bounded amount of work.

`disclosure/patterns.py` says which pattern tables a question may use and maps a pattern onto the
answer; this module computes the patterns (once per release, cached on the Release), runs the
disclosure layer's suppression, and refuses a table whose protection would cost too much.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import numpy as np
import polars as pl

from binc.core.errors import TooCostlyToProtectError
from binc.core.table import TOTAL, Estimates, MeasureKind
from binc.disclosure import patterns
from binc.disclosure.suppression import suppress as suppress_table

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
) -> pl.DataFrame:
    """`frame` (the answer with its margins) suppressed consistently with its pattern table.

    `domains`: the code lists of the measured table that answers; `cache`: where the release's
    pattern tables are kept (one per release).

    A share (`share`: taken over the last of `by`) publishes its numerator and its base too: share
    × base is the count. So its pattern is the *count* pattern of its numerators, the very pattern
    the count table of the same question has (`pattern_estimates` gives the counts), and a share is
    hidden where its numerator or its base (the margin over the last dimension) is hidden there."""
    pattern_kind: MeasureKind = "count" if share else kind
    candidates = patterns.pattern_questions(by, where, domains)
    for number, question in enumerate(candidates):
        if question is None and not by:
            return suppress(frame, by, k, kind)  # one cell: nothing to order or to map
        if question is None:
            # The answer's own table, decided in the canonical order like every pattern table, so
            # that year × region and region × year (and a share over either) hide the same cells.
            own = tuple(d for d in domains if d in by)
            question = patterns.PatternQuestion(by=own, where=dict(where), selection={})
        try:
            pattern = _pattern(k, cache, pattern_kind, question, pattern_estimates)
        except TooCostlyToProtectError:
            if number == len(candidates) - 1:
                raise
            continue  # too much work: try the narrower pattern table
        forced = patterns.hidden_by_pattern(frame, by, question, pattern)
        if share:
            base_rows = frame.with_columns(pl.lit(TOTAL).alias(by[-1]))
            forced |= patterns.hidden_by_pattern(base_rows, by, question, pattern)
        return suppress(frame, by, k, kind, forced)
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
            cache[key] = suppress(frame, question.by, k, kind)
        except TooCostlyToProtectError as refusal:
            cache[key] = refusal
    outcome = cache[key]
    if isinstance(outcome, TooCostlyToProtectError):
        raise outcome
    return outcome


def suppress(
    frame: pl.DataFrame,
    by: tuple[str, ...],
    k: int,
    kind: MeasureKind,
    forced: np.ndarray | None = None,
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
        return suppress_table(frame, list(by), k, kind=kind, forced=forced)
    with _large_tables:
        return suppress_table(frame, list(by), k, kind=kind, forced=forced)
