"""Choosing complementary cells for one unprotected cell by a small LP (a Kelly–Golden–Assad style step).

To give a suppressed cell c a feasible interval at least k wide it is enough to find a change `y` of
the table that raises c by k, keeps every margin equal to the sum of its cells, and keeps every cell
non-negative: both the true table and the true table + y are then consistent with what is published
once every cell that `y` touches is suppressed, so c can be anything in [v, v + k]. Among such changes
we take one of least information loss: touching an already suppressed cell is free, touching a
published cell costs (1 + its value) per unit — small inner cells are hidden before large totals.
A vertex optimum touches few cells: in a 2-D table typically the other three corners of a rectangle.

A margin that is published stays published: every margin of a table is also a question of its own
(the total asked directly, the breakdown by fewer dimensions), answered with the same number, so
hiding it here would hide nothing (and would let the direct answer give back the cell it was meant
to protect). So the change may touch a margin only where the margin is already suppressed; only
when no such change exists (`partners(..., margins=True)`) are published margins allowed.
"""

from __future__ import annotations

import highspy
import numpy as np

from binc.disclosure.audit import TOLERANCE, new_solver
from binc.disclosure.structure import TableStructure


class ProtectionLP:
    """One reusable model per table: between cells only bounds, costs and two coefficients change."""

    def __init__(
        self, structure: TableStructure, values: np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        n = self._size = structure.size
        self._values = np.maximum(np.nan_to_num(values), 0.0)
        # What hiding a cell costs: 1 + its value, or 1 + another value of the cell (`weights`:
        # a year's table is weighed by the cells' sums over all years, so that every year picks
        # the same complementary categories, disclosure/protect.py)
        self._weights = 1.0 + (
            self._values if weights is None else np.maximum(np.nan_to_num(weights), 0.0)
        )
        lines = len(structure.lines)
        # Two changes of the table: `up` raises the cell, `down` lowers it; each change y = p - m over
        # the n cells. Columns: up.p, up.m, down.p, down.m (n each). Rows: the lines for `up`, the
        # lines for `down`, then one row "raise + lowering of the cell = k".
        along: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for row, line in enumerate(structure.lines):
            along[line.margin].append((row, -1.0))
            for child in line.children:
                along[child].append((row, 1.0))
        columns = (
            along
            + [[(r, -v) for r, v in col] for col in along]
            + [[(r + lines, v) for r, v in col] for col in along]
            + [[(r + lines, -v) for r, v in col] for col in along]
        )
        self._width_row = 2 * lines
        lp = highspy.HighsLp()
        lp.num_col_ = 4 * n
        lp.num_row_ = 2 * lines + 1
        lp.col_cost_ = np.tile(self._weights, 4)
        lp.col_lower_ = np.zeros(4 * n)
        lp.col_upper_ = self._upper()
        lp.row_lower_ = np.zeros(2 * lines + 1)
        lp.row_upper_ = np.zeros(2 * lines + 1)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.cumsum([0] + [len(col) for col in columns]).astype(np.int32)
        lp.a_matrix_.index_ = np.array([r for col in columns for r, _ in col], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([v for col in columns for _, v in col], dtype=np.float64)
        self._solver = new_solver(warm_primal=False)
        self._solver.passModel(lp)
        self._current: int | None = None
        self._margins = np.array([structure.level(i) > 0 for i in range(n)], dtype=bool)

    def _upper(self) -> np.ndarray:
        # A cell may rise without bound but fall only to zero.
        infinite = np.full(self._size, highspy.kHighsInf)
        return np.concatenate([infinite, self._values, infinite, self._values])

    def partners(
        self, cell: int, hidden: np.ndarray, k: int, margins: bool = False
    ) -> list[int] | None:
        """Published cells to suppress so that `cell` can move over a range of k unseen (None:
        impossible). Published margins stay fixed unless `margins` (see the module doc)."""
        n = self._size
        solver = self._solver
        if self._current is not None:
            solver.changeCoeff(self._width_row, self._current, 0.0)
            solver.changeCoeff(self._width_row, 3 * n + self._current, 0.0)
        # The cell's rise (up.p) plus its fall (down.m) must span k; it moves only in that direction.
        solver.changeCoeff(self._width_row, cell, 1.0)
        solver.changeCoeff(self._width_row, 3 * n + cell, 1.0)
        self._current = cell
        solver.changeRowBounds(self._width_row, float(k), float(k))
        everything = np.arange(4 * n, dtype=np.int32)
        costs = np.where(hidden, 0.0, self._weights)
        solver.changeColsCost(4 * n, everything, np.tile(costs, 4))
        upper = self._upper()
        upper[n + cell] = 0.0  # `up` does not lower the cell
        upper[2 * n + cell] = 0.0  # `down` does not raise it
        if not margins:
            fixed = np.flatnonzero(self._margins & ~hidden)
            for offset in range(4):
                upper[offset * n + fixed] = 0.0
        solver.changeColsBounds(4 * n, everything, np.zeros(4 * n), upper)
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(solver.getSolution().col_value)
        moved = (np.abs(x[:n] - x[n : 2 * n]) > TOLERANCE) | (
            np.abs(x[2 * n : 3 * n] - x[3 * n :]) > TOLERANCE
        )
        return [int(i) for i in np.flatnonzero(moved & ~hidden)]
