"""Small-cell suppression of an answered table: primary (base below k) and complementary (secondary).

Privacy model point 4: a value whose base is below `k` is never shown, and when a table carries
margins, further cells are hidden so that no suppressed cell can be recomputed — for every suppressed
cell the LP feasible interval implied by the published table must be at least `k` wide.

How secondary cells are chosen (a greedy heuristic; the LP audit is the proof):
1. audit the suppressed cells (`audit.feasible_intervals`); stop when all are at least k wide;
2. for each failing cell, in table order, hide one published partner that shares a row, column or
   slice with it, preferring (a) a partner whose other lines already hold a suppressed cell, so
   rectangles close instead of opening new lines, (b) a partner that together with the failing cell
   spans k, (c) inner cells over margins, (d) the smallest such value, (e) table order — chosen by
   a small LP that keeps published margins published where it can (disclosure/protection.py);
3. re-audit only the failing and newly hidden cells — hiding more can only widen intervals — and
   repeat. A final full audit must pass, otherwise the table is refused (RuntimeError).
The result is deterministic: the same table always gets the same pattern.

Shares, medians and rates do not add up, but their bases (denominators) do, and a base can be
approximately recovered from a published value's interval width, or read from the count table of
the same denominator. So for those kinds the pattern is chosen on the *bases*, as if they were a count
table with the same margins (margins recomputed as the sum of their cells). The same deterministic
procedure then protects the count table of that denominator with the same dimensions, and combining
the two publications reveals nothing the pattern does not already allow.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import polars as pl

from binc.core.table import KINDS, TOTAL, MeasureKind
from binc.disclosure.audit import TOLERANCE, feasible_intervals
from binc.disclosure.protection import ProtectionLP
from binc.disclosure.structure import TableStructure

NUMBER_COLUMNS = ("value", "ci_low", "ci_high", "base")


def suppress(
    frame: pl.DataFrame,
    dimensions: Sequence[str],
    k: int,
    *,
    kind: MeasureKind,
    forced: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> pl.DataFrame:
    """The same rows and columns plus `suppressed`; value, ci_low, ci_high and base null where suppressed.

    `weights` (one per row): what hiding a cell costs when complementary cells are chosen, in place
    of its own value (disclosure/protection.py).

    `forced` (one bool per row) is a pattern already decided on a wider, audited table of which
    every row here is a sum of cells (answering/patterns.py): rows it marks are hidden, and the rows
    it leaves shown reveal nothing that table does not, so complementary cells are searched only if
    this table's own rule hides a row the forced pattern shows.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    missing = [c for c in (*dimensions, *NUMBER_COLUMNS) if c not in frame.columns]
    if missing:
        raise ValueError(f"cannot suppress a table without column(s) {missing}")

    structure = TableStructure.from_frame(frame, dimensions)
    base = frame["base"].cast(pl.Float64).to_numpy()
    # A missing base is treated as below k: nothing is shown that the rule cannot vouch for.
    hidden = np.isnan(base) | (base < k)
    decided = forced is not None and not (hidden & ~np.asarray(forced, dtype=bool)).any()
    if forced is not None:
        hidden |= np.asarray(forced, dtype=bool)
    if structure.lines and not decided:
        if kind == "count":
            values = frame["value"].cast(pl.Float64).to_numpy()
            hidden |= np.isnan(values)
            _require_additive(structure, values, hidden)
        else:
            values = _additive_bases(structure, frame)
        hidden = complementary(structure, np.nan_to_num(values), hidden, k, weights)

    mask = pl.Series("suppressed", hidden, dtype=pl.Boolean)
    body = frame.drop("suppressed") if "suppressed" in frame.columns else frame
    return body.with_columns(mask).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
        for c in NUMBER_COLUMNS
    )


def complementary(
    structure: TableStructure,
    values: np.ndarray,
    primary: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Extend the primary pattern until every suppressed cell's feasible interval is at least k wide."""
    hidden = primary.copy()
    protection: ProtectionLP | None = None
    to_check = np.flatnonzero(hidden).tolist()
    while to_check:
        intervals = feasible_intervals(structure, values, hidden, to_check, enough=k)
        failing = [c for c in sorted(intervals) if not _wide_enough(intervals[c], k)]
        if not failing:
            break
        protection = protection or ProtectionLP(structure, values, weights)
        added: list[int] = []
        for cell in failing:
            partners = protection.partners(cell, hidden, k)
            if partners is None:  # only by hiding a published margin (disclosure/protection.py)
                partners = protection.partners(cell, hidden, k, margins=True)
            if partners is None:  # no change can raise the cell (incomplete margins): best effort
                partner = _choose_partner(structure, values, hidden, cell, k)
                partners = [] if partner is None else [partner]
            hidden[partners] = True
            added.extend(partners)
        if not added:
            break
        to_check = sorted(set(failing) | set(added))

    # The proof: a full audit of the final pattern. Messages name cells, never their values.
    final = feasible_intervals(structure, values, hidden, enough=k)
    unsafe = [structure.keys[c] for c in sorted(final) if not _wide_enough(final[c], k)]
    if unsafe:
        raise RuntimeError(
            f"complementary suppression could not protect {len(unsafe)} cell(s), first {unsafe[0]}; "
            "the table's margins are probably incomplete"
        )
    return hidden


def _wide_enough(bounds: tuple[float, float] | None, k: int) -> bool:
    return bounds is not None and bounds[1] - bounds[0] >= k - TOLERANCE


def _choose_partner(
    structure: TableStructure, values: np.ndarray, hidden: np.ndarray, cell: int, k: int
) -> int | None:
    """The published cell whose suppression most cheaply helps protect `cell` (see module docstring)."""
    own_lines = set(structure.lines_of[cell])
    candidates = {c for n in own_lines for c in structure.lines[n].members if not hidden[c]}
    if not candidates:
        # Every neighbour is already hidden: widen to the published neighbours of the whole linked group.
        group = _linked_group(structure, hidden, cell)
        candidates = {
            c
            for g in group
            for n in structure.lines_of[g]
            for c in structure.lines[n].members
            if not hidden[c]
        }
    if not candidates:
        candidates = set(np.flatnonzero(~hidden).tolist())
    if not candidates:
        return None

    def cost(candidate: int) -> tuple[int, bool, int, float, int]:
        opens = sum(
            1
            for n in structure.lines_of[candidate]
            if n not in own_lines and not any(hidden[m] for m in structure.lines[n].members)
        )
        value = values[candidate]
        sufficient = value + values[cell] >= k
        return (
            opens,
            not sufficient,
            structure.level(candidate),
            value if sufficient else -value,
            candidate,
        )

    return min(candidates, key=cost)


def _linked_group(structure: TableStructure, hidden: np.ndarray, cell: int) -> set[int]:
    group, frontier = {cell}, [cell]
    while frontier:
        current = frontier.pop()
        for n in structure.lines_of[current]:
            for member in structure.lines[n].members:
                if hidden[member] and member not in group:
                    group.add(member)
                    frontier.append(member)
    return group


def _require_additive(structure: TableStructure, values: np.ndarray, hidden: np.ndarray) -> None:
    """Count tables must arrive additive (the answering layer's job); the audit relies on it."""
    for line in structure.lines:
        members = [line.margin, *line.children]
        if any(np.isnan(values[m]) for m in members):
            continue
        total = values[line.margin]
        if abs(total - values[list(line.children)].sum()) > TOLERANCE * max(1.0, abs(total)):
            raise ValueError(
                f"count table is not additive along {line.dimension!r} at margin "
                f"{structure.keys[line.margin]}; margins must equal the sum of their cells"
            )


def _additive_bases(structure: TableStructure, frame: pl.DataFrame) -> np.ndarray:
    """Bases with every margin recomputed as the sum of the inner cells below it."""
    base = np.nan_to_num(frame["base"].cast(pl.Float64).to_numpy())
    sums: dict[tuple[str, ...], float] = {}
    width = len(structure.dimensions)
    for i, key in enumerate(structure.keys):
        if structure.level(i):
            continue
        # Add the inner cell to each of its 2**d margins (every subset of coordinates set to TOTAL).
        for mask in itertools.product((False, True), repeat=width):
            ancestor = tuple(TOTAL if m else code for m, code in zip(mask, key, strict=True))
            sums[ancestor] = sums.get(ancestor, 0.0) + base[i]
    return np.array(
        [
            base[i] if not structure.level(i) else sums.get(key, 0.0)
            for i, key in enumerate(structure.keys)
        ]
    )
