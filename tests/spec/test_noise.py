"""Spec: the noise's exact facts (parameters, pmf, variance, quantiles, the mechanism choice and the
privacy conversions), each against an independent computation: a direct pmf sum, a closed form,
diffprivlib or OpenDP. The distribution of the draws is in tests/statistical/test_noise.py."""

from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from diffprivlib.mechanisms import GaussianDiscrete, Geometric

from binc.core import noise
from binc.core.noise import (
    PURE_DP,
    ZCDP,
    DiscreteGaussianNoise,
    GeometricNoise,
    noise_for,
    pure_to_zcdp,
    zcdp_epsilon,
)

dp.enable_features("contrib")

GEOMETRIC = [GeometricNoise(0.14, 3), GeometricNoise(1.0, 1), GeometricNoise(0.5, 3)]
GAUSSIAN = [
    DiscreteGaussianNoise(rho=0.01, sensitivity=math.sqrt(3)),  # σ ≈ 12.2
    DiscreteGaussianNoise(rho=2.0, sensitivity=1),  # σ = 0.5
    DiscreteGaussianNoise(rho=0.5, sensitivity=1),  # σ = 1
]
LEVELS = (0.5, 0.9, 0.95, 0.99, 0.999)


def _covered(pmf_of, h: int) -> float:
    """P(|X| <= h), summed directly from the pmf."""
    return float(pmf_of(np.arange(-h, h + 1)).sum())


def test_geometric_parameters_are_the_declared_ones_and_diffprivlibs():
    n = GeometricNoise(epsilon=0.14, sensitivity=3)
    assert n.alpha == pytest.approx(math.exp(-0.14 / 3), rel=1e-15)
    assert n.p == pytest.approx(1 - math.exp(-0.14 / 3), rel=1e-12)
    assert n.scale == pytest.approx(3 / 0.14)
    assert n.mechanism == PURE_DP == "two_sided_geometric"
    for g in GEOMETRIC:
        oracle = Geometric(epsilon=g.epsilon, sensitivity=g.sensitivity)
        assert g.variance == pytest.approx(oracle.variance(0), rel=1e-9)


@pytest.mark.parametrize("n", GEOMETRIC + GAUSSIAN, ids=repr)
def test_pmf_sums_to_one_and_is_symmetric(n):
    support = np.arange(-20_000, 20_001)
    assert n.pmf(support).sum() == pytest.approx(1.0, abs=1e-12)
    assert np.array_equal(n.pmf(support), n.pmf(-support))


@pytest.mark.parametrize("n", GEOMETRIC + GAUSSIAN, ids=repr)
@pytest.mark.parametrize("level", LEVELS)
def test_half_width_is_the_smallest_h_covering_the_level(n, level):
    h = n.half_width(level)
    assert _covered(n.pmf, h) >= level > (_covered(n.pmf, h - 1) if h > 0 else 0.0)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_half_width_agrees_with_opendps_accuracy(level):
    # OpenDP's accuracy A has P(|X| >= A) <= 1 - level: for the discrete Laplace a real number
    # whose floor is the half-width, for the discrete Gaussian the integer half-width + 1.
    for g in GEOMETRIC:
        assert g.half_width(level) == math.floor(
            dp.discrete_laplacian_scale_to_accuracy(g.scale, 1 - level)
        )
    for n in GAUSSIAN:
        assert n.half_width(level) == dp.discrete_gaussian_scale_to_accuracy(n.scale, 1 - level) - 1


def test_discrete_gaussian_parameters():
    n = DiscreteGaussianNoise(rho=0.01, sensitivity=math.sqrt(3))
    assert n.sigma**2 == pytest.approx(3 / (2 * 0.01), rel=1e-12)  # σ² = Δ₂² / (2ρ)
    assert n.scale == n.sigma
    assert n.mechanism == ZCDP == "discrete_gaussian"
    assert DiscreteGaussianNoise(rho=2.0, sensitivity=1).sigma == 0.5


def _poisson_summation(sigma: float) -> tuple[float, float]:
    """1/Z and E[X²] of the discrete Gaussian by Poisson summation (an independent closed form):
    Z = σ√(2π)·θ with θ = Σ_j exp(-2π²σ²j²), E[X²] = σ²·(1 - 8π²σ²·Σ_{j≥1} j² e^(-2π²σ²j²) / θ)."""
    j = np.arange(1, 50)
    terms = np.exp(-2 * math.pi**2 * sigma**2 * j**2)
    theta = 1 + 2 * terms.sum()
    variance = sigma**2 * (1 - 8 * math.pi**2 * sigma**2 * (j**2 * terms).sum() / theta)
    return 1 / (sigma * math.sqrt(2 * math.pi) * theta), variance


@pytest.mark.parametrize("n", GAUSSIAN, ids=repr)
def test_discrete_gaussian_pmf_and_variance_match_poisson_summation(n):
    centre, variance = _poisson_summation(n.sigma)
    assert n.pmf(np.array([0]))[0] == pytest.approx(centre, rel=1e-12)
    assert n.variance == pytest.approx(variance, rel=1e-12)
    assert n.variance <= n.sigma**2 * (1 + 1e-12)


def test_discrete_gaussian_variance_is_below_sigma_squared_for_small_sigma():
    n = DiscreteGaussianNoise(rho=2.0, sensitivity=1)  # σ = 0.5: Var = 0.2150, not 0.25
    assert n.variance == pytest.approx(0.21501, abs=1e-5)
    direct = np.arange(-10, 11)
    assert n.variance == pytest.approx(float((direct**2 * n.pmf(direct)).sum()), rel=1e-12)


def test_noise_for_names_the_mechanism_and_its_budget():
    assert noise_for(PURE_DP, 0.14, 3) == GeometricNoise(epsilon=0.14, sensitivity=3)
    assert noise_for(ZCDP, 0.01, math.sqrt(3)) == DiscreteGaussianNoise(0.01, math.sqrt(3))
    assert isinstance(noise_for(PURE_DP, 1.0, 3.0).sensitivity, int)
    with pytest.raises(ValueError, match="unknown noise mechanism 'laplace'"):
        noise_for("laplace", 1.0, 1)
    with pytest.raises(ValueError, match="L1 sensitivity"):
        noise_for(PURE_DP, 1.0, math.sqrt(3))


def test_pure_dp_implies_half_epsilon_squared_zcdp():
    assert pure_to_zcdp(1.0) == 0.5
    assert pure_to_zcdp(0.14) == pytest.approx(0.0098)


RHO_DELTA = [(1e-4, 1e-6), (0.001, 1e-5), (0.01, 1e-6), (0.125, 1e-9), (0.5, 1e-5), (2.0, 1e-3)]


@pytest.mark.parametrize(("rho", "delta"), RHO_DELTA)
def test_zcdp_epsilon_is_opendps_conversion_and_below_the_simple_bound(rho, delta):
    sigma = 1 / math.sqrt(2 * rho)  # sensitivity 1: ρ = 1/(2σ²)
    gaussian = dp.m.make_gaussian(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=sigma)
    assert gaussian.map(1) == pytest.approx(rho, rel=1e-9)
    profile = dp.c.make_zCDP_to_approxDP(gaussian).map(1)
    assert zcdp_epsilon(rho, delta) == pytest.approx(profile.epsilon(delta), rel=1e-9)
    assert zcdp_epsilon(rho, delta) < rho + 2 * math.sqrt(rho * math.log(1 / delta))


@pytest.mark.parametrize(
    ("epsilon", "delta", "sensitivity"), [(1.0, 1e-6, 1), (0.5, 1e-5, 3), (0.1, 1e-6, 1)]
)
def test_zcdp_epsilon_is_a_little_above_the_discrete_gaussians_exact_epsilon(
    epsilon, delta, sensitivity
):
    # diffprivlib calibrates the discrete Gaussian to (ε, δ) with its exact privacy profile (CKS20,
    # Theorem 7); the zCDP route to (ε, δ) can only be looser, and by CKS20's bound not by much.
    sigma = GaussianDiscrete(epsilon=epsilon, delta=delta, sensitivity=sensitivity)._scale
    rho = sensitivity**2 / (2 * sigma**2)
    assert epsilon <= zcdp_epsilon(rho, delta) < 1.15 * epsilon


def test_zcdp_epsilon_edges():
    assert zcdp_epsilon(0.0, 1e-6) == 0.0
    for rho, delta in [(-0.1, 1e-6), (0.1, 0.0), (0.1, 1.0), (math.nan, 1e-6)]:
        with pytest.raises(ValueError, match=r"^(rho|delta) must be"):
            zcdp_epsilon(rho, delta)


@pytest.mark.parametrize("n", [GeometricNoise(0.14, 3), DiscreteGaussianNoise(0.01, 3)], ids=repr)
def test_production_draws_are_int64_of_the_asked_size(n):
    for size in (0, 1, 7, 1000):
        draws = n.draw(size)
        assert draws.dtype == np.int64
        assert draws.shape == (size,)
    assert len(set(n.draw(1000).tolist())) > 10  # not a constant


def test_opendp_must_account_the_declared_budget():
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=3 / 0.14
    )
    noise._check_privacy_map(measurement, 3, 0.14)  # OpenDP: ε = Δ/scale = 0.14
    with pytest.raises(RuntimeError, match="OpenDP accounts"):
        noise._check_privacy_map(measurement, 3, 0.13)
