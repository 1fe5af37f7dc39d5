"""A linked LP audit: can a hidden count be recovered by combining the count questions the product
answers about the partnership × D cube of some start years? (benchmarks/linked_audit.py prints it
for a release; tests/e2e/test_attacks.py asserts it on the small release.)

Every count question about the cube gives linear equations, one per shown cell, for each year
alone and for the years pooled (the sidebar's multiple years): the table partnership × D with its
totals; D alone within each partnership and partnership alone within each code of D (single-code
filters), with their totals; every single cell asked on its own. Each hidden
sum is then minimised and maximised over all of them at once (HiGHS through scipy's `linprog`),
the cells being unknown counts ≥ 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import linprog

from binc.answering import answer
from binc.core.table import TOTAL
from binc.release_file import Release

EXACT = 0.5  # an interval narrower than this gives the (integer) value itself


@dataclass(frozen=True)
class Published:
    """One answer cell as a sum of cube cells: shown (with its value) or hidden."""

    cells: frozenset[tuple[str, str, str]]  # (start year, partnership, code of D)
    value: float | None  # None: hidden


def _rows(
    frame: pl.DataFrame,
    by: Sequence[str],
    fixed: dict[str, str],
    codes: dict[str, list[str]],
    years: Sequence[str],
) -> Iterator[Published]:
    for row in frame.iter_rows(named=True):
        key = {**fixed, **{d: row[d] for d in by}}
        ranges = [
            codes[d] if key.get(d, TOTAL) == TOTAL else [key[d]] for d in ("partnership", "d")
        ]
        cells = frozenset((y, p, c) for y in years for p in ranges[0] for c in ranges[1])
        yield Published(cells, None if row["suppressed"] else float(row["value"]))


def published(
    release: Release, years: Sequence[str], dim: str
) -> tuple[list[Published], dict[str, list[str]]]:
    """Every count answer about the partnership × `dim` cube of `years`, each year alone and (for
    more than one) the years pooled, as sums of its cells."""
    codes: dict[str, list[str]] = {}
    out: list[Published] = []
    periods = [[y] for y in years] + ([list(years)] if len(years) > 1 else [])
    for period in periods:
        where = {"year": tuple(period)}
        full = answer(release, "trajectories", by=("partnership", dim), where=where,
                      totals=True).frame.rename({dim: "d"})  # fmt: skip
        codes = codes or {
            "partnership": [
                c for c in full["partnership"].unique(maintain_order=True) if c != TOTAL
            ],
            "d": [c for c in full["d"].unique(maintain_order=True) if c != TOTAL],
        }
        out += _rows(full, ("partnership", "d"), {}, codes, period)
        for p in codes["partnership"]:
            within = answer(release, "trajectories", by=(dim,), where={**where, "partnership": p},
                            totals=True).frame.rename({dim: "d"})  # fmt: skip
            out += _rows(within, ("d",), {"partnership": p}, codes, period)
        for c in codes["d"]:
            across = answer(release, "trajectories", by=("partnership",), where={**where, dim: c},
                            totals=True).frame  # fmt: skip
            out += _rows(across, ("partnership",), {"d": c}, codes, period)
            for p in codes["partnership"]:
                single = answer(release, "trajectories", where={**where, "partnership": p, dim: c})
                out += _rows(single.frame, (), {"partnership": p, "d": c}, codes, period)
    return out, {**codes, "year": list(years)}


@dataclass(frozen=True)
class LinkedAudit:
    hidden: int  # hidden sums (cells, margins) of all the answers
    exact: int  # recovered exactly: feasible interval narrower than EXACT
    narrow: int  # feasible interval narrower than k


def linked_audit(release: Release, years: Sequence[str], dim: str) -> LinkedAudit:
    """The audit of the partnership × `dim` cube of `years` (UserError when it is not answered)."""
    answers, codes = published(release, years, dim)
    widths = feasible_widths(answers, codes)
    return LinkedAudit(
        hidden=len(widths),
        exact=sum(w < EXACT for w in widths),
        narrow=sum(w < release.k - 1e-6 for w in widths),
    )


def feasible_widths(answers: list[Published], codes: dict[str, list[str]]) -> list[float]:
    """The width of the feasible interval of every hidden sum, given every shown one."""
    cube = [(y, p, c) for y in codes["year"] for p in codes["partnership"] for c in codes["d"]]
    index = {cell: i for i, cell in enumerate(cube)}
    shown = {a.cells: a.value for a in answers if a.value is not None}
    equations = np.zeros((len(shown), len(index)))
    for row, cells in enumerate(shown):
        equations[row, [index[c] for c in cells]] = 1.0
    values = np.array(list(shown.values()))
    hidden = {a.cells for a in answers if a.value is None} - set(shown)
    widths = []
    for cells in hidden:
        target = np.zeros(len(index))
        target[[index[c] for c in cells]] = 1.0
        low = linprog(target, A_eq=equations, b_eq=values, bounds=(0, None), method="highs")
        high = linprog(-target, A_eq=equations, b_eq=values, bounds=(0, None), method="highs")
        # status 0: solved; 2 for the maximum: unbounded (a sum nothing published bounds)
        if low.status != 0 or high.status not in (0, 2):
            raise RuntimeError(f"the published equations are inconsistent ({low.message})")
        widths.append(np.inf if high.status == 2 else -high.fun - low.fun)
    return widths
