"""Spec: small cells are suppressed, and with totals enough partners are hidden that no suppressed cell
can be recomputed — every suppressed cell's feasible interval is at least k wide (privacy model 4)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from support.tables import T, cube, grid, hidden, random_cube

from binc.disclosure.audit import audit_table
from binc.disclosure.suppression import suppress


def test_a_one_dimensional_table_without_totals_only_hides_small_cells():
    frame = pl.DataFrame(
        {"sex": ["M", "V", "X"], "value": [40.0, 52.0, 3.0]},
    ).with_columns(ci_low=pl.col("value") - 2, ci_high=pl.col("value") + 2, base=pl.col("value"))
    out = suppress(frame, ["sex"], 5, kind="count")
    assert out["suppressed"].to_list() == [False, False, True]
    assert out.row(2, named=True) | {"sex": "X"} == {
        "sex": "X",
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "base": None,
        "suppressed": True,
    }
    assert out.columns == [*frame.columns, "suppressed"]


def test_a_small_cell_beside_a_total_gets_the_smallest_partner():
    frame = cube({("a",): 2.0, ("b",): 50.0, ("c",): 60.0}, ("x",))
    out = suppress(frame, ["x"], 5, kind="count")
    assert hidden(out, ("x",)) == {("a",), ("b",)}
    assert audit_table(out, ["x"], 5).ok


def test_when_the_only_complement_is_the_total_the_total_is_hidden():
    # a and b are both small; together they span only 5 < k = 6, so the total must go too.
    frame = cube({("a",): 2.0, ("b",): 3.0}, ("x",))
    out = suppress(frame, ["x"], 6, kind="count")
    assert hidden(out, ("x",)) == {("a",), ("b",), (T,)}
    report = audit_table(out, ["x"], 6)
    assert report.ok
    assert all(i.high == float("inf") for i in report.intervals)


def test_a_row_with_one_small_cell_closes_a_rectangle_of_the_cheapest_cells():
    frame = grid([[2, 20, 30], [15, 25, 35], [40, 45, 50]])
    out = suppress(frame, ["r", "c"], 5, kind="count")
    assert hidden(out, ("r", "c")) == {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
    assert audit_table(out, ["r", "c"], 5).ok


def test_small_cells_sharing_rows_and_columns_protect_each_other_with_one_extra_cell():
    # Primaries (r1,c2), (r4,c2), (r4,c4): hiding (r1,c4) closes the cycle through all three.
    frame = grid(
        [[19, 4, 31, 20, 32], [9, 22, 14, 22, 21], [30, 30, 10, 15, 9], [26, 3, 23, 2, 27]]
    )
    out = suppress(frame, ["r", "c"], 5, kind="count")
    assert hidden(out, ("r", "c")) == {("r1", "c2"), ("r1", "c4"), ("r4", "c2"), ("r4", "c4")}


def test_nothing_small_means_nothing_hidden():
    frame = grid([[12, 20], [15, 25]])
    out = suppress(frame, ["r", "c"], 5, kind="count")
    assert not out["suppressed"].any()
    assert out["value"].to_list() == frame["value"].to_list()


def test_a_zero_count_is_suppressed_like_any_small_count():
    frame = grid([[0, 20, 30], [15, 25, 35]])
    out = suppress(frame, ["r", "c"], 5, kind="count")
    assert ("r1", "c1") in hidden(out, ("r", "c"))
    assert audit_table(out, ["r", "c"], 5).ok


def test_the_same_table_always_gets_the_same_pattern():
    frame = random_cube(np.random.default_rng(7), (4, 5, 3), 5)
    first = suppress(frame, ["d0", "d1", "d2"], 5, kind="count")
    second = suppress(frame.clone(), ["d0", "d1", "d2"], 5, kind="count")
    assert first.equals(second)


@pytest.mark.parametrize("seed", range(12))
def test_suppressed_random_two_and_three_dimensional_tables_pass_the_lp_audit(seed):
    rng = np.random.default_rng(seed)
    shape = ((2, 3), (4, 6), (3, 3, 3), (2, 4, 5))[seed % 4]
    k = int(rng.integers(3, 11))
    frame = random_cube(rng, shape, k)
    dims = [c for c in frame.columns if c.startswith("d")]
    out = suppress(frame, dims, k, kind="count")
    report = audit_table(out, dims, k)
    assert report.ok, report.violations
    primary = frame["base"] < k
    assert (out["suppressed"] | ~primary).all(), "every small cell is suppressed"
    assert (
        out.filter("suppressed").select("value", "ci_low", "ci_high", "base").null_count().row(0)
        == (out["suppressed"].sum(),) * 4
    )


def test_a_share_with_a_small_base_is_hidden_even_when_its_value_is_large():
    frame = pl.DataFrame(
        {
            "sex": ["M", "V", T],
            "value": [100.0, 50.0, 52.0],
            "ci_low": [40.0, 40.0, 45.0],
            "ci_high": [100.0, 60.0, 59.0],
            "base": [3.0, 97.0, 100.0],
        }
    )
    out = suppress(frame, ["sex"], 5, kind="share")
    # M's base (3) could be read off V's and the total's bases, so V is hidden as well.
    assert out["suppressed"].to_list() == [True, True, False]


def test_a_share_table_follows_the_pattern_of_its_bases_as_a_count_table():
    counts = grid([[2, 20, 30], [15, 25, 35], [40, 45, 50]])
    # Shares whose bases are those counts, with margins that are not the mean of their cells.
    shares = counts.with_columns(value=pl.lit(50.0), ci_low=pl.lit(40.0), ci_high=pl.lit(60.0))
    count_pattern = suppress(counts, ["r", "c"], 5, kind="count")["suppressed"]
    share_pattern = suppress(shares, ["r", "c"], 5, kind="share")["suppressed"]
    assert share_pattern.to_list() == count_pattern.to_list()


def test_a_median_without_totals_is_hidden_only_where_its_base_is_small():
    frame = pl.DataFrame(
        {
            "sex": ["M", "V"],
            "value": [6.5, 4.0],
            "ci_low": [5.0, 3.0],
            "ci_high": [8.0, 5.0],
            "base": [40.0, 4.0],
        }
    )
    out = suppress(frame, ["sex"], 5, kind="median")
    assert out["suppressed"].to_list() == [False, True]
    assert out["value"].to_list() == [6.5, None]


def test_a_missing_base_counts_as_small():
    frame = pl.DataFrame(
        {"sex": ["M"], "value": [6.5], "ci_low": [5.0], "ci_high": [8.0], "base": [None]},
        schema_overrides={"base": pl.Float64},
    )
    assert suppress(frame, ["sex"], 5, kind="median")["suppressed"].to_list() == [True]


def test_a_count_table_whose_totals_do_not_add_up_is_refused_without_showing_values():
    frame = grid([[2, 20], [15, 25]]).with_columns(
        value=pl.when((pl.col("r") == T) & (pl.col("c") == T)).then(99.0).otherwise("value")
    )
    with pytest.raises(ValueError, match="not additive") as error:
        suppress(frame, ["r", "c"], 5, kind="count")
    assert "99" not in str(error.value)


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_k_must_be_a_positive_integer(k):
    with pytest.raises(ValueError, match="k must be"):
        suppress(grid([[1, 2]]), ["r", "c"], k, kind="count")
