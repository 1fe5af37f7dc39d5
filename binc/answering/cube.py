"""Choosing the measured table that answers a question, and summing its consistent cells.

The answer for a question comes from the measured table whose dimensions cover it and that gives
the smallest noise variance: (number of noisy cells summed per answer cell) × (their variance).
Because the release's tables are post-processed to agree with each other, every covering table
would give the same number; the choice decides only the width of the honest interval.
Ties go to the table declared first in the config, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from binc.core.errors import UserError, shown
from binc.release_file import Measurement, Release


@dataclass(frozen=True)
class Cube:
    """Summed estimates over the question's axes (by dims + statistic dims), with noise bookkeeping."""

    source: Measurement
    axes: tuple[str, ...]
    domains: tuple[tuple[str, ...], ...]
    values: np.ndarray  # float64 sums of consistent estimates
    cells: np.ndarray  # how many noisy cells each value sums (same shape)

    @property
    def variance(self) -> np.ndarray:
        return self.cells * self.source.cell_variance


def allowed_dimensions(release: Release, unit: str) -> tuple[str, ...]:
    dims: list[str] = []
    for m in release.measurements.values():
        if m.unit == unit:
            dims += [d for d in m.dimensions if d not in dims]
    return tuple(dims)


def choose(
    release: Release, unit: str, needed: Sequence[str], where: Mapping[str, tuple[str, ...]]
) -> Measurement:
    best: tuple[float, Measurement] | None = None
    for m in release.measurements.values():
        if m.unit != unit or not set(needed) <= set(m.dimensions):
            continue
        summed = 1
        for dim, codes in zip(m.dimensions, m.domains, strict=True):
            if dim not in needed:
                summed *= len(codes)
            elif dim in where:
                summed *= len(where[dim])
        cost = summed * m.cell_variance
        if best is None or cost < best[0]:
            best = (cost, m)
    if best is None:
        raise _refusal(release, unit, needed)
    return best[1]


def _refusal(release: Release, unit: str, needed: Sequence[str]) -> UserError:
    tables = [m for m in release.measurements.values() if m.unit == unit]
    allowed = allowed_dimensions(release, unit)
    unknown = [d for d in needed if d not in allowed]
    if unknown:
        return UserError(
            f"dimension(s) {', '.join(map(shown, unknown))} are not measured for {unit} in this release; "
            f"allowed: {', '.join(allowed)}",
            reason="dimension_not_measured",
            dimensions=tuple(unknown),
            unit=unit,
            allowed=allowed,
        )
    combos = "; ".join(" × ".join(m.dimensions) for m in tables)
    return UserError(
        f"no measured table covers {' × '.join(needed)} together for {unit}; ask for a "
        f"combination within one of: {combos}",
        reason="no_table_covers",
        dimensions=tuple(needed),
        unit=unit,
        tables=tuple(m.dimensions for m in tables),
    )


def select(
    release: Release,
    unit: str,
    axes: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    fixed: Mapping[str, tuple[str, ...]] | None = None,
    source: Measurement | None = None,
) -> Cube:
    """Sum the best table's consistent estimates onto `axes`, keeping only `where` codes.

    `source` forces the measured table (it must cover the question): an answer and the pattern
    table that decides its suppression must rest on the same numbers.
    """
    fixed = dict(fixed or {})
    needed = list(dict.fromkeys([*axes, *where, *fixed]))
    m = source or choose(release, unit, needed, {**where, **fixed})
    if not set(needed) <= set(m.dimensions):
        raise ValueError(f"measured table {m.name} does not cover {needed}")
    index = []
    for dim, codes in zip(m.dimensions, m.domains, strict=True):
        wanted = where.get(dim) or fixed.get(dim)
        if wanted is None:
            index.append(np.arange(len(codes)))
            continue
        positions = {c: i for i, c in enumerate(codes)}
        missing = [c for c in wanted if c not in positions]
        if missing:
            raise UserError(
                f"where {dim}: unknown code(s) {', '.join(map(shown, missing))}; allowed: {_listing(codes)}",
                reason="unknown_code",
                dimension=dim,
                codes=tuple(shown(c) for c in missing),
            )
        index.append(np.array(sorted(positions[c] for c in wanted)))
    sub = m.estimate[np.ix_(*index)] if index else m.estimate
    keep = [m.dimensions.index(a) for a in axes]
    summed_axes = tuple(i for i in range(len(m.dimensions)) if i not in keep)
    cells = int(np.prod([len(index[i]) for i in summed_axes], dtype=np.int64))
    values = sub.sum(axis=summed_axes, dtype=np.float64) if summed_axes else sub.astype(np.float64)
    # after summing, the kept axes are in table order; put them in question order
    order = sorted(range(len(keep)), key=lambda i: keep[i])
    values = np.transpose(values, axes=np.argsort(order)) if len(keep) > 1 else values
    domains = tuple(
        tuple(np.array(m.domains[m.dimensions.index(a)])[index[m.dimensions.index(a)]])
        for a in axes
    )
    return Cube(
        source=m,
        axes=tuple(axes),
        domains=domains,
        values=values,
        cells=np.full(values.shape, cells, dtype=np.float64),
    )


def _listing(codes: Sequence[str], limit: int = 20) -> str:
    """The allowed codes for a message; a long list (304 municipalities) is cut, as found by
    tests/property/test_fuzz.py: a refusal should fit on a screen line, not fill the terminal."""
    if len(codes) <= limit:
        return ", ".join(codes)
    return f"{', '.join(codes[:limit])}, … ({len(codes)} codes; the codebook of an export lists them all)"


def with_totals(array: np.ndarray, count: int) -> np.ndarray:
    """Append the sum along each of the first `count` axes as one more slice (the TOTAL margins)."""
    for axis in range(count):
        array = np.concatenate([array, array.sum(axis=axis, keepdims=True)], axis=axis)
    return array
