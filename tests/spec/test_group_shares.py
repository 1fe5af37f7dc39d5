"""Spec: a share of a group of codes (ended as planned, other care afterwards) publishes the group's
count and its base; it is hidden where those, with the count table of the same breakdown, would pin
a count that table hides — proved on hand-made tables and, with scipy's LP as an independent
oracle, on every such share of the small test release."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linprog
from support.small_release import small_release

from binc.answering import answer
from binc.answering.catalogue import measure_defs
from binc.answering.engine import _measure, _Question
from binc.core import dimensions
from binc.core.errors import UserError
from binc.core.table import TOTAL
from binc.disclosure.group_shares import hidden_group_shares
from binc.release_file import load_release

K = 10
# Two regions × four reasons: b1 and d2 are small, d1 and b2 their complements (a rectangle, which
# the count table alone protects: b1 + b2 and b1 + d1 are known, b1 only within 1–16).
INNER = {("R1", "a"): 40, ("R1", "b"): 4, ("R1", "c"): 30, ("R1", "d"): 12,
         ("R2", "a"): 50, ("R2", "b"): 15, ("R2", "c"): 20, ("R2", "d"): 3}  # fmt: skip
HIDDEN = {("R1", "b"), ("R1", "d"), ("R2", "b"), ("R2", "d")}


def _table() -> tuple[pl.DataFrame, np.ndarray]:
    regions, reasons = ("R1", "R2", TOTAL), ("a", "b", "c", "d", TOTAL)
    rows = []
    for region, reason in itertools.product(regions, reasons):
        value = sum(v for (r, c), v in INNER.items()
                    if region in (r, TOTAL) and reason in (c, TOTAL))  # fmt: skip
        rows.append({"region": region, "reason": reason, "value": float(value)})
    frame = pl.DataFrame(rows)
    hidden = np.array([(r["region"], r["reason"]) in HIDDEN for r in rows])
    return frame, hidden


def test_a_group_total_that_pins_a_hidden_count_hides_the_share() -> None:
    frame, hidden = _table()
    shown = [("R1",), ("R2",), (TOTAL,)]
    # planned = {a, b}: b = planned − a, so both regions' shares would give b back
    out = hidden_group_shares(frame, hidden, ("region", "reason"), {"a", "b"}, {"a", "b", "c", "d"},
                              shown, K)  # fmt: skip
    assert out == {("R1",), ("R2",)}


def test_a_group_that_adds_nothing_new_keeps_the_share() -> None:
    frame, hidden = _table()
    shown = [("R1",), ("R2",), (TOTAL,)]
    # {a, c} among all: a and c are shown, so the group count is known already
    assert hidden_group_shares(frame, hidden, ("region", "reason"), {"a", "c"},
                               {"a", "b", "c", "d"}, shown, K) == set()  # fmt: skip


def test_a_group_count_below_k_hides_the_share() -> None:
    frame, _ = _table()
    nothing_hidden = np.zeros(frame.height, dtype=bool)
    shown = [("R1",), ("R2",), (TOTAL,)]
    # {b}: 4 in R1, 15 in R2, 19 in all
    out = hidden_group_shares(frame, nothing_hidden, ("region", "reason"), {"b"},
                              {"a", "b", "c", "d"}, shown, K)  # fmt: skip
    assert out == {("R1",)}


def _lp_widths(counts: pl.DataFrame, dims: tuple[str, ...], groups: list[tuple[list[int], float]],
               ) -> dict[int, float]:  # fmt: skip
    """scipy's LP: the feasible width of every hidden count, given the shown counts, every margin
    equation and the group counts published by shown shares (independent of binc's audit)."""
    keys = list(counts.select(dims).iter_rows())
    hidden = counts["suppressed"].to_list()
    value = counts["estimate"].to_list()
    unknown = [i for i, h in enumerate(hidden) if h]
    column = {cell: j for j, cell in enumerate(unknown)}
    index = {key: i for i, key in enumerate(keys)}
    equations: list[tuple[list[int], int, float]] = []  # (members, margin or -1, constant)
    for position, _ in enumerate(dims):
        for key, i in index.items():
            if key[position] != TOTAL:
                continue
            members = [index[(*key[:position], code, *key[position + 1:])]
                       for code in {k[position] for k in keys if k[position] != TOTAL}
                       if (*key[:position], code, *key[position + 1:]) in index]  # fmt: skip
            equations.append((members, i, 0.0))
    equations += [(members, -1, total) for members, total in groups]
    rows, rhs = [], []
    for members, margin, total in equations:  # Σ members (− margin) = total
        row = np.zeros(len(unknown))
        constant = total - sum(value[c] for c in members if not hidden[c])
        for cell in (c for c in members if hidden[c]):
            row[column[cell]] += 1
        if margin >= 0 and hidden[margin]:
            row[column[margin]] -= 1
        elif margin >= 0:
            constant += value[margin]
        if row.any():
            rows.append(row)
            rhs.append(constant)
    widths = {}
    for j, cell in enumerate(unknown):
        cost = np.zeros(len(unknown))
        cost[j] = 1
        low = linprog(cost, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-cost, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        assert low.status == 0
        assert high.status in (0, 3)  # 3: unbounded above
        widths[cell] = np.inf if high.status == 3 else -high.fun - low.fun
    return widths


GROUP_SHARES = [name for name, d in measure_defs().items() if d.method == "ratio"]


@pytest.mark.parametrize("measure", GROUP_SHARES)
def test_no_group_share_pins_a_hidden_count_of_its_count_table(measure: str) -> None:
    release = load_release(small_release()[0])
    d = measure_defs()[measure]
    checked = 0
    grouped_checked: list[str] = []
    for by, where in [(("partnership",), {"year": "2024"}), (("trajectory_type",), {}),
                      (("year",), {"partnership": "P03"}), (("province",), {"year": "2023"})]:  # fmt: skip
        category, numerator, denominator = d.category, list(d.numerator), d.denominator
        try:
            shares = answer(release, measure, by=by, where=where, totals=True).frame
        except UserError:
            continue
        try:
            counts = answer(release, "trajectories", by=(*by, category), where=where,
                            totals=True).frame  # fmt: skip
        except UserError:
            # Per region, end reasons are published in their groups: the share adds to the count
            # table by end group, its numerator and base being whole groups.
            parent = dimensions.parent_of(category)
            if parent is None:
                continue
            groups_of = dimensions.members(category, parent)
            category = parent
            numerator = [g for g, codes in groups_of.items() if set(codes) <= set(numerator)]
            base = denominator or [c for codes in groups_of.values() for c in codes]
            denominator = [g for g, codes in groups_of.items() if set(codes) <= set(base)]
            counts = answer(release, "trajectories", by=(*by, category), where=where,
                            totals=True).frame  # fmt: skip
            grouped_checked.append(measure)
        dims = (*by, category)
        # the unsuppressed estimates behind the count table: what shown group counts add up
        question = _Question(release, measure_defs()["trajectories"], dims,
                             {dim: (code,) for dim, code in where.items()}, True)  # fmt: skip
        _, numbers = _measure(question)
        counts = counts.with_columns(estimate=numbers.frame(dims, True)["value"])
        index = {key: i for i, key in enumerate(counts.select(dims).iter_rows())}
        codes = [c for c in counts[category].unique().to_list() if c != TOTAL]
        denominator = denominator or [c for c in codes if c != "unknown"]
        groups = []
        for row in shares.filter(~pl.col("suppressed")).select(by).iter_rows():
            for group in (numerator, denominator):
                members = [index[(*row, c)] for c in group if (*row, c) in index]
                groups.append((members, float(counts["estimate"][members].sum())))
        widths = _lp_widths(counts, dims, groups)
        narrow = {counts.select(dims).row(c): w for c, w in widths.items() if w < K - 1e-6}
        assert not narrow, f"{measure} by {by} {where}: hidden counts pinned: {narrow}"
        checked += len(widths)
    assert checked > 0, f"{measure}: no hidden count was checked"
    if d.category == "end_reason":  # per partnership and province these come from end groups
        assert grouped_checked, f"{measure}: the grouped count table was never checked"
