"""Estimates and 95% intervals from summed noisy counts: counts, shares, medians, survival.

The noise distribution is public, so intervals come from it:
- counts: one noisy cell → the exact two-sided geometric quantile; a sum of several cells → normal
  approximation with the exact variance (the summed variance of its cells);
- shares and rates: delta method on numerator and remainder (independent noise sums);
- medians and survival: parametric bootstrap over the known noise (normal with the exact
  variance per band), with a seed derived from the release's public salt and the question itself
  (engine._seed) so the same question always gets the same interval.
All arrays are vectorised over the answer's cells: no per-cell Python loops.
"""

from __future__ import annotations

import numpy as np

from binc.release_file import Z95

__all__ = ["Z95"]
BOOTSTRAP_DRAWS = 400


def count_interval(
    values: np.ndarray, cells: np.ndarray, variance: np.ndarray, single_half_width: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of counts that each sum `cells` noisy cells with summed noise `variance`; a
    single cell has its noise's exact half-width (`single_half_width`, where cells is 1)."""
    half = np.where(cells <= 1, single_half_width, Z95 * np.sqrt(variance))
    return np.maximum(values - half, 0.0), values + half


def ratio(
    num: np.ndarray, rest: np.ndarray, num_var: np.ndarray, rest_var: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share (%) num / (num + rest) with a delta-method 95% interval; base = num + rest."""
    den = num + rest
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(den > 0, num / den, np.nan)
        var = np.where(den > 0, (rest**2 * num_var + num**2 * rest_var) / den**4, np.nan)
    half = Z95 * np.sqrt(var)
    return 100 * share, 100 * np.clip(share - half, 0, 1), 100 * np.clip(share + half, 0, 1), den


def banded_median(hist: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Median of a histogram over the last axis, linear within the band (open band: its lower bound)."""
    total = hist.sum(axis=-1, keepdims=True)
    cum = np.cumsum(hist, axis=-1)
    half = total / 2
    band = np.minimum(np.argmax(cum >= half, axis=-1), hist.shape[-1] - 1)
    before = np.take_along_axis(cum - hist, band[..., None], axis=-1)[..., 0]
    inside = np.take_along_axis(hist, band[..., None], axis=-1)[..., 0]
    lo, hi = lower[band], upper[band]
    with np.errstate(divide="ignore", invalid="ignore"):
        position = np.where(inside > 0, (half[..., 0] - before) / inside, 0.0)
    value = np.where(np.isfinite(hi), lo + np.clip(position, 0, 1) * (hi - lo), lo)
    return np.where(total[..., 0] > 0, value, np.nan)


def survival_at(
    events: np.ndarray, censored: np.ndarray, upper: np.ndarray, months: float
) -> np.ndarray:
    """Life-table Kaplan–Meier S(months) over the last axis (bands), censoring at mid-band."""
    at_risk = np.flip(np.cumsum(np.flip(events + censored, -1), -1), -1) - censored / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, np.clip(events / at_risk, 0, 1), 0.0)
    used = upper <= months
    survival = np.prod(np.where(used, 1 - hazard, 1.0), axis=-1)
    total = (events + censored).sum(axis=-1)
    return np.where(total > 0, 100 * survival, np.nan)
