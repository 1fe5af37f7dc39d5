"""Answer a question from a release: choose a measured table, sum, estimate, interval, suppress.

Never opens the warehouse: everything comes from the release's noisy, consistent tables. Answers
are cached per Release object, and the question is put in a canonical form first (filters sorted,
codes sorted), so the same question always returns the identical table however it is phrased.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from binc.answering import calendar, estimates
from binc.answering.catalogue import MeasureDef, Method, measure_defs
from binc.answering.cube import Cube, allowed_dimensions, as_groups, select, with_totals
from binc.core import reference
from binc.core.errors import UserError, shown
from binc.core.noise import DISTRIBUTION_NAMES
from binc.core.table import (
    TOTAL,
    AnsweredTable,
    Estimates,
    UncertaintyRule,
    decimals_for,
    margins,
)
from binc.disclosure.group_shares import hidden_group_shares
from binc.disclosure.medians import hidden_medians
from binc.disclosure.protect import protect
from binc.release_file import Measurement, Release

Where = Mapping[str, str | Sequence[str]] | None


def _canonical(
    by: Sequence[str], where: Where
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    by = tuple(by)
    if len(set(by)) != len(by):
        raise UserError(
            f"by: a dimension is named twice in {', '.join(map(shown, by))}",
            reason="dimension_twice",
        )
    clean: dict[str, tuple[str, ...]] = {}
    for dim in sorted(where or {}):
        value = (where or {})[dim]
        codes = (value,) if isinstance(value, str) else tuple(value)
        if not codes:
            raise UserError(f"where {shown(dim)}: give at least one code", reason="no_codes")
        clean[dim] = tuple(sorted(set(map(str, codes))))
    return by, clean


def _seed(
    release: Release, measure: str, by: tuple[str, ...], where: dict[str, tuple[str, ...]]
) -> int:
    text = repr((release.salt, measure, by, sorted(where.items())))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def answer(
    release: Release,
    measure: str,
    by: Sequence[str] = (),
    where: Where = None,
    totals: bool = False,
) -> AnsweredTable:
    """The suppressed table answering `measure` by `by`, filtered by `where` (see AnsweredTable)."""
    defs = measure_defs()
    if measure not in defs:
        raise UserError(
            f"measure {shown(measure)} is unknown; allowed: {', '.join(defs)}",
            reason="unknown_measure",
        )
    by_t, where_c = _canonical(by, where)
    key = (measure, by_t, tuple(where_c.items()), bool(totals))
    if key not in release.cache:
        release.cache[key] = _answer(release, defs[measure], by_t, where_c, bool(totals))
    return release.cache[key]


def _check_dims(
    release: Release, d: MeasureDef, by: tuple[str, ...], where: dict[str, tuple[str, ...]]
) -> None:
    allowed = [x for x in allowed_dimensions(release, d.source_unit) if x not in d.uses]
    bad = [x for x in (*by, *where) if x not in allowed]
    if bad:
        raise UserError(
            f"{d.name}: dimension(s) {', '.join(map(shown, dict.fromkeys(bad)))} cannot be used here; "
            f"allowed: {', '.join(allowed)}",
            reason="dimension_not_here",
            measure=d.name,
            dimensions=tuple(dict.fromkeys(bad)),
            allowed=tuple(allowed),
        )


def _answer(
    release: Release,
    d: MeasureDef,
    by: tuple[str, ...],
    where: dict[str, tuple[str, ...]],
    totals: bool,
) -> AnsweredTable:
    _check_dims(release, d, by, where)
    # Suppression is always decided with the margins, shown or not (see answering/patterns.py);
    # only a count of distinct children over years has no margin (a child is in several years).
    margins = _margins_allowed(d, by)
    asked = _Question(release, d, by, where, totals or margins)
    cube, numbers = _measure(asked)
    frame = numbers.frame(by, totals or margins)

    # A share's pattern is that of its numerators' count table (disclosure/protect.py).
    patterned = measure_defs()["trajectories"] if d.method == "share" else d

    def pattern_estimates(
        dims: tuple[str, ...], kept: dict[str, tuple[str, ...]]
    ) -> tuple[bool, Estimates]:
        wide = _margins_allowed(patterned, dims)
        _, pattern = _measure(
            _Question(release, patterned, dims, kept, wide, source=cube.source, bases_only=True)
        )
        return wide, pattern

    domains = dict(zip(cube.source.dimensions, cube.source.domains, strict=True))
    frame = protect(
        release.k,
        release.cache,
        d.kind,
        d.method == "share",
        by,
        as_groups(cube.source, where),
        domains,
        frame,
        pattern_estimates,
        # trajectories add up over start years, so suppression is decided year by year; distinct
        # children do not (a child is in several years)
        per_year=d.source_unit == "trajectories",
    )
    if d.method == "ratio":
        frame = _hide_group_shares(asked, frame, cube)
    if d.method == "median":
        frame = _hide_medians(asked, frame)
    if margins and not totals:
        frame = frame.filter(*(pl.col(dim) != TOTAL for dim in by)) if by else frame
    if totals and by and d.method != "share":
        frame = _margins_as_asked(asked, frame)
    # A shown value whose interval is too wide to read is flagged by the release's rule (defaults
    # for a release written before the rule existed); the value and interval stay.
    rule = UncertaintyRule.from_metadata(release.metadata)
    frame = frame.with_columns(rule.expression(d.kind))
    # A release on the publication calendar marks the rows that rest on a provisional start year
    # (binc/answering/calendar.py); a release without a calendar has no such column.
    frame = calendar.with_provisional(frame, by, where, release.metadata)
    meta = {k: v for k, v in release.metadata.items() if k not in ("domains", "dimension_meanings")}
    m = cube.source
    notes = (
        f"answered from the measured table {m.name} ({' × '.join(m.dimensions)}; "
        f"{m.noise.budget_text()}, {DISTRIBUTION_NAMES[m.noise.mechanism]} noise with variance "
        f"{_variance_text(m)} per cell)",
        f"values whose base is below k = {release.k} are suppressed (a share also where the count "
        "table of its breakdown hides its numerator, or where its group count is below k or would "
        "give back a count that table hides; a median also where, with the count table of its "
        "breakdown by band, it would give back a count that table hides), with complementary cells "
        "chosen with the margins and with every code of a filtered dimension",
        f"values whose 95% interval is too wide to read are flagged too_uncertain ({_rule_text(rule, d.kind)})",
        *calendar.answer_notes(release.metadata, where),
    )
    return AnsweredTable(
        measure=d.name,
        kind=d.kind,
        dimensions=by,
        frame=frame,
        unit=d.unit,
        release_metadata=meta,
        source_tables=(m.name,),
        notes=notes,
        filters=dict(where),
    )


def _margins_as_asked(
    q: _Question,
    frame: pl.DataFrame,
) -> pl.DataFrame:
    """The TOTAL rows of `frame` with the interval (and value) of the same number asked on its own.

    A margin is one number everywhere (the tables agree on what they share), but the table that
    answers a breakdown sums its own cells for the margin, with its own, often larger, variance; the
    question asked directly is answered by the covering table with the smallest variance. So each
    TOTAL row the direct answer also shows takes its value, base and interval: one number, one
    interval, in every view. Suppression stays this table's own decision: a margin hidden here
    was chosen with its cells, and one the direct answer hides but this table's cells add up to
    would be hidden in vain (docs/hardening.md). (A share of the last dimension is left alone: its
    TOTAL row is the 100 % of the distribution, not the same number.)"""
    release, d, by, where = q.release, q.measure, q.by, q.where
    columns = ("value", "ci_low", "ci_high", "base")
    out = frame.with_row_index("_row")
    for kept, rows in margins(out, by):
        if rows.is_empty():
            continue
        direct = answer(release, d.name, kept, where).frame.select(*kept, "suppressed", *columns)
        direct = direct.rename({c: f"_{c}" for c in ("suppressed", *columns)})
        joined = (
            rows.join(direct, on=list(kept), how="left") if kept else rows.join(direct, how="cross")
        )
        both = ~pl.col("suppressed") & ~pl.col("_suppressed").fill_null(True)
        update = joined.filter(both).select("_row", *(pl.col(f"_{c}").alias(c) for c in columns))
        out = out.update(update, on="_row")
    return out.drop("_row")


def _hide_medians(
    q: _Question,
    frame: pl.DataFrame,
) -> pl.DataFrame:
    """`frame` (a median, with margins) also hidden where the published median, with the count
    table of the same breakdown by band, would give back a count that table hides
    (`binc/disclosure/medians.py`)."""
    release, d, by, where = q.release, q.measure, q.by, q.where
    band = d.band
    if band is None or band in where:
        return frame
    dims = (*by, band)
    table = _count_table(release, dims, {**where, **histogram_filters(release, d)})
    if table is None:
        return frame  # that count table is refused: it publishes nothing to combine with
    published, hidden, estimated = table
    codes = [c for c in published[band].unique(maintain_order=True).to_list() if c != TOTAL]
    rows = list(zip(*(frame[dim].to_list() for dim in by), strict=True)) if by else [()]
    # the median as it leaves the product: rounded to the decimals every output shows
    decimals = decimals_for(d.kind)
    shown = {
        row: (value, round(value, decimals))
        for row, value, hidden_row in zip(
            rows, frame["value"].to_list(), frame["suppressed"].to_list(), strict=True
        )
        if not hidden_row and value is not None
    }
    extra = hidden_medians(
        estimated, hidden, dims, band_bounds(band, codes), shown, 10.0**-decimals, release.k
    )
    return _hide_rows(frame, rows, extra)


def _count_table(
    release: Release, dims: tuple[str, ...], where: dict[str, tuple[str, ...]]
) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame] | None:
    """The count table by `dims` with margins that a derived figure is audited with: as published,
    its suppression pattern, and its estimates (every cell); None when that table is refused."""
    try:
        published = answer(release, "trajectories", dims, where, totals=True).frame
    except UserError:
        return None
    hidden = published["suppressed"].fill_null(True).to_numpy()
    _, numbers = _measure(_Question(release, measure_defs()["trajectories"], dims, where, True))
    estimated = numbers.frame(dims, True)
    if estimated.select(dims).rows() != published.select(dims).rows():
        raise AssertionError("a count table and its estimates differ in their rows")
    return published, hidden, estimated


def _hide_rows(
    frame: pl.DataFrame, rows: Sequence[tuple[Any, ...]], extra: Collection[tuple[Any, ...]]
) -> pl.DataFrame:
    """`frame` with the rows in `extra` suppressed as well (their numbers removed)."""
    if not extra:
        return frame
    more = pl.Series("extra", [row in extra for row in rows])
    return frame.with_columns((pl.col("suppressed") | more).alias("suppressed")).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("value", "ci_low", "ci_high", "base")
    )


def _hide_group_shares(
    q: _Question,
    frame: pl.DataFrame,
    cube: Cube,
) -> pl.DataFrame:
    """`frame` (a share of a group of codes, with margins) also hidden where its group count would
    give back a count that the count table of the same breakdown by the category hides
    (`binc/disclosure/group_shares.py`). When the share was taken over groups of the category (end
    groups for end reasons), the count table is the one by those groups: that is what it adds to."""
    release, d, by, where = q.release, q.measure, q.by, q.where
    category = d.category
    if category is None or category in where:
        return frame
    numerator, denominator = (
        d.numerator,
        d.denominator or tuple(c for c in _category_domain(release, category) if c != "unknown"),
    )
    if category in cube.groups:
        codes = dict(zip(cube.domains[-1], cube.codes_of(-1), strict=True))
        category = cube.groups[category]
        numerator = tuple(g for g, members in codes.items() if set(members) <= set(numerator))
        denominator = tuple(codes)
    dims = (*by, category)
    table = _count_table(release, dims, where)
    if table is None:
        return frame  # that count table is refused: it publishes nothing to combine with
    _, hidden, estimated = table
    rows = list(zip(*(frame[dim].to_list() for dim in by), strict=True)) if by else [()]
    suppressed = frame["suppressed"].to_list()
    shown = [row for row, s in zip(rows, suppressed, strict=True) if not s]
    extra = hidden_group_shares(estimated, hidden, dims, numerator, denominator, shown, release.k)
    return _hide_rows(frame, rows, extra)


def _rule_text(rule: UncertaintyRule, kind: str) -> str:
    if kind in ("share", "rate"):
        return f"half-width above {rule.share_points:g} percentage points"
    relative = rule.count_relative if kind == "count" else rule.median_relative
    return f"half-width above {relative:g} × the value"


def _margins_allowed(d: MeasureDef, by: tuple[str, ...]) -> bool:
    return not (d.source_unit == "children" and "year" in by)


@dataclass(frozen=True)
class _Question:
    """One question as the estimators see it (canonical `by` and `where`)."""

    release: Release
    measure: MeasureDef
    by: tuple[str, ...]
    where: dict[str, tuple[str, ...]]
    totals: bool  # margins appended
    source: Measurement | None = None  # the measured table to use, if already chosen
    bases_only: bool = False  # only `base` is needed (a pattern table): no bootstrap


def _measure(q: _Question) -> tuple[Cube, Estimates]:
    """The cube the question was summed from and its estimates, dispatched on the catalogue's
    method. With `bases_only`, medians and survival skip their bootstrap and return the base in
    the other three places."""
    return _ESTIMATORS[q.measure.method](q)


def _variance_text(m: Measurement) -> str:
    """The table's noise variance per cell; on a calendar, the range over its start years (each
    start year's slice keeps the noise it was measured with: provisional ones are noisier)."""
    variances = sorted({n.variance for n in m.noises})
    if len(variances) == 1:
        return f"{variances[0]:.1f}"
    return f"{variances[0]:.1f} to {variances[-1]:.1f} (per start year, as measured)"


def _count(q: _Question) -> tuple[Cube, Estimates]:
    by, where, totals = q.by, q.where, q.totals
    if q.measure.source_unit == "children":
        if "year" not in by and len(where.get("year", ())) != 1:
            raise UserError(
                "children: distinct children are counted per year; add year to by, or filter one year",
                reason="children_per_year",
            )
        if totals and "year" in by:
            raise UserError(
                "children: a child reached in several years would be counted more than once in a total over years; ask without totals",
                reason="children_total",
            )
    cube = select(q.release, q.measure.source_unit, by, where, source=q.source)
    values, cells, variance, single = cube.values, cube.cells, cube.variance, cube.single
    if totals:
        values, cells, variance, single = (
            with_totals(a, len(by)) for a in (values, cells, variance, single)
        )
    low, high = estimates.count_interval(values, cells, variance, single)
    return cube, Estimates(cube.domains, values, low, high, values)


def _share(q: _Question) -> tuple[Cube, Estimates]:
    by = q.by
    if not by:
        raise UserError(
            "share: give at least one dimension in by; the share is taken over the last one",
            reason="share_needs_by",
        )
    cube = select(q.release, "trajectories", by, q.where, source=q.source)
    num, var = cube.values, cube.variance
    if q.totals:
        num, var = with_totals(num, len(by) - 1), with_totals(var, len(by) - 1)
    den = num.sum(axis=-1, keepdims=True)
    den_var = var.sum(axis=-1, keepdims=True)
    if q.totals:
        num, var = np.concatenate([num, den], -1), np.concatenate([var, den_var], -1)
    den = np.broadcast_to(den, num.shape)
    rest_var = np.broadcast_to(den_var, num.shape) - var
    value, low, high, base = estimates.ratio(num, den - num, var, rest_var)
    return cube, Estimates(cube.domains, value, low, high, base)


def _ratio(q: _Question) -> tuple[Cube, Estimates]:
    d, by = q.measure, q.by
    if d.category is None:
        raise ValueError(f"{d.name}: a ratio needs its category dimension in the catalogue")
    cat_codes = _category_domain(q.release, d.category)
    den_codes = d.denominator or tuple(c for c in cat_codes if c != "unknown")
    cube = select(
        q.release,
        d.source_unit,
        (*by, d.category),
        q.where,
        fixed={d.category: den_codes},
        source=q.source,
        grouped=(d.category,),
    )
    # Each code on the category axis (or each group, when the table holds groups) is counted in
    # the numerator when it is one of the numerator's codes (a group: all of its members are).
    mask = np.array([set(codes) <= set(d.numerator) for codes in cube.codes_of(-1)], dtype=bool)
    num = cube.values[..., mask].sum(-1)
    den = cube.values.sum(-1)
    num_var = cube.variance[..., mask].sum(-1)
    den_var = cube.variance.sum(-1)
    if q.totals:
        num, den = with_totals(num, len(by)), with_totals(den, len(by))
        num_var, den_var = with_totals(num_var, len(by)), with_totals(den_var, len(by))
    value, low, high, base = estimates.ratio(num, den - num, num_var, den_var - num_var)
    return cube, Estimates(cube.domains, value, low, high, base)


def _category_domain(release: Release, dim: str) -> tuple[str, ...]:
    for m in release.measurements.values():
        if dim in m.dimensions:
            return m.domains[m.dimensions.index(dim)]
    raise UserError(
        f"this release measures no table with {dim}; the measure is not available",
        reason="measure_not_available",
        dimension=dim,
    )


def band_bounds(dim: str, codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each band's lower and upper bound (upper inf for the open band); whole days and months:
    band 0-7 covers [0, 8)."""
    bands = reference.bands().filter(pl.col("dimension") == dim)
    table = dict(zip(bands["code"], zip(bands["lower"], bands["upper"], strict=True), strict=True))
    lower = np.array([float(table[c][0]) for c in codes])
    upper = np.array([np.inf if table[c][1] is None else float(table[c][1]) for c in codes])
    return lower, upper


def _median(q: _Question) -> tuple[Cube, Estimates]:
    d = q.measure
    if d.band is None:
        raise ValueError(f"{d.name}: a median needs its band dimension in the catalogue")
    fixed = histogram_filters(q.release, d)
    cube = select(q.release, "trajectories", (*q.by, d.band), q.where, fixed=fixed, source=q.source)
    return cube, _histogram_statistic(q, cube, histogram_statistic(d, cube.domains))


def _survival(q: _Question) -> tuple[Cube, Estimates]:
    band = q.measure.band or "duration_band"
    cube = select(q.release, "trajectories", (*q.by, band, "status"), q.where, source=q.source)
    return cube, _histogram_statistic(q, cube, histogram_statistic(q.measure, cube.domains))


def histogram_filters(release: Release, d: MeasureDef) -> dict[str, tuple[str, ...]]:
    """The filters a median is taken under: its fixed ones (ended trajectories) and its band's
    codes without those it leaves out (waiting 'unknown'); none for survival."""
    fixed = dict(d.fixed)
    if d.band is not None and d.band_excludes:
        codes = _category_domain(release, d.band)
        fixed[d.band] = tuple(c for c in codes if c not in d.band_excludes)
    return fixed


def histogram_statistic(
    d: MeasureDef, domains: Sequence[Sequence[str]]
) -> Callable[[np.ndarray], np.ndarray]:
    """The statistic of a median or survival measure over a histogram whose last axes are its band
    (a median) or its band and status (survival), with those axes' codes in `domains`."""
    if d.method == "median":
        if d.band is None:
            raise ValueError(f"{d.name}: a median needs its band dimension in the catalogue")
        lower, upper = band_bounds(d.band, domains[-1])
        return lambda h: estimates.banded_median(h, lower, upper)
    _, upper = band_bounds(d.band or "duration_band", domains[-2])
    ended = list(domains[-1]).index("ended")
    months = float(d.parameter or 0)
    return lambda h: estimates.survival_at(h[..., ended], h[..., 1 - ended], upper, months)


def _histogram_statistic(
    q: _Question, cube: Cube, statistic: Callable[[np.ndarray], np.ndarray]
) -> Estimates:
    """Point estimate from the consistent histogram; interval by a seeded parametric bootstrap."""
    n, totals = len(q.by), q.totals
    hist, var = cube.values, cube.variance
    if q.bases_only:
        hist = with_totals(hist, n) if totals else hist
        base = hist.reshape(*hist.shape[:n], -1).sum(-1)
        return Estimates(cube.domains, base, base, base, base)
    rng = np.random.default_rng(_seed(q.release, q.measure.name, q.by, q.where))
    value, low, high = bootstrap_interval(hist, var, statistic, rng, totals=n if totals else 0)
    hist = with_totals(hist, n) if totals else hist
    base = hist.reshape(*hist.shape[:n], -1).sum(-1)
    return Estimates(cube.domains, value, low, high, base)


def bootstrap_interval(
    hist: np.ndarray,
    variance: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
    draws: int = estimates.BOOTSTRAP_DRAWS,
    totals: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, low, high) of `statistic` on `hist`: the 95% interval of a parametric bootstrap,
    normal noise of each cell's `variance` added `draws` times and clamped at 0. `totals`: the
    first axes that also get their TOTAL slice (with_totals). The planner uses the same interval
    for the precision it expects (binc/planning/precision.py)."""
    noisy = np.maximum(
        hist[None] + rng.standard_normal((draws, *hist.shape)) * np.sqrt(variance)[None], 0
    )
    if totals:
        hist = with_totals(hist, totals)
        noisy = np.moveaxis(with_totals(np.moveaxis(noisy, 0, -1), totals), -1, 0)
    value = statistic(hist)
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(statistic(noisy), [0.025, 0.975], axis=0)
    # Draws are clamped at 0, so with few trajectories in the lowest bands the bootstrap shifts
    # away from the estimate and its quantiles can miss it (found by tests/property/test_fuzz.py: a median
    # of 0.9 months with interval 1.4–14.8). An interval must contain its estimate: widen it.
    return value, np.minimum(low, value), np.maximum(high, value)


_ESTIMATORS: dict[Method, Callable[[_Question], tuple[Cube, Estimates]]] = {
    "count": _count,
    "share": _share,
    "ratio": _ratio,
    "median": _median,
    "survival": _survival,
}


def list_measures(release: Release | None = None) -> list[dict[str, Any]]:
    """Every measure: name, kind, unit, labels, description and the dimensions it allows."""
    out = []
    for d in measure_defs().values():
        dims = None
        if release is not None:
            dims = [x for x in allowed_dimensions(release, d.source_unit) if x not in d.uses]
            if d.source_unit == "children":
                dims = [x for x in dims if x == "year"]
        out.append(
            {
                "name": d.name,
                "kind": d.kind,
                "unit": d.unit,
                "description": d.description,
                "dimensions": dims,
            }
        )
    return out
