"""LP audit: how precisely can a reader recompute each suppressed cell from what a table publishes?

For every suppressed cell we solve two linear programmes (minimise, maximise the cell) over all
suppressed cells as non-negative unknowns, with every published cell fixed at its published value and
every margin equal to the sum of its cells along each dimension. The gap between the two optima is the
cell's feasible interval; the privacy model requires it to be at least `k` wide. This is the proof
behind complementary suppression: the heuristic in `suppression.py` proposes, this module checks.

HiGHS is driven through `highspy` directly: one model per group of linked suppressed cells, only the
objective changes between solves, and the primal simplex restarts from the previous basis — far
cheaper per solve than rebuilding the model through `scipy.optimize.linprog` each time.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import polars as pl

from binc.disclosure.structure import TableStructure

# Widths are compared with this slack: LP optima of integer tables come back as e.g. 4.999999999.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class CellInterval:
    """What a reader can infer about one suppressed cell: it lies in [low, high] (high may be inf).

    low/high are None when the table's values are not additive (shares, medians, rates) and only the
    suppression pattern could be checked.
    """

    key: tuple[str, ...]
    low: float | None
    high: float | None

    @property
    def width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return self.high - self.low


@dataclass(frozen=True)
class AuditReport:
    """Result of auditing one published table against the threshold k."""

    dimensions: tuple[str, ...]
    k: int
    intervals: tuple[CellInterval, ...]  # one per suppressed cell, in table order
    # Suppressed cells a reader can pin down more narrowly than k.
    violations: tuple[CellInterval, ...]
    consistent: bool = True  # False: published values contradict the margins, nothing can be proven
    additive: bool = True

    @property
    def ok(self) -> bool:
        return self.consistent and not self.violations

    @property
    def suppressed_count(self) -> int:
        return len(self.intervals)


_solver_lock = threading.Lock()
_banner_silenced = False


def new_solver(*, warm_primal: bool = True) -> highspy.Highs:
    """A quiet single-threaded HiGHS instance for many warm-started solves of one small model."""
    global _banner_silenced
    with _solver_lock:
        if _banner_silenced:
            solver = highspy.Highs()
        else:
            # HiGHS writes a copyright banner to stdout when the first solver of a process is created;
            # `binc audit` prints its result on stdout, and a server log should not carry it either.
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                solver = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_silenced = True
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("solver", "simplex")
    if warm_primal:
        # When only the objective changes between solves the basis stays primal feasible, so primal
        # simplex continues from it instead of starting over.
        solver.setOptionValue("simplex_strategy", 4)
    return solver


def _components(structure: TableStructure, suppressed: np.ndarray) -> list[list[int]]:
    """Groups of suppressed cells linked through shared lines; each group is an independent LP."""
    links = ([c for c in line.members if suppressed[c]] for line in structure.lines)
    return components(links, np.flatnonzero(suppressed).tolist())


def components(links: Iterable[Sequence[int]], cells: Sequence[int]) -> list[list[int]]:
    """`cells` grouped by the links between them (union-find): two cells in one link are in one
    group, and so is every cell linked to either."""
    parent: dict[int, int] = {}

    def find(cell: int) -> int:
        parent.setdefault(cell, cell)
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for link in links:
        for other in link[1:]:
            parent[find(other)] = find(link[0])
    groups: dict[int, list[int]] = {}
    for cell in cells:
        groups.setdefault(find(int(cell)), []).append(int(cell))
    return list(groups.values())


def line_rhs(
    structure: TableStructure, line_number: int, values: np.ndarray, suppressed: np.ndarray
) -> tuple[dict[int, float], float]:
    """Coefficients of the suppressed members and the constant they must sum to (children +1, margin -1)."""
    line = structure.lines[line_number]
    coefficients: dict[int, float] = {}
    rhs = 0.0
    for cell, sign in ((line.margin, -1.0), *((c, 1.0) for c in line.children)):
        if suppressed[cell]:
            coefficients[cell] = coefficients.get(cell, 0.0) + sign
        else:
            rhs -= sign * values[cell]
    return coefficients, rhs


def feasible_intervals(
    structure: TableStructure,
    values: np.ndarray,
    suppressed: np.ndarray,
    cells: Iterable[int] | None = None,
    *,
    enough: float | None = None,
) -> dict[int, tuple[float, float] | None]:
    """Feasible [low, high] of each suppressed cell in `cells` (default: all); None if inconsistent.

    `values` holds the published value of every unsuppressed cell (entries of suppressed cells are
    ignored). Suppressing more cells can only widen intervals, so callers may re-check only the cells
    that failed before.

    With `enough`, a cell is settled as soon as two feasible tables seen while solving (LP optima for
    other cells) differ in it by at least `enough`: the result is then an inner bound of its interval
    — still a proof that the interval is that wide, at a fraction of the solves.
    """
    wanted = sorted(set(np.flatnonzero(suppressed).tolist() if cells is None else cells))
    result: dict[int, tuple[float, float] | None] = {}
    pending: set[int] = set()
    for cell in wanted:
        # A cell that is the only unknown in some line is pinned exactly: no LP needed.
        pinned = None
        for number in structure.lines_of[cell]:
            coefficients, rhs = line_rhs(structure, number, values, suppressed)
            if len(coefficients) == 1:
                pinned = rhs / coefficients[cell]
                break
        if pinned is not None:
            result[cell] = (pinned, pinned) if pinned >= -TOLERANCE else None
        elif not structure.lines_of[cell]:
            result[cell] = (0.0, math.inf)
        else:
            pending.add(cell)
    if not pending:
        return result

    for component in _components(structure, suppressed):
        targets = [c for c in component if c in pending]
        if targets:
            result.update(
                _solve_component(structure, values, suppressed, component, targets, enough)
            )
    return result


def _solve_component(
    structure: TableStructure,
    values: np.ndarray,
    suppressed: np.ndarray,
    component: list[int],
    targets: list[int],
    enough: float | None,
) -> dict[int, tuple[float, float] | None]:
    column_of = {cell: j for j, cell in enumerate(component)}
    line_numbers = sorted({n for cell in component for n in structure.lines_of[cell]})
    columns: list[list[tuple[int, float]]] = [[] for _ in component]
    row_bounds = np.empty(len(line_numbers))
    for row, number in enumerate(line_numbers):
        coefficients, rhs = line_rhs(structure, number, values, suppressed)
        row_bounds[row] = rhs
        for cell, coefficient in coefficients.items():
            columns[column_of[cell]].append((row, coefficient))

    model = Ranges(columns, row_bounds, row_bounds.copy())
    result: dict[int, tuple[float, float] | None] = {}
    for cell in targets:
        j = column_of[cell]
        if enough is not None and model.seen_high[j] - model.seen_low[j] >= enough:
            result[cell] = (float(model.seen_low[j]), float(model.seen_high[j]))
            continue
        high = model.optimum(j, highspy.ObjSense.kMaximize)
        if high is None:
            result[cell] = None
            continue
        if high == math.inf and enough is not None and model.seen_low[j] < math.inf:
            result[cell] = (float(model.seen_low[j]), math.inf)
            continue
        # Minimising a variable >= 0 is never unbounded: no optimum means an inconsistent table.
        low = model.optimum(j, highspy.ObjSense.kMinimize)
        result[cell] = None if low is None else (max(low, 0.0), high)
    return result


class Ranges:
    """A HiGHS model of non-negative unknowns under linear rows (`columns[j]`: the (row,
    coefficient) entries of unknown j), asked for each unknown's extremes with warm starts. Every
    feasible table seen widens `seen_low`/`seen_high`: two tables that differ in an unknown by
    some amount prove its interval at least that wide without more solves."""

    def __init__(
        self,
        columns: Sequence[Sequence[tuple[int, float]]],
        row_lower: np.ndarray,
        row_upper: np.ndarray,
    ) -> None:
        n = len(columns)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
        lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.cumsum([0] + [len(col) for col in columns]).astype(np.int32)
        lp.a_matrix_.index_ = np.array([r for col in columns for r, _ in col], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([v for col in columns for _, v in col], dtype=np.float64)
        self.solver = new_solver()
        self.solver.passModel(lp)
        self.seen_low = np.full(n, math.inf)
        self.seen_high = np.full(n, -math.inf)
        self._objective: int | None = None

    def optimum(self, j: int, sense: highspy.ObjSense) -> float | None:
        """The extreme of unknown j (inf when unbounded above, None when no table fits)."""
        if self._objective != j:
            if self._objective is not None:
                self.solver.changeColCost(self._objective, 0.0)
            self.solver.changeColCost(j, 1.0)
            self._objective = j
        self.solver.changeObjectiveSense(sense)
        self.solver.run()
        status = self.solver.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            point = np.asarray(self.solver.getSolution().col_value)
            np.minimum(self.seen_low, point, out=self.seen_low)
            np.maximum(self.seen_high, point, out=self.seen_high)
            return float(self.solver.getInfo().objective_function_value)
        unbounded = (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        )
        if sense == highspy.ObjSense.kMaximize and status in unbounded:
            return math.inf
        return None


def structural_violations(structure: TableStructure, suppressed: np.ndarray) -> list[int]:
    """Suppressed cells that are the only suppressed cell of some line (recomputable from that line)."""
    alone = []
    for cell in np.flatnonzero(suppressed).tolist():
        for number in structure.lines_of[cell]:
            if sum(bool(suppressed[c]) for c in structure.lines[number].members) == 1:
                alone.append(cell)
                break
    return alone


def suppressed_mask(frame: pl.DataFrame) -> np.ndarray:
    """Which rows a reader does not see: flagged suppressed, or with no published value."""
    hidden = frame["value"].is_null()
    if "suppressed" in frame.columns:
        hidden = hidden | frame["suppressed"].fill_null(True)
    return hidden.to_numpy().astype(bool)


def audit_table(
    frame: pl.DataFrame, dimensions: Sequence[str], k: int, *, additive: bool = True
) -> AuditReport:
    """Audit a published table: every suppressed cell's feasible interval must be at least k wide.

    `frame` holds the dimension columns, `value` (null where suppressed) and optionally `suppressed`.
    With additive=False (shares, medians, rates: the values do not add up) only the pattern can be
    checked: no suppressed cell may be the single suppressed cell of a row, column or slice.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    structure = TableStructure.from_frame(frame, dimensions)
    suppressed = suppressed_mask(frame)
    cells = np.flatnonzero(suppressed).tolist()
    if not additive:
        alone = set(structural_violations(structure, suppressed))
        intervals = tuple(CellInterval(structure.keys[c], None, None) for c in cells)
        violations = tuple(i for c, i in zip(cells, intervals, strict=True) if c in alone)
        return AuditReport(structure.dimensions, k, intervals, violations, additive=False)

    values = frame["value"].cast(pl.Float64).fill_null(0.0).to_numpy()
    found = feasible_intervals(structure, values, suppressed)
    found_intervals: list[CellInterval] = []
    too_narrow: list[CellInterval] = []
    consistent = True
    for cell in cells:
        bounds = found[cell]
        if bounds is None:
            consistent = False
            interval = CellInterval(structure.keys[cell], None, None)
        else:
            interval = CellInterval(structure.keys[cell], bounds[0], bounds[1])
            if bounds[1] - bounds[0] < k - TOLERANCE:
                too_narrow.append(interval)
        found_intervals.append(interval)
    return AuditReport(
        structure.dimensions, k, tuple(found_intervals), tuple(too_narrow), consistent=consistent
    )
