"""How precise each question's answer will be under a release config, before any data is touched.

The half-widths are the ones the answering layer puts in its intervals (binc/answering/):
- a count summed from `n` cells of a table with noise variance σ² per cell has variance n·σ² (one
  cell: the exact quantile of the noise: two-sided geometric or discrete Gaussian);
- a share p = num / (num + rest) has the delta-method variance
  ((1 − p)²·Var num + p²·Var rest) / base²;
- a median or survival figure has the parametric-bootstrap interval of engine.bootstrap_interval,
  run on the question's typical histogram (more draws, a fixed seed).
The table that answers is the one the answering layer chooses (binc/answering/cube.py: the
covering table with the smallest variance), found on a release skeleton: the config's tables with
their domains and noise, and no values. The typical sizes (base, share, histogram) are public
planning figures from the question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from binc.answering.catalogue import measure_defs
from binc.answering.cube import cells_summed, choose
from binc.answering.engine import bootstrap_interval, histogram_filters, histogram_statistic
from binc.answering.estimates import Z95
from binc.core.dimensions import STATUS_CODES, domain
from binc.core.errors import UserError
from binc.core.noise import Noise, noise_for
from binc.planning.questions import HISTOGRAM_METHODS, Question, band_codes
from binc.release.config import ReleaseConfig
from binc.release_file import Measurement, Release

# A median's or survival's expected half-width is the bootstrap interval the answers carry, on the
# typical histogram; with this many draws its quantiles move by about 2 % from seed to seed.
PLANNING_DRAWS = 8_000
PLANNING_SEED = 20261207


@dataclass(frozen=True)
class Need:
    """What one question asks of the table that answers it: noisy cells summed per answer cell."""

    table: str
    numerator_cells: int  # counts: the cells of the count
    base_cells: int  # shares: the cells of the base (counts: the same as numerator_cells)


@dataclass(frozen=True)
class Expected:
    question: Question
    table: str
    half_width: float  # shares: points; counts: % of the typical value

    @property
    def ratio(self) -> float:
        return self.half_width / self.question.target

    @property
    def weighted_ratio(self) -> float:
        """What the division of the budget minimises the worst of (budget.divide)."""
        return self.question.weight * self.ratio

    @property
    def met(self) -> bool:
        return self.half_width <= self.question.target


def skeleton(config: ReleaseConfig, budgets: Mapping[str, float] | None = None) -> Release:
    """The config's tables with their domains and noise and no values (zeros): enough to choose.
    `budgets`: other ε (or ρ) per table than the config's."""
    tables = {}
    for spec in config.measurements:
        domains = tuple(domain(d, config.years) for d in spec.dimensions)
        shape = tuple(len(d) for d in domains)
        budget = (budgets or {}).get(spec.name, spec.budget)
        zeros = np.zeros(shape, dtype=np.int64)
        tables[spec.name] = Measurement(
            name=spec.name,
            unit=spec.unit,
            dimensions=spec.dimensions,
            domains=domains,
            noise=noise_for(spec.mechanism, budget, spec.sensitivity),
            noisy=zeros,
            estimate=zeros,
        )
    return Release(path=None, metadata={}, measurements=tables)


def need(release: Release, question: Question, years: Sequence[str]) -> Need:
    """The table that answers `question` and how many of its cells one answer sums."""
    d = measure_defs()[question.measure]
    where = {"year": tuple(years[-question.years :]), **question.where}
    by = question.by
    if d.method == "count":
        needed = list(dict.fromkeys([*by, *where]))
        table = choose(release, d.source_unit, needed, where, by)
        cells = _cells(table, needed, where, by, ())
        return Need(table.name, cells, cells)
    if d.method == "share":
        needed = list(dict.fromkeys([*by, *where]))
        table = choose(release, "trajectories", needed, where, by)
        cells = _cells(table, needed, where, by, ())
        last = by[-1]
        codes = len(where.get(last, table.domains[table.dimensions.index(last)]))
        return Need(table.name, cells, cells * codes)
    if d.method in HISTOGRAM_METHODS:
        return _histogram_need(release, question, where)
    category = d.category
    if category is None:
        raise ValueError(f"{d.name}: a ratio needs its category")
    denominator = d.denominator or tuple(c for c in domain(category, ()) if c != "unknown")
    needed = list(dict.fromkeys([*by, category, *where]))
    axes = (*by, category)
    base_where = {**where, category: tuple(denominator)}
    table = choose(release, d.source_unit, needed, base_where, axes, (category,))
    base = _cells(table, needed, base_where, axes, (category,))
    numerator = _cells(table, needed, {**where, category: d.numerator}, axes, (category,))
    return Need(table.name, numerator, base)


def _histogram_need(
    release: Release, question: Question, where: Mapping[str, tuple[str, ...]]
) -> Need:
    """A median's or survival's table and the cells each band (and status) of one answer sums,
    chosen as the answering layer chooses (engine._median, engine._survival)."""
    d = measure_defs()[question.measure]
    band = d.band or "duration_band"
    fixed = histogram_filters(release, d)
    axes = (*question.by, band) if d.method == "median" else (*question.by, band, "status")
    wanted = {**where, **fixed}
    needed = list(dict.fromkeys([*axes, *where, *fixed]))
    table = choose(release, "trajectories", needed, wanted, axes)
    cells = _cells(table, needed, wanted, axes, ())
    return Need(table.name, cells, cells)


def _cells(
    table: Measurement,
    needed: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    axes: Sequence[str],
    grouped: Sequence[str],
) -> int:
    cells = cells_summed(table, needed, where, axes, grouped)
    if cells is None:
        raise UserError(f"table {table.name} cannot answer a question it was chosen for")
    return cells


def half_width(question: Question, need: Need, noise: Noise) -> float:
    """The expected 95% half-width: shares in points, counts in % of the typical value, medians in
    their unit."""
    base = question.typical_base * question.years
    if question.method in HISTOGRAM_METHODS:
        return _histogram_half_width(question, need, noise, base)
    if not question.is_share:
        if need.numerator_cells <= 1:
            return 100 * noise.half_width(0.95) / base
        return 100 * Z95 * math.sqrt(need.numerator_cells * noise.variance) / base
    p = question.typical_share
    numerator = need.numerator_cells * noise.variance
    rest = (need.base_cells - need.numerator_cells) * noise.variance
    return 100 * Z95 * math.sqrt((1 - p) ** 2 * numerator + p**2 * rest) / base


def _histogram_half_width(question: Question, need: Need, noise: Noise, base: float) -> float:
    """The half-width of the interval the answering layer gives a median or survival figure on
    the question's typical histogram: the same parametric bootstrap (engine.bootstrap_interval),
    with more draws and a fixed seed, so the plan is the same on every run."""
    d = measure_defs()[question.measure]
    codes = band_codes(d)
    ended = np.array([question.typical_bands.get(c, 0.0) for c in codes]) * base
    domains: tuple[tuple[str, ...], ...]
    if d.method == "median":
        hist, domains = ended, (codes,)
    else:
        ongoing = np.array([question.typical_ongoing.get(c, 0.0) for c in codes]) * base
        hist, domains = np.stack([ended, ongoing], axis=-1), (codes, STATUS_CODES)
    variance = np.full(hist.shape, need.numerator_cells * noise.variance)
    statistic = histogram_statistic(d, domains)
    rng = np.random.default_rng(PLANNING_SEED)
    _, low, high = bootstrap_interval(hist, variance, statistic, rng, draws=PLANNING_DRAWS)
    return float(high - low) / 2


def expected(
    config: ReleaseConfig,
    questions: Sequence[Question],
    budgets: Mapping[str, float] | None = None,
) -> list[Expected]:
    """Every question's expected half-width under the config (or under other per-table budgets)."""
    release = skeleton(config, budgets)
    years = domain("year", config.years)
    out = []
    for question in questions:
        try:
            asked = need(release, question, years)
        except UserError as refusal:
            raise UserError(f"question {question.name!r}: {refusal}") from refusal
        noise = release.measurements[asked.table].noise
        out.append(Expected(question, asked.table, half_width(question, asked, noise)))
    return out
