"""The optimised contribution bounding equals a simple reference, row for row.

bounded_trajectories.sql ranks only the people above c (found through a hash of the pseudonym,
then counted exactly); the reference below ranks every person's rows with plain Python and md5, in
the lifetime keep order: the ingest that first brought the registration, start date, then
md5(pseudonym | record_id).
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


def reference_kept(
    frame: pl.DataFrame, first_ingest: dict[str, int], cap: int
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Rows kept by the lifetime order (first c by earliest ingest of the record, start date,
    md5(pseudonym|record_id)); people above c."""
    rows = frame.filter(
        pl.col("programme") == "1g1p", pl.col("start_date").dt.year().is_between(2019, 2025)
    ).with_columns(
        first=pl.col("record_id").replace_strict(first_ingest, return_dtype=pl.Int64),
        order=pl.struct("pseudonym", "record_id").map_elements(
            lambda r: hashlib.md5(f"{r['pseudonym']}|{r['record_id']}".encode()).hexdigest(),
            return_dtype=pl.String,
        ),
    )
    counts = rows.group_by("pseudonym").len()
    over = {p: n for p, n in counts.iter_rows() if n > cap}
    kept = (
        rows.sort("first", "start_date", "order")
        .group_by("pseudonym", maintain_order=True)
        .head(cap)
    )
    return kept, over


def spread_over_ingests(warehouse) -> dict[str, int]:
    """Give the rows three ingests, and a fifth of them an earlier version in trajectory_history
    (ingest 0, as a correction leaves it); the earliest ingest of every record."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE trajectories SET ingest_id = 1 + hash(record_id) % 3")
        con.execute(
            "INSERT INTO trajectory_history SELECT *, TIMESTAMP '2024-01-01', ingest_id "
            "FROM trajectories WHERE hash(record_id || 'h') % 5 = 0"
        )
        con.execute("UPDATE trajectory_history SET ingest_id = 0")
        return dict(
            con.execute(
                "SELECT record_id, min(ingest_id) FROM (SELECT record_id, ingest_id FROM "
                "trajectories UNION ALL SELECT record_id, ingest_id FROM trajectory_history) "
                "GROUP BY record_id"
            ).fetchall()
        )


def test_bounding_keeps_exactly_the_reference_rows(tmp_path):
    cap = 2
    # few children for many rows: a third of the people are above c
    frame = random_trajectories(2500, seed=11, children=700)
    warehouse = make_warehouse(tmp_path / "w.duckdb", frame)
    cfg = load_config(write_config(tmp_path, contribution_cap=cap))
    kept, over = reference_kept(frame, spread_over_ingests(warehouse), cap)
    with measuring_connection(warehouse) as (con, _):
        report = bound_contributions(con, cfg, as_of=date(2025, 12, 31))
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
