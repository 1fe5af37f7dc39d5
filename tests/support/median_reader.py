"""A reader's attack on the medians beside a count table: each hidden band count's feasible
[min, max] over every non-negative table with the published cells and margins and every shown
median's constraints, written independently of binc/disclosure (tests/spec/test_median_audit.py,
benchmarks/median_audit.py)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import scipy.optimize

from binc.answering import TOTAL, answer
from binc.answering.engine import band_bounds
from binc.release_file import Release


def plus(*parts: dict) -> dict:
    """The sum of linear combinations (cell → coefficient)."""
    out: dict = {}
    for part in parts:
        for key, coefficient in part.items():
            out[key] = out.get(key, 0.0) + coefficient
    return out


def reader_intervals(counts: pl.DataFrame, medians: pl.DataFrame, by: str, band: str) -> list:
    """Independent of binc.disclosure: each hidden count's [min, max] over all non-negative tables
    with the published cells and margins and every shown median's constraints (the band of the
    exact median, the position its published one-decimal value allows)."""
    keys = list(zip(counts[by].to_list(), counts[band].to_list(), strict=True))
    hidden = counts["suppressed"].fill_null(True).to_list()
    value = dict(zip(keys, counts["value"].fill_null(0.0).to_list(), strict=True))
    unknown = [key for key, h in zip(keys, hidden, strict=True) if h]
    column = {key: j for j, key in enumerate(unknown)}
    rows = sorted({r for r, _ in keys})
    bands = [b for b in dict.fromkeys(b for _, b in keys) if b != TOTAL]
    lower, upper = band_bounds(band, bands)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []

    def linear(terms: dict, bound: float, equal: bool) -> None:
        row, constant = np.zeros(len(unknown)), bound
        for key, coefficient in terms.items():
            if key in column:
                row[column[key]] += coefficient
            else:
                constant -= coefficient * value[key]
        (a_eq if equal else a_ub).append(row)
        (b_eq if equal else b_ub).append(constant)

    for r in rows:  # each row adds up to its margin, each band column to its margin
        linear({**{(r, b): 1.0 for b in bands}, (r, TOTAL): -1.0}, 0.0, True)
    for b in [*bands, TOTAL]:
        linear({**{(r, b): 1.0 for r in rows if r != TOTAL}, (TOTAL, b): -1.0}, 0.0, True)
    for r, exact in zip(medians[by].to_list(), medians["value"].to_list(), strict=True):
        if exact is None:
            continue
        published = round(exact, 1)
        j = int(np.searchsorted(lower, exact, side="right")) - 1
        below = {(r, b): 1.0 for b in bands[:j]}
        half = {(r, b): -0.5 for b in bands}
        linear(plus(below, half), 0.0, False)  # before ≤ total / 2
        linear({k: -v for k, v in plus(below, {(r, bands[j]): 1.0}, half).items()}, 0.0, False)
        width = upper[j] - lower[j]
        if math.isfinite(width):
            low = min(max((published - 0.05 - lower[j]) / width, 0.0), 1.0)
            high = min(max((published + 0.05 - lower[j]) / width, 0.0), 1.0)
            linear(plus(below, {(r, bands[j]): low}, half), 0.0, False)
            linear({k: -v for k, v in plus(below, {(r, bands[j]): high}, half).items()}, 0.0, False)
    out = []
    for key in unknown:
        objective = np.zeros(len(unknown))
        objective[column[key]] = 1.0
        ends = [
            scipy.optimize.linprog(
                s * objective, A_ub=np.array(a_ub) if a_ub else None,
                b_ub=np.array(b_ub) if b_ub else None, A_eq=np.array(a_eq), b_eq=np.array(b_eq),
                bounds=(0, None), method="highs",
            )
            for s in (1.0, -1.0)
        ]  # fmt: skip
        assert all(e.status in (0, 3) for e in ends), key
        high = math.inf if ends[1].status == 3 else -ends[1].fun
        out.append((key, ends[0].fun, high))
    return out


def narrow_counts(release: Release, years: list[str]) -> tuple[int, list]:
    """(hidden band counts beside a shown median, those a reader gets within less than k) for the
    median duration per partnership of `years` and the count table by partnership × band."""
    where = {"year": years}
    medians = answer(release, "median_duration_months", by=("partnership",), where=where).frame
    counts = answer(release, "trajectories", by=("partnership", "duration_band"),
                    where={**where, "status": ["ended"]}, totals=True).frame  # fmt: skip
    shown = set(medians.filter(~pl.col("suppressed"))["partnership"].to_list())
    intervals = reader_intervals(counts, medians, "partnership", "duration_band")
    beside = [(key, low, high) for key, low, high in intervals if key[0] in shown]
    return len(beside), [(k, lo, hi) for k, lo, hi in beside if hi - lo < release.k - 1e-6]
