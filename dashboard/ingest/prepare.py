"""Read and validate the next exports on worker threads while the loader stages the current ones.

Staging and writing are DuckDB work on the warehouse connection; reading and validating are
polars work. All of them release the GIL, and polars
parallelises poorly within one export of a few thousand rows, so two workers each take whole
files. Results are handed over strictly in file order, and only a few files run ahead of the
loader, which bounds memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import polars as pl

from dashboard.errors import UserError
from dashboard.ingest.readers import RawExport, read_export
from dashboard.ingest.validate import Validation, validate

_WORKERS = 2
_AHEAD = 4  # files read and validated ahead of the loader: bounds memory


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
        today: date,
        ingested_before: set[str],
    ) -> None:
        self._files = list(files)
        self._today = today
        # Files already in the warehouse are not validated: the loader reports their first ingest.
        self._ingested_before = frozenset(ingested_before)
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="ingest-prepare")

    def __enter__(self) -> PreparedExports:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __iter__(self) -> Iterator[Prepared | Unreadable]:
        pending: deque[Future[Prepared | Unreadable]] = deque()
        upcoming = iter(self._files)
        for path in upcoming:
            pending.append(self._pool.submit(self._prepare, path))
            if len(pending) >= _AHEAD:
                break
        while pending:
            item = pending.popleft().result()  # re-raises an unexpected error in the loader
            next_path = next(upcoming, None)
            if next_path is not None:
                pending.append(self._pool.submit(self._prepare, next_path))
            yield item

    def _prepare(self, path: Path) -> Prepared | Unreadable:
        started_at = datetime.now()
        try:
            raw = read_export(path)
            if raw.sha256 in self._ingested_before:
                return Prepared(raw, None, started_at)
            validation = validate(raw.frame, self._today)
        except UserError as error:
            return Unreadable(path, str(error))
        return Prepared(replace(raw, frame=pl.DataFrame()), validation, started_at)
