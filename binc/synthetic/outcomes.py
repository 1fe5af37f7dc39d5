"""How trajectories end (or do not yet) and how long families waited: the outcome columns.

End reasons depend on type and duration (short → drop-out more likely; long coaching → goals
reached or a referral), follow-up on the end reason, and about 15% have no end_date at the export
date: still running, or the end not registered yet, which is likelier the more recent the start.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from binc.synthetic import draws
from binc.synthetic.recipe import FOLLOW_UPS, PLANNED_REASONS, Recipe


def _reasons(
    recipe: Recipe, kind: np.ndarray, duration: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    types = list(recipe.trajectory_types.values())
    median = np.array([t.median_days for t in types])[kind]
    rate = np.array([t.dropout_rate for t in types])[kind]
    log_odds = np.log(rate / (1 - rate)) + recipe.dropout_slope * np.log(duration / median)
    unplanned = rng.random(len(kind)) < 1 / (1 + np.exp(-log_odds))
    weights = np.array([t.planned_weights for t in types], dtype=np.float64)[kind]
    long = duration > recipe.long_duration_ratio * median
    weights = np.where(long[:, None], weights * np.array(recipe.long_boost), weights)
    planned = draws.rowwise_categorical(rng, weights)
    dropout = draws.categorical(rng, list(recipe.unplanned_reasons.values()), len(kind))
    return np.where(unplanned, len(PLANNED_REASONS) + dropout, planned)


def _follow_up(recipe: Recipe, reason: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    by_reason = recipe.follow_up_by_reason
    table = np.array(
        [by_reason[r] for r in PLANNED_REASONS]
        + [by_reason["unplanned"]] * len(recipe.unplanned_reasons),
        dtype=np.float64,
    )
    return draws.rowwise_categorical(rng, table[reason])


def _ongoing(
    recipe: Recipe, start: np.ndarray, end: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Still running at the export date, topped up with unregistered ends to the recipe's share
    (of the starts in the last `ongoing_reference_years` start years)."""
    export_day = draws.day(recipe.export_date)
    running = end > export_day
    recency = np.exp(-(export_day - start) / recipe.ongoing_recency_days) * ~running
    since = draws.day(date(recipe.last_year - recipe.ongoing_reference_years + 1, 1, 1))
    recent = int((start >= since).sum())
    wanted = recipe.ongoing_share * recent - running.sum()
    low, high = 0.0, 1.0
    while np.minimum(1.0, high * recency).sum() < wanted and high < 1e12:
        high *= 2
    for _ in range(60):  # bisection for the scale that gives the wanted expected count
        middle = (low + high) / 2
        low, high = (
            (middle, high) if np.minimum(1.0, middle * recency).sum() < wanted else (low, middle)
        )
    return running | (rng.random(len(start)) < np.minimum(1.0, high * recency))


def _referral(recipe: Recipe, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Referral day, or -1 when missing."""
    n = len(start)
    kind = draws.categorical(
        rng,
        (
            recipe.referral_within_month,
            recipe.referral_long_wait,
            1 - recipe.referral_within_month - recipe.referral_long_wait,
        ),
        n,
    )
    short = np.clip(np.round(draws.lognormal_days(rng, 12, 0.8, n)), 0, 31)
    long = np.clip(np.round(draws.lognormal_days(rng, 60, 0.5, n)), 32, 180)
    wait = np.where(kind == 0, short, long).astype(np.int64)
    return np.where(kind == 2, -1, start - wait)


def add_outcomes(recipe: Recipe, trajectories: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Adds end_day, end_reason, follow_up (null while ongoing) and referral_day (may be null)."""
    rng = draws.stream(seed, "outcomes")
    kind = trajectories["type_index"].to_numpy()
    duration = trajectories["duration"].to_numpy()
    start = trajectories["start_day"].to_numpy()
    reason = _reasons(recipe, kind, duration, rng)
    follow_up = _follow_up(recipe, reason, rng)
    follow_up_missing = rng.random(len(kind)) < recipe.follow_up_missing
    ongoing = _ongoing(recipe, start, start + duration, rng)
    referral = _referral(recipe, start, rng)
    reasons = [*PLANNED_REASONS, *recipe.unplanned_reasons]
    return (
        trajectories.with_columns(
            pl.Series("end_day", np.where(ongoing, -1, start + duration)),
            draws.labels("end_reason", reasons, reason),
            draws.labels("follow_up", FOLLOW_UPS, follow_up),
            pl.Series("_follow_up_missing", follow_up_missing),
            pl.Series("referral_day", referral),
        )
        .with_columns(
            pl.when(pl.col("end_day") >= 0).then("end_day").alias("end_day"),
            pl.when(pl.col("end_day") >= 0).then("end_reason").alias("end_reason"),
            pl.when((pl.col("end_day") >= 0) & ~pl.col("_follow_up_missing"))
            .then("follow_up")
            .alias("follow_up"),
            pl.when(pl.col("referral_day") >= 0).then("referral_day").alias("referral_day"),
        )
        .drop("_follow_up_missing")
    )
