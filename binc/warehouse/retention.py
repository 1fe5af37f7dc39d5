"""Retention: BINC keeps a person's data until the day they turn 35, then removes it everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from binc.warehouse.schema import bump_data_version


@dataclass(frozen=True)
class PurgeCounts:
    persons: int
    trajectories: int
    history: int
    rejects: int


def purge(con: duckdb.DuckDBPyConnection, as_of: date) -> PurgeCounts:
    """Remove everyone aged 35 or more on `as_of` (their 35th birthday included) from every table.

    Rejected rows are removed by pseudonym, and by their own retention date when the national
    number was too broken to give a pseudonym.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        # Expired: by the person's own retention date, and by any row's — a stale persons table
        # (a run that died before its refresh) can never keep a row past its date.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE expired AS "
            "SELECT pseudonym FROM persons WHERE retention_until <= $as_of "
            "UNION SELECT pseudonym FROM trajectories WHERE retention_until <= $as_of "
            "UNION SELECT pseudonym FROM trajectory_history WHERE retention_until <= $as_of",
            {"as_of": as_of},
        )
        gone = "pseudonym IN (SELECT pseudonym FROM expired) OR retention_until <= ?"
        counts = PurgeCounts(
            persons=_delete(con, f"DELETE FROM persons WHERE {gone}", [as_of]),
            trajectories=_delete(con, f"DELETE FROM trajectories WHERE {gone}", [as_of]),
            history=_delete(con, f"DELETE FROM trajectory_history WHERE {gone}", [as_of]),
            rejects=_delete(con, f"DELETE FROM rejects WHERE {gone}", [as_of]),
        )
        con.execute("DROP TABLE expired")
        con.execute(
            "INSERT INTO purge_log VALUES (?, ?, ?, ?, ?, ?)",
            [
                datetime.now(),
                as_of,
                counts.persons,
                counts.trajectories,
                counts.history,
                counts.rejects,
            ],
        )
        if counts.persons or counts.trajectories or counts.history or counts.rejects:
            bump_data_version(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _delete(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])
