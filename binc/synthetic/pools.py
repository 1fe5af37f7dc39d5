"""Pools of names, streets and places to sample from, drawn once per run.

Faker is called a few thousand times at most (never once per row): first and last names come
from the nl_BE provider's own frequency lists, street names from a seeded Faker nl_BE, and
postal codes from the reference data so that each really belongs to its municipality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
from faker import Faker
from faker.providers.person.nl_BE import Provider as PersonProvider

from binc.core.reference import municipalities, nis_crosswalk, postal_codes
from binc.synthetic.recipe import Recipe


@dataclass(frozen=True)
class NamePool:
    names: np.ndarray  # str
    weights: np.ndarray  # relative frequency in the provider's list


@dataclass(frozen=True)
class Pools:
    first_male: NamePool
    first_female: NamePool
    last: NamePool
    streets: np.ndarray
    geography: pl.DataFrame  # one row per municipality: municipality_nis, partnership_id, weight
    postal: pl.DataFrame  # municipality_nis, postal_code, rank (0.. per municipality), count
    old_nis: pl.DataFrame  # postal_code → old_nis (pre-2025 code), merged municipalities only


def _name_pool(frequencies: Mapping[str, float]) -> NamePool:
    names = sorted(frequencies)  # sorted: independent of the provider's dict order
    return NamePool(names=np.array(names), weights=np.array([float(frequencies[n]) for n in names]))


def _streets(seed: int, size: int) -> np.ndarray:
    fake = Faker("nl_BE")
    fake.seed_instance(seed)
    return np.array(sorted({fake.street_name() for _ in range(size)}))


def _geography(recipe: Recipe, rng: np.random.Generator) -> pl.DataFrame:
    counts = postal_codes().group_by("municipality_nis").len("postal_codes")
    frame = (
        municipalities()
        .select("municipality_nis", "partnership_id")
        .join(counts, on="municipality_nis", how="left")
        .with_columns(pl.col("postal_codes").fill_null(0))
        .filter(pl.col("postal_codes") > 0, pl.col("partnership_id").is_not_null())
        .sort("municipality_nis")
    )
    factor = np.exp(recipe.municipality_size_sigma * rng.standard_normal(frame.height))
    size = frame["postal_codes"].to_numpy().astype(np.float64) ** recipe.municipality_size_exponent
    return frame.with_columns(pl.Series("weight", size * factor))


def _pre_2025_codes(postal: pl.DataFrame) -> pl.DataFrame:
    """postal_code → the pre-2025 NIS code registered for addresses with that postal code.

    Which postal code belonged to which old municipality is not in the offline reference data, so
    each is given to one old municipality in turn; where a municipality kept its code and absorbed
    a neighbour (Antwerpen–Borsbeek), the neighbour gets one postal code and the rest stay.
    """
    crosswalk = nis_crosswalk().filter(pl.col("old_nis") != pl.col("new_nis"))
    candidates = crosswalk.group_by("new_nis").agg(pl.col("old_nis").sort())
    rows = []
    for new_nis, old_codes in candidates.sort("new_nis").iter_rows():  # 13 mergers, not data rows
        codes = sorted(postal.filter(pl.col("municipality_nis") == new_nis)["postal_code"])
        if len(old_codes) == 1:  # an absorption: the continuing municipality keeps its code
            owners = [new_nis] * (len(codes) - 1) + old_codes
        else:
            owners = [old_codes[i % len(old_codes)] for i in range(len(codes))]
        rows += [(code, owner) for code, owner in zip(codes, owners, strict=True)]
    return pl.DataFrame(rows, schema={"postal_code": pl.String, "old_nis": pl.String}, orient="row")


def build_pools(recipe: Recipe, seed: int, rng: np.random.Generator) -> Pools:
    postal = (
        postal_codes()
        .sort("municipality_nis", "postal_code")
        .with_columns(
            pl.int_range(pl.len()).over("municipality_nis").alias("rank"),
            pl.len().over("municipality_nis").alias("count"),
        )
    )
    return Pools(
        first_male=_name_pool(PersonProvider.first_names_male),
        first_female=_name_pool(PersonProvider.first_names_female),
        last=_name_pool(PersonProvider.last_names),
        streets=_streets(seed, recipe.street_pool_size),
        geography=_geography(recipe, rng),
        postal=postal,
        old_nis=_pre_2025_codes(postal),
    )
