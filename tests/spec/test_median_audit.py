"""A shown median gives back no hidden count (binc/disclosure/medians.py): by hand on a small
table, and on the small release against an independent linear programme over the count table of
the same breakdown by band, with every shown median's constraints, as a reader could write them
from the published (rounded) values (tests/support/median_reader.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from support.median_reader import narrow_counts
from support.small_release import small_release

from binc.core.table import TOTAL
from binc.disclosure.medians import hidden_medians
from binc.release_file import load_release

BOUNDS = (np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]))
BANDS = ("b0", "b1", "b2", "b3")
#            b0  b1  b2  b3    hidden: b1 and b2 of A, B and D (a 3 × 2 block, each ≥ 10 wide)
COUNTS = {"A": (20, 3, 9, 28), "B": (25, 14, 13, 28), "C": (30, 30, 30, 30), "D": (5, 6, 7, 40)}


def _table() -> tuple[pl.DataFrame, np.ndarray]:
    rows = []
    for row, counts in COUNTS.items():
        rows += [(row, band, float(n)) for band, n in zip(BANDS, counts, strict=True)]
        rows.append((row, TOTAL, float(sum(counts))))
    for j, band in enumerate(BANDS):
        rows.append((TOTAL, band, float(sum(c[j] for c in COUNTS.values()))))
    rows.append((TOTAL, TOTAL, float(sum(map(sum, COUNTS.values())))))
    frame = pl.DataFrame(rows, schema=["row", "band", "value"], orient="row")
    hidden = np.array([r in "ABD" and b in ("b1", "b2") for r, b, _ in rows])
    return frame, hidden


def _median(counts: tuple[int, ...]) -> float:
    total, before = sum(counts), 0
    for j, n in enumerate(counts):
        if before + n >= total / 2:
            return BOUNDS[0][j] + (total / 2 - before) / n
        before += n
    raise AssertionError


def test_a_median_that_pins_a_hidden_band_count_is_hidden() -> None:
    """A's median (2.78, published 2.8) puts A's hidden b1 within [0, 4]: hidden. B's (2.08) puts
    B's b1 within [12.9, 14.4]: hidden. C has no hidden count; D's hidden counts both lie below its
    median's band, whose constraints then hold only their known sum: both shown."""
    frame, hidden = _table()
    shown = {(r,): (_median(c), round(_median(c), 1)) for r, c in COUNTS.items()}
    assert shown[("A",)][1] == 2.8
    extra = hidden_medians(frame, hidden, ("row", "band"), BOUNDS, shown, 0.1, 10)
    assert extra == {("A",), ("B",)}


def test_a_median_rounded_coarser_pins_less() -> None:
    """Published in whole units (A 3, B 2), B's median says only that its middle lies in the first
    half of band b2: B's b1 stays within [3, 15], and B is shown. A's says the second half: A's b1
    within [0, 8], still narrower than k. Hiding is decided on what the published value allows."""
    frame, hidden = _table()
    shown = {(r,): (_median(c), float(round(_median(c)))) for r, c in COUNTS.items()}
    assert hidden_medians(frame, hidden, ("row", "band"), BOUNDS, shown, 1.0, 10) == {("A",)}


def _narrow(release, years: list[str]) -> list:
    return narrow_counts(release, years)[1]


@pytest.mark.parametrize("years", [["2021"], ["2023"], ["2025"], ["2022", "2023", "2024"]])
def test_no_hidden_band_count_comes_back_from_the_medians_beside_it(years: list[str]) -> None:
    release = load_release(small_release()[0])
    assert _narrow(release, years) == []


def test_without_the_audit_the_medians_give_counts_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's programme above does find counts: with the median audit switched off, hidden
    band counts come within less than k on the small release (so the test above can fail)."""
    import binc.answering.engine as engine

    monkeypatch.setattr(engine, "_hide_medians", lambda q, frame: frame)
    release = load_release(small_release()[0])
    assert sum(len(_narrow(release, [y])) for y in ("2021", "2023", "2025")) > 10
