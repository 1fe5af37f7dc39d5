"""Choosing the measured table that answers a question, and summing its consistent cells.

The answer for a question comes from the measured table whose dimensions cover it and that gives
the smallest noise variance: (number of noisy cells summed per answer cell) × (their variance; a
calendar release's tables hold start years of different variances, and the largest one counts).
Because the release's tables are post-processed to agree with each other, every covering table
would give the same number; the choice decides only the width of the honest interval.
Ties go to the table declared first in the config, so the choice is deterministic.

A table may hold a public grouping of a dimension instead of its codes (end groups instead of end
reasons, `ROLLUPS` in binc/core/dimensions.py). It answers a question about that dimension when
the question only filters it, or takes a ratio over it (`grouped`), with sets of codes that are
whole groups: "ended as planned" is the groups goals_reached and other_planned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from binc.core.dimensions import members, parent_of
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
    variance: np.ndarray  # the summed noise variance of those cells (same shape)
    single: np.ndarray  # where a value is one cell: its noise's exact 95% half-width
    # Axes answered by groups: axis -> the measured dimension holding its groups (domains then
    # hold group codes for that axis).
    groups: Mapping[str, str] = field(default_factory=dict)

    def codes_of(self, axis: int) -> list[tuple[str, ...]]:
        """For each code on `axis`, the question's codes it stands for (a group: its members)."""
        name = self.axes[axis]
        if name not in self.groups:
            return [(c,) for c in self.domains[axis]]
        groups = members(name, self.groups[name])
        return [groups[g] for g in self.domains[axis]]


def allowed_dimensions(release: Release, unit: str) -> tuple[str, ...]:
    dims: list[str] = []
    for m in release.measurements.values():
        if m.unit == unit:
            dims += [d for d in m.dimensions if d not in dims]
    return tuple(dims)


def _grouping(
    m: Measurement, dim: str, wanted: tuple[str, ...] | None
) -> tuple[str, list[int]] | None:
    """(parent dimension, its positions) when `m` holds `dim` in groups and `wanted` (None: all
    codes) is a union of whole groups, else None."""
    parent = parent_of(dim)
    if parent is None or parent not in m.dimensions:
        return None
    domain = m.domains[m.dimensions.index(parent)]
    if wanted is None:
        return parent, list(range(len(domain)))
    groups = members(dim, parent)
    # Unknown codes are left to `select`, which names them (a refusal should say what is wrong).
    known = [c for c in wanted if any(c in codes for codes in groups.values())]
    chosen = [i for i, g in enumerate(domain) if set(groups[g]) & set(known)]
    if sorted(c for i in chosen for c in groups[domain[i]]) != sorted(known):
        return None  # the codes cut through a group
    return parent, chosen


def _groupings(
    m: Measurement,
    needed: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    axes: Sequence[str],
    grouped: Sequence[str],
) -> dict[str, tuple[str, list[int]]] | None:
    """For each needed dimension `m` holds only in groups: (its group dimension, the positions
    kept); None when `m` cannot answer (a dimension missing, a set of codes that cuts through a
    group, or groups where the question breaks down by the codes themselves)."""
    out = {}
    for dim in needed:
        if dim in m.dimensions:
            continue
        if dim in axes and dim not in grouped:
            return None
        grouping = _grouping(m, dim, where.get(dim))
        if grouping is None:
            return None
        out[dim] = grouping
    return out


def cells_summed(
    m: Measurement,
    needed: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    axes: Sequence[str],
    grouped: Sequence[str],
) -> int | None:
    """How many of `m`'s cells one answer cell sums, or None when `m` cannot answer."""
    groupings = _groupings(m, needed, where, axes, grouped)
    if groupings is None:
        return None
    summed = 1
    for dim, (_, positions) in groupings.items():
        summed *= len(positions) if dim in where else 1
    held_in_groups = {parent for parent, _ in groupings.values()}
    for dim, codes in zip(m.dimensions, m.domains, strict=True):
        if dim in held_in_groups:
            continue
        if dim not in needed:
            summed *= len(codes)
        elif dim in where:
            summed *= len(where[dim])
    return summed


def choose(
    release: Release,
    unit: str,
    needed: Sequence[str],
    where: Mapping[str, tuple[str, ...]],
    axes: Sequence[str] = (),
    grouped: Sequence[str] = (),
) -> Measurement:
    best: tuple[float, Measurement] | None = None
    for m in release.measurements.values():
        if m.unit != unit:
            continue
        summed = cells_summed(m, needed, where, axes, grouped)
        if summed is None:
            continue
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
    grouped: Sequence[str] = (),
) -> Cube:
    """Sum the best table's consistent estimates onto `axes`, keeping only `where` codes.

    `source` forces the measured table (it must cover the question): an answer and the pattern
    table that decides its suppression must rest on the same numbers. An axis in `grouped` may
    come back as groups (a ratio over it needs only whole groups; see `Cube.codes_of`).
    """
    fixed = dict(fixed or {})
    wanted_codes = {**where, **fixed}
    needed = list(dict.fromkeys([*axes, *where, *fixed]))
    m = source or choose(release, unit, needed, wanted_codes, axes, grouped)
    for dim, codes in wanted_codes.items():
        if dim not in m.dimensions:
            _check_codes(dim, codes)
    groupings = _groupings(m, needed, wanted_codes, axes, grouped)
    if groupings is None:
        raise ValueError(f"measured table {m.name} does not cover {needed}")
    # question dimension -> the table dimension that answers it (itself, or its group dimension)
    answered_by = {dim: groupings[dim][0] if dim in groupings else dim for dim in needed}
    positions_of = dict(groupings.values())
    index = []
    for dim, codes in zip(m.dimensions, m.domains, strict=True):
        if dim in positions_of:
            index.append(np.array(positions_of[dim], dtype=np.int64))
            continue
        wanted = wanted_codes.get(dim)
        if wanted is None:
            index.append(np.arange(len(codes)))
            continue
        positions = {c: i for i, c in enumerate(codes)}
        missing = [c for c in wanted if c not in positions]
        if missing:
            raise _unknown(dim, missing, codes)
        index.append(np.array(sorted(positions[c] for c in wanted)))
    keep = [m.dimensions.index(answered_by[a]) for a in axes]
    summed_axes = tuple(i for i in range(len(m.dimensions)) if i not in keep)
    cells = int(np.prod([len(index[i]) for i in summed_axes], dtype=np.int64))
    # after summing, the kept axes are in table order; put them in question order
    order = sorted(range(len(keep)), key=lambda i: keep[i])

    def summed(cube: np.ndarray) -> np.ndarray:
        part = cube[np.ix_(*index)] if index else cube
        out = (
            part.sum(axis=summed_axes, dtype=np.float64) if summed_axes else part.astype(np.float64)
        )
        return np.transpose(out, axes=np.argsort(order)) if len(keep) > 1 else out

    values = summed(m.estimate)
    domains = tuple(tuple(np.array(m.domains[i])[index[i]]) for i in keep)
    return Cube(
        source=m,
        axes=tuple(axes),
        domains=domains,
        values=values,
        cells=np.full(values.shape, cells, dtype=np.float64),
        variance=summed(m.variance_cube),
        single=summed(m.half_width_cube),
        groups={a: answered_by[a] for a in axes if answered_by[a] != a},
    )


def as_groups(m: Measurement, where: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """`where` as table `m` holds it: a filter on a dimension it has in groups becomes a filter on
    those groups (the same trajectories), so suppression is decided on the table that answers."""
    out: dict[str, tuple[str, ...]] = {}
    for dim, codes in where.items():
        parent = parent_of(dim)
        if dim in m.dimensions or parent is None or parent not in m.dimensions:
            out[dim] = codes
            continue
        groups = members(dim, parent)
        out[parent] = tuple(sorted(g for g, inside in groups.items() if set(inside) & set(codes)))
    return out


def _unknown(dim: str, missing: Sequence[str], codes: Sequence[str]) -> UserError:
    return UserError(
        f"where {dim}: unknown code(s) {', '.join(map(shown, missing))}; allowed: {_listing(codes)}",
        reason="unknown_code",
        dimension=dim,
        codes=tuple(shown(c) for c in missing),
    )


def _check_codes(dim: str, wanted: tuple[str, ...]) -> None:
    """Codes of a dimension answered by its groups must still be codes of that dimension."""
    parent = parent_of(dim)
    if parent is None:
        return
    codes = [c for group in members(dim, parent).values() for c in group]
    missing = [c for c in wanted if c not in codes]
    if missing:
        raise _unknown(dim, missing, codes)


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
