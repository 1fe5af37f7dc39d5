"""Spec tests of answering: consistent, reproducible, honest intervals, and refusal outside the workload."""

from __future__ import annotations

import shutil

import numpy as np
import polars as pl
import pytest
from support.warehouses import make_warehouse, random_trajectories

from binc.answering import TOTAL, answer, list_measures
from binc.core.dimensions import domain
from binc.core.errors import UserError
from binc.core.noise import GeometricNoise
from binc.release.build import build_release
from binc.release_file import Measurement, Release, load_release


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Release:
    base = tmp_path_factory.mktemp("answering")
    warehouse = make_warehouse(base / "w.duckdb", random_trajectories(6000, seed=5))
    summary = build_release(warehouse, base / "r.duckdb", rng=np.random.default_rng(2))
    # answering needs the release only: take the warehouse away
    shutil.rmtree(base / "w.duckdb", ignore_errors=True)
    (base / "w.duckdb").unlink(missing_ok=True)
    return load_release(summary.path)


def test_the_same_question_gets_the_identical_answer_however_phrased(release):
    a = answer(
        release,
        "trajectories",
        by=["partnership"],
        where={"year": ["2023", "2022"], "trajectory_type": "bridging"},
    )
    fresh = load_release(release.path)  # no cache
    b = answer(
        fresh,
        "trajectories",
        by=("partnership",),
        where={"trajectory_type": ["bridging"], "year": ["2022", "2023"]},
    )
    assert a.frame.equals(b.frame)


def test_a_total_asked_directly_equals_the_total_row_and_the_sum_of_cells(release):
    direct = answer(release, "trajectories", by=["year"]).frame
    table = answer(release, "trajectories", by=["year", "partnership"], totals=True).frame
    plain = answer(release, "trajectories", by=["year", "partnership"]).frame
    # the cells are the same with or without totals (suppression aside)
    inner = table.filter((pl.col("year") != TOTAL) & (pl.col("partnership") != TOTAL)).drop(
        "suppressed"
    )
    assert inner.select("year", "partnership").equals(plain.select("year", "partnership"))
    release_table = release.measurements["year_partnership"].estimate
    totals = table.filter((pl.col("partnership") == TOTAL) & (pl.col("year") != TOTAL))
    assert totals["year"].to_list() == direct["year"].to_list()
    expected = release_table.sum(axis=1).astype(float)
    assert np.array_equal(direct["value"].to_numpy(), expected)
    assert np.array_equal(totals["value"].to_numpy(), expected)
    # a question answered from a detailed table agrees with the coarse one
    via_detail = answer(
        release,
        "trajectories",
        by=["year"],
        where={"age_band": ["0-2", "3-5", "6-11", "12-17", "18-24", "25+"]},
    ).frame
    assert np.array_equal(via_detail["value"].to_numpy(), expected)


def test_count_answers_are_non_negative_integers_with_intervals_around_them(release):
    frame = answer(
        release, "trajectories", by=["partnership", "age_band"], where={"year": "2024"}, totals=True
    ).frame
    shown = frame.filter(~pl.col("suppressed"))
    values = shown["value"].to_numpy()
    assert (values >= 0).all()
    assert np.array_equal(values, np.round(values))
    assert (shown["ci_low"] <= shown["value"]).all()
    assert (shown["value"] <= shown["ci_high"]).all()


def test_every_answer_is_suppressed_below_k(release):
    frame = answer(release, "trajectories", by=["year", "partnership"], totals=True).frame
    assert frame.filter(pl.col("suppressed")).height > 0
    assert frame.filter(~pl.col("suppressed"))["base"].min() >= release.k
    assert frame.filter(pl.col("suppressed"))["value"].null_count() == frame["suppressed"].sum()


@pytest.mark.parametrize(
    ("measure", "by", "message"),
    [
        (
            "trajectories",
            ["partnership", "municipality"],
            "no measured table covers partnership × municipality",
        ),
        ("trajectories", ["street"], "street"),
        ("children", ["sex"], "sex"),
        ("median_duration_months", ["duration_band"], "duration_band"),
        ("reentry_rate", ["year"], "unknown"),
    ],
)
def test_a_question_outside_the_workload_is_refused(release, measure, by, message):
    with pytest.raises(UserError, match=message):
        answer(release, measure, by=by)


def test_every_listed_measure_answers_per_year(release):
    listed = list_measures(release)
    assert {m["name"] for m in listed} >= {
        "trajectories",
        "children",
        "share_planned_end",
        "median_duration_months",
        "survival_6m",
    }
    for m in listed:
        by = ["year", "age_band"] if m["name"] == "share" else ["year"]
        table = answer(release, m["name"], by=by, totals=m["name"] != "children")
        assert table.frame.height > 0, m["name"]
        assert "suppressed" in table.frame.columns
        assert "year" in m["dimensions"]


def test_shares_and_medians_lie_in_range(release):
    share = answer(release, "share_planned_end", by=["year"], totals=True).frame.drop_nulls("value")
    assert share["value"].is_between(0, 100).all()
    median = answer(release, "median_duration_months", by=["trajectory_type"]).frame.drop_nulls(
        "value"
    )
    assert (median["ci_low"] <= median["value"]).all()
    assert (median["value"] <= median["ci_high"]).all()
    survival = answer(release, "survival_6m", by=["year"]).frame.drop_nulls("value")
    assert survival["value"].is_between(0, 100).all()


def test_a_median_interval_contains_its_estimate_when_the_bootstrap_is_skewed():
    """Regression (found by the question fuzzer): 13 ended trajectories, all in the first duration
    band, under noise of variance ~3,700 a cell. The bootstrap draws are clamped at 0, so their
    medians sit far above 0.5 months; the interval used to miss its own estimate."""
    dims = ("year", "duration_band", "status")
    domains = tuple(domain(d, [2024]) for d in dims)
    counts = np.zeros(tuple(len(d) for d in domains), dtype=np.int64)
    counts[0, 0, domains[2].index("ended")] = 13
    table = Measurement("year_duration", "trajectories", dims, domains, GeometricNoise(0.05, 3), counts, counts)  # fmt: skip
    release = Release(None, {"release_id": "skewed", "k": 10}, {table.name: table})
    frame = answer(release, "median_duration_months", by=["year"]).frame
    assert frame["value"].item() == 0.5  # half of the first band (0–1 month)
    assert frame["ci_low"].item() <= 0.5 < 6 <= frame["ci_high"].item()


def test_a_bootstrap_interval_is_seeded_by_public_values_only() -> None:
    """A median's interval is seeded by the release's public salt and the question: the same salt
    under another release id gives the same interval (so a seeded test release gives the same
    intervals in every build); a table the median does not use, changed, leaves it as it is (a
    seed from every table's values would make each interval depend on cells the release hides);
    another salt gives other bootstrap draws."""
    from dataclasses import replace

    from support.small_release import demo_sized_release

    first = demo_sized_release()
    where = {"year": ["2024"]}

    def intervals(release):
        frame = answer(release, "median_duration_months", by=("partnership",), where=where).frame
        return frame.select("ci_low", "ci_high")

    renamed = replace(first, metadata={**first.metadata, "release_id": "0" * 32}, cache={})
    assert intervals(renamed).equals(intervals(first))
    table = first.measurements["children"]
    children = replace(table, estimate=table.estimate + 1)
    changed = replace(first, measurements={**first.measurements, "children": children}, cache={})
    assert intervals(changed).equals(intervals(first))
    salted = replace(first, metadata={**first.metadata, "salt": "another salt"}, cache={})
    assert not intervals(salted).equals(intervals(first))
