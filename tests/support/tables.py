"""Hand-made count tables with margins, for the suppression, audit and export tests."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

T = "TOTAL"


def cube(cells: dict[tuple[str, ...], float], dims: tuple[str, ...]) -> pl.DataFrame:
    """A count table with margins on every dimension (base = value), from its inner cells."""
    sums: dict[tuple[str, ...], float] = {}
    for key, value in cells.items():
        for mask in itertools.product((False, True), repeat=len(dims)):
            margin = tuple(T if m else code for m, code in zip(mask, key, strict=True))
            sums[margin] = sums.get(margin, 0.0) + value
    rows = [dict(zip(dims, key, strict=True)) | {"value": v} for key, v in sums.items()]
    return (
        pl.DataFrame(rows, schema={**dict.fromkeys(dims, pl.String), "value": pl.Float64})
        .with_columns(ci_low=pl.col("value") - 2, ci_high=pl.col("value") + 2, base=pl.col("value"))
        .sort(list(dims))
    )


def grid(rows: list[list[float]]) -> pl.DataFrame:
    """A 2-D count table (dims `r`, `c`, codes r1.. / c1..) with row, column and grand totals."""
    cells = {
        (f"r{i + 1}", f"c{j + 1}"): float(v)
        for i, row in enumerate(rows)
        for j, v in enumerate(row)
    }
    return cube(cells, ("r", "c"))


def hidden(frame: pl.DataFrame, dims: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(r[d] for d in dims) for r in frame.filter("suppressed").iter_rows(named=True)}


def random_cube(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> pl.DataFrame:
    dims = tuple(f"d{i}" for i in range(len(shape)))
    cells = {}
    for key in itertools.product(*[[f"v{j}" for j in range(n)] for n in shape]):
        small = rng.random() < 0.2
        cells[key] = float(rng.integers(0, k) if small else rng.integers(k, 6 * k))
    return cube(cells, dims)
