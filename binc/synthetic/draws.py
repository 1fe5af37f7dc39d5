"""Seeded, vectorised draws shared by the generator's modules.

Every module draws from its own named stream (`stream(seed, "families")`), so changing how one
part is drawn never shifts the numbers of another part: output stays comparable across edits.
Dates are whole days since 1970-01-01 (int64) while drawing; they become polars Dates at the end.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import polars as pl

_EPOCH = date(1970, 1, 1)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one part of the recipe (crc32 is stable across runs)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def day(value: date) -> int:
    """A date as days since 1970-01-01."""
    return (value - _EPOCH).days


def categorical(
    rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int
) -> np.ndarray:
    """Indices into `weights`, drawn with probabilities proportional to them."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cumulative / cumulative[-1], rng.random(size), side="right")


def choose(rng: np.random.Generator, shares: Mapping[Any, float], size: int) -> np.ndarray:
    """Keys of `shares` (as an array), drawn by their shares."""
    keys = np.array(list(shares.keys()))
    return keys[categorical(rng, list(shares.values()), size)]


def rowwise_categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of a (rows × options) weight matrix."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    return (rng.random((weights.shape[0], 1)) > cumulative).sum(axis=1)


def lognormal_days(
    rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, size: int
) -> np.ndarray:
    return np.asarray(median) * np.exp(np.asarray(sigma) * rng.standard_normal(size))


def within_group_index(group_sizes: np.ndarray) -> np.ndarray:
    """0, 1, … inside each group when rows are repeated `group_sizes` times (np.repeat order)."""
    starts = np.cumsum(group_sizes) - group_sizes
    return np.arange(int(group_sizes.sum())) - np.repeat(starts, group_sizes)


def labels(name: str, codes: Sequence[str] | np.ndarray, index: np.ndarray) -> pl.Series:
    """Text column from code indices (gathering from a small Series beats numpy string arrays)."""
    return pl.Series(name, list(codes), dtype=pl.String).gather(index)
