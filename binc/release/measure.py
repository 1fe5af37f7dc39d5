"""True marginals of the declared workload, computed by the SQL in queries/ — in memory only.

The warehouse is attached read-only to a private in-memory DuckDB database. There we load the
public keys (reference data + the config's years) as ENUM-typed tables, bound every person's
contribution once into a temp table, and run one query per measured marginal over it. True counts
leave this module only as numpy arrays handed to the noise step; they are never written, printed
or logged. DuckDB may spill to a private temporary directory that is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from binc.core.dimensions import (
    BAND_DIMENSIONS,
    band_lookup,
    domain,
    known_dimensions,
    rollup_map,
)
from binc.core.resources import queries_dir
from binc.release.config import MeasurementSpec, ReleaseConfig
from binc.warehouse.schema import connect, warehouse_version

# DuckDB buffer limit of the measuring database (spills to a private directory beyond it).
MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class TrueMarginal:
    """Exact counts of one measurement in cube order (C order over the dimensions' public domains)."""

    spec: MeasurementSpec
    domains: tuple[tuple[str, ...], ...]
    counts: np.ndarray  # int64, flat

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(d) for d in self.domains)


@dataclass(frozen=True)
class BoundingReport:
    """Exact figures of the bounding step; used in tests only, never written to a release."""

    persons_over_cap: int
    rows_dropped: int


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _load_public_keys(con: duckdb.DuckDBPyConnection, config: ReleaseConfig) -> None:
    """key_<dim> tables and band lookups: everything a query may group by, from public data."""
    for dim in known_dimensions():
        codes = domain(dim, config.years)
        if dim == "year":
            con.execute(
                "CREATE TEMP TABLE key_year AS SELECT CAST(range AS SMALLINT) AS year FROM range(?, ?)",
                [config.first_year, config.last_year + 1],
            )
            continue
        con.execute(f"CREATE TYPE {dim}_key AS ENUM ({', '.join(_quote(c) for c in codes)})")
        con.execute(
            f"CREATE TEMP TABLE key_{dim} AS SELECT CAST(unnest(?) AS {dim}_key) AS {dim}",
            [list(codes)],
        )
    # The end group of every end reason (a public rollup), for measured_trajectories.sql's join.
    groups = rollup_map("end_reason", "end_group")
    con.execute(
        "CREATE TEMP TABLE rollup_end_group AS SELECT CAST(reason AS end_reason_key) AS end_reason, "
        "CAST(end_group AS end_group_key) AS end_group "
        "FROM (SELECT unnest(?) AS reason, unnest(?) AS end_group)",
        [list(groups), list(groups.values())],
    )
    for dim in BAND_DIMENSIONS:
        _, lookup = band_lookup(dim)
        con.register("lookup_frame", lookup)
        con.execute(
            f"CREATE TEMP TABLE band_{dim} AS SELECT value, CAST({dim} AS {dim}_key) AS {dim} FROM lookup_frame"
        )
        con.unregister("lookup_frame")


def _band_parameters() -> dict[str, int]:
    names = {
        "age_band": "age_open",
        "family_size_band": "family_size_open",
        "duration_band": "duration_open",
        "waiting_band": "waiting_open",
    }
    return {names[dim]: band_lookup(dim)[0] for dim in BAND_DIMENSIONS}


def read_query(name: str) -> str:
    return (queries_dir() / f"{name}.sql").read_text(encoding="utf-8")


@contextmanager
def measuring_connection(warehouse: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A private in-memory database with the warehouse attached read-only as `wh`."""
    # Fail early with the warehouse module's clear messages (missing file, not a warehouse).
    with connect(warehouse, read_only=True) as check:
        version = warehouse_version(check)
    spill = tempfile.mkdtemp(prefix="binc-release-")
    # Insertion order is irrelevant (every query groups) and keeping it costs time and memory; the
    # memory limit bounds a large release's peak (DuckDB spills to `spill` beyond it).
    con = duckdb.connect(
        ":memory:",
        config={
            "temp_directory": spill,
            "preserve_insertion_order": False,
            "memory_limit": MEMORY_LIMIT,
        },
    )
    try:
        con.execute("SET enable_progress_bar = false")  # a release prints its summary, not progress
        con.execute(f"ATTACH {_quote(str(warehouse))} AS wh (READ_ONLY)")
        yield con, version
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def bound_contributions(
    con: duckdb.DuckDBPyConnection, config: ReleaseConfig, as_of: date
) -> BoundingReport:
    """Load public keys and create `bounded_trajectories`: at most c trajectories per person over
    the person's whole life (the same ones in every release; persons_over_cap.sql), as known on
    `as_of`."""
    _load_public_keys(con, config)
    years = {"first_year": config.first_year, "last_year": config.last_year}
    cap = config.contribution_cap
    # One scan of the warehouse derives every code; bounding then works on small columns only.
    con.execute(
        read_query("measured_trajectories"), {**years, "as_of": as_of, **_band_parameters()}
    )
    con.execute(read_query("persons_over_cap"), {"cap": cap})
    con.execute(read_query("bounded_trajectories"), {"cap": cap})
    con.execute("ALTER TABLE measured_trajectories RENAME TO bounded_trajectories")
    persons, dropped = con.execute(
        "SELECT count(*), coalesce(sum(trajectories - ?), 0) "
        "FROM (SELECT DISTINCT pseudonym, trajectories FROM persons_over_cap)",
        [cap],
    ).fetchall()[0]
    return BoundingReport(persons_over_cap=int(persons), rows_dropped=int(dropped))


def spec_sql(spec: MeasurementSpec) -> str:
    """The SQL of one measurement: its own file, or the marginal template over its dimensions."""
    if spec.query is not None:
        return spec.query.read_text(encoding="utf-8")
    allowed = set(known_dimensions())
    if not spec.dimensions or any(d not in allowed for d in spec.dimensions):
        raise ValueError(f"{spec.name}: a generated marginal needs known dimensions")
    columns = ", ".join(spec.dimensions)
    keys = " CROSS JOIN ".join(f"key_{d}" for d in spec.dimensions)
    return read_query("marginal").format(columns=columns, keys=keys)


def true_marginal(
    con: duckdb.DuckDBPyConnection, spec: MeasurementSpec, config: ReleaseConfig
) -> TrueMarginal:
    """Run one measurement's SQL over `bounded_trajectories`; check it returned the full public cube."""
    domains = tuple(domain(d, config.years) for d in spec.dimensions)
    sql = spec_sql(spec)
    params = {"cap": config.contribution_cap} if "$cap" in sql else None
    result = con.sql(sql, params=params).to_arrow_table()
    counts = result.column("true_count").to_numpy().astype(np.int64)
    expected = int(np.prod([len(d) for d in domains], dtype=np.int64))
    if counts.size != expected:
        raise RuntimeError(f"{spec.name} returned {counts.size} cells, expected {expected}")
    # The cells must come in cube order; check each key column against the expected pattern.
    size = expected
    repeat = 1
    for dim, codes in reversed(list(zip(spec.dimensions, domains, strict=True))):
        got = np.asarray(result.column(dim).cast("string").to_numpy(zero_copy_only=False)).astype(
            str
        )
        want = np.tile(np.repeat(np.array(codes), repeat), size // (repeat * len(codes)))
        if not np.array_equal(got, want):
            raise RuntimeError(f"{spec.name}: cells are not in public-domain order for {dim}")
        repeat *= len(codes)
    return TrueMarginal(spec=spec, domains=domains, counts=counts)


def ingest_watermark(con: duckdb.DuckDBPyConnection) -> int:
    """The highest ingest id among the warehouse's registrations (0 when empty): what a calendar
    release records in the ledger, so the next one knows which registrations arrived since."""
    row = con.execute("SELECT coalesce(max(ingest_id), 0) FROM wh.trajectories").fetchone()
    return int(row[0]) if row else 0


def late_counts(
    con: duckdb.DuckDBPyConnection, config: ReleaseConfig, watermark: int
) -> np.ndarray:
    """Per start year of the config (in order), the kept trajectories first ingested after
    `watermark` (queries/late_registrations.sql; after `bound_contributions`): true counts, for
    the noise step only."""
    rows = con.execute(read_query("late_registrations"), {"watermark": watermark}).fetchall()
    counts = {int(year): int(count) for year, count in rows}
    return np.array([counts.get(year, 0) for year in config.years], dtype=np.int64)
