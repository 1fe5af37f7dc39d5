"""The lifetime privacy budget: one append-only, hash-chained ledger per data set, not per folder.

**How privacy loss composes, per child.** A release without a publication calendar measures *all*
public start years again (phase "all"), so it charges every child its full budget, and such
releases add up. A calendar release (binc/release/calendar.py) measures start years separately:
each table's slice of a start year is one measurement ("provisional" or "definitive") with the
table's budget. A child keeps at most c trajectories over their whole life, the same ones in
every release (queries/persons_over_cap.sql), so with n_Y of them in start year Y (Σ n_Y ≤ c) and
noise calibrated to a change of c, the child's loss from year Y's slices is (n_Y / c) × what
year Y's slices spent; summed over the years that is at most the most any one start year spent.
The dropped-trajectories table counts each person's dropped trajectories up to c over their life,
so it is a second such family. The late registrations of closed years (phase "late", family
"late") are counted once each: every release counts those first ingested after the ledger's
highest `ingest_watermark`, so a child pays at most the dearest one. The per-child bound is
therefore

    Σ over "all" releases of their budget  +  Σ over the families kept and dropped of max over
    start years of the budget the family's slices of that year spent, over all releases  +  the
    largest budget of one late count,

in ε for pure ε-DP releases (`two_sided_geometric`), and in ρ once any release is zCDP
(`discrete_gaussian`), where a pure release's spend on a year counts ε²/2. The same bound holds
for zCDP slices: a child's share of a slice's ρ is (n_Y / c)² ≤ n_Y / c for trajectory counts and
1 / c ≤ n_Y / c for distinct children (L2 sensitivity √c). `LifetimeTotals` holds both.
A closed start year is measured definitively once: the ledger refuses a second definitive
measurement of the same table and year.

**Whose budget.** The ledger belongs to the data: the registrations as pseudonymised with one key.
`binc ingest` writes the data's ledger id into the warehouse (`warehouse_meta.ledger_id`, the first
32 hex digits of HMAC-SHA256(key, "binc privacy ledger v1"), `PseudonymKey.ledger_id`), so a
release counts wherever its file is written, and a re-ingest of the same registrations with the
same key into a new warehouse continues the same ledger. Another key gives other pseudonyms and a
separate ledger. A warehouse without a ledger id (written before ledger ids) is refused.

**Where.** One file per ledger id, `privacy-ledger-<ledger id>.jsonl`, in the ledger directory:
the `ledger_dir` argument (`binc release --ledger-dir`), else the one set by `use_ledger_dir` (the
demo's, inside the demo folder), else `$BINC_LEDGER_DIR`, else `$XDG_STATE_HOME/binc/ledger`
(`~/.local/state/binc/ledger`) — never a release's folder.

**What a line records** (one JSON object per line, keys sorted): `line` (1, 2, ...),
`previous_sha256` (SHA-256 of the previous line's bytes, null on line 1: the hash chain), release
id, ledger id, warehouse version, created at, mechanism, the release's total `budget` (ε or ρ: the
sum of its measurements'), per measurement its name, dimensions, the start `years` it covered,
`phase` ("all": a release without a calendar, which re-measured every year; "provisional",
"definitive", "correction" or "late"), `family` ("kept", "dropped" or "late", see above) and
budget; a calendar release's `ingest_watermark`; and the per-child lifetime totals after the
release.

**Why it cannot simply be reset.** The warehouse records each of its releases too
(`binc.warehouse.release_log`: release id, ledger id, mechanism, budget, time and the SHA-256 of
the release's ledger line). `open_ledger` refuses when the ledger file is missing although the
warehouse recorded releases, when a line is not a ledger entry, when the chain is broken (a line
edited, removed or inserted), or when a release the warehouse recorded is missing or changed.
What an operator holding the key and the raw exports could still do (delete the ledger directory
*and* the warehouse and re-ingest, or re-ingest with a new key) is in docs/design.md §4.7.

**API** (used by `binc.release.build` and `binc ledger`):

    with open_ledger(warehouse, ledger_dir) as book:    # locks the ledger file (fcntl.flock)
        totals = book.check(spend, epsilon_limit, rho_limit)  # UserError naming the rule
        ...                                              # measure, write the new release file
        book.record(release_id, warehouse_version, created_at, spend)  # before it replaces the old
    book.totals()                                        # LifetimeTotals(epsilon_pure, rho, releases, pure_only)
    book.measured(table, "definitive")                  # {start year: [release ids]} (the calendar)
    book.watermark()                                     # the highest ingest id measured, or None

`open_ledger(..., write=False)` reads without creating or locking the file for writing (`binc
ledger`). The lock is held from check to record, so two releases of the same data cannot both pass
the check: the second one is told the ledger is in use. `record` writes in the order that can only
over-count, never under-count: the ledger line first (fsync; cut back on failure, so no half line
remains), then the warehouse's record (read-write for that one transaction; the release measures
it read-only), and only then does the caller let the new release file replace the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from binc.core.errors import UserError, storage_problem
from binc.core.noise import MECHANISMS, PURE_DP, budget_text
from binc.core.resources import ledger_dir as configured_ledger_dir
from binc.warehouse.release_log import (
    ReleaseRecord,
    record_release,
    recorded_releases,
)
from binc.warehouse.release_log import ledger_id as warehouse_ledger_id
from binc.warehouse.schema import connect, warehouse_version

LEDGER_FORMAT = "binc-ledger/1"
# "all": the release re-measured every year; "correction": a closed year's definitive figures
# measured again by a correction release (binc/release/calendar.py)
# "late": the late registrations of closed years, each trajectory counted in at most one release
PHASES = ("all", "provisional", "definitive", "correction", "late")
# The families of the per-child bound: a person's kept trajectories (every table but one) and
# their dropped ones (dropped_by_bounding), each at most c over the person's life, and their late
# registrations (each counted in one release's late count).
FAMILIES = ("kept", "dropped", "late")
TOLERANCE = 1e-9
RESTORE = (
    "restore the ledger from its backup; a release is refused until the ledger agrees with the "
    "warehouse (docs/operations.md, 'When a ledger is refused')"
)


class LedgerError(UserError):
    """The ledger is missing or inconsistent (or the warehouse has no ledger id): no release can be
    accounted for until that is repaired. `binc ledger` exits with 1 on it."""


_LEDGER_ID = re.compile(r"[0-9a-f]{32}")
_DIRECTORY: ContextVar[Path | None] = ContextVar("binc_ledger_dir", default=None)


@contextlib.contextmanager
def use_ledger_dir(directory: Path) -> Iterator[None]:
    """Within this block, a `None` ledger directory means `directory` (the demo's own folder)."""
    token = _DIRECTORY.set(Path(directory))
    try:
        yield
    finally:
        _DIRECTORY.reset(token)


def resolve_ledger_dir(ledger_dir: Path | None) -> Path:
    """The ledger directory: the argument, else `use_ledger_dir`'s, else $BINC_LEDGER_DIR, else
    $XDG_STATE_HOME/binc/ledger."""
    if ledger_dir is not None:
        return Path(ledger_dir)
    return _DIRECTORY.get() or configured_ledger_dir()


def ledger_file(directory: Path, ledger_id: str) -> Path:
    return directory / f"privacy-ledger-{ledger_id}.jsonl"


@dataclass(frozen=True)
class MeasurementSpend:
    """What one measurement of a release covered, and its budget (ε or ρ, as the release's)."""

    name: str
    dimensions: tuple[str, ...]
    years: tuple[int, ...]  # the start years it measured
    phase: str  # one of PHASES: "all" (no calendar: every year re-measured), or a calendar's
    budget: float  # of each start year's slice
    family: str = "kept"  # one of FAMILIES (the module's per-child bound)


@dataclass(frozen=True)
class Spend:
    """What a release spends: its mechanism, its total budget and its measurements."""

    mechanism: str  # two_sided_geometric (budget = ε) or discrete_gaussian (budget = ρ)
    budget: float
    measurements: tuple[MeasurementSpend, ...] = ()
    # A calendar release: the highest ingest id it measured (late registrations are those first
    # ingested after the ledger's highest watermark before it); None for other releases.
    ingest_watermark: int | None = None

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({y for m in self.measurements for y in m.years}))

    def slices(self) -> dict[tuple[str, int], float]:
        """What the release spent on each (family, start year); empty for a release without a
        calendar (phase "all"), which charges every child its whole budget."""
        out: dict[tuple[str, int], float] = defaultdict(float)
        for m in self.measurements:
            if m.phase != "all":
                for year in m.years:
                    out[(m.family, year)] += m.budget
        return dict(out)


@dataclass(frozen=True)
class LifetimeTotals:
    """The lifetime privacy loss per child (the module's bound): in ε while every release was pure
    ε-DP, and in ρ (pure spends counting ε²/2); the number of releases; whether all were pure."""

    epsilon_pure: float
    rho: float
    releases: int
    pure_only: bool

    def as_metadata(self) -> dict[str, Any]:
        """Safe to publish: totals only (no ledger id, no path)."""
        return {
            "releases": self.releases,
            "lifetime_epsilon_pure": self.epsilon_pure,
            "lifetime_rho": self.rho,
            "pure_only": self.pure_only,
            "accounting": (
                "pure ε-DP: the ε of all releases of these data add up"
                if self.pure_only
                else "zCDP: the ρ of all releases of these data add up; a pure ε-DP release "
                "counts as ρ = ε²/2"
            ),
        }


def totals_of(spends: Iterable[Spend]) -> LifetimeTotals:
    """The per-child lifetime totals of these releases, in order (the module's bound)."""
    whole_epsilon = whole_rho = 0.0  # releases without a calendar charge every child in full
    slice_epsilon: dict[tuple[str, int], float] = defaultdict(float)
    slice_rho: dict[tuple[str, int], float] = defaultdict(float)
    # late counts: a trajectory enters at most one, so a child pays at most the dearest one
    late_epsilon = late_rho = 0.0
    releases = 0
    pure_only = True
    for spend in spends:
        releases += 1
        pure = spend.mechanism == PURE_DP
        pure_only = pure_only and pure
        slices = spend.slices()
        if not slices:
            whole_epsilon += spend.budget if pure else 0.0
            whole_rho += spend.budget * spend.budget / 2 if pure else spend.budget
        for (family, year), budget in slices.items():
            rho = budget * budget / 2 if pure else budget
            if family == "late":
                late_epsilon = max(late_epsilon, budget if pure else 0.0)
                late_rho = max(late_rho, rho)
                continue
            if pure:
                slice_epsilon[(family, year)] += budget
            slice_rho[(family, year)] += rho
    return LifetimeTotals(
        whole_epsilon + _worst_year(slice_epsilon) + late_epsilon,
        whole_rho + _worst_year(slice_rho) + late_rho,
        releases,
        pure_only,
    )


def _worst_year(slices: dict[tuple[str, int], float]) -> float:
    """Σ over families of the most any one start year's slices spent."""
    worst: dict[str, float] = {}
    for (family, _), budget in slices.items():
        worst[family] = max(worst.get(family, 0.0), budget)
    return sum(worst.values())


@dataclass(frozen=True)
class Entry:
    """One line of the ledger, checked."""

    number: int
    sha256: str  # of the line's bytes, without the newline
    release_id: str
    warehouse_version: str
    created_at: str
    mechanism: str
    budget: float
    measurements: tuple[MeasurementSpend, ...]

    ingest_watermark: int | None = None

    @property
    def spend(self) -> Spend:
        return Spend(self.mechanism, self.budget, self.measurements, self.ingest_watermark)

    @property
    def years(self) -> tuple[int, ...]:
        return self.spend.years


class Ledger:
    """The ledger of one data set (one ledger id), checked against its warehouse; see the module."""

    def __init__(
        self,
        path: Path,
        ledger_id: str,
        warehouse: Path,
        entries: list[Entry],
        descriptor: int | None,
        writable: bool,
    ) -> None:
        self.path = path
        self.ledger_id = ledger_id
        self.warehouse = warehouse
        self.entries = entries
        self._descriptor = descriptor
        self._writable = writable
        self._checked: Spend | None = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the file (and its lock)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def totals(self) -> LifetimeTotals:
        return totals_of(e.spend for e in self.entries)

    def watermark(self) -> int | None:
        """The highest ingest id any calendar release of these data measured (None: none)."""
        marks = [e.ingest_watermark for e in self.entries if e.ingest_watermark is not None]
        return max(marks) if marks else None

    def measured(self, table: str, phase: str) -> dict[int, list[str]]:
        """For each start year, the releases (in order) that measured `table`'s slice of it in
        `phase` (a calendar's "provisional", "definitive" or "correction")."""
        out: dict[int, list[str]] = defaultdict(list)
        for entry in self.entries:
            for m in entry.measurements:
                if m.name == table and m.phase == phase:
                    for year in m.years:
                        out[year].append(entry.release_id)
        return dict(out)

    def check(self, spend: Spend, epsilon_limit: float, rho_limit: float | None) -> LifetimeTotals:
        """The lifetime totals after this release; UserError naming the rule it would break.

        Pure ε-DP only: the ε total may not exceed `epsilon_limit` (`lifetime_epsilon_limit`).
        Once any release is zCDP, the ρ total (pure releases counting ε²/2) may not exceed
        `rho_limit` (`lifetime_rho_limit`, required then), and the pure releases' ε stays within
        `epsilon_limit` too."""
        _check_spend(spend)
        for m in spend.measurements:
            if m.phase not in ("definitive", "correction"):
                continue
            earlier = self.measured(m.name, "definitive")
            for year in m.years:
                if m.phase == "definitive" and year in earlier:
                    raise UserError(
                        f"{self.path}: calendar rule: start year {year} of table {m.name} was "
                        f"measured definitively by release {earlier[year][0]}; a closed start "
                        "year is measured once, and later releases carry its figures forward "
                        "(a correction release measures it again: binc release --correct)"
                    )
                if m.phase == "correction" and year not in earlier:
                    raise UserError(
                        f"{self.path}: calendar rule: start year {year} of table {m.name} has no "
                        "definitive figures to correct"
                    )
        before = self.totals()
        after = totals_of([*(e.spend for e in self.entries), spend])
        done = f"{before.releases} release(s) of these data"
        if after.epsilon_pure > epsilon_limit + TOLERANCE:
            raise UserError(
                f"{self.path}: lifetime budget rule (lifetime_epsilon_limit): {done} have spent "
                f"up to ε {before.epsilon_pure:g} per child; this release would take that to "
                f"ε {after.epsilon_pure:g}, above "
                f"lifetime_epsilon_limit = {epsilon_limit:g} in the release config — keep using "
                "the latest release, or have the data-protection officer approve a higher limit"
            )
        if not after.pure_only:
            if rho_limit is None:
                raise UserError(
                    f"{self.path}: lifetime budget rule (lifetime_rho_limit): a zCDP release is "
                    "accounted in ρ, and the release config declares no lifetime_rho_limit in "
                    "[privacy]; have the data-protection officer set one"
                )
            if after.rho > rho_limit + TOLERANCE:
                raise UserError(
                    f"{self.path}: lifetime budget rule (lifetime_rho_limit): {done} have spent "
                    f"up to ρ {before.rho:g} per child (pure ε-DP releases count as ε²/2); this "
                    f"release of {_budget_text(spend.mechanism, spend.budget)} would take that to "
                    f"ρ {after.rho:g}, above "
                    f"lifetime_rho_limit = {rho_limit:g} in the release config — keep using the "
                    "latest release, or have the data-protection officer approve a higher limit"
                )
        self._checked = spend
        return after

    def record(
        self, release_id: str, warehouse_version: str, created_at: str, spend: Spend
    ) -> None:
        """Append the release's chained line (fsync; cut back on failure) and record it in the
        warehouse. Call it after `check(spend, ...)`, once the release file is complete and before
        it replaces the old one."""
        if not self._writable or self._descriptor is None:
            raise RuntimeError("the ledger was opened for reading (or closed)")
        if self._checked != spend:
            raise RuntimeError("record() needs a check() of the same spend first")
        after = totals_of([*(e.spend for e in self.entries), spend])
        document = {
            "format": LEDGER_FORMAT,
            "line": len(self.entries) + 1,
            "previous_sha256": self.entries[-1].sha256 if self.entries else None,
            "release_id": release_id,
            "ledger_id": self.ledger_id,
            "warehouse_version": warehouse_version,
            "created_at": created_at,
            "mechanism": spend.mechanism,
            "budget": spend.budget,
            "measurements": [
                {
                    "name": m.name,
                    "dimensions": list(m.dimensions),
                    "years": list(m.years),
                    "phase": m.phase,
                    "family": m.family,
                    "budget": m.budget,
                }
                for m in spend.measurements
            ],
            "lifetime_epsilon_pure": after.epsilon_pure,
            "lifetime_rho": after.rho,
        }
        if spend.ingest_watermark is not None:
            document["ingest_watermark"] = spend.ingest_watermark
        text = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(text).hexdigest()
        self._append(text + b"\n")
        record_release(
            self.warehouse,
            ReleaseRecord(
                release_id,
                self.ledger_id,
                spend.mechanism,
                spend.budget,
                created_at,
                len(self.entries) + 1,
                digest,
            ),
        )
        self.entries.append(
            Entry(
                len(self.entries) + 1,
                digest,
                release_id,
                warehouse_version,
                created_at,
                spend.mechanism,
                spend.budget,
                spend.measurements,
                spend.ingest_watermark,
            )
        )
        self._checked = None

    def _append(self, line: bytes) -> None:
        """Write one whole line and fsync it; on failure (e.g. disk full) cut the file back."""
        descriptor = self._descriptor
        if descriptor is None:
            raise RuntimeError("the ledger is closed")
        size = os.lseek(descriptor, 0, os.SEEK_END)
        try:
            rest = memoryview(line)
            while rest:  # a write may be partial; it raises when nothing fits
                rest = rest[os.write(descriptor, rest) :]
            os.fsync(descriptor)
            if size == 0:  # a new file: make its directory entry durable too
                _fsync_directory(self.path.parent)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, size)
            reason = storage_problem(error)
            raise UserError(
                f"{self.path}: could not record the release in the privacy ledger "
                f"({reason[1] if reason else type(error).__name__}); the release was not published"
            ) from None


def open_ledger(warehouse: Path, ledger_dir: Path | None, *, write: bool = True) -> Ledger:
    """The ledger of the warehouse's data, checked against the warehouse's release records and
    its hash chain (UserError when missing or inconsistent). `write`: create the file when new and
    hold an exclusive lock on it until the ledger is closed (use it in a `with` block)."""
    warehouse = Path(warehouse)
    with connect(warehouse, read_only=True) as con:
        ledger_id = warehouse_ledger_id(con)
        records = recorded_releases(con)
        version = warehouse_version(con)
    if ledger_id is None:
        raise LedgerError(
            f"{warehouse}: this warehouse has no privacy ledger id (it was written by an older "
            "version of binc); re-ingest the provider exports into a new warehouse with "
            "`binc ingest` and the same key, and release from that one"
        )
    if not _LEDGER_ID.fullmatch(ledger_id):
        raise LedgerError(
            f"{warehouse}: the warehouse's privacy ledger id is damaged; restore the warehouse "
            "from a backup"
        )
    directory = resolve_ledger_dir(ledger_dir)
    path = ledger_file(directory, ledger_id)
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: the ledger directory is a file; give a directory")
    if not path.is_file() and records:
        last = records[-1]
        raise LedgerError(
            f"{path}: the privacy ledger is missing, but {warehouse} (version {version}) records "
            f"{len(records)} release(s) made with it, the last {last.release_id} at "
            f"{last.created_at}; restore the ledger directory from its backup, or point "
            "--ledger-dir or BINC_LEDGER_DIR at it"
        )
    descriptor: int | None = None
    lenient_tail = False
    try:
        if write:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            except OSError as error:
                raise UserError(_cannot(path, error, "open")) from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(
                    f"{path}: the privacy ledger is in use by another release of the same data; "
                    "try again when it finishes"
                ) from None
            data = _read_all(descriptor)
        elif path.is_file():
            try:
                reader = os.open(path, os.O_RDONLY)
            except OSError as error:
                raise UserError(_cannot(path, error, "read")) from None
            try:
                try:
                    fcntl.flock(reader, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:  # a release is writing: its last line may be unfinished
                    lenient_tail = True
                data = _read_all(reader)
            finally:
                os.close(reader)  # releases the shared lock
        else:
            data = b""
        entries = _parse(path, data, ledger_id, lenient_tail)
        _agree(path, entries, records, warehouse)
    except BaseException:
        if descriptor is not None:
            os.close(descriptor)
        raise
    return Ledger(path, ledger_id, warehouse, entries, descriptor, write)


# ---- reading and checking -------------------------------------------------------------------------


def _parse(path: Path, data: bytes, ledger_id: str, lenient_tail: bool) -> list[Entry]:
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty unless a line is unfinished
    if tail and not lenient_tail:
        raise LedgerError(
            f"{path}: line {len(lines) + 1} is incomplete (a release was interrupted while its "
            "line was written, and that release was not published); "
            f"{RESTORE}, or remove exactly that incomplete last line"
        )
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, text in enumerate(lines, start=1):
        entry, document = _entry(path, number, text, ledger_id)
        previous = entries[-1].sha256 if entries else None
        if document.get("previous_sha256") != previous:
            raise LedgerError(
                f"{path}: line {number} does not follow line {number - 1} (the hash chain is "
                f"broken: a line was edited, removed or inserted); {RESTORE}"
                if number > 1
                else f"{path}: line 1 is not the first line of a ledger (the hash chain is "
                f"broken: lines were removed before it); {RESTORE}"
            )
        if entry.release_id in seen:
            raise LedgerError(
                f"{path}: line {number} repeats release {entry.release_id}; {RESTORE}"
            )
        seen.add(entry.release_id)
        entries.append(entry)
        recorded = document.get("lifetime_epsilon_pure"), document.get("lifetime_rho")
        totals = totals_of(e.spend for e in entries)
        if not (
            isinstance(recorded[0], (int, float))
            and isinstance(recorded[1], (int, float))
            and math.isclose(recorded[0], totals.epsilon_pure, abs_tol=TOLERANCE)
            and math.isclose(recorded[1], totals.rho, abs_tol=TOLERANCE)
        ):
            raise LedgerError(
                f"{path}: line {number} states lifetime totals that its lines do not add up to; "
                f"{RESTORE}"
            )
    return entries


def _agree(path: Path, entries: list[Entry], records: list[ReleaseRecord], warehouse: Path) -> None:
    """Every release the warehouse recorded is in the ledger, unchanged."""
    by_id = {e.release_id: e for e in entries}
    for record in records:
        entry = by_id.get(record.release_id)
        if entry is None:
            raise LedgerError(
                f"{path}: release {record.release_id} of {record.created_at}, recorded in "
                f"{warehouse}, is not in the ledger (lines were removed, or this is another "
                f"ledger file); {RESTORE}"
            )
        if entry.sha256 != record.ledger_line_sha256:
            raise LedgerError(
                f"{path}: line {entry.number} (release {record.release_id}) is not the line "
                f"{warehouse} recorded when the release was made (it was edited); {RESTORE}"
            )


def _entry(path: Path, number: int, text: bytes, ledger_id: str) -> tuple[Entry, dict[str, Any]]:
    def bad(what: str) -> LedgerError:
        return LedgerError(
            f"{path}: line {number} is not a ledger entry ({what}); {RESTORE} — the ledger "
            "records the privacy budget already spent and may not be edited by hand"
        )

    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad("not JSON") from None
    if not isinstance(document, dict) or document.get("format") != LEDGER_FORMAT:
        raise bad(f"no format {LEDGER_FORMAT}")
    if document.get("line") != number:
        raise LedgerError(
            f"{path}: line {number} says it is line {document.get('line')!r} (lines were "
            f"removed or inserted); {RESTORE}"
        )
    if document.get("ledger_id") != ledger_id:
        raise LedgerError(
            f"{path}: line {number} belongs to another ledger (another ledger id; the file was "
            f"copied or renamed); {RESTORE}"
        )
    try:
        mechanism = document["mechanism"]
        budget = document["budget"]
        strings = [document[k] for k in ("release_id", "warehouse_version", "created_at")]
        measurements = tuple(
            MeasurementSpend(
                str(m["name"]),
                tuple(str(d) for d in m["dimensions"]),
                tuple(int(y) for y in m["years"]),
                str(m["phase"]),
                float(m["budget"]),
                str(m.get("family", "kept")),
            )
            for m in document["measurements"]
        )
    except (KeyError, TypeError, ValueError):
        raise bad("a field is missing or of the wrong type") from None
    watermark = document.get("ingest_watermark")
    if watermark is not None and (isinstance(watermark, bool) or not isinstance(watermark, int)):
        raise bad("the ingest watermark is not a whole number")
    if mechanism not in MECHANISMS:
        raise bad(f"unknown mechanism {mechanism!r}")
    if not all(isinstance(s, str) and s for s in strings):
        raise bad("release id, warehouse version or time missing")
    if not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
        raise bad("the budget is not a positive number")
    entry = Entry(
        number,
        hashlib.sha256(text).hexdigest(),
        strings[0],
        strings[1],
        strings[2],
        mechanism,
        float(budget),
        measurements,
        watermark,
    )
    return entry, document


def _check_spend(spend: Spend) -> None:
    """A programmer's mistake in what the builder hands over (not the user's)."""
    if spend.mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {spend.mechanism!r}; one of {MECHANISMS}")
    if not (math.isfinite(spend.budget) and spend.budget > 0):
        raise ValueError("a release's budget is a positive number")
    for m in spend.measurements:
        if m.phase not in PHASES:
            raise ValueError(f"unknown phase {m.phase!r}; one of {PHASES}")
        if m.family not in FAMILIES:
            raise ValueError(f"unknown family {m.family!r}; one of {FAMILIES}")
    if len({m.phase == "all" for m in spend.measurements}) > 1:
        raise ValueError("a release re-measures every year (phase all) or follows a calendar")
    if sum(m.budget for m in spend.measurements) > spend.budget + TOLERANCE:
        raise ValueError("the measurements spend more than the release's budget")


def _budget_text(mechanism: str, budget: float) -> str:
    return budget_text(mechanism, budget)


def _read_all(descriptor: int) -> bytes:
    size = os.fstat(descriptor).st_size
    chunks = []
    offset = 0
    while offset < size:
        chunk = os.pread(descriptor, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _fsync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable (best effort: not every file system can)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _cannot(path: Path, error: OSError, doing: str) -> str:
    problem = storage_problem(error)
    reason = problem[1] if problem else (error.strerror or type(error).__name__)
    return f"{path}: cannot {doing} the privacy ledger ({reason})"
