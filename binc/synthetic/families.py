"""Families and their registered children: who is reached, where they live, when they first start.

Siblings share last name, address, family situation and size; each child gets a birth date
drawn back from the family's first 1G1P start and a national number built from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from binc.synthetic import draws
from binc.synthetic.national_number import assign_counters, national_numbers
from binc.synthetic.pools import NamePool, Pools
from binc.synthetic.recipe import Recipe

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Population:
    # family_id, municipality_nis, partnership_id, postal_code, street, house_number, last_name,
    # family_situation, family_size, n_children, first_child, first_start (days)
    families: pl.DataFrame
    # child_id, family_id, sex, birth_day, national_number, first_name
    children: pl.DataFrame


def _month_cells(recipe: Recipe) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, first day, length) of every month of the start years."""
    months = np.arange(
        f"{recipe.first_year}-01", f"{recipe.last_year + 1}-01", dtype="datetime64[M]"
    )
    first = months.astype("datetime64[D]").astype(np.int64)
    length = (months + 1).astype("datetime64[D]").astype(np.int64) - first
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    return years, first, length


def draw_start_days(rng: np.random.Generator, recipe: Recipe, min_year: np.ndarray) -> np.ndarray:
    """Start days weighted by year volume and month, never before each row's `min_year`."""
    years, first, length = _month_cells(recipe)
    base = np.array([recipe.year_weight(int(y)) for y in years]) * np.tile(
        recipe.month_weights, len(recipe.start_years)
    )
    cell = np.empty(len(min_year), dtype=np.int64)
    for year in np.unique(min_year):  # one pass per distinct first year (two in practice)
        rows = np.flatnonzero(min_year == year)
        cell[rows] = draws.categorical(rng, np.where(years >= year, base, 0.0), len(rows))
    return first[cell] + np.floor(rng.random(len(cell)) * length[cell]).astype(np.int64)


def _age_weights(recipe: Recipe) -> np.ndarray:
    ages = np.arange(recipe.max_age + 1)
    minor = np.exp(-ages / recipe.age_decay_years) * (ages < 18)
    tail = np.exp(-(ages - 18) / 2.0) * (ages >= 18)
    return minor / minor.sum() * (1 - recipe.adult_tail_share) + tail / tail.sum() * (
        recipe.adult_tail_share
    )


def _pick(rng: np.random.Generator, pool: NamePool, size: int) -> np.ndarray:
    """Indices into the pool, by name frequency."""
    return draws.categorical(rng, pool.weights, size)


def _house_numbers(rng: np.random.Generator, size: int) -> pl.Series:
    number = np.clip(np.ceil(draws.lognormal_days(rng, 25, 1.0, size)), 1, 400).astype(np.int64)
    kind = draws.categorical(rng, (0.87, 0.08, 0.05), size)  # plain, letter, box ("bus")
    letter = np.array(["A", "B", "C"])[rng.integers(0, 3, size)]
    box = rng.integers(1, 13, size)
    frame = pl.DataFrame({"n": number, "kind": kind, "letter": letter, "box": box})
    return frame.select(
        pl.when(pl.col("kind") == 1)
        .then(pl.format("{}{}", "n", "letter"))
        .when(pl.col("kind") == 2)
        .then(pl.format("{} bus {}", "n", "box"))
        .otherwise(pl.col("n").cast(pl.String))
        .alias("house_number")
    ).to_series()


def _municipality_weights(recipe: Recipe, geography: pl.DataFrame) -> np.ndarray:
    """Municipality weights; none for a partnership that starts after the horizon (P08 and P16
    before 2021), whose families are not reached in it."""
    weights = geography["weight"].to_numpy()
    first = geography["partnership_id"].replace_strict(
        recipe.partnership_first_year, default=recipe.first_year, return_dtype=pl.Int64
    )
    active = (first <= recipe.last_year).to_numpy()
    return weights if active.all() else np.where(active, weights, 0.0)


def _addresses(
    recipe: Recipe, rng: np.random.Generator, pools: Pools, n_families: int
) -> pl.DataFrame:
    geography = pools.geography
    municipality = draws.categorical(rng, _municipality_weights(recipe, geography), n_families)
    counts = pools.postal.group_by("municipality_nis").agg(pl.first("count"))
    return (
        pl.DataFrame(
            {
                "municipality_nis": geography["municipality_nis"].gather(municipality),
                "partnership_id": geography["partnership_id"].gather(municipality),
                "_u": rng.random(n_families),
            }
        )
        .join(counts, on="municipality_nis", how="left", maintain_order="left")
        .with_columns((pl.col("_u") * pl.col("count")).floor().cast(pl.Int64).alias("rank"))
        .join(
            pools.postal.select("municipality_nis", "rank", "postal_code"),
            on=["municipality_nis", "rank"],
            how="left",
            maintain_order="left",
        )
        .select(
            "municipality_nis",
            "partnership_id",
            "postal_code",
            draws.labels("street", pools.streets, rng.integers(0, len(pools.streets), n_families)),
            _house_numbers(rng, n_families),
        )
    )


def build_population(recipe: Recipe, pools: Pools, n_children: int, seed: int) -> Population:
    rng = draws.stream(seed, "families")
    # One family per child is an upper bound; keep families until n_children are registered.
    sizes = draws.choose(rng, recipe.children_per_family, n_children).astype(np.int64)
    total = np.cumsum(sizes)
    n_families = int(np.searchsorted(total, n_children)) + 1
    sizes = sizes[:n_families]
    sizes[-1] -= int(total[n_families - 1]) - n_children

    families = _addresses(recipe, rng, pools, n_families)
    index = draws.categorical(rng, list(recipe.family_situations.values()), n_families)
    adults = np.array([recipe.household[s][0] for s in recipe.family_situations])
    extra = np.array([recipe.household[s][1] for s in recipe.family_situations])
    low, high = recipe.family_size_range
    family_size = np.clip(adults[index] + sizes + rng.poisson(extra[index]), low, high)
    first_year = families["partnership_id"].replace_strict(
        recipe.partnership_first_year, default=recipe.first_year, return_dtype=pl.Int64
    )
    first_start = draw_start_days(rng, recipe, first_year.to_numpy())
    families = families.with_columns(
        pl.Series("family_id", np.arange(n_families)),
        draws.labels("last_name", pools.last.names, _pick(rng, pools.last, n_families)),
        draws.labels("family_situation", list(recipe.family_situations), index),
        pl.Series("family_size", family_size),
        pl.Series("n_children", sizes),
        pl.Series("first_child", np.cumsum(sizes) - sizes),
        pl.Series("first_start", first_start),
    )

    family_id = np.repeat(np.arange(n_families), sizes)
    sex = draws.categorical(rng, list(recipe.sex_shares.values()), n_children)
    sexes = list(recipe.sex_shares)
    # X may carry either parity; M odd, V even.
    odd = np.where(sex == sexes.index("X"), rng.random(n_children) < 0.5, sex == sexes.index("M"))
    age = draws.categorical(rng, _age_weights(recipe), n_children)
    birth = (
        first_start[family_id]
        - np.floor(age * _DAYS_PER_YEAR).astype(np.int64)
        - rng.integers(1, 366, n_children)
    )
    birth, counters = assign_counters(birth, odd)
    # One list of all first names: male names first, then female ones.
    names = [*pools.first_male.names, *pools.first_female.names]
    male = _pick(rng, pools.first_male, n_children)
    female = len(pools.first_male.names) + _pick(rng, pools.first_female, n_children)
    children = pl.DataFrame(
        {"child_id": np.arange(n_children), "family_id": family_id, "birth_day": birth}
    ).with_columns(
        draws.labels("sex", sexes, sex),
        draws.labels("first_name", names, np.where(odd, male, female)),
        national_numbers(birth, counters),
    )
    return Population(families=families, children=children)
