"""Trajectories: when each child is helped, by which programme, with which type and for how long.

1G1P works with the whole family, so support comes in family episodes: every registered sibling
is in the first, most in a re-entry. Some families come back years later for a new spell, with
the children who are still minors (returning children, seen over horizons longer than 7 years).
Other youth care is registered per child, before or after the 1G1P trajectory, so that linkage by
pseudonym finds something.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from binc.synthetic import draws
from binc.synthetic.families import Population
from binc.synthetic.recipe import OTHER_YOUTH_CARE, Recipe

_DAYS_PER_YEAR = 365.25
_ADULT_DAYS = 18 * _DAYS_PER_YEAR


def horizon_days(recipe: Recipe) -> tuple[int, int]:
    """First and last day of the start years."""
    return draws.day(date(recipe.first_year, 1, 1)), draws.day(date(recipe.last_year, 12, 31))


def draw_durations(rng: np.random.Generator, recipe: Recipe, type_index: np.ndarray) -> np.ndarray:
    """Days from start to end: log-normal per trajectory type, at least 1, capped."""
    types = list(recipe.trajectory_types.values())
    median = np.array([t.median_days for t in types])[type_index]
    sigma = np.array([t.sigma for t in types])[type_index]
    days = np.round(draws.lognormal_days(rng, median, sigma, len(type_index)))
    return np.clip(days, 1, recipe.duration_cap_days).astype(np.int64)


def _siblings(population: Population, family: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of `family`, child) for every registered child of each listed family."""
    n_children = population.families["n_children"].to_numpy()[family]
    rows = np.repeat(np.arange(len(family)), n_children)
    first_child = population.families["first_child"].to_numpy()[family]
    return rows, first_child[rows] + draws.within_group_index(n_children)


def _trajectory_rows(
    programme: str, child: np.ndarray, start: np.ndarray, kind: np.ndarray, duration: np.ndarray
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "child_id": child,
            "programme": pl.repeat(programme, len(child), eager=True),
            "start_day": start,
            "type_index": kind,
            "duration": duration,
        }
    )


def _one_g_one_p(
    recipe: Recipe, population: Population, rng: np.random.Generator
) -> tuple[pl.DataFrame, np.ndarray]:
    """Family episodes, and the day each family's last episode starts (in the horizon or not)."""
    families = population.families
    _, last_day = horizon_days(recipe)
    n_families = families.height
    shares = [t.share_1g1p for t in recipe.trajectory_types.values()]
    episodes = draws.choose(rng, recipe.episodes_per_family, n_families).astype(np.int64)
    most = max(recipe.episodes_per_family)
    start = np.zeros((n_families, most), dtype=np.int64)
    kind = np.zeros((n_families, most), dtype=np.int64)
    duration = np.zeros((n_families, most), dtype=np.int64)
    start[:, 0] = families["first_start"].to_numpy()
    for slot in range(most):  # at most six episodes, each drawn for all families at once
        kind[:, slot] = draws.categorical(rng, shares, n_families)
        duration[:, slot] = draw_durations(rng, recipe, kind[:, slot])
        if slot + 1 < most:
            gap = np.round(
                draws.lognormal_days(rng, recipe.gap_median_days, recipe.gap_sigma, n_families)
            ).astype(np.int64)
            start[:, slot + 1] = start[:, slot] + duration[:, slot] + 1 + gap
    drawn = np.arange(most)[None, :] < episodes[:, None]
    last_start = np.where(drawn, start, 0).max(axis=1)
    family, episode = np.nonzero(drawn & (start <= last_day))

    # One row per sibling in each family episode.
    rows, child = _siblings(population, family)
    episode, family = episode[rows], family[rows]
    start_day = start[family, episode]
    kind_rows, duration_rows = kind[family, episode], duration[family, episode]
    individual = rng.random(len(rows)) < recipe.individual_duration_share
    duration_rows = np.where(individual, draw_durations(rng, recipe, kind_rows), duration_rows)
    birth = population.children["birth_day"].to_numpy()[child]
    young_enough = (start_day - birth) < (recipe.max_age + 1) * 365.25
    joins = (episode == 0) | (rng.random(len(rows)) < recipe.sibling_in_later_episode)
    keep = young_enough & joins
    rows_1g1p = _trajectory_rows(
        "1g1p", child[keep], start_day[keep], kind_rows[keep], duration_rows[keep]
    )
    return rows_1g1p, last_start


def _late_returns(
    recipe: Recipe, population: Population, last_start: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """A new spell years after the first start, for the children who are then under 18.

    Drawn for every family and child (then kept or not), so a family's draws do not depend on
    which others come back.
    """
    families, children = population.families, population.children
    n_families = families.height
    comes_back = rng.random(n_families) < recipe.late_return_share
    low, high = recipe.late_return_years
    gap = np.floor((low + (high - low) * rng.random(n_families)) * _DAYS_PER_YEAR).astype(np.int64)
    # Never while a trajectory of the last episode may still run (a sibling's can take the cap).
    after_last = last_start + recipe.duration_cap_days + recipe.late_return_pause_days
    start = np.maximum(families["first_start"].to_numpy() + gap, after_last)
    shares = [t.share_1g1p for t in recipe.trajectory_types.values()]
    kind = draws.categorical(rng, shares, n_families)
    duration = draw_durations(rng, recipe, kind)
    joins = rng.random(children.height) < recipe.sibling_in_later_episode
    individual = rng.random(children.height) < recipe.individual_duration_share
    own_kind = draws.categorical(rng, shares, children.height)  # only its duration is used
    own_duration = draw_durations(rng, recipe, own_kind)

    family = np.flatnonzero(comes_back & (start <= horizon_days(recipe)[1]))
    rows, child = _siblings(population, family)
    family = family[rows]
    start_day = start[family]
    minor = start_day - children["birth_day"].to_numpy()[child] < _ADULT_DAYS
    keep = minor & joins[child]
    duration_rows = np.where(individual[child], own_duration[child], duration[family])
    return _trajectory_rows(
        "1g1p", child[keep], start_day[keep], kind[family][keep], duration_rows[keep]
    )


def _other_youth_care(
    recipe: Recipe, population: Population, rng: np.random.Generator
) -> pl.DataFrame:
    children = population.children
    counts = draws.choose(rng, recipe.other_youth_care_per_child, children.height).astype(np.int64)
    child = np.repeat(np.arange(children.height), counts)
    first_start = population.families["first_start"].to_numpy()[
        children["family_id"].to_numpy()[child]
    ]
    birth = children["birth_day"].to_numpy()[child]
    offset = recipe.other_youth_care_offset_days
    start = first_start + rng.integers(-offset, offset + 1, len(child))
    first_day, last_day = horizon_days(recipe)
    low = np.maximum(first_day, birth + 30)
    outside = (start < low) | (start > last_day)
    # Within the default 7-year horizon `high` is always its last day.
    latest = first_start + int(recipe.other_youth_care_redraw_years * _DAYS_PER_YEAR)
    high = np.minimum(last_day, np.maximum(latest, low))
    redrawn = low + np.floor(rng.random(len(child)) * (high - low + 1)).astype(np.int64)
    start = np.where(outside, redrawn, start)
    keep = low <= last_day
    shares = [t.share_other_youth_care for t in recipe.trajectory_types.values()]
    kind = draws.categorical(rng, shares, len(child))
    duration = draw_durations(rng, recipe, kind)
    return _trajectory_rows(OTHER_YOUTH_CARE, child[keep], start[keep], kind[keep], duration[keep])


def build_trajectories(recipe: Recipe, population: Population, seed: int) -> pl.DataFrame:
    """child_id, programme, start_day, type_index, duration (days, before censoring)."""
    rng = draws.stream(seed, "trajectories")
    one_g_one_p, last_start = _one_g_one_p(recipe, population, rng)
    parts = [one_g_one_p, _other_youth_care(recipe, population, rng)]
    returns = _late_returns(recipe, population, last_start, draws.stream(seed, "late-returns"))
    # Last, so that the rows before them draw their outcomes as they would without them.
    return pl.concat(parts if returns.is_empty() else [*parts, returns])
