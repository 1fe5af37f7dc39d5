"""The release file: noisy measurements and their metadata, written atomically and read back read-only.

Format: one DuckDB file with
- `release_metadata(document)`: one row, a JSON document (release id, warehouse version, created at,
  the mechanism and its budget per table and in total (ε for pure ε-DP; ρ, and the (ε, δ) it
  implies, for zCDP), c, k, noise distribution and scale per table, bounding, code version,
  composition and lifetime budget, the public domain of every dimension);
- `measurements`: one row per measured table (name, unit, dimensions, ε or ρ, sensitivity,
  distribution, noise variance, cells);
- `cells_<name>` per table: `cell` (position in the public cube), one column of codes per
  dimension, `noisy` (the measured count: true count + noise, may be negative) and `estimate` (the
  consistent non-negative integer post-processing of the noisy counts).
No true count is ever written. A reader needs nothing but this file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from binc.core.errors import IN_USE, UserError, storage_message, storage_problem
from binc.core.noise import BUDGET_NAMES, PURE_DP, Noise, noise_for

FORMAT = "binc-release/1"
Z95 = 1.959963984540054  # the normal 97.5% quantile: 95% intervals


@dataclass(frozen=True)
class Measurement:
    """One measured table as the answering layer uses it: cubes in public-domain order."""

    name: str
    unit: str
    dimensions: tuple[str, ...]
    domains: tuple[tuple[str, ...], ...]
    noise: Noise  # of every cell, unless `year_noise` gives a start year's slice its own
    noisy: np.ndarray  # int64, shape = domain sizes
    estimate: np.ndarray  # int64 >= 0, same shape, consistent with the other tables
    # A calendar release (docs/methodology.md, "The publication calendar") holds start years
    # measured with different budgets: definitive ones carried forward, provisional ones of its
    # own. Then this is the noise of each year's slice, in the order of the year domain.
    year_noise: tuple[Noise, ...] = ()

    @property
    def _slice_noises(self) -> tuple[Noise, ...]:
        """Each start year's noise, or the one noise of every cell (`_per_cell` spreads them)."""
        return self.year_noise or (self.noise,)

    @property
    def noises(self) -> tuple[Noise, ...]:
        """Every distinct noise of the table's cells."""
        return tuple(dict.fromkeys(self._slice_noises))

    @property
    def cell_variance(self) -> float:
        """The largest noise variance of any cell (all cells have it unless `year_noise` differs)."""
        return max(n.variance for n in self.noises)

    def _per_cell(self, values: list[float]) -> np.ndarray:
        shape = self.noisy.shape
        if not self.year_noise:
            return np.full(shape, values[0], dtype=np.float64)
        axis = self.dimensions.index("year")
        along = np.array(values, dtype=np.float64).reshape(
            [len(values) if i == axis else 1 for i in range(len(shape))]
        )
        return np.broadcast_to(along, shape)

    @property
    def variance_cube(self) -> np.ndarray:
        """The noise variance of each cell (same shape as the table)."""
        return self._per_cell([n.variance for n in self._slice_noises])

    @property
    def half_width_cube(self) -> np.ndarray:
        """The exact 95% half-width of each cell's noise (same shape as the table)."""
        return self._per_cell([float(n.half_width(0.95)) for n in self._slice_noises])

    def total_half_width(self) -> int:
        """The 95% half-width of the sum of all cells: the exact one of a single cell, else the
        normal approximation with the summed variance."""
        if self.noisy.size == 1:
            return int(self.half_width_cube.reshape(-1)[0])
        return math.ceil(Z95 * math.sqrt(float(self.variance_cube.sum())))


@dataclass
class Release:
    """A loaded release: read once, kept in memory; answers are cached per object."""

    path: Path | None
    metadata: dict[str, Any]
    measurements: dict[str, Measurement]
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def k(self) -> int:
        return int(self.metadata["k"])

    @property
    def release_id(self) -> str:
        return str(self.metadata["release_id"])

    @property
    def salt(self) -> str:
        """The release's public salt (metadata `salt`; `bounding.salt` in releases written before
        the lifetime bounding order): its id, or for a seeded test build one drawn from the seed. It seeds a median's or survival's bootstrap, so an interval
        depends on public values and its own histogram only, and a seeded test release gives the
        same intervals in every build."""
        if isinstance(self.metadata.get("salt"), str):
            return str(self.metadata["salt"])
        bounding = self.metadata.get("bounding")
        if isinstance(bounding, dict) and isinstance(bounding.get("salt"), str):
            return str(bounding["salt"])
        return self.release_id


def write_release(
    path: Path,
    metadata: dict[str, Any],
    measurements: dict[str, Measurement],
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write to a temporary file next to `path`, then os.replace: readers never see half a release.

    On any failure (disk full, read-only directory, ...) the temporary file is removed and the
    previous release at `path`, if any, is left exactly as it was. `before_replace` runs once the
    new file is complete and before it becomes visible (the privacy ledger is written there, so a
    published release is always in the ledger).
    """
    tmp = path.with_name(f".{path.name}.{metadata['release_id']}.tmp")
    wal = tmp.with_name(tmp.name + ".wal")
    kept = "the previous release is kept" if path.exists() else "no release was written"
    try:
        try:
            tmp.unlink(missing_ok=True)
            _write_file(tmp, metadata, measurements)
            if before_replace is not None:
                before_replace()
            os.replace(tmp, path)
        except (duckdb.Error, OSError) as error:
            message = storage_message(error, path, "the release", writing=True, kept=kept)
            if message is None:
                raise
            raise UserError(message) from None
    finally:
        for leftover in (tmp, wal):
            # In a read-only directory nothing was created, and unlink itself fails.
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def _write_file(tmp: Path, metadata: dict[str, Any], measurements: dict[str, Measurement]) -> None:
    con = duckdb.connect(str(tmp))
    try:
        con.execute("CREATE TABLE release_metadata (document VARCHAR NOT NULL)")
        con.execute(
            "INSERT INTO release_metadata VALUES (?)", [json.dumps(metadata, sort_keys=True)]
        )
        con.execute(
            "CREATE TABLE measurements (name VARCHAR, unit VARCHAR, dimensions VARCHAR[], "
            "epsilon DOUBLE, rho DOUBLE, sensitivity DOUBLE, distribution VARCHAR, "
            "noise_variance DOUBLE, cells BIGINT)"
        )
        for m in measurements.values():
            con.execute(
                "INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    m.name,
                    m.unit,
                    list(m.dimensions),
                    m.noise.budget if m.noise.mechanism == PURE_DP else None,
                    None if m.noise.mechanism == PURE_DP else m.noise.budget,
                    m.noise.sensitivity,
                    m.noise.mechanism,
                    m.noise.variance,
                    int(m.noisy.size),
                ],
            )
            frame = _cells_frame(m)
            con.register("cells_frame", frame)
            con.execute(f"CREATE TABLE cells_{m.name} AS SELECT * FROM cells_frame")
            con.unregister("cells_frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _cells_frame(m: Measurement) -> pl.DataFrame:
    shape = m.noisy.shape
    grid = np.indices(shape).reshape(len(shape), -1) if shape else np.zeros((0, 1), dtype=np.int64)
    columns: dict[str, Any] = {"cell": np.arange(m.noisy.size, dtype=np.int64)}
    for position, (dim, codes) in enumerate(zip(m.dimensions, m.domains, strict=True)):
        columns[dim] = pl.Series(
            dim, np.array(codes, dtype=object)[grid[position]], dtype=pl.String
        )
    columns["noisy"] = m.noisy.reshape(-1)
    columns["estimate"] = m.estimate.reshape(-1)
    return pl.DataFrame(columns)


def load_release(path: Path | str) -> Release:
    """Open a release read-only and load every measurement into memory (UserError when unusable)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no release at this path; build one with `binc release`")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        problem = storage_problem(error)
        if problem is not None and problem[0] == IN_USE:
            raise UserError(
                f"{path}: the release is in use by another process; try again when it finishes"
            ) from None
        raise UserError(
            f"{path}: cannot be opened as a release (not a DuckDB file, or corrupt); rebuild it with `binc release`"
        ) from None
    try:
        try:
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            if "release_metadata" not in tables and "warehouse_meta" in tables:
                raise UserError(
                    f"{path}: this is a BINC warehouse, not a release; build a release from it "
                    "with `binc release --warehouse`"
                )
            document = con.execute("SELECT document FROM release_metadata").fetchall()[0][0]
            metadata = json.loads(document)
            if metadata.get("format") != FORMAT:
                raise UserError(
                    f"{path}: release format {metadata.get('format')!r} is not {FORMAT!r}; rebuild it with `binc release`"
                )
            measurements = {
                name: _read_measurement(
                    con, name, metadata["measurements"][name], metadata["domains"]
                )
                for name in metadata["measurement_order"]
            }
        except (duckdb.Error, json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise UserError(
                f"{path}: this file is not a complete BINC release (missing or corrupt tables); rebuild it with `binc release`"
            ) from None
    finally:
        con.close()
    return Release(path=path, metadata=metadata, measurements=measurements)


def budget_text(metadata: dict[str, Any]) -> str:
    """A release's total budget as its metadata states it: "ε 1" (pure ε-DP) or "ρ 0.5 (zCDP,
    implying (ε 5.72, δ 1e-06)-DP)"; "" for metadata that states none."""
    if metadata.get("rho_total") is not None:
        text = f"ρ {metadata['rho_total']:g} (zCDP"
        if metadata.get("epsilon_at_delta") is not None and metadata.get("delta") is not None:
            text += f", implying (ε {metadata['epsilon_at_delta']:.2f}, δ {metadata['delta']:g})-DP"
        return text + ")"
    if metadata.get("epsilon_total") is not None:
        return f"ε {metadata['epsilon_total']:g}"
    return ""


def _noise(spec: dict[str, Any]) -> Noise:
    """A table's noise as its metadata records it (a release without `distribution` is from
    before zCDP: two-sided geometric)."""
    mechanism = spec.get("distribution", PURE_DP)
    return noise_for(mechanism, float(spec[BUDGET_NAMES[mechanism]]), float(spec["sensitivity"]))


def _read_measurement(
    con: duckdb.DuckDBPyConnection, name: str, spec: dict[str, Any], domains: dict[str, list[str]]
) -> Measurement:
    dims = tuple(spec["dimensions"])
    doms = tuple(tuple(domains[d]) for d in dims)
    shape = tuple(len(d) for d in doms)
    if not name.isidentifier():
        raise ValueError(name)
    data = con.sql(f"SELECT noisy, estimate FROM cells_{name} ORDER BY cell").to_arrow_table()
    noisy = data.column("noisy").to_numpy().astype(np.int64)
    if noisy.size != int(np.prod(shape, dtype=np.int64)):
        raise ValueError(f"cells_{name} has {noisy.size} cells")
    noise = _noise(spec)
    year_noise: tuple[Noise, ...] = ()
    if spec.get("years"):
        # a calendar release: each start year's slice with the budget it was measured with
        sources = spec["years"]
        year_noise = tuple(
            noise_for(noise.mechanism, float(sources[year]["budget"]), noise.sensitivity)
            for year in doms[dims.index("year")]
        )
    return Measurement(
        name=name,
        unit=spec["unit"],
        dimensions=dims,
        domains=doms,
        noise=noise,
        noisy=noisy.reshape(shape),
        estimate=data.column("estimate").to_numpy().astype(np.int64).reshape(shape),
        year_noise=year_noise,
    )
