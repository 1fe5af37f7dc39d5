"""A division of the budget that serves the questions best: the smallest worst ratio of expected
half-width to target, with the tables that answer no question keeping their ε.

Each question is answered from one table (the one the answering layer chooses), and its half-width
is proportional to the standard deviation of that table's noise, so a table's worst ratio is
K·√v(ε), decreasing in ε. The best division makes the worst ratios of all tables in use equal:
for a common ratio t every table needs the ε with v(ε) = (t/K)², and t is found by bisection so
that these ε use up the budget. Which table answers a question can change with the ε (the
cheapest covering table), so choice and division are repeated until the choice is stable. With
t = 1 the same sum is the smallest total ε at which every target is met by these tables.

This is a simpler planner than the matrix mechanism (HDMM, ResidualPlanner): it divides the
budget over the config's tables and does not choose which tables to measure; docs/methodology.md
says what that leaves on the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from binc.core.noise import GeometricNoise
from binc.planning.precision import Expected, expected
from binc.planning.questions import Question
from binc.release.config import ReleaseConfig

ROUNDS = 8
BISECTION_STEPS = 100


@dataclass(frozen=True)
class Division:
    epsilons: dict[str, float]  # per table
    answers: list[Expected]  # under these ε
    needed_total: float  # the total ε at which every target is met (same tables and choices)

    @property
    def worst_ratio(self) -> float:
        return max(a.ratio for a in self.answers)


def epsilon_for_variance(variance: float, sensitivity: int) -> float:
    """The ε whose two-sided geometric noise (sensitivity Δ) has this variance per cell:
    2α/(1 − α)² = V with α = exp(−ε/Δ), the root of Vα² − 2(V + 1)α + V = 0 below 1."""
    alpha = ((variance + 1) - math.sqrt(2 * variance + 1)) / variance
    return -sensitivity * math.log(alpha)


def divide(config: ReleaseConfig, questions: Sequence[Question]) -> Division:
    """The division of `config.epsilon_total` with the smallest worst ratio (see the module doc)."""
    sensitivity = {s.name: s.sensitivity for s in config.measurements}
    epsilons = {s.name: s.epsilon for s in config.measurements}
    needed_total = math.inf
    answers = expected(config, questions, epsilons)
    for _ in range(ROUNDS):
        used = {a.table for a in answers}
        fixed = sum(e for name, e in epsilons.items() if name not in used)
        # K per table: its worst ratio per unit of noise standard deviation
        k = {
            name: max(
                a.ratio / math.sqrt(GeometricNoise(epsilons[name], sensitivity[name]).variance)
                for a in answers
                if a.table == name
            )
            for name in used
        }

        def spend(t: float, k: dict[str, float] = k) -> dict[str, float]:
            return {n: epsilon_for_variance((t / kn) ** 2, sensitivity[n]) for n, kn in k.items()}

        low, high = 1e-6, 1e6  # the common ratio t: spend(t) falls as t grows
        for _ in range(BISECTION_STEPS):
            middle = math.sqrt(low * high)
            if sum(spend(middle).values()) > config.epsilon_total - fixed:
                low = middle
            else:
                high = middle
        needed_total = fixed + sum(spend(1.0).values())
        new = {**epsilons, **spend(high)}
        settled = all(math.isclose(new[n], epsilons[n], rel_tol=1e-6) for n in used)
        epsilons, answers = new, expected(config, questions, new)
        if settled and {a.table for a in answers} == used:
            break
    return Division(epsilons, answers, needed_total)
