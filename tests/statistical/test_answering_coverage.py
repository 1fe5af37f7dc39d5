"""Statistical: the answers' 95% intervals cover the true counts 93–97% of the time, over 60 noise
draws of the measured tables of 25,000 random trajectories (k = 1: only empty cells are hidden)."""

from __future__ import annotations

from datetime import date

import numpy as np
from support.warehouses import make_warehouse, random_trajectories, write_config

from binc.answering import answer
from binc.release.build import privatise
from binc.release.config import load_config
from binc.release.measure import bound_contributions, measuring_connection, true_marginal
from binc.release_file import Release


def test_95_percent_intervals_cover_the_truth_93_to_97_percent_of_the_time(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", random_trajectories(25000, seed=9))
    config = load_config(write_config(tmp_path))
    names = ["year", "year_partnership", "year_trajectory_type", "year_partnership_type"]
    with measuring_connection(warehouse) as (con, _):
        bound_contributions(con, config, as_of=date(2025, 12, 31))
        trues = [true_marginal(con, config.measurement(n), config) for n in names]
    truth = trues[1].counts.reshape(trues[1].shape).astype(float)
    hits = total = 0
    rng = np.random.default_rng(2026)
    for draw in range(60):
        measurements = privatise(trues, rng)
        release = Release(
            path=None, metadata={"release_id": f"draw{draw}", "k": 1}, measurements=measurements
        )
        frame = answer(release, "trajectories", by=["year", "partnership"]).frame
        low = frame["ci_low"].to_numpy().reshape(truth.shape)
        high = frame["ci_high"].to_numpy().reshape(truth.shape)
        shown = ~np.isnan(low)  # k = 1 still hides empty cells and their complementary cells
        hits += int(((low <= truth) & (truth <= high))[shown].sum())
        total += int(shown.sum())
    assert 0.93 <= hits / total <= 0.97, hits / total
