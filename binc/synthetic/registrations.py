"""Turn children, families and trajectories into registration-format-v1 rows, one per trajectory.

This is where provider conventions come in: record ids per partnership and start year, the file
each row is sent in, and pre-2025 NIS codes for municipalities merged on 2025-01-01 (providers
registered the code that was valid then; ingest maps them with the crosswalk).
"""

from __future__ import annotations

import polars as pl

from binc.synthetic import draws
from binc.synthetic.families import Population
from binc.synthetic.pools import Pools
from binc.synthetic.recipe import OTHER_YOUTH_CARE, Recipe

FILE = "_file"  # output file stem, e.g. 2021_1g1p_P03; sorted stems are chronological
START_YEAR = "_start_year"
ORDER = "_order"  # row order within a file: by start date, as providers list them


def file_stem(year: pl.Expr, programme: pl.Expr, partnership: pl.Expr) -> pl.Expr:
    return (
        pl.when(programme == OTHER_YOUTH_CARE)
        .then(pl.format("{}_other_youth_care", year))
        .otherwise(pl.format("{}_1g1p_{}", year, partnership))
    )


def _as_date(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int32).cast(pl.Date)


def _registered_nis(pools: Pools) -> pl.Expr:
    """Before 2025 a merged municipality was registered under its old code (by postal code)."""
    old = pl.col("postal_code").replace_strict(
        pools.old_nis["postal_code"], pools.old_nis["old_nis"], default=None
    )
    return (
        pl.when((pl.col(START_YEAR) < 2025) & old.is_not_null())
        .then(old)
        .otherwise("municipality_nis")
        .alias("municipality_nis")
    )


def assemble(
    recipe: Recipe, population: Population, trajectories: pl.DataFrame, pools: Pools
) -> pl.DataFrame:
    """Typed v1 columns (dates as Date, family_size as integer) plus FILE, START_YEAR, ORDER."""
    children, families = population.children, population.families
    # Number and order the (narrow) trajectories first; names and addresses join afterwards.
    keys = (
        trajectories.join(
            children.select("child_id", "family_id"),
            on="child_id",
            how="left",
            maintain_order="left",
        )
        .join(
            families.select("family_id", "partnership_id"),
            on="family_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            _as_date("start_day").dt.year().alias(START_YEAR),
            pl.when(pl.col("programme") == "1g1p").then("partnership_id").alias("partnership_id"),
        )
        .sort("programme", "partnership_id", START_YEAR, "start_day", "child_id")
    )
    prefix = pl.coalesce("partnership_id", pl.lit("OYC"))
    sequence = pl.int_range(1, pl.len() + 1).over(prefix, START_YEAR)
    frame = (
        keys.with_columns(
            pl.format("{}-{}-{}", prefix, START_YEAR, sequence.cast(pl.String).str.zfill(6)).alias(
                "record_id"
            ),
            file_stem(pl.col(START_YEAR), pl.col("programme"), pl.col("partnership_id")).alias(
                FILE
            ),
            draws.labels(
                "trajectory_type", list(recipe.trajectory_types), keys["type_index"].to_numpy()
            ),
            pl.int_range(pl.len()).alias(ORDER),
        )
        .join(children.drop("family_id"), on="child_id", how="left", maintain_order="left")
        .join(families.drop("partnership_id"), on="family_id", how="left", maintain_order="left")
    )
    return frame.with_columns(_registered_nis(pools)).select(
        "record_id",
        "programme",
        "partnership_id",
        "national_number",
        "last_name",
        "first_name",
        _as_date("birth_day").alias("birth_date"),
        "sex",
        "street",
        "house_number",
        "postal_code",
        "municipality_nis",
        "family_situation",
        "family_size",
        "trajectory_type",
        _as_date("referral_day").alias("referral_date"),
        _as_date("start_day").alias("start_date"),
        _as_date("end_day").alias("end_date"),
        "end_reason",
        "follow_up",
        FILE,
        START_YEAR,
        ORDER,
        pl.col("child_id").alias("_child_id"),
    )
