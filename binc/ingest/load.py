"""Load validated exports into the warehouse: staged file by file, applied as sets, per group of files.

Each file's accepted rows are staged in a temporary table as soon as the file is validated (while
the next file is being read). When a group of files is complete, one transaction applies all of
them: one scan of the stored registrations classifies every staged row, and a handful of set-based
statements write the new rows, move replaced versions to trajectory_history, and record rejects
and one ingest_log row per file. A file is never split over two transactions, so each file is in
the warehouse entirely or not at all; several files may share a transaction (a commit per file is a
fixed cost that weighed heavily on realistic exports of a few thousand rows).

What a file does is decided in file order, exactly as if the files were loaded one by one: a row
whose record_id is new is inserted; one whose record_id exists (stored, or written by an earlier
file of the group) with other values is a correction: that version moves to trajectory_history and
the new one replaces it; an identical re-send changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from binc.ingest.readers import RawExport
from binc.ingest.validate import Validation
from binc.warehouse import persons
from binc.warehouse.schema import bump_data_version, rollback

# The stored values that define "the same registration": a re-send with equal values is no change.
_HASHED = (
    "pseudonym, programme, partnership_id, municipality_nis, province_nis, sex, birth_year, age_at_start, "
    "family_situation, family_size, trajectory_type, referral_date, start_date, end_date, end_reason, follow_up"
)

# Accepted rows as stored: codes typed, the ingest that wrote them.
_TYPED = """
    SELECT * EXCLUDE (file_no, source_line),
           ($first_ingest_id + file_no - 1)::INTEGER AS ingest_id, source_line::INTEGER AS source_line, file_no
    FROM (
        SELECT record_id, pseudonym,
               programme::programme_code AS programme, partnership_id::partnership_code AS partnership_id,
               municipality_nis, province_nis, sex::sex_code AS sex, birth_year, age_at_start,
               family_situation::family_situation_code AS family_situation, family_size,
               trajectory_type::trajectory_type_code AS trajectory_type, referral_date, start_date,
               end_date, end_reason::end_reason_code AS end_reason, follow_up::follow_up_code AS follow_up,
               retention_until, source_line, file_no
        FROM {rows}
    )
"""

# A record_id that the group sends twice, or that is stored already, needs its versions ordered
# (file 0 = the stored row) and each classified against the one before it. Every other row is new.
# The stored rows it concerns are read in the same pass (one scan of the stored registrations).
_REPEATED = """
CREATE OR REPLACE TEMP TABLE stored_match AS
    SELECT t.*, 0 AS file_no FROM trajectories t SEMI JOIN incoming USING (record_id);
CREATE OR REPLACE TEMP TABLE repeated AS
    SELECT record_id FROM incoming GROUP BY record_id HAVING count(*) > 1
    UNION SELECT record_id FROM temp.stored_match
"""

_CLASSIFY = f"""
CREATE OR REPLACE TEMP TABLE chain AS
WITH versions AS (
    SELECT record_id, file_no, ingest_id, md5(concat_ws('|', {_HASHED})) AS row_hash
    FROM (SELECT * FROM temp.stored_match UNION ALL BY NAME SELECT * FROM temp.staged)
), classified AS (
    SELECT *, CASE
        WHEN file_no = 0 THEN 'stored'
        WHEN lag(row_hash) OVER w IS NULL THEN 'new'
        WHEN lag(row_hash) OVER w = row_hash THEN 'unchanged'
        ELSE 'replaced' END AS action
    FROM versions WINDOW w AS (PARTITION BY record_id ORDER BY file_no)
)
SELECT *,
    -- the version a correction replaces: the latest one written before it
    max(file_no) FILTER (WHERE action <> 'unchanged') OVER (
        PARTITION BY record_id ORDER BY file_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS replaces_file,
    -- the version that stays current after the group
    max(file_no) FILTER (WHERE action <> 'unchanged') OVER (PARTITION BY record_id) AS current_file
FROM classified;
"""

_KEEP_HISTORY = """
INSERT INTO trajectory_history BY NAME
    SELECT v.* EXCLUDE (file_no), $replaced_at AS replaced_at, c.ingest_id AS replaced_by_ingest
    FROM temp.chain c
    JOIN (SELECT * FROM temp.stored_match UNION ALL BY NAME SELECT * FROM temp.staged) v
      ON v.record_id = c.record_id AND v.file_no = c.replaces_file
    WHERE c.action = 'replaced'
"""

_DELETE_REPLACED = (
    "DELETE FROM trajectories WHERE record_id IN "
    "(SELECT record_id FROM temp.chain WHERE action = 'replaced')"
)

# Single new rows straight from the incoming frames, plus the current version of each repeated one.
_INSERT = f"""
INSERT INTO trajectories BY NAME
    SELECT * EXCLUDE (file_no) FROM ({_TYPED.format(rows="incoming ANTI JOIN temp.repeated USING (record_id)")})
    UNION ALL BY NAME
    SELECT s.* EXCLUDE (file_no) FROM temp.staged s SEMI JOIN (
        SELECT record_id, file_no FROM temp.chain
        WHERE file_no > 0 AND action <> 'unchanged' AND file_no = current_file
    ) USING (record_id, file_no)
"""

_CLEAN_UP = (
    "DROP TABLE IF EXISTS temp.repeated; DROP TABLE IF EXISTS temp.staged; "
    "DROP TABLE IF EXISTS temp.stored_match; DROP TABLE IF EXISTS temp.chain"
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
    # The seven columns selected, in IngestCounts' order (duckdb types a row as tuple[Any, ...]).
    rows: list[tuple[str, int, int, int, int, int, int]] = con.execute(
        "SELECT file_name, rows_read, accepted, rejected, inserted, replaced, unchanged FROM ingest_log "
        "WHERE file_sha256 = ? ORDER BY ingest_id LIMIT 1",
        [sha256],
    ).fetchall()
    return IngestCounts(*rows[0], already_ingested=True) if rows else None


@dataclass(frozen=True)
class _StagedFile:
    raw: RawExport  # path, format and sha256 (its frame is already emptied)
    validation: Validation
    started_at: datetime


class GroupLoader:
    """Collects validated files, then writes them in file order in one transaction (`commit`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._files: list[_StagedFile] = []
        self._next_ingest_id = int(
            con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
        )

    @property
    def rows(self) -> int:
        return sum(len(f.validation.accepted) for f in self._files)

    def holds(self, sha256: str) -> bool:
        return any(f.raw.sha256 == sha256 for f in self._files)

    def stage(self, raw: RawExport, validation: Validation, started_at: datetime) -> None:
        self._files.append(_StagedFile(raw, validation, started_at))

    def commit(self) -> list[IngestCounts]:
        """Write every collected file in one transaction; the counts per file, in file order."""
        if not self._files:
            return []
        con = self._con
        first, last = self._next_ingest_id, self._next_ingest_id + len(self._files) - 1
        incoming = pl.concat(
            [
                f.validation.accepted.with_columns(pl.lit(i, dtype=pl.Int32).alias("file_no"))
                for i, f in enumerate(self._files, start=1)
            ],
            how="vertical_relaxed",
            rechunk=False,
        )
        typed = {"first_ingest_id": first}
        # Converted once: a registered polars frame would be converted again by every scan.
        con.register("incoming", incoming.to_arrow())
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_REPEATED)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE staged AS "
                + _TYPED.format(rows="incoming SEMI JOIN temp.repeated USING (record_id)"),
                typed,
            )
            con.execute(_CLASSIFY)
            counts = self._counts()
            con.execute(_KEEP_HISTORY, {"replaced_at": datetime.now()})
            con.execute(_DELETE_REPLACED)
            con.execute(_INSERT, typed)
            self._write_rejects()
            self._write_log(counts)
            persons.refresh_in_transaction(con)  # with the rows: never a person behind
            if any(c.inserted or c.replaced or c.rejected for c in counts):
                bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise
        finally:
            con.unregister("incoming")
            con.execute(_CLEAN_UP)
        self._next_ingest_id = last + 1
        self._files = []
        return counts

    def _counts(self) -> list[IngestCounts]:
        by_file = {
            file_no: (replaced, unchanged)
            for file_no, replaced, unchanged in self._con.execute(
                "SELECT file_no, count(*) FILTER (WHERE action = 'replaced'), "
                "count(*) FILTER (WHERE action = 'unchanged') FROM temp.chain WHERE file_no > 0 "
                "GROUP BY file_no"
            ).fetchall()
        }
        counts = []
        for file_no, staged in enumerate(self._files, start=1):
            accepted, rejected = len(staged.validation.accepted), len(staged.validation.rejected)
            replaced, unchanged = by_file.get(file_no, (0, 0))
            counts.append(
                IngestCounts(
                    file_name=staged.raw.path.name,
                    read=accepted + rejected,
                    accepted=accepted,
                    rejected=rejected,
                    inserted=accepted - replaced - unchanged,
                    replaced=replaced,
                    unchanged=unchanged,
                )
            )
        return counts

    def _write_rejects(self) -> None:
        frames = [
            staged.validation.rejected.with_columns(
                pl.lit(self._next_ingest_id + i, dtype=pl.Int32).alias("ingest_id"),
                pl.lit(staged.raw.path.name).alias("file_name"),
                pl.lit(staged.raw.sha256).alias("file_sha256"),
            )
            for i, staged in enumerate(self._files)
            if len(staged.validation.rejected)
        ]
        if not frames:
            return
        self._con.register("rejected_rows", pl.concat(frames, how="vertical_relaxed"))
        try:
            self._con.execute(
                "INSERT INTO rejects SELECT ingest_id, file_name, file_sha256, line, record_id, field, "
                "reason, problems, pseudonym, retention_until FROM rejected_rows"
            )
        finally:
            self._con.unregister("rejected_rows")

    def _write_log(self, counts: list[IngestCounts]) -> None:
        finished_at = datetime.now()
        self._con.executemany(
            "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    self._next_ingest_id + i,
                    c.file_name,
                    staged.raw.sha256,
                    staged.raw.file_format,
                    staged.started_at,
                    finished_at,
                    c.read,
                    c.accepted,
                    c.rejected,
                    c.inserted,
                    c.replaced,
                    c.unchanged,
                ]
                for i, (staged, c) in enumerate(zip(self._files, counts, strict=True))
            ],
        )
