"""The vectorised two-sided geometric noise is exactly the distribution we declare (and diffprivlib's)."""

from __future__ import annotations

import numpy as np
import pytest
from diffprivlib.mechanisms import Geometric
from scipy import stats

from binc.core.noise import GeometricNoise

CASES = [
    GeometricNoise(epsilon=0.5, sensitivity=3),
    GeometricNoise(epsilon=0.14, sensitivity=3),
    GeometricNoise(epsilon=1.0, sensitivity=1),
]


@pytest.mark.parametrize("noise", CASES, ids=lambda n: f"eps{n.epsilon}-d{n.sensitivity}")
def test_draws_are_integers_with_mean_zero_and_the_declared_variance(noise):
    draws = noise.draw(200_000, np.random.default_rng(11))
    assert draws.dtype == np.int64
    sd = np.sqrt(noise.variance)
    assert abs(draws.mean()) < 5 * sd / np.sqrt(draws.size)
    assert draws.var() == pytest.approx(noise.variance, rel=0.03)
    # the declared variance is diffprivlib's for the same mechanism
    assert noise.variance == pytest.approx(
        Geometric(epsilon=noise.epsilon, sensitivity=noise.sensitivity).variance(0), rel=1e-9
    )


@pytest.mark.parametrize("noise", CASES, ids=lambda n: f"eps{n.epsilon}-d{n.sensitivity}")
def test_draws_follow_the_two_sided_geometric_pmf(noise):
    draws = noise.draw(200_000, np.random.default_rng(12))
    h = noise.half_width(0.99)
    support = np.arange(-h, h + 1)
    observed = np.array([(draws == x).sum() for x in support] + [(np.abs(draws) > h).sum()])
    probabilities = np.append(noise.pmf(support), 1 - noise.pmf(support).sum())
    assert probabilities.sum() == pytest.approx(1.0)
    chi2, p_value = stats.chisquare(observed, probabilities * draws.size)
    assert p_value > 0.001, chi2


def test_pmf_sums_to_one_and_the_95_half_width_is_the_smallest_covering_one():
    noise = GeometricNoise(epsilon=0.14, sensitivity=3)
    support = np.arange(-5000, 5001)
    assert noise.pmf(support).sum() == pytest.approx(1.0, abs=1e-9)
    h = noise.half_width(0.95)
    assert noise.pmf(np.arange(-h, h + 1)).sum() >= 0.95 > noise.pmf(np.arange(-h + 1, h)).sum()


def test_same_seed_same_noise_other_seed_other_noise():
    noise = CASES[0]
    a = noise.draw(100, np.random.default_rng(1))
    assert np.array_equal(a, noise.draw(100, np.random.default_rng(1)))
    assert not np.array_equal(a, noise.draw(100, np.random.default_rng(2)))
