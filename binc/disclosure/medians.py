"""Which medians to hide so that they give back no hidden count.

A median over banded counts (duration in months, waiting in days) is interpolated within the band
that holds the middle trajectory: value = lower + (total/2 − before) / inside × width, with
`before` the count in the lower bands and `inside` the count of that band. So a shown median,
rounded as it is published, is a linear constraint on its row's band counts:

    Σ_{j<b} n_j < total/2 ≤ Σ_{j≤b} n_j               (the middle falls in band b)
    f_low · n_b ≤ total/2 − Σ_{j<b} n_j ≤ f_high · n_b   (where in band b; not for the open band)

with [f_low, f_high] the position the rounded value allows. The count table of the same breakdown
by band (trajectories by partnership × duration band, say) may hide some of those counts, and
with the row's total and its shown cells these constraints can pin a hidden one: on the demo
release 186 of 631 hidden band counts beside a shown median per partnership came within less than
k, 12 to within one trajectory. So the medians are audited with that count table: every hidden
count must keep a feasible interval at least k wide (a linear programme, as `audit.py`) over the
table's additivity lines and the constraints of every shown median. Where that fails, medians are
hidden: first every median that fails on its own, then, for the others together, the rows of the
failing cells, the margin rows, every row with a hidden count, at last all of them. Hiding a median only removes constraints, so this ends with a
pattern that passes. (The strict inequality is relaxed to ≤: the feasible set only grows by its
boundary.)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import highspy
import numpy as np
import polars as pl

from binc.core.table import TOTAL
from binc.disclosure.audit import TOLERANCE, Ranges, components, line_rhs
from binc.disclosure.escalation import next_to_hide
from binc.disclosure.structure import TableStructure

Row = tuple[str, ...]


def hidden_medians(
    counts: pl.DataFrame,
    hidden: np.ndarray,
    dimensions: Sequence[str],
    bounds: tuple[np.ndarray, np.ndarray],
    shown: Mapping[Row, tuple[float, float]],
    resolution: float,
    k: int,
) -> set[Row]:
    """The rows of `shown` (row → the median as computed and as published, rounded to
    `resolution`) whose median must be hidden too.

    `counts`: the count table by `dimensions` (the band last) with margins, every cell's value as
    estimated; `hidden`: its suppression pattern as published; `bounds`: each band's lower and
    upper bound (upper inf for the open band), in the order of the band's codes in `counts`;
    `resolution`: the rounding of a published median (0.1: one decimal)."""
    structure = TableStructure.from_frame(counts, dimensions)
    values = counts["value"].cast(pl.Float64).fill_null(0.0).to_numpy()
    index = {key: i for i, key in enumerate(structure.keys)}
    bands = [c for c in counts[dimensions[-1]].unique(maintain_order=True).to_list() if c != TOTAL]
    hidden_cells = np.flatnonzero(hidden).tolist()
    has_hidden = {structure.keys[c][:-1] for c in hidden_cells}
    # a median over shown counts only adds no unknown
    candidates = [r for r in shown if r in has_hidden]

    def constraints_of(rows: Collection[Row]) -> list[Constraint]:
        return [
            c
            for row in rows
            for c in _constraints([index[(*row, b)] for b in bands], bounds, shown[row], resolution)
        ]

    # First every median that narrows a count of its own row with that row's total alone: a
    # reader with more lines narrows it further, so it is hidden for sure (and cheaply: a few
    # unknowns). Then the others together, every linked hidden count checked over the whole table.
    own_line = {
        structure.keys[line.margin][:-1]: number
        for number, line in enumerate(structure.lines)
        if line.dimension == dimensions[-1]
    }
    to_hide = {
        r
        for r in candidates
        if r in own_line
        and _failing(structure, values, hidden, constraints_of([r]), k, lines=[own_line[r]])
    }
    own_cells = {r: [c for c in hidden_cells if structure.keys[c][:-1] == r] for r in candidates}
    for _ in range(len(shown) + 2):
        rows = [r for r in candidates if r not in to_hide]
        constraints = constraints_of(rows)
        # the counts of the constrained rows first (where a median narrows most), then, once
        # those pass, every linked hidden count: only that last check decides that rows may stay
        mine = {c for r in rows for c in own_cells[r]}
        failing = _failing(structure, values, hidden, constraints, k, only=mine)
        if not failing:
            failing = _failing(structure, values, hidden, constraints, k)
        if not failing:
            return to_hide
        new = next_to_hide({structure.keys[c][:-1] for c in failing}, has_hidden, rows)
        if new is None:
            return set(shown)  # the count table fails on its own; publish no median beside it
        to_hide |= new
    return set(shown)


Constraint = tuple[dict[int, float], float]  # Σ coefficient · cell ≤ bound


def _constraints(
    cells: Sequence[int],
    bounds: tuple[np.ndarray, np.ndarray],
    value: tuple[float, float],
    resolution: float,
) -> list[Constraint]:
    """The row's median constraints over its band cells (see the module doc)."""
    lower, upper = bounds
    exact, published = value
    # A published value within half a resolution of a band's edge could come from either band: a
    # reader has the union of two sets of tables. The audit takes the band the median lies in:
    # a subset of what the reader has, which holds the published tables, so an interval found
    # at least k wide is at least k wide for the reader too.
    band = int(np.searchsorted(lower, exact, side="right")) - 1
    band = min(max(band, 0), len(cells) - 1)

    def before_plus(inside: float, sign: float = 1.0) -> dict[int, float]:
        """sign · (before + inside · n_b − total/2) over the row's band cells."""
        weights = [1.0] * band + [inside] + [0.0] * (len(cells) - band - 1)
        return {c: sign * (w - 0.5) for c, w in zip(cells, weights, strict=True)}

    # before − total/2 ≤ 0 and total/2 − (before + inside) ≤ 0
    out: list[Constraint] = [(before_plus(0.0), 0.0), (before_plus(1.0, -1.0), 0.0)]
    width = upper[band] - lower[band]
    if math.isfinite(width) and width > 0:
        low = min(max((published - resolution / 2 - lower[band]) / width, 0.0), 1.0)
        high = min(max((published + resolution / 2 - lower[band]) / width, 0.0), 1.0)
        # total/2 − before ≥ low · inside, total/2 − before ≤ high · inside
        out.append((before_plus(low), 0.0))
        out.append((before_plus(high, -1.0), 0.0))
    return out


def _failing(
    structure: TableStructure,
    values: np.ndarray,
    hidden: np.ndarray,
    constraints: Sequence[Constraint],
    k: int,
    lines: Sequence[int] | None = None,
    only: set[int] | None = None,
) -> list[int]:
    """The hidden counts whose feasible interval is narrower than k, or that no table fits
    (`lines`: with only these of the table's lines; `only`: checking only these counts).

    Only hidden counts linked (through the table's lines) to a median constraint are solved for,
    over the rows that link them: the others keep the intervals the count table's own audit gave
    them. One HiGHS model, its
    objective changed per cell (warm starts); a cell is settled as soon as two feasible tables
    seen so far differ in it by k (as audit.feasible_intervals with `enough`)."""
    rows: list[tuple[dict[int, float], float, float]] = []  # coefficients of hidden cells, bounds
    for number in range(len(structure.lines)) if lines is None else lines:
        coefficients, rhs = line_rhs(structure, number, values, hidden)
        if coefficients:
            rows.append((coefficients, rhs, rhs))
    linked: set[int] = set()
    for coefficients, bound in constraints:
        row: dict[int, float] = {}
        constant = bound
        for cell, coefficient in coefficients.items():
            if hidden[cell]:
                row[cell] = row.get(cell, 0.0) + coefficient
            else:
                constant -= coefficient * values[cell]
        if row:
            rows.append((row, -highspy.kHighsInf, constant))
            linked |= set(row)
    # the hidden counts a median constraint reaches through the rows, and only their rows
    every = sorted({cell for coefficients, _, _ in rows for cell in coefficients})
    groups = components((list(coefficients) for coefficients, _, _ in rows), every)
    reached: set[int] = set().union(*(group for group in groups if linked & set(group)))
    targets = reached if only is None else only & reached
    if not targets:
        return []
    rows = [row for row in rows if reached & set(row[0])]
    unknowns = sorted(reached)
    column = {cell: j for j, cell in enumerate(unknowns)}
    columns: list[list[tuple[int, float]]] = [[] for _ in unknowns]
    for number, (coefficients, _, _) in enumerate(rows):
        for cell, coefficient in coefficients.items():
            columns[column[cell]].append((number, coefficient))
    model = Ranges(
        columns,
        np.array([low for _, low, _ in rows], dtype=np.float64),
        np.array([high for _, _, high in rows], dtype=np.float64),
    )
    failing = []
    for cell in sorted(targets):
        j = column[cell]
        if model.seen_high[j] - model.seen_low[j] >= k:
            continue
        high = model.optimum(j, highspy.ObjSense.kMaximize)
        low = None if high is None else model.optimum(j, highspy.ObjSense.kMinimize)
        if high is None or low is None or high - low < k - TOLERANCE:
            failing.append(cell)
    return failing
