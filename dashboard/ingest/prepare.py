"""Read and validate the next exports on a worker thread while the current one loads.

Loading is DuckDB work on the warehouse connection (much of it single-threaded index upkeep);
reading, validating and pseudonymising are polars and private-DuckDB work. Both release the GIL,
so on a machine with two cores or more the next file is ready by the time the previous one is
committed. The queue is short, so at most a couple of validated files wait in memory.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import polars as pl

from dashboard.errors import UserError
from dashboard.ingest.pseudonymise import PseudonymKey
from dashboard.ingest.readers import RawExport, read_export
from dashboard.ingest.validate import Validation, validate

_AHEAD = 2  # validated files waiting for the loader: bounds memory


@dataclass(frozen=True)
class Prepared:
    raw: RawExport  # frame emptied once validated: the identifying text is not kept around
    validation: Validation | None  # None: the same bytes were ingested before, nothing to check
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
        # Files already in the warehouse, and files met earlier in this run, are not validated:
        # the loader skips them as already ingested.
        self._seen = set(ingested_before)
        self._queue: queue.Queue[Prepared | Unreadable | BaseException] = queue.Queue(_AHEAD)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="ingest-prepare", daemon=True)

    def __enter__(self) -> PreparedExports:
        self._worker.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        while self._worker.is_alive():  # unblock a worker waiting to put
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._worker.join()

    def __iter__(self) -> Iterator[Prepared | Unreadable]:
        for _ in self._files:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    def _work(self) -> None:
        for path in self._files:
            try:
                item: Prepared | Unreadable | BaseException = self._prepare(path)
            except UserError as error:
                item = Unreadable(path, str(error))
            except BaseException as error:  # handed to the loader thread, which raises it
                item = error
            if not self._put(item) or isinstance(item, BaseException):
                return

    def _prepare(self, path: Path) -> Prepared:
        started_at = datetime.now()
        raw = read_export(path)
        if raw.sha256 in self._seen:
            return Prepared(raw, None, started_at)
        self._seen.add(raw.sha256)
        validation = validate(raw.frame, self._key, self._today)
        return Prepared(replace(raw, frame=pl.DataFrame()), validation, started_at)

    def _put(self, item: Prepared | Unreadable | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
