"""The persons table: one row per pseudonym, derived from that person's registrations.

Ingest brings it up to date in the transaction that writes each group of files, for the persons
whose registrations were written since the last refresh: `warehouse_meta.persons_through` records
the last ingest that is reflected, so a warehouse whose persons fell behind (say, written by an
older version) is caught up by the next group, or by `refresh` at the end of any ingest run. Retention never depends on this table being fresh: every registration, earlier version and
rejected row carries its own retention date.
"""

from __future__ import annotations

import duckdb

from dashboard.warehouse.schema import rollback

_TOUCHED = """
CREATE OR REPLACE TEMP TABLE touched AS
    SELECT pseudonym FROM trajectories WHERE ingest_id > $through
    UNION
    -- a correction may have moved a registration away from a person: refresh the old one too
    SELECT pseudonym FROM trajectory_history WHERE replaced_by_ingest > $through
"""

_REFRESH = """
DELETE FROM persons WHERE pseudonym IN (SELECT pseudonym FROM temp.touched);
INSERT INTO persons
SELECT pseudonym, arg_max(birth_year, version), arg_max(sex, version),
       arg_max(retention_until, version)
FROM (
    -- version orders rows by the ingest that wrote them, then by line: latest wins
    SELECT pseudonym, birth_year, sex, retention_until,
           ingest_id::BIGINT * 4294967296 + source_line AS version
    FROM trajectories SEMI JOIN temp.touched USING (pseudonym)
    UNION ALL
    SELECT pseudonym, birth_year, sex, retention_until,
           ingest_id::BIGINT * 4294967296 + source_line AS version
    FROM trajectory_history SEMI JOIN temp.touched USING (pseudonym)
)
GROUP BY pseudonym;
"""


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the persons touched by every ingest since the last refresh (latest wins)."""
    con.execute("BEGIN TRANSACTION")
    try:
        refresh_in_transaction(con)
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise


def refresh_in_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """`refresh` inside the caller's open transaction (ingest: in the one that wrote the rows)."""
    through = _refreshed_through(con)
    latest = con.execute("SELECT coalesce(max(ingest_id), 0) FROM ingest_log").fetchall()[0][0]
    if latest <= through:
        return
    try:
        con.execute(_TOUCHED, {"through": through})
        con.execute(_REFRESH)
        con.execute(
            "INSERT OR REPLACE INTO warehouse_meta VALUES ('persons_through', ?)", [str(latest)]
        )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.touched")


def _refreshed_through(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'persons_through'").fetchall()
    return int(rows[0][0]) if rows else 0
