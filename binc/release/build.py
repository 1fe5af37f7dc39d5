"""Build a release: bound contributions, measure the workload, add noise, post-process, write.

The only place where true counts exist is between `measure.true_marginal` and `privatise` below,
in memory. The shipped command has no switch that turns noise or suppression off; tests may inject
a seeded generator through the Python API only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import binc
from binc.core.dimensions import domain, meaning
from binc.core.errors import UserError
from binc.core.noise import (
    PURE_DP,
    ZCDP,
    GeometricNoise,
    Noise,
    budget_text,
    noise_for,
    zcdp_epsilon,
)
from binc.release import ledger
from binc.release.calendar import PROVISIONAL, Calendar, YearSlice, plan_slices, release_notes
from binc.release.config import MeasurementSpec, ReleaseConfig, load_config, sensitivity_for
from binc.release.consistency import consistent_estimates
from binc.release.measure import (
    TrueMarginal,
    bound_contributions,
    ingest_watermark,
    late_counts,
    measuring_connection,
    true_marginal,
)
from binc.release_file import FORMAT, Measurement, Release, load_release, write_release
from binc.warehouse.schema import connect, warehouse_version

COMPOSITION = {
    PURE_DP: (
        "Pure ε-differential privacy, person level (add or remove one person with all records). "
        "Within a release the tables' ε add up (sequential composition) to epsilon_total. "
    ),
    ZCDP: (
        "ρ-zero-concentrated differential privacy (zCDP), person level (add or remove one person "
        "with all records). Within a release the tables' ρ add up to rho_total, which implies "
        "(ε, δ)-differential privacy with the ε and δ stated beside it. "
    ),
}
ACROSS_RELEASES = {
    False: (
        "Every release re-measures all public years, so releases of the same warehouse add up: "
        "the lifetime loss per child is the sum over releases (ρ: a pure ε-DP release counting "
        "ε²/2), recorded in the privacy ledger of the data (`binc ledger`)."
    ),
    True: (
        "A publication calendar measures each closed start year once (definitive figures, carried "
        "forward unchanged) and open ones a limited number of times with a smaller budget "
        "(provisional figures). A child keeps at most c trajectories over their life, the same in "
        "every release, so the lifetime loss per child is at most what one start year gets over "
        "its life (recorded and enforced by the privacy ledger of the data, `binc ledger`)."
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
        name: _measurement(t, noises[name], noisy[name], estimates[name])
        for name, t in specs.items()
    }


def _measurement(
    true: TrueMarginal,
    noise: Noise,
    noisy: np.ndarray,
    estimate: np.ndarray,
    year_noise: tuple[Noise, ...] = (),
) -> Measurement:
    """The published table of a measured marginal (its true counts are not in it)."""
    spec = true.spec
    return Measurement(
        name=spec.name,
        unit=spec.unit,
        dimensions=spec.dimensions,
        domains=true.domains,
        noise=noise,
        noisy=noisy.reshape(true.shape),
        estimate=estimate.reshape(true.shape),
        year_noise=year_noise,
    )


def privatise_calendar(
    trues: list[TrueMarginal],
    plan: dict[str, tuple[YearSlice, ...]],
    previous: Release | None,
    config: ReleaseConfig,
    rng: np.random.Generator | None = None,
) -> dict[str, Measurement]:
    """A calendar release's tables: each start year's slice measured now (with the noise of its
    phase, made consistent within the year) or carried forward from `previous` unchanged."""
    specs = {t.spec.name: t for t in trues}
    noisy = {n: np.zeros(t.shape, dtype=np.int64) for n, t in specs.items()}
    estimate = {n: np.zeros(t.shape, dtype=np.int64) for n, t in specs.items()}
    noises: dict[str, list[Noise]] = {n: [] for n in specs}
    for index, year in enumerate(config.years):
        slices = {n: plan[n][index] for n in specs}
        first = next(iter(slices.values()))
        for name, piece in slices.items():
            if (piece.phase, piece.measured, piece.release_id) != (
                first.phase,
                first.measured,
                first.release_id,
            ):
                raise UserError(
                    f"start year {year}: table {name} has {piece.phase} figures of release "
                    f"{piece.release_id} but the other tables those of {first.release_id}; a "
                    "calendar release measures a year's tables together (a table added to the "
                    "config after its start year closed cannot be measured for that year)"
                )
        if not first.measured:
            if previous is None:  # previous_release refuses before this
                raise ValueError(f"start year {year} is carried forward, but from no release")
            for name, t in specs.items():
                axis = t.spec.dimensions.index("year")
                source = previous.measurements[name]
                at = source.domains[axis].index(str(year))
                _slice(noisy[name], axis, index)[...] = _slice(source.noisy, axis, at)
                _slice(estimate[name], axis, index)[...] = _slice(source.estimate, axis, at)
                noises[name].append(source.year_noise[at] if source.year_noise else source.noise)
            continue
        drawn: dict[str, np.ndarray] = {}
        for name, t in specs.items():
            noise = slice_noise(t.spec, first.phase, config)
            axis = t.spec.dimensions.index("year")
            true = _slice(t.counts.reshape(t.shape), axis, index)
            drawn[name] = (true + noise.draw(true.size, rng).reshape(true.shape)).reshape(-1)
            noises[name].append(noise)
        one_year = {
            n: tuple((str(year),) if d == "year" else codes
                     for d, codes in zip(t.spec.dimensions, t.domains, strict=True))
            for n, t in specs.items()
        }  # fmt: skip
        fitted = consistent_estimates(
            drawn,
            {n: t.spec.dimensions for n, t in specs.items()},
            one_year,
            {n: t.spec.consistent_with for n, t in specs.items()},
        )
        for name, t in specs.items():
            axis = t.spec.dimensions.index("year")
            shape = _slice(noisy[name], axis, index).shape
            _slice(noisy[name], axis, index)[...] = drawn[name].reshape(shape)
            _slice(estimate[name], axis, index)[...] = fitted[name].reshape(shape)
    return {
        name: _measurement(t, t.spec.noise, noisy[name], estimate[name], tuple(noises[name]))
        for name, t in specs.items()
    }


def _slice(cube: np.ndarray, axis: int, index: int) -> np.ndarray:
    """The start year at `index` of `cube` (a view, the year axis kept with length 1)."""
    where: list[slice | int] = [slice(None)] * cube.ndim
    where[axis] = slice(index, index + 1)
    return cube[tuple(where)]


def slice_noise(spec: MeasurementSpec, phase: str, config: ReleaseConfig) -> Noise:
    """A start year's noise: the table's own for definitive figures, `provisional_share` of its
    budget for provisional ones."""
    if phase != PROVISIONAL or config.calendar is None:
        return spec.noise
    budget = config.calendar.provisional_budget(spec.budget)
    return noise_for(spec.mechanism, budget, spec.sensitivity)


def calendar_plan(
    calendar: Calendar,
    config: ReleaseConfig,
    book: ledger.Ledger,
    as_of: date,
    release_id: str,
    correct: tuple[int, ...] = (),
) -> dict[str, tuple[YearSlice, ...]]:
    """Per table, where each start year's figures come from (measured now, or carried forward);
    `correct`: closed years a correction release measures again."""
    plan = {}
    for spec in config.measurements:
        standing = book.measured(spec.name, "definitive")
        for year, releases in book.measured(spec.name, "correction").items():
            standing[year] = releases[-1:]  # the latest correction stands
        plan[spec.name] = plan_slices(
            calendar,
            config.years,
            as_of,
            release_id,
            standing,
            book.measured(spec.name, PROVISIONAL),
            correct,
        )
    return plan


def calendar_spend(
    config: ReleaseConfig,
    plan: dict[str, tuple[YearSlice, ...]],
    watermark: int,
    late_years: tuple[int, ...],
) -> ledger.Spend:
    """The ledger's record of what a calendar release measures: per table and phase, its years;
    the late registrations of `late_years`; the ingest `watermark` it measured up to."""
    measurements = []
    for spec in config.measurements:
        for phase in ("definitive", "correction", PROVISIONAL):
            years = tuple(s.year for s in plan[spec.name] if s.measured and _phase(s) == phase)
            if years:
                family = "dropped" if spec.unit == "dropped_trajectories" else "kept"
                budget = slice_noise(spec, phase, config).budget
                measurements.append(
                    ledger.MeasurementSpend(
                        spec.name, spec.dimensions, years, phase, budget, family
                    )
                )
    if late_years:
        late = late_noise(config).budget
        measurements.append(
            ledger.MeasurementSpend(LATE, ("year",), late_years, "late", late, "late")
        )
    total = sum(m.budget for m in measurements)
    return ledger.Spend(config.mechanism, total, tuple(measurements), watermark)


LATE = "late_registrations"


def late_noise(config: ReleaseConfig) -> Noise:
    """The noise of a late count: `late_share` of the release's total, calibrated to a person's
    ≤ c kept trajectories (L1 c; L2 c, all in one start year being the worst case)."""
    if config.calendar is None:
        raise ValueError("late registrations are counted by calendar releases only")
    budget = config.budget_total * config.calendar.late_share
    sensitivity = sensitivity_for(
        config.mechanism, "trajectories", ("year",), config.contribution_cap
    )
    return noise_for(config.mechanism, budget, sensitivity)


def same_ingests(book: ledger.Ledger, warehouse: Path, version: str) -> None:
    """A calendar release measures the warehouse whose ingests the ledger's calendar releases
    measured (UserError otherwise): which trajectories a child keeps, and which registrations are
    late, follow the order of those ingests, and a new warehouse numbers its own from 1."""
    calendar = [e for e in book.entries if e.ingest_watermark is not None]
    if not calendar:
        return
    measured = calendar[-1].warehouse_version.partition(".")[0]
    if measured != version.partition(".")[0]:
        raise UserError(
            f"{warehouse}: the calendar releases of these data measured another warehouse "
            f"({measured}, last by release {calendar[-1].release_id}); the per-child bound "
            "follows that warehouse's ingest history, so release from it (restore it from its "
            "backup) — a re-ingest into a new warehouse cannot continue a publication calendar"
        )


def late_years(plan: dict[str, tuple[YearSlice, ...]], config: ReleaseConfig) -> tuple[int, ...]:
    """The start years whose late registrations this release counts: closed ones it carries
    forward (a year measured definitively now holds every registration so far)."""
    first = plan[config.measurements[0].name]
    return tuple(s.year for s in first if s.phase == "definitive" and not s.measured)


def late_figures(
    counts: np.ndarray,
    years: tuple[int, ...],
    config: ReleaseConfig,
    rng: np.random.Generator | None,
) -> dict[str, dict[str, Any]]:
    """Each late year's count as every published count is: noisy, clamped at 0, with its exact
    95% interval, hidden below k, flagged when too uncertain."""
    noise = late_noise(config)
    index = {year: at for at, year in enumerate(config.years)}
    true = np.array([counts[index[year]] for year in years], dtype=np.int64)
    noisy = true + noise.draw(true.size, rng)
    half = noise.half_width(0.95)
    return {
        str(year): published_count(max(int(value), 0), half, config)
        for year, value in zip(years, noisy, strict=True)
    }


def _phase(piece: YearSlice) -> str:
    """The ledger's phase of a measured slice: a correction is recorded as one."""
    return "correction" if piece.correction else piece.phase


def previous_release(
    previous: Path | None, plan: dict[str, tuple[YearSlice, ...]], config: ReleaseConfig
) -> Release | None:
    """The release whose figures this one carries forward, checked: it holds each carried slice as
    measured by the release the ledger names, over the same codes (UserError naming what is
    wrong); None when nothing is carried."""
    carried = [(n, s) for n, slices in plan.items() for s in slices if not s.measured]
    if not carried:
        return None
    name, piece = carried[0]
    if previous is None:
        raise UserError(
            f"start year {piece.year} has {piece.phase} figures of release {piece.release_id} "
            "that this release must carry forward unchanged; give that release's file, or a later "
            "release that carries them, with --previous"
        )
    release = load_release(previous)
    for name, piece in carried:
        spec = config.measurement(name)
        source = release.measurements.get(name)
        recorded = release.metadata.get("measurements", {}).get(name, {}).get("years", {})
        origin = recorded.get(str(piece.year), {})
        if (
            source is None
            or origin.get("release_id") != piece.release_id
            or origin.get("phase") != piece.phase
        ):
            raise UserError(
                f"{previous}: does not hold the {piece.phase} figures of start year {piece.year} "
                f"of table {name} measured by release {piece.release_id}; give that release's "
                "file, or a later release that carries them, with --previous"
            )
        same_codes = all(
            codes == source.domains[source.dimensions.index(d)]
            for d, codes in zip(spec.dimensions, _domains(spec, config), strict=True)
            if d != "year"
        )
        if source.dimensions != spec.dimensions or not same_codes:
            raise UserError(
                f"{previous}: table {name} has other dimensions or codes than the config now "
                f"declares; its {piece.phase} figures of start year {piece.year} cannot be carried "
                "forward unchanged"
            )
        if source.noise.mechanism != spec.mechanism:
            raise UserError(
                f"{previous}: table {name} was measured with {source.noise.mechanism} noise and "
                f"the config now declares {spec.mechanism}; one ledger can hold both, but a "
                "table's years are carried forward with the mechanism they were measured with"
            )
    return release


def _domains(spec: MeasurementSpec, config: ReleaseConfig) -> tuple[tuple[str, ...], ...]:
    return tuple(domain(d, config.years) for d in spec.dimensions)


def calendar_metadata(
    calendar: Calendar,
    config: ReleaseConfig,
    plan: dict[str, tuple[YearSlice, ...]],
    previous: Release | None,
    measurements: dict[str, Measurement],
    as_of: date,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The release's `calendar` block and, per table, where each start year came from."""
    per_table: dict[str, dict[str, Any]] = {}
    for name, slices in plan.items():
        m = measurements[name]
        years = {}
        for piece, noise in zip(slices, m.year_noise, strict=True):
            measured_on = as_of.isoformat()
            if not piece.measured and previous is not None:
                recorded = previous.metadata["measurements"][name]["years"][str(piece.year)]
                measured_on = recorded["as_of"]
            years[str(piece.year)] = {
                "phase": piece.phase,
                "release_id": piece.release_id,
                "as_of": measured_on,
                "budget": noise.budget,
            }
        per_table[name] = years
    first = per_table[config.measurements[0].name]
    before = None if previous is None else previous.metadata.get("calendar", {}).get("years")
    block = {
        **calendar.as_metadata(),
        "per_child_budget": calendar.per_child_budget(
            sum(spec.budget for spec in config.measurements), config.budget_total
        ),
        "years": {
            year: {k: v for k, v in source.items() if k != "budget"}
            for year, source in first.items()
        },
        "previous_release": None if previous is None else previous.release_id,
        "release_notes": release_notes(plan[config.measurements[0].name], before),
    }
    return block, per_table


def code_version() -> str:
    """The installed package's version (its metadata, not the source checkout: no `git` at run time)."""
    return binc.__version__


def _metadata(
    config: ReleaseConfig,
    release_id: str,
    salt: str,
    version: str,
    created: datetime,
    as_of: date,
    measurements: dict[str, Measurement],
    spend: ledger.Spend,
    totals: ledger.LifetimeTotals,
) -> dict[str, Any]:
    dims = sorted({d for m in measurements.values() for d in m.dimensions})
    dropped = measurements.get("dropped_by_bounding")
    return {
        **_budget_metadata(config, spend, totals),
        "format": FORMAT,
        "release_id": release_id,
        "warehouse_version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "code_version": code_version(),
        # The file's name and digest say which config was signed off; its folder is the build
        # host's business and is not published. 16 hex digits identify a reviewed file well
        # enough, and no published value looks like a 64-hex pseudonym (the leakage tests).
        "config_file": config.path.name,
        "config_digest": "sha256:" + hashlib.sha256(config.path.read_bytes()).hexdigest()[:16],
        "privacy_unit": "person",
        "composition": COMPOSITION[config.mechanism] + ACROSS_RELEASES[config.calendar is not None],
        "contribution_cap": config.contribution_cap,
        "c": config.contribution_cap,
        "k": config.k,
        "years": list(config.years),
        "noise_distribution": config.mechanism,
        # When the dashboard says "too uncertain" instead of drawing a value (binc.core.table).
        "uncertainty": config.uncertainty.as_metadata(),
        # Public, drawn per release (a seeded build draws its own): seeds the bootstrap of medians
        # and survival (Release.salt), so an interval depends on public values and its histogram.
        "salt": salt,
        "bounding": {
            "order": (
                "per person over all start years, the same in every release: earliest ingest of "
                "the registration, then start date, then md5(pseudonym | record_id); first c kept"
            ),
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
    """How many trajectories the cap left out, summed over the start years, as every published
    count is: the consistent estimate (noisy counts clamped at 0) with its 95% interval, hidden below k and
    flagged when too uncertain by the config's rule. The raw noisy count can be negative (its noise
    at ε 0.01 is about ±300) and is not published."""
    return published_count(int(dropped.estimate.sum()), dropped.total_half_width(), config)


def published_count(value: int, half: int, config: ReleaseConfig) -> dict[str, Any]:
    """A count for the metadata (a non-negative estimate and its 95% half-width) as every count
    is published: hidden below k, else with its interval and flagged by the "too uncertain" rule."""
    if value < config.k:
        return {"value": None, "ci_low": None, "ci_high": None, "suppressed": True,
                "too_uncertain": False}  # fmt: skip
    figure = {"value": value, "ci_low": max(value - half, 0), "ci_high": value + half}
    # the rule every answer is flagged by (binc.core.table), not a copy of it
    frame = pl.DataFrame({**{k: [float(v)] for k, v in figure.items()}, "suppressed": [False]})
    too_uncertain = frame.select(config.uncertainty.expression("count")).item()
    return {**figure, "suppressed": False, "too_uncertain": bool(too_uncertain)}


def _budget_metadata(
    config: ReleaseConfig, spend: ledger.Spend, totals: ledger.LifetimeTotals
) -> dict[str, Any]:
    """The release's budget in its mechanism's terms: ε for pure ε-DP; ρ for zCDP, with the
    (ε, δ)-DP it implies at the config's δ, for this release and for the data's lifetime (per
    child). `..._spent`: what this release alone costs a child (a calendar release measures
    start years side by side: its most expensive year, binc/release/ledger.py)."""
    alone = ledger.totals_of([spend])
    spent = alone.epsilon_pure if config.mechanism == PURE_DP else alone.rho
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


def seeded_salt(rng: np.random.Generator) -> str:
    """The public salt of a seeded build (tests and benchmarks): drawn from a generator spawned
    off `rng`, so the same seed gives the same bootstrap intervals in every build (a release's own
    salt is its random id) and the noise `rng` then draws is unchanged."""
    return rng.spawn(1)[0].bytes(16).hex()


def build_release(
    warehouse: Path,
    out: Path,
    config: Path | None = None,
    rng: np.random.Generator | None = None,
    *,
    synthetic: bool = False,
    previous: Path | None = None,
    as_of: date | None = None,
    correct: tuple[int, ...] = (),
) -> ReleaseSummary:
    """Measure the config's workload on `warehouse` and write the release to `out` (atomically).

    `synthetic`: the warehouse holds synthetic data (the demo); the release says so, and so does
    everything made from it (dashboard banner, exports' metadata, fact sheets), wherever it is moved.
    `previous`: with a `[calendar]`, the release whose definitive (or last provisional) figures
    this one carries forward. `as_of`: the day the data are measured as of (default today; the
    calendar simulation replays history on one warehouse). `correct`: with a `[calendar]`, closed
    start years whose definitive figures this correction release measures again."""
    started = time.perf_counter()
    warehouse, out = Path(warehouse), Path(out)
    cfg = load_config(config)
    created = datetime.now(UTC)
    as_of = as_of or created.date()
    if cfg.calendar is not None:
        if as_of.year < cfg.first_year:
            raise UserError(
                f"no start year of {cfg.first_year}–{cfg.last_year} has begun on {as_of}"
            )
        cfg = dataclasses.replace(cfg, last_year=min(cfg.last_year, as_of.year))
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
    if out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file name such as {out / 'release.duckdb'}"
        )
    release_id = uuid.uuid4().hex
    salt = release_id if rng is None else seeded_salt(rng)
    with ledger.open_ledger(warehouse, None) as book:  # the ledger is locked from check to record
        calendar = cfg.calendar
        if correct and calendar is None:
            raise UserError(
                "--correct: only a release config with a [calendar] has definitive figures"
            )
        plan = (
            None
            if calendar is None
            else calendar_plan(calendar, cfg, book, as_of, release_id, correct)
        )
        if plan is None:
            spend = ledger.Spend(
                cfg.mechanism,
                sum(m.budget for m in cfg.measurements),
                tuple(
                    ledger.MeasurementSpend(m.name, m.dimensions, cfg.years, "all", m.budget)
                    for m in cfg.measurements
                ),
            )
        earlier = None if plan is None else previous_release(previous, plan, cfg)
        mark = book.watermark()  # late registrations: first ingested after this
        late = () if plan is None or mark is None else late_years(plan, cfg)
        late_true = None
        with measuring_connection(warehouse) as (con, version):
            if plan is not None:
                same_ingests(book, warehouse, version)
                spend = calendar_spend(cfg, plan, ingest_watermark(con), late)
            totals = book.check(spend, cfg.lifetime_epsilon_limit, cfg.lifetime_rho_limit)
            bound_contributions(con, cfg, as_of=as_of)
            trues = [true_marginal(con, spec, cfg) for spec in cfg.measurements]
            if late and mark is not None:
                late_true = late_counts(con, cfg, mark)
        if plan is None:
            measurements = privatise(trues, rng)
        else:
            measurements = privatise_calendar(trues, plan, earlier, cfg, rng)
        late_published = None if late_true is None else late_figures(late_true, late, cfg, rng)
        del trues, late_true  # the true counts go no further
        metadata = _metadata(
            cfg, release_id, salt, version, created, as_of, measurements, spend, totals
        )
        if calendar is not None and plan is not None:
            metadata["calendar"], sources = calendar_metadata(
                calendar, cfg, plan, earlier, measurements, as_of
            )
            # counted since the ledger's last calendar release, per closed start year
            metadata["calendar"]["late_registrations"] = late_published or {}
            for name, years in sources.items():
                metadata["measurements"][name]["years"] = years
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
        budget_text=cfg.budget_text(spend.budget),
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
