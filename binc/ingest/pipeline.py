"""Ingest a list of provider exports: read → validate → pseudonymise → stage → load.

Files are read and validated on a worker thread (prepare.py) while the previous ones are staged;
groups of files are then written in one transaction each (load.py), strictly in the order given:
each file is in the warehouse entirely or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.load import GroupLoader, IngestCounts, previous_ingest
from binc.ingest.prepare import PreparedExports, Unreadable
from binc.ingest.validate import validate
from binc.warehouse import persons
from binc.warehouse.release_log import claim_ledger_id
from binc.warehouse.schema import connect

# Files are written in groups of about this many accepted rows: one transaction's fixed costs
# are shared by many files, the rows of one group bound the memory used, and a group is written
# while the workers validate the next files.
GROUP_ROWS = 250_000


@dataclass(frozen=True)
class FileFailure:
    file_name: str
    message: str  # one line naming file, line and field; nothing from this file was loaded


@dataclass(frozen=True)
class IngestReport:
    files: tuple[IngestCounts, ...]
    failures: tuple[FileFailure, ...]

    def total(self, field: str) -> int:
        return sum(getattr(c, field) for c in self.files if not c.already_ingested)


def ingest_files(
    warehouse: Path,
    files: Sequence[Path],
    key: PseudonymKey,
    *,
    today: date | None = None,
    on_file: Callable[[IngestCounts | FileFailure], None] | None = None,
) -> IngestReport:
    """Each file is all or nothing; a file that cannot be read is reported and the others go on."""
    today = today or date.today()
    con = connect(warehouse, create=True)
    try:  # the data's privacy ledger: named by the key, before any row of it is written
        claim_ledger_id(con, key.ledger_id(), warehouse)
    except BaseException:
        con.close()
        raise
    # Each group's transaction is durable in the write-ahead log; folding the log into the database
    # file after every transaction rewrote growing tables each time. Fold once, at the end of the run.
    con.execute("SET checkpoint_threshold = '4GB'")
    # Each group ends in a part-filled row group; at the checkpoint DuckDB's vacuum would merge it
    # with the next group's full ones, rewriting nearly every row written this run (and the
    # file grows by the copies; figures in docs/performance.md). A few part-filled row groups cost nothing.
    con.execute("SET max_vacuum_tasks = 0")
    done: list[IngestCounts] = []
    failures: list[FileFailure] = []
    ingested = {row[0] for row in con.execute("SELECT file_sha256 FROM ingest_log").fetchall()}
    try:
        with PreparedExports(files, key, today, ingested) as prepared:
            loader = GroupLoader(con)
            staged_before: set[str] = set()

            def write_group() -> None:
                for counts in loader.commit():
                    done.append(counts)
                    if on_file:
                        on_file(counts)

            for item in prepared:
                if isinstance(item, Unreadable):
                    failure = FileFailure(item.path.name, item.message)
                    failures.append(failure)
                    if on_file:
                        on_file(failure)
                    continue
                if item.validation is None or item.raw.sha256 in staged_before:
                    # The same bytes were ingested before: report that first ingest, once written.
                    if loader.holds(item.raw.sha256):
                        write_group()
                    counts = previous_ingest(con, item.raw.sha256)
                    if counts is not None:
                        done.append(counts)
                        if on_file:
                            on_file(counts)
                        continue
                # Not found after all (its first copy could not be loaded): check it like any file.
                validation = item.validation or validate(item.raw.frame, key, today)
                staged_before.add(item.raw.sha256)
                loader.stage(item.raw, validation, item.started_at)
                if loader.rows >= GROUP_ROWS:
                    write_group()
            write_group()
    finally:
        # Each group refreshed its persons in its own transaction; this catches up a warehouse
        # whose persons fell behind (e.g. written by an older version). Usually a no-op.
        try:
            persons.refresh(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return IngestReport(tuple(done), tuple(failures))
