"""The warehouse's tables, its categorical types and its version.

No column anywhere holds a name, a national number, a street, a house number, a postal code or
the key. A person is known only by `pseudonym` (keyed HMAC-SHA256 of the national number).

The warehouse version is `<warehouse_id>.<data_version>`: a random id fixed at creation and a
counter raised by every ingest or purge that changes data. Releases record it, so a release can be
matched to the warehouse state it measured.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import duckdb

from binc.core.errors import UserError, storage_message
from binc.core.reference import codes, partnerships

SCHEMA_VERSION = "2"  # 2: trajectories no longer store a row hash

# Categorical columns are DuckDB ENUMs: smaller and faster to group by than text.
ENUM_TYPES: dict[str, str] = {
    "programme_code": "programme",
    "sex_code": "sex",
    "family_situation_code": "family_situation",
    "trajectory_type_code": "trajectory_type",
    "end_reason_code": "end_reason",
    "follow_up_code": "follow_up",
}

# Columns of one registered trajectory, shared by `trajectories` and `trajectory_history`.
TRAJECTORY_COLUMNS = """
    record_id         VARCHAR NOT NULL,  -- the provider's registration id (corrections reuse it)
    pseudonym         VARCHAR NOT NULL,  -- HMAC-SHA256(key, national number), hex
    programme         programme_code NOT NULL,
    partnership_id    partnership_code,  -- NULL for other youth care
    municipality_nis  VARCHAR NOT NULL,  -- 2025 geography (pre-2025 codes mapped)
    province_nis      VARCHAR NOT NULL,  -- Brussels-Capital Region = 04000
    sex               sex_code NOT NULL,
    birth_year        SMALLINT NOT NULL,
    age_at_start      SMALLINT NOT NULL, -- completed years on start_date
    family_situation  family_situation_code NOT NULL,
    family_size       SMALLINT NOT NULL,
    trajectory_type   trajectory_type_code NOT NULL,
    referral_date     DATE,
    start_date        DATE NOT NULL,
    end_date          DATE,              -- NULL while ongoing
    end_reason        end_reason_code,
    follow_up         follow_up_code,
    retention_until   DATE NOT NULL,     -- the person's 35th birthday as this row says: purge reads it
    ingest_id         INTEGER NOT NULL,  -- which ingest wrote this version (see ingest_log)
    source_line       INTEGER NOT NULL   -- line in that file (header = line 1)
"""

RELEASE_LOG_COLUMNS = """
    release_id        VARCHAR NOT NULL,
    ledger_id         VARCHAR NOT NULL,  -- warehouse_meta.ledger_id when the release was made
    mechanism         VARCHAR NOT NULL,  -- two_sided_geometric (budget = ε) or discrete_gaussian (ρ)
    budget            DOUBLE NOT NULL,
    created_at        VARCHAR NOT NULL,  -- ISO 8601, as in the release's metadata
    ledger_line       INTEGER NOT NULL,  -- the number of the release's line in the ledger
    ledger_line_sha256 VARCHAR NOT NULL  -- SHA-256 of that line
"""

TABLES = f"""
CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

-- One row per pseudonym, derived from its registrations (latest ingest wins). Refreshed at the end
-- of every ingest run for every ingest since the last refresh (warehouse_meta.persons_through);
-- purge never depends on it being fresh.
CREATE TABLE IF NOT EXISTS persons (
    pseudonym        VARCHAR NOT NULL,
    birth_year       SMALLINT NOT NULL,
    sex              sex_code NOT NULL,
    -- The 35th birthday. Retention law needs the exact day, so the birth date survives in this one
    -- derived form (purge removes the person on it); the release layer never reads it.
    retention_until  DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS trajectories ({TRAJECTORY_COLUMNS});

CREATE TABLE IF NOT EXISTS trajectory_history (
    {TRAJECTORY_COLUMNS},
    replaced_at         TIMESTAMP NOT NULL,
    replaced_by_ingest  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS rejects (
    ingest_id        INTEGER NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_sha256      VARCHAR NOT NULL,
    line             INTEGER NOT NULL,   -- header = line 1; for XLSX the sheet row, for Parquet row + 1
    record_id        VARCHAR,
    field            VARCHAR NOT NULL,   -- the first field in error
    reason           VARCHAR NOT NULL,   -- why, in one sentence, without the offending identifying value
    problems         VARCHAR NOT NULL,   -- every problem of the row: "field: reason; ..."
    pseudonym        VARCHAR,            -- when the national number was valid: lets purge and
    retention_until  DATE                --   subject access reach rejected rows too
);

CREATE TABLE IF NOT EXISTS ingest_log (
    ingest_id    INTEGER NOT NULL,
    file_name    VARCHAR NOT NULL,
    file_sha256  VARCHAR NOT NULL,
    file_format  VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    rows_read    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    replaced     BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL
);

-- One row per release made from this warehouse (binc/warehouse/release_log.py): the privacy
-- ledger must hold each of them, unchanged (binc/release/ledger.py).
CREATE TABLE IF NOT EXISTS release_log ({RELEASE_LOG_COLUMNS});

CREATE TABLE IF NOT EXISTS purge_log (
    purged_at             TIMESTAMP NOT NULL,
    as_of                 DATE NOT NULL,
    persons_removed       BIGINT NOT NULL,
    trajectories_removed  BIGINT NOT NULL,
    history_removed       BIGINT NOT NULL,
    rejects_removed       BIGINT NOT NULL
);
"""


def _enum_ddl(type_name: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"CREATE TYPE {type_name} AS ENUM ({quoted})"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every type and table of an empty warehouse, and give it its identity."""
    existing = {
        row[0]
        for row in con.execute("SELECT type_name FROM duckdb_types() WHERE NOT internal").fetchall()
    }
    for type_name, list_name in ENUM_TYPES.items():
        if type_name not in existing:
            con.execute(_enum_ddl(type_name, codes(list_name)))
    if "partnership_code" not in existing:
        con.execute(_enum_ddl("partnership_code", tuple(partnerships()["partnership_id"])))
    con.execute(TABLES)
    con.execute(
        "INSERT INTO warehouse_meta SELECT * FROM (VALUES ('schema_version', ?), ('warehouse_id', ?), "
        "('data_version', '0')) AS v(key, value) WHERE NOT EXISTS (SELECT 1 FROM warehouse_meta)",
        [SCHEMA_VERSION, uuid.uuid4().hex],
    )


def connect(
    path: Path | str, *, read_only: bool = False, create: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file. `create` makes a new one when missing; otherwise a missing file is an error."""
    path = Path(path)
    existed = path.exists()
    if not existed and not create:
        raise UserError(f"{path}: no warehouse at this path (run `binc ingest` to create one)")
    if path.is_dir():
        raise UserError(f"{path} is a directory; give the warehouse file, e.g. {path / 'w.duckdb'}")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise UserError(_open_failure(path, error)) from None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    except duckdb.Error as error:  # e.g. a damaged catalogue
        con.close()
        raise UserError(_open_failure(path, error)) from None
    # Only a new or empty file becomes a warehouse: `binc ingest --warehouse release.duckdb` must
    # not turn a release (or any other DuckDB file) into a half-warehouse.
    if create and not read_only and (not tables or "warehouse_meta" in tables):
        create_schema(con)
        tables.add("warehouse_meta")
    if "warehouse_meta" not in tables:
        con.close()
        raise UserError(
            f"{path}: this DuckDB file is not a BINC warehouse (no warehouse_meta table)"
        )
    if not read_only:
        _upgrade(con)
    return con


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse written by an earlier version of this schema up to date, in place."""
    version = con.execute(
        "SELECT value FROM warehouse_meta WHERE key = 'schema_version'"
    ).fetchall()
    if version and version[0][0] == "1":
        # Version 1 kept an md5 of every row to recognise re-sends; ingest now compares the few
        # rows that share a record_id directly, so the column (and its cost) is dropped.
        con.execute(
            "BEGIN TRANSACTION; "
            "ALTER TABLE trajectories DROP COLUMN row_hash; "
            "ALTER TABLE trajectory_history DROP COLUMN row_hash; "
            "UPDATE warehouse_meta SET value = '2' WHERE key = 'schema_version'; "
            "COMMIT"
        )


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction. A COMMIT that failed has ended it already; the ROLLBACK's own
    complaint about that would hide the error that matters, which the caller re-raises."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def warehouse_version(con: duckdb.DuckDBPyConnection) -> str:
    """`<warehouse_id>.<data_version>`, recorded by every release."""
    meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
    return f"{meta['warehouse_id']}.{meta['data_version']}"


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Called inside the transaction of any change to the data, so the version moves with it."""
    con.execute(
        "UPDATE warehouse_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
    )


def _open_failure(path: Path, error: duckdb.Error) -> str:
    """Why the warehouse cannot be opened, in one line naming the file (never DuckDB's traceback)."""
    message = storage_message(error, path, "the warehouse", writing=False)
    return message or f"{path}: cannot open as a DuckDB warehouse ({_first_line(error)})"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
