"""Which cells an answer must hide so that no other question undoes its suppression.

The LP audit proves one table at a time. Questions can be combined, though, and three ways of
combining them used to recover a suppressed value (tests/e2e/test_attacks.py):

1. the table without totals, and its total asked on its own (the overview's headline beside its
   chart): the total minus the shown cells gives the hidden one;
2. a filter on several codes: {A, B} minus {B} gives A, and "every code but A" minus the total
   gives A;
3. a filter on a subset of a breakdown's codes: the cells it shows may be the very cells that the
   full breakdown hides as complementary cells.

So an answer's pattern is decided on its *pattern table*: the breakdown by every dimension of the
question at the full code list of the measured table, with its margins, and with every dimension
filtered on several codes added as a breakdown too. Only filters on a single code of a dimension
that is not broken down stay filters. Filters and the totals switch then only *select* from that
one pattern: an answer cell is shown only when none of the pattern-table cells it adds up is hidden,
so everything shown is a sum of cells the audited pattern table shows, and reveals nothing more.
Each pattern table is suppressed once per release and cached (shared by measures with the same
bases).

What remains (stated in docs/hardening.md): two pattern tables of different dimensions that share a
margin (year, and year × partnership) choose their complementary cells separately. The noise
(ε-differential privacy) is what protects across them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from binc.core.table import TOTAL

# The largest table (cells with margins) a single-code filter is widened into. The LP work grows fast
# with the table: a region and a year chosen in the sidebar would otherwise make every chart of a
# page a three-dimension pattern table, seconds per chart and long waits under load (the figures
# behind this bound are in docs/performance.md).
MAX_PATTERN_CELLS = 300
# The single-code filter that stays a filter first when widening all of them is too large.
KEPT_FIRST = "year"


@dataclass(frozen=True)
class PatternQuestion:
    """The full-domain question whose suppression pattern an answer must respect."""

    by: tuple[str, ...]  # the answer's own dimensions and the filtered ones
    where: dict[str, tuple[str, ...]]  # filters on one code that stay filters
    selection: dict[str, tuple[str, ...]]  # the codes the answer keeps of each pattern dimension


def pattern_questions(
    by: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    domains: Mapping[str, tuple[str, ...]],
    year_kept: bool = False,
) -> list[PatternQuestion | None]:
    """The pattern tables to try, widest first; None stands for the answer's own table.

    First choice: every filtered dimension becomes a breakdown. If that table is too large (here:
    more than MAX_PATTERN_CELLS; the caller: too much suppression work), a filter on one start
    year stays a filter and the other filtered dimensions become breakdowns: so a region's
    breakdown by sex in 2024, the breakdown by region of one sex in 2024, one cell of 2024 asked
    alone and the region × sex table of 2024 all select from one pattern. Last, every filter on one
    code stays a filter, and the answer is consistent with the other codes' answers through the
    noise only. A filter on several codes, or on a subset of a breakdown's codes, always needs a
    pattern table. `year_kept` (suppression decided year by year, disclosure/protect.py): a filter
    on one start year always stays a filter.

    The pattern table's dimensions come in the measured table's order (`domains`' order), so that
    questions about the same dimensions share one pattern whatever their order — a count table and
    a share over any of its dimensions too (disclosure/protect.py).
    """
    full = {dim: codes for dim, codes in where.items() if set(codes) == set(domains[dim])}
    narrowed = {dim: codes for dim, codes in where.items() if dim not in full}
    single = [dim for dim, codes in narrowed.items() if len(codes) == 1 and dim not in by]
    # Which single-code filters stay filters, tried in this order: none; the start year only (the
    # pages and most questions ask one year at a time, so every question about the same
    # dimensions within a year shares that year's pattern table); all of them.
    kept_options: list[set[str]] = [] if year_kept and KEPT_FIRST in single else [set()]
    if KEPT_FIRST in single:
        kept_options.append({KEPT_FIRST})
    kept_options.append(set(single))
    out: list[PatternQuestion | None] = []
    for number, kept in enumerate(kept_options):
        last = number == len(kept_options) - 1
        added = tuple(dim for dim in narrowed if dim not in by and dim not in kept)
        if not added and not any(dim in narrowed for dim in by):
            out.append(None)
            break
        dims = tuple(d for d in domains if d in added or d in by)
        question = PatternQuestion(
            by=dims,
            where={d: c for d, c in narrowed.items() if d not in by and d not in added},
            selection={d: c for d, c in narrowed.items() if d in added or d in by},
        )
        fits = cells([len(domains[d]) for d in question.by]) <= MAX_PATTERN_CELLS
        if (last or fits) and question not in out:
            out.append(question)
    return out


def cells(shape: Sequence[int]) -> int:
    """Cells of a table with these code counts, with margins."""
    return int(np.prod([n + 1 for n in shape], dtype=np.int64))


def hidden_by_pattern(
    answer: pl.DataFrame, by: Sequence[str], question: PatternQuestion, pattern: pl.DataFrame
) -> np.ndarray:
    """One bool per answer row: True where a pattern-table cell that the row adds up is hidden."""
    dims = question.by
    hidden = dict(
        zip(
            zip(*(pattern[d].to_list() for d in dims), strict=True),
            pattern["suppressed"].to_list(),
            strict=True,
        )
    )
    added = [d for d in dims if d not in by]
    rows = (
        zip(*(answer[d].to_list() for d in by), strict=True) if by else iter([()] * answer.height)
    )
    out = np.zeros(answer.height, dtype=bool)
    for i, row in enumerate(rows):
        code = dict(zip(by, row, strict=True))
        ranges = []
        for dim in dims:
            if dim in added:
                ranges.append(question.selection[dim])
            elif code[dim] == TOTAL and dim in question.selection:
                ranges.append(question.selection[dim])  # a margin over some codes only: their sum
            else:
                ranges.append((code[dim],))
        # A cell the pattern table lacks is taken as hidden: nothing is shown the pattern cannot vouch for.
        out[i] = any(hidden.get(key, True) for key in itertools.product(*ranges))
    return out
