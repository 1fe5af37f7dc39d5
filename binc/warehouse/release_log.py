"""The warehouse's side of the privacy ledger: which ledger its data belong to, and its releases.

`warehouse_meta.ledger_id` names the privacy ledger of the data: `binc ingest` writes it into a
new warehouse, derived one-way from the pseudonymisation key (`PseudonymKey.ledger_id`), so a
re-ingest of the same registrations with the same key into a new warehouse finds the same ledger.
A warehouse written before ledger ids existed has none; `binc release` refuses it.

`release_log` holds one row per release made from this warehouse, with the SHA-256 of the
release's line in the ledger. `binc.release.ledger` refuses a ledger that lacks one of them or
holds it changed. The row is written by the release after its ledger line and before the release
file appears: the warehouse is opened read-write for that one short transaction only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from binc.core.errors import IN_USE, UserError, storage_message, storage_problem
from binc.warehouse.schema import RELEASE_LOG_COLUMNS, rollback

LEDGER_ID_KEY = "ledger_id"
# How long the record step waits for another process (e.g. a `binc release --check`) to let go of
# the warehouse before it gives up; the release is then not published (and over-counted).
RECORD_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class ReleaseRecord:
    release_id: str
    ledger_id: str
    mechanism: str
    budget: float
    created_at: str
    ledger_line: int
    ledger_line_sha256: str


def ledger_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse's privacy ledger id; None for a warehouse of the older format."""
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [LEDGER_ID_KEY]).fetchall()
    return str(rows[0][0]) if rows else None


def claim_ledger_id(con: duckdb.DuckDBPyConnection, wanted: str, path: Path) -> None:
    """At ingest: give a new (empty) warehouse the ledger id of the key; refuse another key's data.

    A warehouse of the older format that already holds data keeps having no id (nothing proves
    its rows were pseudonymised with this key); `binc release` then asks for a re-ingest."""
    present = ledger_id(con)
    if present == wanted:
        return
    if present is not None:
        raise UserError(
            f"{path}: this warehouse holds data pseudonymised with another key (its privacy "
            "ledger id differs); ingest with the warehouse's own key — mixing keys would count "
            "one person as two"
        )
    holds_data = con.execute(
        "SELECT (SELECT count(*) FROM trajectories) + (SELECT count(*) FROM rejects) "
        "+ (SELECT count(*) FROM ingest_log)"
    ).fetchall()[0][0]
    if not holds_data:
        con.execute("INSERT INTO warehouse_meta VALUES (?, ?)", [LEDGER_ID_KEY, wanted])


def recorded_releases(con: duckdb.DuckDBPyConnection) -> list[ReleaseRecord]:
    """The releases made from this warehouse, oldest first (none in an older warehouse)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "release_log" not in tables:
        return []
    rows = con.execute(
        "SELECT release_id, ledger_id, mechanism, budget, created_at, ledger_line, "
        "ledger_line_sha256 FROM release_log ORDER BY ledger_line, created_at"
    ).fetchall()
    return [ReleaseRecord(r[0], r[1], r[2], float(r[3]), r[4], int(r[5]), r[6]) for r in rows]


def record_release(path: Path, record: ReleaseRecord) -> None:
    """Add the release to the warehouse's `release_log`, in one short read-write transaction.

    Waits up to RECORD_WAIT_SECONDS while another process has the warehouse open. Refuses when the
    file at `path` is no longer the warehouse of this ledger (replaced while the release ran)."""
    if not path.is_file():  # duckdb.connect would create a new, empty database
        raise UserError(f"{path}: the warehouse is gone; the release was not published")
    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.Error as error:
            problem = storage_problem(error)
            if problem is not None and problem[0] == IN_USE and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise UserError(_not_recorded(path, error)) from None
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            if ledger_id(con) != record.ledger_id:
                raise UserError(
                    f"{path}: the warehouse was replaced while the release was built (another "
                    "privacy ledger id); the release was not published"
                )
            con.execute(f"CREATE TABLE IF NOT EXISTS release_log ({RELEASE_LOG_COLUMNS})")
            con.execute(
                "INSERT INTO release_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    record.release_id,
                    record.ledger_id,
                    record.mechanism,
                    record.budget,
                    record.created_at,
                    record.ledger_line,
                    record.ledger_line_sha256,
                ],
            )
            con.execute("COMMIT")
        except duckdb.Error as error:
            rollback(con)
            raise UserError(_not_recorded(path, error)) from None
        except BaseException:
            rollback(con)
            raise
    finally:
        con.close()


def _not_recorded(path: Path, error: duckdb.Error) -> str:
    why = storage_message(error, path, "the warehouse", writing=True)
    if why is None:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        why = f"{path}: cannot record the release in the warehouse ({first})"
    return (
        f"{why}; the release was not published (the privacy ledger counts it already: a failure "
        "here over-counts the budget, never under-counts it)"
    )
