"""Post-processing of noisy tables into one consistent set of non-negative integer estimates.

Privacy model point 6. Noise makes tables disagree: the 16 partnerships of a year need not add up
to that year's directly measured total, and cells can be negative. The config declares for each
table the measured table(s) it must agree with (`consistent_with`, at most two), declared above it:
the table's sums must equal the anchor's fitted table summed onto the dimensions the two share. Each table is then fitted, top-down, to its already fitted anchors:

1. least squares: additive alternating projections onto the anchors' sums (each cell of a group
   moves by the same amount — the least-squares fit for cells of equal variance);
2. non-negativity: clamp at 0, then rake (iterative proportional fitting) back to the anchors;
3. integers: controlled rounding — every cell goes to the floor or ceiling of its fitted value so
   that all anchor sums hold exactly (largest remainder for one anchor; for two anchors a
   transportation-type LP, whose constraint matrix is totally unimodular, so HiGHS' simplex
   returns an integer vertex).

Because every fine table sums exactly to its anchors, and the anchors to theirs, any question gets
the same number from whichever table answers it: a total asked directly equals the sum of its
cells. It uses noisy values only and is deterministic: the same release always gives the same
estimates. It never touches raw data (it runs after the noise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph

from binc.core.dimensions import ROLLUPS, rollup_map

PROJECTION_ROUNDS = 200
RAKING_ROUNDS = 500
TOLERANCE = 1e-7
# Cells are raked from clamped values plus this floor so an all-zero group can still carry its total.
RAKING_FLOOR = 1e-3
# Controlled rounding solves independent blocks of at least this many cells at a time.
MIN_LP_CELLS = 1500


def anchor_index(
    dims: Sequence[str],
    domains: Sequence[Sequence[str]],
    anchor_dims: Sequence[str],
    anchor_domains: Sequence[Sequence[str]],
) -> np.ndarray:
    """For each cell of a table (C order), the flat index of the anchor cell it adds up to."""
    shape = tuple(len(d) for d in domains)
    grid = np.indices(shape).reshape(len(shape), -1) if shape else np.zeros((0, 1), dtype=np.int64)
    columns = []
    for adim, adomain in zip(anchor_dims, anchor_domains, strict=True):
        if adim in dims:
            position = list(dims).index(adim)
            if tuple(domains[position]) != tuple(adomain):
                raise ValueError(f"dimension {adim} has a different domain in the anchor")
            columns.append(grid[position])
            continue
        child = next(d for d in dims if (d, adim) in ROLLUPS)
        position = list(dims).index(child)
        mapping = rollup_map(child, adim)
        parent_of = np.array([list(adomain).index(mapping[c]) for c in domains[position]])
        columns.append(parent_of[grid[position]])
    if not columns:
        return np.zeros(grid.shape[1], dtype=np.int64)
    return np.ravel_multi_index(tuple(columns), tuple(len(d) for d in anchor_domains))


def shared_marginal(
    dims: Sequence[str],
    domains: Sequence[Sequence[str]],
    anchor_dims: Sequence[str],
    anchor_domains: Sequence[Sequence[str]],
    anchor_estimate: np.ndarray,
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], np.ndarray]:
    """The anchor's fitted table summed onto what it shares with a table (flat, C order).

    An anchor need not be a coarsening of the table: year × partnership × end group agrees with
    year × partnership and with year × type × end reason × follow-up, the latter summed over type
    and follow-up and its end reasons summed into their groups. So every margin stays one number
    while the per-partnership tables leave out breakdowns (type, follow-up, single end reasons)
    that would spread their budget over cells too small to read (docs/methodology.md)."""
    table = np.asarray(anchor_estimate).reshape(tuple(len(d) for d in anchor_domains))
    out_dims: list[str] = []
    out_domains: list[tuple[str, ...]] = []
    summed: list[int] = []
    for axis, (adim, adomain) in enumerate(zip(anchor_dims, anchor_domains, strict=True)):
        parent = next((p for p in dims if (adim, p) in ROLLUPS), None)
        if adim in dims or any((child, adim) in ROLLUPS for child in dims):
            out_dims.append(adim)
            out_domains.append(tuple(adomain))
        elif parent is not None:
            # The table has the groups of this anchor dimension: sum the anchor into them.
            pdomain = tuple(domains[list(dims).index(parent)])
            mapping = rollup_map(adim, parent)
            into = np.zeros((len(adomain), len(pdomain)))
            into[np.arange(len(adomain)), [pdomain.index(mapping[c]) for c in adomain]] = 1.0
            table = np.moveaxis(np.tensordot(table, into, axes=([axis], [0])), -1, axis)
            out_dims.append(parent)
            out_domains.append(pdomain)
        else:
            summed.append(axis)
    marginal = table.sum(axis=tuple(summed)) if summed else table
    return tuple(out_dims), tuple(out_domains), np.rint(marginal).astype(np.int64).reshape(-1)


def fit_to_anchors(
    noisy: np.ndarray, groups: Sequence[np.ndarray], targets: Sequence[np.ndarray]
) -> np.ndarray:
    """Non-negative integers near `noisy` whose group sums equal `targets` exactly (see module doc)."""
    x = noisy.astype(np.float64)
    if not groups:
        return np.maximum(noisy, 0).astype(np.int64)
    sizes = [np.bincount(g, minlength=t.size) for g, t in zip(groups, targets, strict=True)]
    for size, target in zip(sizes, targets, strict=True):
        if np.any((size == 0) & (target != 0)):
            raise ValueError("an anchor cell has no cells in the fitted table")
    safe = [np.maximum(s, 1) for s in sizes]
    for _ in range(PROJECTION_ROUNDS):
        for g, t, n in zip(groups, targets, safe, strict=True):
            x += ((t - np.bincount(g, x, minlength=t.size)) / n)[g]
        if _max_gap(x, groups, targets) < TOLERANCE:
            break
    x = np.maximum(x, 0) + RAKING_FLOOR
    for _ in range(RAKING_ROUNDS):
        for g, t in zip(groups, targets, strict=True):
            sums = np.bincount(g, x, minlength=t.size)
            x *= np.divide(t, sums, out=np.zeros_like(sums), where=sums > 0)[g]
        if _max_gap(x, groups, targets) < TOLERANCE:
            break
    if len(groups) == 1:
        return _largest_remainder(x, groups[0], targets[0])
    return _controlled_rounding(x, groups, targets)


def _max_gap(x: np.ndarray, groups: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> float:
    return max(
        float(np.max(np.abs(np.bincount(g, x, minlength=t.size) - t), initial=0.0))
        for g, t in zip(groups, targets, strict=True)
    )


def _largest_remainder(x: np.ndarray, group: np.ndarray, target: np.ndarray) -> np.ndarray:
    floor = np.floor(x + TOLERANCE)
    deficit = np.rint(target - np.bincount(group, floor, minlength=target.size)).astype(np.int64)
    order = np.lexsort((np.arange(x.size), -(x - floor), group))
    starts = np.searchsorted(group[order], np.arange(target.size))
    rank = np.arange(x.size) - starts[group[order]]
    bump = np.zeros(x.size, dtype=np.int64)
    bump[order] = (rank < deficit[group[order]]).astype(np.int64)
    result = floor.astype(np.int64) + bump
    if not np.array_equal(np.bincount(group, result, minlength=target.size), target):
        raise RuntimeError("largest-remainder rounding failed to keep the anchor sums")
    return result


def _controlled_rounding(
    x: np.ndarray, groups: Sequence[np.ndarray], targets: Sequence[np.ndarray]
) -> np.ndarray:
    floor = np.floor(x + TOLERANCE)
    frac = np.clip(x - floor, 0, 1)
    rounded = floor.astype(np.int64)
    # The LP splits into independent blocks (cells linked through a shared anchor cell; usually one
    # block per year). Solving each block alone gives an optimum of the whole LP and is several
    # times faster for the big drill-down tables, since simplex time grows faster than linearly.
    for cells in _blocks(groups, targets):
        rounded[cells] += _round_block(
            frac[cells], floor[cells], [g[cells] for g in groups], targets
        )
    for g, t in zip(groups, targets, strict=True):
        if not np.array_equal(np.bincount(g, rounded, minlength=t.size), t):
            raise RuntimeError("controlled rounding did not return an integer vertex")
    return rounded


def _blocks(groups: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Cell indices of each connected block of the bipartite graph anchor-1 cell — anchor-2 cell."""
    offsets = np.cumsum([0, *(t.size for t in targets)])
    nodes = int(offsets[-1])
    first, second = groups[0] + offsets[0], groups[1] + offsets[1]
    graph = scipy.sparse.coo_matrix((np.ones(first.size), (first, second)), shape=(nodes, nodes))
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    block_of_cell = labels[first]
    order = np.argsort(block_of_cell, kind="stable")
    bounds = np.flatnonzero(np.diff(block_of_cell[order])) + 1
    # Tiny blocks are solved together (still independent) so per-call overhead stays small.
    chunks: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    for block in np.split(order, bounds):
        pending.append(block)
        if sum(b.size for b in pending) >= MIN_LP_CELLS:
            chunks.append(np.concatenate(pending))
            pending = []
    if pending:
        chunks.append(np.concatenate(pending))
    return chunks


def _round_block(
    frac: np.ndarray, floor: np.ndarray, groups: Sequence[np.ndarray], targets: Sequence[np.ndarray]
) -> np.ndarray:
    """0/1 bumps for one block: the LP below restricted to the block's cells and anchor cells."""
    n = frac.size
    blocks, rhs = [], []
    for g, t in zip(groups, targets, strict=True):
        used, local = np.unique(g, return_inverse=True)
        blocks.append(
            scipy.sparse.csr_matrix((np.ones(n), (local, np.arange(n))), shape=(used.size, n))
        )
        rhs.append(t[used] - np.bincount(local, floor, minlength=used.size))
    matrix = scipy.sparse.vstack(blocks).tocsr()
    # Minimising sum |y - frac| over y in [0, 1]: linear, as |y - f| = f + y(1 - 2f) there.
    # scipy-stubs types A_eq as a dense array only; the HiGHS methods accept a sparse matrix.
    result = scipy.optimize.linprog(  # type: ignore[call-overload]
        c=1 - 2 * frac,
        A_eq=matrix,
        b_eq=np.concatenate(rhs),
        bounds=(0, 1),
        method="highs-ds",
    )
    if result.status != 0:
        raise RuntimeError(f"controlled rounding failed: {result.message}")
    return np.rint(result.x).astype(np.int64)


def consistent_estimates(
    noisy: Mapping[str, np.ndarray],
    dims: Mapping[str, tuple[str, ...]],
    domains: Mapping[str, tuple[tuple[str, ...], ...]],
    anchors: Mapping[str, tuple[str, ...]],
) -> dict[str, np.ndarray]:
    """Fit every table, in declaration order, to its already fitted anchors."""
    estimates: dict[str, np.ndarray] = {}
    for name, values in noisy.items():
        groups, targets = [], []
        for anchor in anchors[name]:
            shared, shared_domains, target = shared_marginal(
                dims[name], domains[name], dims[anchor], domains[anchor], estimates[anchor]
            )
            groups.append(anchor_index(dims[name], domains[name], shared, shared_domains))
            targets.append(target)
        estimates[name] = fit_to_anchors(values, groups, targets)
    return estimates
