"""Build a release: bound contributions, measure the workload, add noise, post-process, write.

The only place where true counts exist is between `measure.true_marginal` and `privatise` below,
in memory. The shipped command has no switch that turns noise or suppression off; tests may inject
a seeded generator through the Python API only.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import binc
from binc.core.dimensions import domain, meaning
from binc.core.errors import UserError
from binc.core.noise import PURE_DP, ZCDP, GeometricNoise, Noise, budget_text, zcdp_epsilon
from binc.release import ledger
from binc.release.config import ReleaseConfig, load_config
from binc.release.consistency import consistent_estimates
from binc.release.measure import (
    TrueMarginal,
    bound_contributions,
    measuring_connection,
    true_marginal,
)
from binc.release_file import FORMAT, Measurement, load_release, write_release
from binc.warehouse.schema import connect, warehouse_version

COMPOSITION = {
    PURE_DP: (
        "Pure ε-differential privacy, person level (add or remove one person with all records). "
        "Within a release the tables' ε add up (sequential composition) to epsilon_total. Every "
        "release re-measures all public years, so releases of the same warehouse add up too: "
        "lifetime ε = sum over releases (recorded in the privacy ledger of the data, `binc ledger`)."
    ),
    ZCDP: (
        "ρ-zero-concentrated differential privacy (zCDP), person level (add or remove one person "
        "with all records). Within a release the tables' ρ add up to rho_total, which implies "
        "(ε, δ)-differential privacy with the ε and δ stated beside it. Every release re-measures "
        "all public years, so releases of the same warehouse add up too: lifetime ρ = sum over "
        "releases, a pure ε-DP release counting ε²/2 (recorded in the privacy ledger of the data, "
        "`binc ledger`)."
    ),
}


@dataclass(frozen=True)
class ReleaseSummary:
    release_id: str
    path: Path
    warehouse_version: str
    budget_text: str  # "ε 1" or "ρ 0.5"
    lifetime: ledger.LifetimeTotals  # of the data, with this release
    measurements: int
    cells: int
    seconds: float

    @property
    def lifetime_text(self) -> str:
        totals = self.lifetime
        if totals.pure_only:
            return budget_text(PURE_DP, totals.epsilon_pure)
        return f"{budget_text(ZCDP, totals.rho)} (zCDP)"


def privatise(
    trues: list[TrueMarginal], rng: np.random.Generator | None = None
) -> dict[str, Measurement]:
    """Noisy and consistent tables from true marginals (the true counts are not kept)."""
    noisy: dict[str, np.ndarray] = {}
    noises: dict[str, Noise] = {}
    for true in trues:
        noise = true.spec.noise
        noisy[true.spec.name] = true.counts + noise.draw(true.counts.size, rng)
        noises[true.spec.name] = noise
    specs = {t.spec.name: t for t in trues}
    estimates = consistent_estimates(
        noisy,
        {n: t.spec.dimensions for n, t in specs.items()},
        {n: t.domains for n, t in specs.items()},
        {n: t.spec.consistent_with for n, t in specs.items()},
    )
    return {
        name: Measurement(
            name=name,
            unit=t.spec.unit,
            dimensions=t.spec.dimensions,
            domains=t.domains,
            noise=noises[name],
            noisy=noisy[name].reshape(t.shape),
            estimate=estimates[name].reshape(t.shape),
        )
        for name, t in specs.items()
    }


def code_version() -> str:
    """The installed package's version (its metadata, not the source checkout: no `git` at run time)."""
    return binc.__version__


def _metadata(
    config: ReleaseConfig,
    release_id: str,
    salt: str,
    version: str,
    created: datetime,
    measurements: dict[str, Measurement],
    totals: ledger.LifetimeTotals,
) -> dict[str, Any]:
    dims = sorted({d for m in measurements.values() for d in m.dimensions})
    dropped = measurements.get("dropped_by_bounding")
    return {
        **_budget_metadata(config, measurements, totals),
        "format": FORMAT,
        "release_id": release_id,
        "warehouse_version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "as_of": created.date().isoformat(),
        "code_version": code_version(),
        # The file's name and digest say which config was signed off; its folder is the build
        # host's business and is not published. 16 hex digits identify a reviewed file well
        # enough, and no published value looks like a 64-hex pseudonym (the leakage tests).
        "config_file": config.path.name,
        "config_digest": "sha256:" + hashlib.sha256(config.path.read_bytes()).hexdigest()[:16],
        "privacy_unit": "person",
        "composition": COMPOSITION[config.mechanism],
        "contribution_cap": config.contribution_cap,
        "c": config.contribution_cap,
        "k": config.k,
        "years": list(config.years),
        "noise_distribution": config.mechanism,
        # When the dashboard says "too uncertain" instead of drawing a value (binc.core.table).
        "uncertainty": config.uncertainty.as_metadata(),
        "bounding": {
            "order": "md5(pseudonym | record_id | salt), first c kept",
            "salt": salt,
            "rows_dropped": None if dropped is None else dropped_figure(dropped, config),
            "rows_dropped_note": "noisy; each person's dropped trajectories counted up to c",
        },
        # JSON objects are written with sorted keys; this keeps the config's (anchor-first) order.
        "measurement_order": list(measurements),
        "measurements": {
            m.name: {
                "unit": m.unit,
                "dimensions": list(m.dimensions),
                "share": config.measurement(m.name).share,
                config.budget_name: m.noise.budget,
                "sensitivity": m.noise.sensitivity,
                "distribution": m.noise.mechanism,
                **({"alpha": m.noise.alpha} if isinstance(m.noise, GeometricNoise) else {}),
                "scale": m.noise.scale,
                "noise_variance": m.noise.variance,
                "half_width_95": m.noise.half_width(0.95),
                "consistent_with": list(config.measurement(m.name).consistent_with),
                "cells": int(m.noisy.size),
            }
            for m in measurements.values()
        },
        "domains": {d: list(domain(d, config.years)) for d in dims},
        "dimension_meanings": {d: meaning(d) for d in dims},
    }


def dropped_figure(dropped: Measurement, config: ReleaseConfig) -> dict[str, Any]:
    """How many trajectories the cap left out, as every published count is: the consistent
    estimate (the noisy count clamped at 0) with its exact 95% interval, hidden below k and
    flagged when too uncertain by the config's rule. The raw noisy count can be negative (its noise
    at ε 0.01 is about ±300) and is not published."""
    value = int(dropped.estimate.reshape(-1)[0])
    if value < config.k:
        return {"value": None, "ci_low": None, "ci_high": None, "suppressed": True,
                "too_uncertain": False}  # fmt: skip
    half = dropped.noise.half_width(0.95)
    figure = {"value": value, "ci_low": max(value - half, 0), "ci_high": value + half}
    # the rule every answer is flagged by (binc.core.table), not a copy of it
    frame = pl.DataFrame({**{k: [float(v)] for k, v in figure.items()}, "suppressed": [False]})
    too_uncertain = frame.select(config.uncertainty.expression("count")).item()
    return {**figure, "suppressed": False, "too_uncertain": bool(too_uncertain)}


def _budget_metadata(
    config: ReleaseConfig, measurements: dict[str, Measurement], totals: ledger.LifetimeTotals
) -> dict[str, Any]:
    """The release's budget in its mechanism's terms: ε for pure ε-DP; ρ for zCDP, with the
    (ε, δ)-DP it implies at the config's δ, for this release and for the data's lifetime."""
    spent = sum(m.noise.budget for m in measurements.values())
    if config.mechanism == PURE_DP:
        return {
            "epsilon_total": config.budget_total,
            "epsilon_spent": spent,
            "lifetime_epsilon": totals.epsilon_pure,
            "lifetime_epsilon_limit": config.lifetime_epsilon_limit,
        }
    return {
        "rho_total": config.budget_total,
        "rho_spent": spent,
        "delta": config.delta,
        "epsilon_at_delta": zcdp_epsilon(config.budget_total, config.delta),
        "lifetime_rho": totals.rho,
        "lifetime_rho_limit": config.lifetime_rho_limit,
        "lifetime_epsilon_at_delta": zcdp_epsilon(totals.rho, config.delta),
    }


def bounding_salt(rng: np.random.Generator) -> str:
    """The contribution bounding's salt of a seeded build (tests and benchmarks): drawn from a
    generator spawned off `rng`, so the same seed bounds the same trajectories in every build (a
    release's own salt is its random id) and the noise `rng` then draws is unchanged."""
    return rng.spawn(1)[0].bytes(16).hex()


def build_release(
    warehouse: Path,
    out: Path,
    config: Path | None = None,
    rng: np.random.Generator | None = None,
    *,
    synthetic: bool = False,
) -> ReleaseSummary:
    """Measure the config's workload on `warehouse` and write the release to `out` (atomically).

    `synthetic`: the warehouse holds synthetic data (the demo); the release says so, and so does
    everything made from it (dashboard banner, exports' metadata, fact sheets), wherever it is moved."""
    started = time.perf_counter()
    warehouse, out = Path(warehouse), Path(out)
    cfg = load_config(config)
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
    if out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file name such as {out / 'release.duckdb'}"
        )
    release_id = uuid.uuid4().hex
    salt = release_id if rng is None else bounding_salt(rng)
    created = datetime.now(UTC)
    budget = sum(m.budget for m in cfg.measurements)
    spend = ledger.Spend(
        cfg.mechanism,
        budget,
        tuple(
            ledger.MeasurementSpend(m.name, m.dimensions, cfg.years, "all", m.budget)
            for m in cfg.measurements
        ),
    )
    with ledger.open_ledger(warehouse, None) as book:  # the ledger is locked from check to record
        with measuring_connection(warehouse) as (con, version):
            totals = book.check(spend, cfg.lifetime_epsilon_limit, cfg.lifetime_rho_limit)
            bound_contributions(con, cfg, salt=salt, as_of=created.date())
            trues = [true_marginal(con, spec, cfg) for spec in cfg.measurements]
        measurements = privatise(trues, rng)
        del trues  # the true counts go no further
        metadata = _metadata(cfg, release_id, salt, version, created, measurements, totals)
        metadata["synthetic"] = synthetic
        metadata["ledger"] = totals.as_metadata()
        # The ledger line is written once the new file is complete and before it replaces the old
        # one (then the warehouse's record): a failure in between can only over-count the budget.
        write_release(
            out,
            metadata,
            measurements,
            before_replace=lambda: book.record(release_id, version, metadata["created_at"], spend),
        )
    return ReleaseSummary(
        release_id=release_id,
        path=out,
        warehouse_version=version,
        budget_text=cfg.budget_text(budget),
        lifetime=totals,
        measurements=len(measurements),
        cells=sum(int(m.noisy.size) for m in measurements.values()),
        seconds=time.perf_counter() - started,
    )


def check_current(release: Path, warehouse: Path) -> str:
    """The release's warehouse version when it is the warehouse's present one; else a UserError
    saying which data the release was measured from (versions are `<warehouse id>.<data version>`)."""
    measured = str(load_release(release).metadata.get("warehouse_version", ""))
    with connect(warehouse, read_only=True) as con:
        present = warehouse_version(con)
    if measured == present:
        return present
    measured_id, _, measured_data = measured.partition(".")
    present_id, _, present_data = present.partition(".")
    if measured_id != present_id:
        raise UserError(
            f"{release}: measured from another warehouse (version {measured}), not from "
            f"{warehouse} (version {present}); build a release of this warehouse with `binc release`"
        )
    raise UserError(
        f"{release}: measured from data version {measured_data} of {warehouse}, which is now at "
        f"data version {present_data} (ingest or purge changed it since); rebuild it with `binc release`"
    )


def release_is_current(release: Path, warehouse: Path) -> bool:
    """True when `release` was measured from the warehouse's present data version."""
    try:
        check_current(release, warehouse)
    except UserError:
        return False
    return True
