"""The persons table: one row per pseudonym, derived from that person's registrations.

Ingest records which pseudonyms each file touched (temp table `touched_persons`) and refreshes
only those once per run, in one transaction: cheaper than a keyed upsert in every file's
transaction. Retention never depends on this table being fresh: every registration, earlier
version and rejected row carries its own retention date.
"""

from __future__ import annotations

import duckdb

TOUCHED = "touched_persons"


def start_tracking(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} (pseudonym VARCHAR NOT NULL)")


def refresh_touched(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the touched persons from their current and earlier registrations (latest wins)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT pseudonym FROM {TOUCHED};
            DELETE FROM persons WHERE pseudonym IN (SELECT pseudonym FROM touched);
            INSERT INTO persons
            SELECT pseudonym, arg_max(birth_year, version), arg_max(sex, version),
                   arg_max(retention_until, version)
            FROM (
                -- version orders rows by the ingest that wrote them, then by line: latest wins
                SELECT pseudonym, birth_year, sex, retention_until,
                       ingest_id::BIGINT * 4294967296 + source_line AS version
                FROM trajectories SEMI JOIN touched USING (pseudonym)
                UNION ALL
                SELECT pseudonym, birth_year, sex, retention_until,
                       ingest_id::BIGINT * 4294967296 + source_line AS version
                FROM trajectory_history SEMI JOIN touched USING (pseudonym)
            )
            GROUP BY pseudonym;
            DROP TABLE touched;
            DELETE FROM {TOUCHED};
            """
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
