"""Trajectories: when each child is helped, by which programme, with which type and for how long.

1G1P works with the whole family, so support comes in family episodes: every registered sibling
is in the first, most in a re-entry. Other youth care is registered per child, before or after
the 1G1P trajectory, so that linkage by pseudonym finds something.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from binc.synthetic import draws
from binc.synthetic.families import Population
from binc.synthetic.recipe import OTHER_YOUTH_CARE, START_YEARS, Recipe

_FIRST_DAY = draws.day(date(START_YEARS[0], 1, 1))
_LAST_DAY = draws.day(date(START_YEARS[-1], 12, 31))


def draw_durations(rng: np.random.Generator, recipe: Recipe, type_index: np.ndarray) -> np.ndarray:
    """Days from start to end: log-normal per trajectory type, at least 1, capped."""
    types = list(recipe.trajectory_types.values())
    median = np.array([t.median_days for t in types])[type_index]
    sigma = np.array([t.sigma for t in types])[type_index]
    days = np.round(draws.lognormal_days(rng, median, sigma, len(type_index)))
    return np.clip(days, 1, recipe.duration_cap_days).astype(np.int64)


def _one_g_one_p(recipe: Recipe, population: Population, rng: np.random.Generator) -> pl.DataFrame:
    families = population.families
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
    taken = (np.arange(most)[None, :] < episodes[:, None]) & (start <= _LAST_DAY)
    family, episode = np.nonzero(taken)

    # One row per sibling in each family episode.
    n_children = families["n_children"].to_numpy()[family]
    rows = np.repeat(np.arange(len(family)), n_children)
    child = families["first_child"].to_numpy()[family][rows] + draws.within_group_index(n_children)
    episode, family = episode[rows], family[rows]
    start_day = start[family, episode]
    kind_rows, duration_rows = kind[family, episode], duration[family, episode]
    individual = rng.random(len(rows)) < recipe.individual_duration_share
    duration_rows = np.where(individual, draw_durations(rng, recipe, kind_rows), duration_rows)
    birth = population.children["birth_day"].to_numpy()[child]
    young_enough = (start_day - birth) < (recipe.max_age + 1) * 365.25
    joins = (episode == 0) | (rng.random(len(rows)) < recipe.sibling_in_later_episode)
    keep = young_enough & joins
    return pl.DataFrame(
        {
            "child_id": child[keep],
            "programme": pl.repeat("1g1p", int(keep.sum()), eager=True),
            "start_day": start_day[keep],
            "type_index": kind_rows[keep],
            "duration": duration_rows[keep],
        }
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
    low = np.maximum(_FIRST_DAY, birth + 30)
    outside = (start < low) | (start > _LAST_DAY)
    redrawn = low + np.floor(rng.random(len(child)) * (_LAST_DAY - low + 1)).astype(np.int64)
    start = np.where(outside, redrawn, start)
    keep = low <= _LAST_DAY
    shares = [t.share_other_youth_care for t in recipe.trajectory_types.values()]
    kind = draws.categorical(rng, shares, len(child))
    return pl.DataFrame(
        {
            "child_id": child[keep],
            "programme": pl.repeat(OTHER_YOUTH_CARE, int(keep.sum()), eager=True),
            "start_day": start[keep],
            "type_index": kind[keep],
            "duration": draw_durations(rng, recipe, kind)[keep],
        }
    )


def build_trajectories(recipe: Recipe, population: Population, seed: int) -> pl.DataFrame:
    """child_id, programme, start_day, type_index, duration (days, before censoring)."""
    rng = draws.stream(seed, "trajectories")
    return pl.concat(
        [_one_g_one_p(recipe, population, rng), _other_youth_care(recipe, population, rng)]
    )
