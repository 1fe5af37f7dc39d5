"""Integer noise for counts, drawn exactly with a cryptographic generator (OpenDP).

Counts are integers, and floating-point noise on integers leaks through the low bits of the float
(Mironov 2012; diffprivlib issue #94), so both mechanisms add integer noise, and only integer
arithmetic touches a count:

- `GeometricNoise` (`PURE_DP`): the two-sided geometric, or discrete Laplace, distribution
  P(X = x) = (1 - α) / (1 + α) · α^|x| with α = exp(-ε/Δ); pure ε-DP for a table of L1
  sensitivity Δ (Ghosh, Roughgarden & Sundararajan 2009). diffprivlib's `Geometric` mechanism
  samples the same distribution.
- `DiscreteGaussianNoise` (`ZCDP`): the discrete Gaussian P(X = x) ∝ exp(-x² / (2σ²)) with
  σ² = Δ₂² / (2ρ); ρ-zCDP for a table of L2 sensitivity Δ₂ (Canonne, Kamath & Steinke 2020,
  "The Discrete Gaussian for Differential Privacy", §2; CKS20 below).

A release draws with `draw(size)` (no generator): OpenDP's samplers (Rust, CKS20's algorithms in
exact rational arithmetic, randomness from the operating system's cryptographic generator), so the
distribution is exactly the one declared, over all the integers, and nothing is seeded or stored.
OpenDP's own privacy map of the measurement is checked against the budget before each draw.
Tests pass a seeded numpy generator instead, to be reproducible: that path samples the same
distributions with CKS20's constructions, exact up to rounding each acceptance probability to a
double, with no bound on the support; it is never used by the release command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from scipy import optimize

PURE_DP = "two_sided_geometric"
ZCDP = "discrete_gaussian"
MECHANISMS = (PURE_DP, ZCDP)
# The name of each mechanism's budget, as the config, the ledger and the metadata spell it, and
# its symbol, as people read it.
BUDGET_NAMES = {PURE_DP: "epsilon", ZCDP: "rho"}
BUDGET_SYMBOLS = {PURE_DP: "ε", ZCDP: "ρ"}
# The noise distribution in words (notes and codebooks are in English; the dashboard has its own).
DISTRIBUTION_NAMES = {PURE_DP: "two-sided geometric", ZCDP: "discrete Gaussian"}

# The discrete Gaussian's normalising constant, variance and quantiles are sums over |x| <= 12σ + 1:
# the terms left out are below exp(-72) ≈ 5e-32 of the largest, too small to change a double.
_TAIL_SIGMAS = 12


def _opendp() -> Any:
    """OpenDP with its non-default measurements enabled, imported on first use, so that processes
    that never draw noise do not pay for it. Only the modules a draw needs (0.1 s): `opendp.prelude`
    also imports its scikit-learn extras, 0.9 s where scikit-learn is installed."""
    import opendp.domains
    import opendp.measurements
    import opendp.metrics
    import opendp.mod

    opendp.mod.enable_features("contrib")
    return opendp


def _opendp_noise(measurement: Any, size: int) -> np.ndarray:
    """`size` draws of an OpenDP additive-noise measurement on an i64 vector: the noise added to 0
    (a list of Python ints each way)."""
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(measurement([0] * size), dtype=np.int64)


def _check_privacy_map(measurement: Any, sensitivity: float, budget: float) -> None:
    """OpenDP's own accounting of the measurement must give the budget we declare (it rounds up
    conservatively, hence the tolerance of 1e-9 relative)."""
    spent = float(measurement.map(sensitivity))
    if spent > budget * (1 + 1e-9):
        raise RuntimeError(f"OpenDP accounts {spent} for a noise declared at {budget}")


@dataclass(frozen=True)
class GeometricNoise:
    """The noise of one measurement under pure ε-DP: two-sided geometric with α = exp(-ε/Δ)."""

    mechanism: ClassVar[str] = PURE_DP
    epsilon: float
    sensitivity: int

    @property
    def budget(self) -> float:
        """What the measurement spends: its ε."""
        return self.epsilon

    def budget_text(self) -> str:
        return budget_text(self.mechanism, self.epsilon)

    @property
    def alpha(self) -> float:
        return math.exp(-self.epsilon / self.sensitivity)

    @property
    def p(self) -> float:
        # 1 - α computed without cancellation for small ε/Δ
        return -math.expm1(-self.epsilon / self.sensitivity)

    @property
    def variance(self) -> float:
        """2α / (1 - α)²: the same as diffprivlib's Geometric(epsilon, sensitivity).variance()."""
        return 2 * self.alpha / self.p**2

    @property
    def scale(self) -> float:
        """Δ/ε: the scale of OpenDP's discrete Laplace, as of the continuous one it discretises."""
        return self.sensitivity / self.epsilon

    def pmf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return (self.p / (1 + self.alpha)) * self.alpha ** np.abs(x)

    def half_width(self, level: float = 0.95) -> int:
        """Smallest integer h with P(|X| <= h) >= level, for one cell: P(|X| > h) = 2α^(h+1)/(1+α)."""
        alpha = self.alpha
        tail = (1 - level) * (1 + alpha) / 2
        return max(0, math.ceil(math.log(tail) / math.log(alpha) - 1))

    def draw(self, size: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """`size` independent draws (int64). Without `rng` (a release): OpenDP's exact sampler with
        its cryptographic generator. With a numpy generator (tests only): `_two_sided_geometric`."""
        if rng is not None:
            return _two_sided_geometric(rng, self.epsilon / self.sensitivity, size)
        dp = _opendp()
        # OpenDP's Laplace on integers is the discrete Laplace P(x) ∝ exp(-|x|/scale), so scale
        # Δ/ε gives α = exp(-1/scale) = exp(-ε/Δ); its privacy map says ε = Δ/scale (checked).
        measurement = dp.measurements.make_laplace(
            dp.domains.vector_domain(dp.domains.atom_domain(T="i64")),
            dp.metrics.l1_distance(T="i64"),
            scale=self.scale,
        )
        _check_privacy_map(measurement, self.sensitivity, self.epsilon)
        return _opendp_noise(measurement, size)


@dataclass(frozen=True)
class DiscreteGaussianNoise:
    """The noise of one measurement under ρ-zCDP: the discrete Gaussian with σ² = Δ₂² / (2ρ)."""

    mechanism: ClassVar[str] = ZCDP
    rho: float
    sensitivity: float  # L2

    @property
    def budget(self) -> float:
        """What the measurement spends: its ρ."""
        return self.rho

    def budget_text(self) -> str:
        return budget_text(self.mechanism, self.rho)

    @property
    def sigma(self) -> float:
        return self.sensitivity / math.sqrt(2 * self.rho)

    @property
    def scale(self) -> float:
        """σ: OpenDP's `scale` of the discrete Gaussian (for readers)."""
        return self.sigma

    @cached_property
    def _table(self) -> np.ndarray:
        """P(|X| = x) for x = 0, 1, ..., 12σ + 1."""
        x = np.arange(math.ceil(_TAIL_SIGMAS * self.sigma) + 2)
        weights = np.exp(-(x.astype(float) ** 2) / (2 * self.sigma**2))
        weights[1:] *= 2
        return weights / weights.sum()

    @property
    def variance(self) -> float:
        """E[X²] from the pmf: slightly below σ² (visibly so only for σ below about 1)."""
        table = self._table
        return float(np.sum(np.arange(table.size, dtype=float) ** 2 * table))

    def pmf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        centre = self._table[0]  # 1 / the normalising constant
        return centre * np.exp(-(x.astype(float) ** 2) / (2 * self.sigma**2))

    def half_width(self, level: float = 0.95) -> int:
        """Smallest integer h with P(|X| <= h) >= level, for one cell (summed from the pmf)."""
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, not {level}")
        covered = np.cumsum(self._table)
        h = int(np.searchsorted(covered, level))
        if h == covered.size:
            raise ValueError(f"level {level} is beyond the {_TAIL_SIGMAS}σ the tables cover")
        return h

    def draw(self, size: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """`size` independent draws (int64). Without `rng` (a release): OpenDP's exact sampler with
        its cryptographic generator. With a numpy generator (tests only): `_discrete_gaussian`."""
        if rng is not None:
            return _discrete_gaussian(rng, self.sigma, size)
        dp = _opendp()
        # OpenDP's Gaussian on integers is the discrete Gaussian P(x) ∝ exp(-x²/(2·scale²)); its
        # privacy map says ρ = Δ₂²/(2·scale²) (checked).
        measurement = dp.measurements.make_gaussian(
            dp.domains.vector_domain(dp.domains.atom_domain(T="i64")),
            dp.metrics.l2_distance(T=float),
            scale=self.sigma,
        )
        _check_privacy_map(measurement, float(self.sensitivity), self.rho)
        return _opendp_noise(measurement, size)


Noise = GeometricNoise | DiscreteGaussianNoise


def noise_for(mechanism: str, budget: float, sensitivity: float) -> Noise:
    """The noise of a table: `budget` is ε for `PURE_DP` (L1 sensitivity), ρ for `ZCDP` (L2)."""
    if mechanism == PURE_DP:
        if sensitivity != int(sensitivity):
            raise ValueError(f"the L1 sensitivity of a count is an integer, not {sensitivity}")
        return GeometricNoise(epsilon=budget, sensitivity=int(sensitivity))
    if mechanism == ZCDP:
        return DiscreteGaussianNoise(rho=budget, sensitivity=sensitivity)
    raise ValueError(f"unknown noise mechanism {mechanism!r}; known: {', '.join(MECHANISMS)}")


def budget_text(mechanism: str, budget: float) -> str:
    """ "ε 1" or "ρ 0.5": a budget of `mechanism` as people read it."""
    return f"{BUDGET_SYMBOLS[mechanism]} {budget:g}"


def budget_for_variance(mechanism: str, variance: float, sensitivity: float) -> float:
    """The budget whose noise has (at most) this variance per cell: the inverse of `variance`.

    Pure ε-DP: 2α/(1 − α)² = V with α = exp(−ε/Δ), the root of Vα² − 2(V + 1)α + V = 0 below 1.
    zCDP: ρ = Δ₂²/(2V), the σ² = V of the discrete Gaussian (whose variance is slightly below σ²,
    so the noise is at most as wide as asked)."""
    if not variance > 0:
        raise ValueError(f"variance must be above 0, not {variance}")
    if mechanism == PURE_DP:
        alpha = ((variance + 1) - math.sqrt(2 * variance + 1)) / variance
        return -sensitivity * math.log(alpha)
    if mechanism == ZCDP:
        return sensitivity**2 / (2 * variance)
    raise ValueError(f"unknown noise mechanism {mechanism!r}; known: {', '.join(MECHANISMS)}")


def pure_to_zcdp(epsilon: float) -> float:
    """ε-DP implies (ε²/2)-zCDP (Bun & Steinke 2016, Proposition 1.4)."""
    return epsilon**2 / 2


def zcdp_epsilon(rho: float, delta: float) -> float:
    """The ε of the (ε, δ)-DP that ρ-zCDP implies, by the bound of CKS20 §2.3:
    ε = inf over α > 1 of αρ + (log(1/δ) + (α - 1)·log(1 - 1/α) - log α) / (α - 1).

    Every α gives a valid ε, so an inexact minimiser can only overstate it. Never above the simpler
    ρ + 2·sqrt(ρ·log(1/δ)) of Bun & Steinke 2016. OpenDP's `make_zCDP_to_approxDP` gives the
    same."""
    if not rho >= 0:
        raise ValueError(f"rho must be 0 or more, not {rho}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be between 0 and 1, not {delta}")
    if rho == 0:
        return 0.0
    log_inverse_delta = -math.log(delta)

    def epsilon_at(t: float) -> float:  # α = 1 + e^t
        a = math.exp(t)
        return (1 + a) * rho + (log_inverse_delta - math.log1p(a)) / a - math.log1p(1 / a)

    grid = np.arange(-30.0, 30.5, 0.5)
    best = float(grid[int(np.argmin([epsilon_at(t) for t in grid]))])
    found = optimize.minimize_scalar(
        epsilon_at, bounds=(best - 0.5, best + 0.5), method="bounded", options={"xatol": 1e-10}
    )
    simple = rho + 2 * math.sqrt(rho * log_inverse_delta)
    return max(0.0, min(float(found.fun), epsilon_at(best), simple))


# The numpy path (tests only). `rng.random(n) < q` is a Bernoulli(q) draw, exact once q is rounded
# up to a multiple of 2^-53.


def _geometric(rng: np.random.Generator, rate: float, size: int) -> np.ndarray:
    """P(M = k) = (1 - α)·α^k for k = 0, 1, 2, ..., α = exp(-rate), with no bound on k.

    M = m·V + U with the block m = ceil(1/rate): U on {0, ..., m-1} with P(U = u) ∝ α^u (a uniform
    proposal kept with probability α^u > 1/e), V geometric with P(V >= j) = α^(mj), counted in
    Bernoulli(α^m) trials. U and V are independent, as M mod m and M div m are for a geometric M
    (the construction of CKS20's discrete Laplace sampler, for a real rate instead of a rational
    one)."""
    block = max(1, math.ceil(1 / rate))
    within = np.empty(size, dtype=np.int64)
    todo = np.arange(size)
    while todo.size:
        proposal = rng.integers(0, block, todo.size)
        kept = rng.random(todo.size) < np.exp(-rate * proposal)
        within[todo[kept]] = proposal[kept]
        todo = todo[~kept]
    blocks = np.zeros(size, dtype=np.int64)
    going = np.arange(size)
    stay = math.exp(-rate * block)
    while going.size:
        going = going[rng.random(going.size) < stay]
        blocks[going] += 1
    return block * blocks + within


def _two_sided_geometric(rng: np.random.Generator, rate: float, size: int) -> np.ndarray:
    """P(X = x) ∝ exp(-rate·|x|): the difference of two independent geometric variables."""
    return _geometric(rng, rate, size) - _geometric(rng, rate, size)


def _discrete_gaussian(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """P(X = x) ∝ exp(-x²/(2σ²)) by rejection from the discrete Laplace of scale t = floor(σ) + 1:
    a proposal y is kept with probability exp(-(|y| - σ²/t)² / (2σ²)) (CKS20's discrete Gaussian
    sampler)."""
    t = math.floor(sigma) + 1
    out = np.empty(size, dtype=np.int64)
    todo = np.arange(size)
    while todo.size:
        proposal = _two_sided_geometric(rng, 1 / t, todo.size)
        keep = np.exp(-((np.abs(proposal) - sigma**2 / t) ** 2) / (2 * sigma**2))
        kept = rng.random(todo.size) < keep
        out[todo[kept]] = proposal[kept]
        todo = todo[~kept]
    return out
