"""The persons table: one row per pseudonym, derived from that person's registrations.

Ingest brings it up to date in the transaction that writes each group of files, for the persons
whose registrations were written since the last refresh: `warehouse_meta.persons_through` records
the last ingest that is reflected, so a warehouse whose persons fell behind (say, written by an
older version) is caught up by the next group, or by `refresh` at the end of any ingest run. Retention never depends on this table being fresh: every registration, earlier version and
rejected row carries its own retention date.
"""

from __future__ import annotations

import duckdb

from binc.warehouse.schema import rollback

# A person's row holds their latest registration's values, over current and replaced versions:
# rows are ordered by the ingest that wrote them, then by line. A row written after `through` is
# later than every row written before it, so a person with such a row is decided by those rows
# alone (a filter on ingest_id that reads only the new row groups). The few persons without one
# whose registration a correction moved to someone else since then need all their rows. Only
# persons whose row is missing or different are written.
_LATEST = """
CREATE OR REPLACE TEMP TABLE latest AS
WITH recent AS (
    SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line FROM trajectories
    WHERE ingest_id > $through
    UNION ALL
    SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line FROM trajectory_history
    WHERE ingest_id > $through
), moved_away AS (
    SELECT DISTINCT pseudonym FROM trajectory_history WHERE replaced_by_ingest > $through
    EXCEPT SELECT pseudonym FROM recent
), candidates AS (
    SELECT * FROM recent
    UNION ALL
    SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line
    FROM trajectories SEMI JOIN moved_away USING (pseudonym)
    UNION ALL
    SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line
    FROM trajectory_history SEMI JOIN moved_away USING (pseudonym)
), computed AS (
    SELECT pseudonym, arg_max(birth_year, version) AS birth_year, arg_max(sex, version) AS sex,
           arg_max(retention_until, version) AS retention_until
    FROM (SELECT *, ingest_id::BIGINT * 4294967296 + source_line AS version FROM candidates)
    GROUP BY pseudonym
)
-- persons holds one row per pseudonym
SELECT c.*, p.pseudonym IS NOT NULL AS stored
FROM computed c LEFT JOIN persons p USING (pseudonym)
WHERE p.pseudonym IS NULL OR p.birth_year <> c.birth_year OR p.sex <> c.sex
   OR p.retention_until <> c.retention_until
"""

_REFRESH = """
DELETE FROM persons WHERE pseudonym IN (SELECT pseudonym FROM temp.latest WHERE stored);
INSERT INTO persons SELECT pseudonym, birth_year, sex, retention_until FROM temp.latest;
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
        con.execute(_LATEST, {"through": through})
        con.execute(_REFRESH)
        con.execute(
            "INSERT OR REPLACE INTO warehouse_meta VALUES ('persons_through', ?)", [str(latest)]
        )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.latest")


def _refreshed_through(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'persons_through'").fetchall()
    return int(rows[0][0]) if rows else 0
