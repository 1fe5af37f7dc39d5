"""The optimised contribution bounding equals a simple reference, row for row.

bounded_trajectories.sql ranks only the people above c (found through a hash of the pseudonym,
then counted exactly); the reference below ranks every person's rows with plain Python and md5.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import duckdb
import polars as pl
from support.warehouses import make_warehouse, random_trajectories, write_config

from binc.release.config import load_config
from binc.release.measure import bound_contributions, measuring_connection

SALT = "reference-salt"


def reference_kept(frame: pl.DataFrame, cap: int) -> tuple[pl.DataFrame, dict[str, int]]:
    """Rows kept by the keyed order (first c by md5(pseudonym|record_id|salt)); people above c."""
    rows = frame.filter(
        pl.col("programme") == "1g1p", pl.col("start_date").dt.year().is_between(2019, 2025)
    ).with_columns(
        order=pl.struct("pseudonym", "record_id").map_elements(
            lambda r: hashlib.md5(f"{r['pseudonym']}|{r['record_id']}|{SALT}".encode()).hexdigest(),
            return_dtype=pl.String,
        )
    )
    counts = rows.group_by("pseudonym").len()
    over = {p: n for p, n in counts.iter_rows() if n > cap}
    kept = rows.sort("order", "record_id").group_by("pseudonym", maintain_order=True).head(cap)
    return kept, over


def test_bounding_keeps_exactly_the_reference_rows(tmp_path):
    cap = 2
    # few children for many rows: a third of the people are above c
    frame = random_trajectories(2500, seed=11, children=700)
    warehouse = make_warehouse(tmp_path / "w.duckdb", frame)
    cfg = load_config(write_config(tmp_path, contribution_cap=cap))
    kept, over = reference_kept(frame, cap)
    with measuring_connection(warehouse) as (con, _):
        report = bound_contributions(con, cfg, salt=SALT, as_of=date(2025, 12, 31))
        got = con.sql(
            "SELECT person, CAST(year AS VARCHAR) AS year, CAST(partnership AS VARCHAR) AS p, "
            "CAST(trajectory_type AS VARCHAR) AS t, CAST(municipality AS VARCHAR) AS m "
            "FROM bounded_trajectories"
        ).fetchall()
        persons = con.sql(
            "SELECT DISTINCT pseudonym, trajectories FROM persons_over_cap"
        ).fetchall()
    assert report.persons_over_cap == len(over) > 100
    assert report.rows_dropped == sum(n - cap for n in over.values())
    assert dict(persons) == over

    person_hash = dict(
        duckdb.sql(
            "SELECT p, hash(p) FROM (SELECT unnest(?) AS p)", params=[kept["pseudonym"].to_list()]
        ).fetchall()
    )
    want = Counter(
        (
            person_hash[r["pseudonym"]],
            str(r["start_date"].year),
            r["partnership_id"],
            r["trajectory_type"],
            r["municipality_nis"],
        )
        for r in kept.iter_rows(named=True)
    )
    assert Counter(got) == want
    # every person above c keeps exactly c rows, everybody else all of theirs
    per_person = Counter(row[0] for row in got)
    all_rows = Counter(person_hash[p] for p in kept["pseudonym"])
    assert per_person == all_rows
    for pseudonym in over:
        assert per_person[person_hash[pseudonym]] == cap
