"""Read and validate the next exports on worker threads while the loader writes earlier ones.

Reading, validating and pseudonymising are polars and hashlib work, writing is DuckDB work on the warehouse connection; all
of them release the GIL. Small exports are validated in batches (one polars query for several
files: planning the rules costs as much as checking a few thousand rows), and two workers each
take whole batches. Results are handed over strictly in file order, and only a few batches run
ahead of the loader, which bounds memory.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import polars as pl

from binc.core.errors import UserError
from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.readers import RawExport, read_export
from binc.ingest.validate import Validation, validate_files, validate_in_pieces

_WORKERS = 2
_AHEAD = 6  # batches read and validated ahead of the loader: bounds memory
_BATCH_BYTES = 8 << 20  # tens of thousands of rows of a typical export
_PIECE_ROWS = 200_000  # a larger export is validated in pieces of this many rows, side by side


@dataclass(frozen=True)
class Prepared:
    raw: RawExport  # frame emptied once validated: the identifying text is not kept around
    validation: Validation | None  # None: these bytes are in the warehouse already, not checked
    started_at: datetime


@dataclass(frozen=True)
class Unreadable:
    path: Path
    message: str  # the UserError's one line


class PreparedExports:
    """Iterate over `files` in order as Prepared or Unreadable; use as a context manager."""

    def __init__(
        self,
        files: Sequence[Path],
        key: PseudonymKey,
        today: date,
        ingested_before: set[str],
    ) -> None:
        self._files = list(files)
        self._key, self._today = key, today
        # Files already in the warehouse are not validated: the loader reports their first ingest.
        self._ingested_before = frozenset(ingested_before)
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="ingest-prepare")
        # Pieces of one large export: a pool of their own, so a worker waiting for its pieces
        # never waits for a task queued behind it.
        self._pieces = ThreadPoolExecutor(_WORKERS, thread_name_prefix="ingest-piece")

    def __enter__(self) -> PreparedExports:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pieces.shutdown(wait=True, cancel_futures=True)

    def __iter__(self) -> Iterator[Prepared | Unreadable]:
        pending: deque[Future[list[Prepared | Unreadable]]] = deque()
        upcoming = iter(_batches(self._files))
        for batch in upcoming:
            pending.append(self._pool.submit(self._prepare, batch))
            if len(pending) >= _AHEAD:
                break
        while pending:
            items = pending.popleft().result()  # re-raises an unexpected error in the loader
            next_batch = next(upcoming, None)
            if next_batch is not None:
                pending.append(self._pool.submit(self._prepare, next_batch))
            yield from items

    def _prepare(self, batch: list[Path]) -> list[Prepared | Unreadable]:
        items: list[Prepared | Unreadable | None] = []  # None: validated below
        to_check: list[tuple[int, RawExport, datetime]] = []
        for path in batch:
            started_at = datetime.now()
            try:
                raw = read_export(path)
            except UserError as error:
                items.append(Unreadable(path, str(error)))
                continue
            if raw.sha256 in self._ingested_before:
                items.append(Prepared(raw, None, started_at))
                continue
            to_check.append((len(items), raw, started_at))
            items.append(None)
        frames = [raw.frame for _, raw, _ in to_check]
        if len(frames) == 1 and frames[0].height > _PIECE_ROWS:  # one large file: in pieces
            pieces = self._pieces.map
            checked = [validate_in_pieces(frames[0], self._key, self._today, _PIECE_ROWS, pieces)]
        else:
            checked = validate_files(frames, self._key, self._today) if frames else []
        for (position, raw, started_at), validation in zip(to_check, checked, strict=True):
            items[position] = Prepared(replace(raw, frame=pl.DataFrame()), validation, started_at)
        return [item for item in items if item is not None]


def _batches(files: Sequence[Path]) -> Iterator[list[Path]]:
    """Consecutive files of about _BATCH_BYTES together (a large file alone)."""
    batch: list[Path] = []
    size = 0
    for path in files:
        file_size = 0
        with contextlib.suppress(OSError):  # reading it will say what is wrong
            file_size = path.stat().st_size
        if file_size >= _BATCH_BYTES and batch:  # a large file alone: its own pieces
            yield batch
            batch, size = [], 0
        size += file_size
        batch.append(path)
        if size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
