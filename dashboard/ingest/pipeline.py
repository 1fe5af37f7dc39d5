"""Ingest a list of provider exports: read → validate → pseudonymise → load, one file at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dashboard.errors import UserError
from dashboard.ingest.load import IngestCounts, load, previous_ingest
from dashboard.ingest.pseudonymise import PseudonymKey
from dashboard.ingest.readers import read_export
from dashboard.ingest.validate import validate
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
    try:
        for path in files:
            started_at = datetime.now()
            try:
                raw = read_export(path)
                counts = previous_ingest(con, raw.sha256)
                if counts is None:
                    counts = load(con, raw, validate(raw.frame, key, today), started_at)
            except UserError as error:
                failure = FileFailure(path.name, str(error))
                failures.append(failure)
                if on_file:
                    on_file(failure)
                continue
            done.append(counts)
            if on_file:
                on_file(counts)
    finally:
        con.execute("CHECKPOINT")
        con.close()
    return IngestReport(tuple(done), tuple(failures))
