"""Load one validated export into the warehouse in a single transaction (all or nothing per file).

A row whose record_id is new is inserted; one whose record_id exists with other values is a
correction: the stored version moves to trajectory_history and the new one replaces it; an
identical re-send changes nothing. A file whose bytes were ingested before is skipped as a whole,
so re-ingesting an old export can never undo a later correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from dashboard.ingest.readers import RawExport
from dashboard.ingest.validate import Validation
from dashboard.warehouse.schema import bump_data_version

# The stored values that define "the same registration"; row_hash is computed over these.
_HASHED = (
    "pseudonym, programme, partnership_id, municipality_nis, province_nis, sex, birth_year, age_at_start, "
    "family_situation, family_size, trajectory_type, referral_date, start_date, end_date, end_reason, follow_up"
)


@dataclass(frozen=True)
class IngestCounts:
    file_name: str
    read: int
    accepted: int
    rejected: int
    inserted: int
    replaced: int
    unchanged: int
    already_ingested: bool = False


def previous_ingest(con: duckdb.DuckDBPyConnection, sha256: str) -> IngestCounts | None:
    rows = con.execute(
        "SELECT file_name, rows_read, accepted, rejected, inserted, replaced, unchanged FROM ingest_log "
        "WHERE file_sha256 = ? ORDER BY ingest_id LIMIT 1",
        [sha256],
    ).fetchall()
    return IngestCounts(*rows[0], already_ingested=True) if rows else None


def load(
    con: duckdb.DuckDBPyConnection, raw: RawExport, validation: Validation, started_at: datetime
) -> IngestCounts:
    accepted, rejected = validation.accepted, validation.rejected
    con.execute("BEGIN TRANSACTION")
    try:
        counts = _load(con, raw, accepted, rejected, started_at)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS temp.staged")
    return counts


def _load(
    con: duckdb.DuckDBPyConnection,
    raw: RawExport,
    accepted: pl.DataFrame,
    rejected: pl.DataFrame,
    started_at: datetime,
) -> IngestCounts:
    ingest_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][
        0
    ]
    con.register("accepted_rows", accepted)
    con.register("rejected_rows", rejected)
    con.execute(
        f"""
        CREATE TEMP TABLE staged AS
        WITH typed AS (
            SELECT record_id, pseudonym,
                   programme::programme_code AS programme, partnership_id::partnership_code AS partnership_id,
                   municipality_nis, province_nis, sex::sex_code AS sex, birth_year, age_at_start,
                   family_situation::family_situation_code AS family_situation, family_size,
                   trajectory_type::trajectory_type_code AS trajectory_type, referral_date, start_date, end_date,
                   end_reason::end_reason_code AS end_reason, follow_up::follow_up_code AS follow_up,
                   retention_until, source_line
            FROM accepted_rows
        )
        , hashed AS (SELECT *, md5(concat_ws('|', {_HASHED})) AS row_hash FROM typed)
        -- One scan of the stored registrations classifies every row: new, unchanged or a correction.
        SELECT h.*, t.row_hash AS stored_hash
        FROM hashed h LEFT JOIN trajectories t USING (record_id)
        """
    )
    replaced, unchanged = con.execute(
        "SELECT count(*) FILTER (WHERE stored_hash <> row_hash), count(*) FILTER (WHERE stored_hash = row_hash) "
        "FROM staged"
    ).fetchall()[0]
    inserted = len(accepted) - replaced - unchanged
    if replaced:
        corrected = "(SELECT record_id FROM staged WHERE stored_hash <> row_hash)"
        # A correction may move a registration to another pseudonym: refresh the old one too.
        con.execute(
            f"INSERT INTO touched_persons SELECT pseudonym FROM trajectories SEMI JOIN {corrected} c USING (record_id)"
        )
        con.execute(
            f"INSERT INTO trajectory_history SELECT t.*, ?, ? FROM trajectories t SEMI JOIN {corrected} c "
            "USING (record_id)",
            [datetime.now(), ingest_id],
        )
        con.execute(f"DELETE FROM trajectories WHERE record_id IN {corrected}")
    con.execute(
        f"""
        INSERT INTO trajectories BY NAME
        SELECT * EXCLUDE (stored_hash), {ingest_id} AS ingest_id FROM staged
        WHERE stored_hash IS NULL OR stored_hash <> row_hash
        """
    )
    # persons is refreshed once per run (warehouse.persons), not per file: a keyed upsert per file
    # cost ~6 µs a person in index upkeep, a third of the ingest time.
    con.execute("INSERT INTO touched_persons SELECT DISTINCT pseudonym FROM staged")
    if len(rejected):
        con.execute(
            "INSERT INTO rejects SELECT ?, ?, ?, line, record_id, field, reason, problems, pseudonym, "
            "retention_until FROM rejected_rows",
            [ingest_id, raw.path.name, raw.sha256],
        )
    counts = IngestCounts(
        file_name=raw.path.name,
        read=len(accepted) + len(rejected),
        accepted=len(accepted),
        rejected=len(rejected),
        inserted=inserted,
        replaced=replaced,
        unchanged=unchanged,
    )
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ingest_id,
            raw.path.name,
            raw.sha256,
            raw.file_format,
            started_at,
            datetime.now(),
            counts.read,
            counts.accepted,
            counts.rejected,
            counts.inserted,
            counts.replaced,
            counts.unchanged,
        ],
    )
    if counts.inserted or counts.replaced or counts.rejected:
        bump_data_version(con)
    con.unregister("accepted_rows")
    con.unregister("rejected_rows")
    return counts
