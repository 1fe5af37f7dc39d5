"""Which shares of a group of codes to hide so that they give back no hidden count.

A share of a group of codes — ended as planned among all ended trajectories, other youth care
afterwards among all — publishes two counts of every row it shows: the group's count (share × base)
and its base. Where either is below k the share is hidden, as a small count would be. The count table of the same breakdown by the category (trajectories by partnership ×
end reason, say) may hide single codes of that row; the group's count is one more equation over
them, and with the row's shown cells it can pin a hidden one (the planned total minus the shown
planned codes). So the share's rows are audited together with that count table: every hidden count
must keep a feasible interval at least k wide (the LP audit of `audit.py`) over the count table's
equations *and* the group equations of every shown share (the group counts of a hidden share are
unknowns there). Where that fails, shares are hidden: first the rows of the failing cells, then
the margin rows (they link every row to the others), then every row with a hidden count, at last
all of them. Hiding a share only removes equations, so this
ends with a pattern that passes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import polars as pl

from binc.core.table import TOTAL
from binc.disclosure.audit import TOLERANCE, feasible_intervals
from binc.disclosure.escalation import next_to_hide
from binc.disclosure.structure import Line, TableStructure

Row = tuple[str, ...]


def hidden_group_shares(
    counts: pl.DataFrame,
    hidden: np.ndarray,
    dimensions: Sequence[str],
    numerator: Collection[str],
    denominator: Collection[str],
    shown: Collection[Row],
    k: int,
) -> set[Row]:
    """The rows (codes of all but the last dimension) of `shown` whose share must be hidden too.

    `counts`: the count table by `dimensions` (the category last) with margins, every cell's value
    as estimated; `hidden`: its suppression pattern as published (one bool per row). The share of
    row r is `numerator` codes of the category among `denominator` codes in r."""
    structure = TableStructure.from_frame(counts, dimensions)
    values = counts["value"].cast(pl.Float64).fill_null(0.0).to_numpy()
    rows = sorted({key[:-1] for key in structure.keys if key[-1] != TOTAL})
    extended, values, group_of = _with_groups(structure, values, rows, numerator, denominator)
    groups = len(values) - structure.size
    hidden_counts = np.flatnonzero(hidden).tolist()
    has_hidden = {structure.keys[c][:-1] for c in hidden_counts}
    candidates = [r for r in rows if r in shown]
    # A group count below k is a small count published: its share is hidden like a small cell.
    to_hide = {r for r in candidates if min(values[c] for c in group_of[r]) < k}
    for _ in range(len(candidates) + 2):
        secret = np.concatenate([hidden, np.zeros(groups, dtype=bool)])
        for row in rows:
            if row not in shown or row in to_hide:
                secret[list(group_of[row])] = True
        failing = _failing(extended, values, secret, hidden_counts, k)
        if not failing:
            return to_hide
        new = next_to_hide(
            {extended.keys[c][:-1] for c in failing}, has_hidden, set(candidates) - to_hide
        )
        if new is None:
            return set(candidates)  # the count table fails on its own; publish no share beside it
        to_hide |= new
    return set(candidates)


def _with_groups(
    structure: TableStructure,
    cell_values: np.ndarray,
    rows: Sequence[Row],
    numerator: Collection[str],
    denominator: Collection[str],
) -> tuple[TableStructure, np.ndarray, dict[Row, tuple[int, int]]]:
    """`structure` plus two cells per row — its numerator and denominator counts, the sums of their
    codes' cells — with their lines, and the values of all cells."""
    index = {key: i for i, key in enumerate(structure.keys)}
    keys = list(structure.keys)
    lines = list(structure.lines)
    values = list(cell_values)
    group_of: dict[Row, tuple[int, int]] = {}
    dimension = structure.dimensions[-1]
    for row in rows:
        cells: list[int] = []
        for codes in (numerator, denominator):
            members = tuple(index[(*row, c)] for c in sorted(codes) if (*row, c) in index)
            cell = len(keys)
            keys.append((*row, f"\x00{len(cells)}"))  # not a code: a group cell of the row
            lines.append(Line(dimension, cell, members))
            values.append(float(cell_values[list(members)].sum()))
            cells.append(cell)
        group_of[row] = (cells[0], cells[1])
    lines_of: list[list[int]] = [[] for _ in keys]
    for number, line in enumerate(lines):
        for cell in line.members:
            lines_of[cell].append(number)
    extended = TableStructure(
        structure.dimensions, tuple(keys), tuple(lines), tuple(tuple(x) for x in lines_of)
    )
    return extended, np.array(values), group_of


def _failing(
    structure: TableStructure, values: np.ndarray, secret: np.ndarray, counts: list[int], k: int
) -> list[int]:
    """The hidden counts whose feasible interval is narrower than k (group cells are unknowns of
    the equations, but not counts that a table publishes or hides)."""
    intervals = feasible_intervals(structure, values, secret, counts, enough=k)
    return [
        cell
        for cell, bounds in sorted(intervals.items())
        if bounds is None or bounds[1] - bounds[0] < k - TOLERANCE
    ]
