"""Integer noise for counts: the two-sided geometric mechanism, drawn vectorised and exactly.

Why this mechanism: counts are integers, and floating-point Laplace noise on integers leaks through
the low bits of the float (Mironov 2012; diffprivlib issue #94). The two-sided geometric
distribution is the discrete Laplace: P(X = x) = (1 - α) / (1 + α) · α^|x| with α = exp(-ε/Δ),
which gives pure ε-differential privacy for a table of L1 sensitivity Δ. It is what diffprivlib's
`Geometric` mechanism samples; diffprivlib draws one cell at a time, too slow for a release of
many cells, so we draw the
same distribution with numpy: the difference of two independent geometric variables with success
probability p = 1 - α is exactly two-sided geometric (the noise tests check the pmf, mean and
variance, and against diffprivlib's declared variance). Only integer arithmetic touches the count.

The random generator of a release is seeded from the operating system's entropy and never stored.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import numpy as np

DISTRIBUTION = "two_sided_geometric"


@dataclass(frozen=True)
class GeometricNoise:
    """The noise of one measurement: two-sided geometric with α = exp(-ε/Δ)."""

    epsilon: float
    sensitivity: int

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
        """Δ/ε, the scale of the continuous Laplace this distribution discretises (for readers)."""
        return self.sensitivity / self.epsilon

    def pmf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return (self.p / (1 + self.alpha)) * self.alpha ** np.abs(x)

    def half_width(self, level: float = 0.95) -> int:
        """Smallest integer h with P(|X| <= h) >= level, for one cell: P(|X| > h) = 2α^(h+1)/(1+α)."""
        alpha = self.alpha
        tail = (1 - level) * (1 + alpha) / 2
        return max(0, math.ceil(math.log(tail) / math.log(alpha) - 1))

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """`size` independent integer draws."""
        p = self.p
        return rng.geometric(p, size).astype(np.int64) - rng.geometric(p, size).astype(np.int64)


def release_rng() -> np.random.Generator:
    """A fresh generator seeded from OS entropy; the seed is never recorded anywhere."""
    return np.random.default_rng(np.random.SeedSequence(secrets.randbits(128)))
