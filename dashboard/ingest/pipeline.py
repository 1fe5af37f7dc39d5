"""Ingest a list of provider exports: read → validate → pseudonymise → load, one file at a time.

Files are loaded strictly in the order given, each in its own transaction; the next files are
read and validated on a worker thread meanwhile (prepare.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dashboard.ingest.load import IngestCounts, load, previous_ingest
from dashboard.ingest.prepare import PreparedExports, Unreadable
from dashboard.ingest.pseudonymise import PseudonymKey
from dashboard.ingest.validate import validate
from dashboard.warehouse import persons
from dashboard.warehouse.schema import connect


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
    # Each file's transaction is durable in the write-ahead log; folding the log into the database
    # file after every file rewrote growing tables each time. Fold once, at the end of the run.
    con.execute("SET checkpoint_threshold = '4GB'")
    done: list[IngestCounts] = []
    failures: list[FileFailure] = []
    ingested = {row[0] for row in con.execute("SELECT file_sha256 FROM ingest_log").fetchall()}
    persons.start_tracking(con)
    try:
        with PreparedExports(files, key, today, ingested) as prepared:
            for item in prepared:
                if isinstance(item, Unreadable):
                    failure = FileFailure(item.path.name, item.message)
                    failures.append(failure)
                    if on_file:
                        on_file(failure)
                    continue
                # Only a file whose bytes were seen before went unvalidated; look up its first ingest.
                counts = None if item.validation else previous_ingest(con, item.raw.sha256)
                if counts is None:
                    validation = item.validation or validate(item.raw.frame, key, today)
                    counts = load(con, item.raw, validation, item.started_at)
                done.append(counts)
                if on_file:
                    on_file(counts)
    finally:
        # Also after a failure: the files committed before it must have their persons.
        try:
            persons.refresh_touched(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return IngestReport(tuple(done), tuple(failures))
