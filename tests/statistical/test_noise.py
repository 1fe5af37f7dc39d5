"""The noise a release draws (OpenDP, no seed) and the seeded numpy path of the tests are exactly
the distributions we declare: the two-sided geometric (diffprivlib's `Geometric`) and the discrete
Gaussian (diffprivlib's `GaussianDiscrete`).

The production draws cannot be seeded, so those tests are random: each fails by chance with
probability about 1e-4 (the significance of its test) when the sampler is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
from diffprivlib.mechanisms import GaussianDiscrete
from scipy import stats

from binc.core.noise import DiscreteGaussianNoise, GeometricNoise, noise_for

SIGNIFICANCE = 1e-4
DRAWS = 200_000
SEEDED_DRAWS = 1_000_000  # cheap: the numpy path takes about 0.1 s a million
CASES = [
    GeometricNoise(epsilon=0.14, sensitivity=3),  # the year × partnership table of the config
    GeometricNoise(epsilon=1.0, sensitivity=1),
    DiscreteGaussianNoise(rho=0.01, sensitivity=math.sqrt(3)),  # σ ≈ 12.2
    DiscreteGaussianNoise(rho=2.0, sensitivity=1),  # σ = 0.5: mostly 0 and ±1
]
IDS = [repr(n) for n in CASES]


@pytest.fixture(scope="module")
def production() -> dict[str, np.ndarray]:
    """DRAWS production draws of each case, shared by the tests below (OpenDP, about 8 s in all)."""
    return {repr(n): n.draw(DRAWS) for n in CASES}


def _chi_square_p_value(noise, draws: np.ndarray) -> float:
    """Goodness of fit to the pmf on the cells -h..h (h: the 99% half-width) and the two tails."""
    h = noise.half_width(0.99)
    support = np.arange(-h, h + 1)
    observed = np.concatenate(
        [[(draws < -h).sum()], np.bincount(draws[np.abs(draws) <= h] + h, minlength=2 * h + 1)]
    )
    observed = np.append(observed, (draws > h).sum())
    inside = noise.pmf(support)
    tail = (1 - inside.sum()) / 2
    probabilities = np.concatenate([[tail], inside, [tail]])
    assert probabilities.sum() == pytest.approx(1.0)
    assert (probabilities * draws.size).min() > 5  # chi-square's rule of thumb
    return float(stats.chisquare(observed, probabilities * draws.size).pvalue)


def _fourth_moment(noise) -> float:
    x = np.arange(-20_000, 20_001)
    return float((x.astype(float) ** 4 * noise.pmf(x)).sum())


@pytest.mark.parametrize("noise", CASES, ids=IDS)
def test_production_draws_follow_the_pmf(noise, production):
    draws = production[repr(noise)]
    assert draws.dtype == np.int64
    assert draws.shape == (DRAWS,)
    assert _chi_square_p_value(noise, draws) > SIGNIFICANCE


@pytest.mark.parametrize("noise", CASES, ids=IDS)
def test_production_draws_have_mean_zero_and_the_declared_variance(noise, production):
    draws = production[repr(noise)].astype(float)
    n = draws.size
    assert abs(draws.mean()) < 4 * math.sqrt(noise.variance / n)
    # the sample variance's standard error from the exact fourth moment
    se = math.sqrt((_fourth_moment(noise) - noise.variance**2) / n)
    assert abs(draws.var() - noise.variance) < 4 * se


@pytest.mark.parametrize("noise", CASES, ids=IDS)
def test_production_draws_reach_the_far_tail_as_often_as_the_pmf_says(noise, production):
    # the last h with P(|X| > h) >= 1e-4 (20 or more of 200,000 draws expected beyond it; 2.4e-8
    # at h + 1 for σ = 0.5): nothing truncates the tail
    h = noise.half_width(0.9999) - 1
    beyond = 1 - float(noise.pmf(np.arange(-h, h + 1)).sum())
    seen = int((np.abs(production[repr(noise)]) > h).sum())
    assert seen > 0
    assert stats.binomtest(seen, DRAWS, beyond).pvalue > SIGNIFICANCE


def test_production_draws_of_the_discrete_gaussian_match_diffprivlibs():
    oracle = GaussianDiscrete(epsilon=1.0, delta=1e-6, sensitivity=1, random_state=5)
    sigma = oracle._scale  # ≈ 4.23
    ours = noise_for("discrete_gaussian", 1 / (2 * sigma**2), 1)
    assert ours.sigma == pytest.approx(sigma, rel=1e-12)
    theirs = np.array([oracle.randomise(0) for _ in range(20_000)])
    mine = ours.draw(50_000)
    h = ours.half_width(0.99)
    bins = np.arange(-h - 1, h + 2)  # -h..h, each tail pooled into its end cell

    def counts(draws: np.ndarray) -> np.ndarray:
        return np.bincount(np.clip(draws, -h - 1, h + 1) + h + 1, minlength=bins.size)

    table = np.vstack([counts(theirs), counts(mine)])
    assert stats.chi2_contingency(table).pvalue > SIGNIFICANCE
    # diffprivlib declares no variance for it (NotImplementedError): its draws against ours
    se = math.sqrt((_fourth_moment(ours) - ours.variance**2) / theirs.size)
    assert abs(theirs.var() - ours.variance) < 4 * se


@pytest.mark.parametrize(
    "noise", [*CASES, GeometricNoise(epsilon=0.5, sensitivity=3)], ids=[*IDS, "eps0.5-d3"]
)
def test_seeded_numpy_draws_follow_the_pmf(noise):
    draws = noise.draw(SEEDED_DRAWS, np.random.default_rng(12))
    assert draws.dtype == np.int64
    assert _chi_square_p_value(noise, draws) > 0.001
    sd = math.sqrt(noise.variance)
    assert abs(draws.mean()) < 4 * sd / math.sqrt(SEEDED_DRAWS)
    assert draws.var() == pytest.approx(noise.variance, rel=0.03)


@pytest.mark.parametrize("noise", [CASES[0], CASES[2]], ids=[IDS[0], IDS[2]])
def test_same_seed_same_noise_other_seed_other_noise(noise):
    a = noise.draw(100, np.random.default_rng(1))
    assert np.array_equal(a, noise.draw(100, np.random.default_rng(1)))
    assert not np.array_equal(a, noise.draw(100, np.random.default_rng(2)))
