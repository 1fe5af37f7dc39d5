"""Least squares over every measured marginal: the variance of any count query, in closed form.

The estimator of issue 11, item 3, for measured tables that are marginals of the same attributes
(ResidualPlanner, Xiao et al. 2023, for the variance algebra). A table T ⊆ A (A: all attributes,
a of size n_a) is measured as y_T = M_T x + e_T with independent noise of variance v_T per cell,
M_T = ⊗_a (I if a ∈ T, else the all-ones row 1ᵀ). The generalised-least-squares estimate of x is
x̂ = N⁺ Σ_T M_Tᵀ y_T / v_T with N = Σ_T M_Tᵀ M_T / v_T. Writing each attribute's identity as
I = P⁰ + P¹ (P⁰ = 11ᵀ/n, the mean; P¹ = I − P⁰, the contrasts) and 11ᵀ = n·P⁰ makes N a sum of
orthogonal projections, one for each subset S of attributes (P¹ on S, P⁰ elsewhere), with weight

    λ_S = Σ_{T ⊇ S} (1 / v_T) · Π_{a ∉ T} n_a,

so N⁺ is the same sum with weights 1/λ_S. For product queries q = ⊗_a q_a and r = ⊗_a r_a (a
count that keeps some codes of each attribute; q_a = 1 where the query sums over a):

    Cov(q̂, r̂) = Σ_S (1/λ_S) · Π_{a ∈ S} (q_a·r_a − Σq_a·Σr_a / n_a) · Π_{a ∉ S} Σq_a·Σr_a / n_a,

finite when every S with a non-zero term lies inside some measured table. Every number then has
one estimate and one variance, whichever table holds it, and the estimate combines every table
that informs it. The noise need not be Gaussian: the estimator is linear, so its variance is the
same for the two-sided geometric.

Not in this model: public groupings of a dimension (end groups of end reasons, provinces of
municipalities). An attribute and its grouping are modelled as two attributes, so a table of end
groups and one of end reasons share only the other attributes: a valid linear estimator that
leaves some information unused, so the variances here are upper bounds for full least squares.
The release does not use this estimator yet; `benchmarks/planner_gap.py` compares it with the
planner's one-table answers (docs/methodology.md, "How close the planner gets").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Table:
    """A measured marginal: its attributes and the noise variance of each of its cells."""

    attributes: frozenset[str]
    variance: float


Query = Mapping[str, np.ndarray]  # attribute -> weights of its codes; missing: summed over


@dataclass(frozen=True)
class Strategy:
    """The measured tables over attributes of the given sizes."""

    sizes: Mapping[str, int]
    tables: tuple[Table, ...]

    def weight(self, subset: frozenset[str]) -> float:
        """λ_S: the precision every table containing S gives the contrasts of S."""
        total = 0.0
        for table in self.tables:
            if subset <= table.attributes:
                outside = (n for a, n in self.sizes.items() if a not in table.attributes)
                total += math.prod(outside) / table.variance
        return total

    def covariance(self, q: Query, r: Query) -> float:
        """Cov(q̂, r̂) of two product queries under least squares over all tables; inf when the
        tables do not determine them."""
        for query in (q, r):
            unknown = set(query) - set(self.sizes)
            if unknown:
                raise ValueError(f"query on attributes not in the strategy: {sorted(unknown)}")
        axes = sorted(set(q) | set(r))
        sums = {
            a: _vector(q, a, self.sizes[a]).sum() * _vector(r, a, self.sizes[a]).sum() for a in axes
        }
        dots = {a: float(_vector(q, a, self.sizes[a]) @ _vector(r, a, self.sizes[a])) for a in axes}
        outside = math.prod(n for a, n in self.sizes.items() if a not in axes)
        total = 0.0
        for size in range(len(axes) + 1):
            for chosen in itertools.combinations(axes, size):
                term = outside
                for a in axes:
                    n = self.sizes[a]
                    term *= dots[a] - sums[a] / n if a in chosen else sums[a] / n
                if term == 0:
                    continue
                weight = self.weight(frozenset(chosen))
                if weight == 0:
                    return math.inf
                total += term / weight
        return total

    def variance(self, q: Query) -> float:
        return self.covariance(q, q)

    def estimate(
        self,
        q: Query,
        noisy: Mapping[frozenset[str], np.ndarray],
        order: Mapping[frozenset[str], Sequence[str]],
    ) -> float:
        """q̂ from the noisy tables (`noisy[attributes]`, axes in `order[attributes]`)."""
        total = 0.0
        for table in self.tables:
            y = noisy[table.attributes]
            axes = list(order[table.attributes])
            outside = 1.0
            for a, n in self.sizes.items():
                if a not in table.attributes:
                    outside *= _vector(q, a, n).sum()
            for size in range(len(axes) + 1):
                for chosen in itertools.combinations(axes, size):
                    weight = self.weight(frozenset(chosen))
                    if weight == 0:
                        continue
                    value = y
                    for a in reversed(axes):  # contract the last axis first
                        n = self.sizes[a]
                        v = _vector(q, a, n)
                        u = v - v.sum() / n if a in chosen else np.full(n, v.sum() / n)
                        value = value @ u
                    total += outside * float(value) / table.variance / weight
        return total


def _vector(query: Query, attribute: str, size: int) -> np.ndarray:
    vector = query.get(attribute)
    if vector is None:
        return np.ones(size)
    vector = np.asarray(vector, dtype=np.float64)
    if vector.shape != (size,):
        raise ValueError(f"{attribute}: {vector.shape[0]} weights for {size} codes")
    return vector
