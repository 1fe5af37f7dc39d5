"""Tiny hand-made warehouses for release and answering tests (rows INSERTed with the real schema).

`trajectory(**overrides)` is one valid 1G1P row; `make_warehouse(path, rows)` writes them.
`random_trajectories(n, seed)` makes many plausible rows for statistical and reference tests.
`write_config(folder, **privacy)` writes the default release config with privacy knobs changed.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from binc.core import reference
from binc.core.resources import default_config
from binc.ingest.validate import ACCEPTED_COLUMNS
from binc.warehouse.release_log import claim_ledger_id
from binc.warehouse.schema import bump_data_version, connect

DEFAULT_CONFIG = default_config().read_text(encoding="utf-8")

# The stored trajectory columns, as ingest produces them (minus its bookkeeping columns).
COLUMNS = tuple(c for c in ACCEPTED_COLUMNS if c not in ("retention_until", "source_line"))


def trajectory(**overrides: Any) -> dict[str, Any]:
    """A valid 1G1P trajectory row of the warehouse; override any column."""
    row: dict[str, Any] = {
        "record_id": "R1",
        "pseudonym": "a" * 64,
        "programme": "1g1p",
        "partnership_id": "P01",
        "municipality_nis": "11001",
        "province_nis": "10000",
        "sex": "M",
        "birth_year": 2015,
        "age_at_start": 8,
        "family_situation": "single_parent",
        "family_size": 3,
        "trajectory_type": "coaching_short",
        "referral_date": date(2023, 1, 10),
        "start_date": date(2023, 2, 1),
        "end_date": date(2023, 6, 15),
        "end_reason": "goals_reached",
        "follow_up": "none",
    }
    row.update(overrides)
    return row


def rows_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "record_id": pl.String,
        "pseudonym": pl.String,
        "programme": pl.String,
        "partnership_id": pl.String,
        "municipality_nis": pl.String,
        "province_nis": pl.String,
        "sex": pl.String,
        "birth_year": pl.Int16,
        "age_at_start": pl.Int16,
        "family_situation": pl.String,
        "family_size": pl.Int16,
        "trajectory_type": pl.String,
        "referral_date": pl.Date,
        "start_date": pl.Date,
        "end_date": pl.Date,
        "end_reason": pl.String,
        "follow_up": pl.String,
    }
    return pl.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], schema=schema)


def make_warehouse(
    path: Path, rows: list[dict[str, Any]] | pl.DataFrame, *, ledger_id: str | None = None
) -> Path:
    """A warehouse file holding exactly these trajectories (no persons/rejects: releases ignore them).

    Its privacy ledger id is `ledger_id`, else a new random one (as from a key of its own; ingest
    derives it from the key)."""
    frame = rows if isinstance(rows, pl.DataFrame) else rows_frame(rows)
    con = connect(path, create=True)
    try:
        claim_ledger_id(con, ledger_id or uuid.uuid4().hex, path)
        con.register("new_rows", frame)
        con.execute(
            f"""INSERT INTO trajectories
            SELECT {", ".join(COLUMNS)}, make_date(birth_year + 35, 1, 1) AS retention_until,
                   1 AS ingest_id,
                   CAST(row_number() OVER () + 1 AS INTEGER) AS source_line
            FROM new_rows"""
        )
        bump_data_version(con)
    finally:
        con.close()
    return path


def random_trajectories(
    n: int, seed: int, *, children: int | None = None, years: tuple[int, int] = (2019, 2025)
) -> pl.DataFrame:
    """`n` plausible trajectories of about n/1.4 children (some with more than 3), plus other care."""
    rng = np.random.default_rng(seed)
    children = children or max(1, int(n / 1.4))
    munis = reference.municipalities().filter(pl.col("partnership_id").is_not_null())
    pick = rng.integers(0, munis.height, n)
    person = rng.integers(0, children, n)
    first = np.datetime64(f"{years[0]}-01-01")
    start = first + rng.integers(0, 365 * (years[1] - years[0] + 1), n).astype("timedelta64[D]")
    end = start + rng.lognormal(np.log(120), 0.6, n).astype(int).astype("timedelta64[D]")
    end = np.where(
        (rng.random(n) < 0.8) & (end < np.datetime64(date.today())), end, np.datetime64("NaT")
    )
    reasons = reference.codes("end_reason")
    follow = reference.codes("follow_up")
    waiting = rng.integers(0, 120, n)
    has_referral = rng.random(n) < 0.9
    frame = pl.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "pseudonym": [f"{p:064x}" for p in person],
            "programme": np.where(rng.random(n) < 0.9, "1g1p", "other_youth_care"),
            "partnership_id": munis["partnership_id"].to_numpy()[pick],
            "municipality_nis": munis["municipality_nis"].to_numpy()[pick],
            "province_nis": munis["province_nis"].to_numpy()[pick],
            "sex": rng.choice(reference.codes("sex"), n, p=[0.49, 0.49, 0.02]),
            "birth_year": np.full(n, 2010, dtype=np.int16),
            "age_at_start": rng.integers(0, 26, n).astype(np.int16),
            "family_situation": rng.choice(reference.codes("family_situation"), n),
            "family_size": rng.integers(1, 9, n).astype(np.int16),
            "trajectory_type": rng.choice(reference.codes("trajectory_type"), n),
            "referral_date": np.where(
                has_referral, start - waiting.astype("timedelta64[D]"), np.datetime64("NaT")
            ),
            "start_date": start,
            "end_date": end,
        }
    ).with_columns(
        end_reason=pl.when(pl.col("end_date").is_not_null()).then(
            pl.Series(rng.choice(reasons, n))
        ),
        follow_up=pl.when(pl.col("end_date").is_not_null() & pl.Series(rng.random(n) < 0.7)).then(
            pl.Series(rng.choice(follow, n))
        ),
    )
    return frame.with_columns(
        partnership_id=pl.when(pl.col("programme") == "1g1p").then(pl.col("partnership_id"))
    ).select(COLUMNS)


# Two tables instead of twenty (year, and year × partnership consistent with it): for tests whose
# subject is not the workload (faults, the differencing attacks), so that releases stay fast.
TWO_TABLE_CONFIG = """
[privacy]
unit = "person"
noise = "two_sided_geometric"
epsilon_total = 1.0
contribution_cap = 3
k = 10
lifetime_epsilon_limit = 10.0

[domain]
first_year = 2019
last_year = 2025

[uncertainty]
share_points = 20.0
count_relative = 0.5
median_relative = 0.5

[[measurement]]
name = "year"
unit = "trajectories"
dimensions = ["year"]
share = 0.5

[[measurement]]
name = "year_partnership"
unit = "trajectories"
dimensions = ["year", "partnership"]
share = 0.5
consistent_with = ["year"]
"""


def write_config(tmp_path: Path, text: str = DEFAULT_CONFIG, **privacy: object) -> Path:
    """`text` (the default release config) with each `key = value` line of `privacy` replaced."""
    for key, value in privacy.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path = tmp_path / "release.toml"
    path.write_text(text, encoding="utf-8")
    return path
