"""A division of the budget that serves the questions best: the smallest worst ratio of expected
half-width to target (each ratio times its question's weight), with the tables that answer no
question keeping their ε.

Each question is answered from one table (the one the answering layer chooses), and its half-width
is proportional to the standard deviation of that table's noise (for a median or survival figure
nearly so: the bootstrap is redone every round), so a table's worst ratio is K·√v(b), decreasing
in its budget b (ε under pure ε-DP, ρ under zCDP; both add up within a release). The best
division makes the worst ratios of all tables in use equal: for a common ratio t every table
needs the b with v(b) = (t/K)², and t is found by bisection so that these b use up the budget.
Which table answers a question can change with the budget (the cheapest covering table), so
choice and division are repeated until the choice is stable. With t = 1 and the ratios
unweighted, the same sum, with the tables that answer no question keeping their budget, is the
smallest total budget at which every target is met by these tables.

This is a simpler planner than the matrix mechanism (HDMM, ResidualPlanner): it divides the
budget over the config's tables and does not choose which tables to measure; docs/methodology.md
says what that leaves on the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from binc.core.noise import budget_for_variance, noise_for
from binc.planning.precision import Expected, expected
from binc.planning.questions import Question
from binc.release.config import ReleaseConfig

ROUNDS = 8
BISECTION_STEPS = 100


@dataclass(frozen=True)
class Division:
    budgets: dict[str, float]  # per table: ε or ρ, the config's mechanism
    answers: list[Expected]  # under these budgets
    needed_total: float  # the total budget at which every target is met (same tables and choices)

    @property
    def worst_ratio(self) -> float:
        return max(a.ratio for a in self.answers)

    @property
    def unplanned(self) -> float:
        """The budget of the tables that answer no question (they keep the config's)."""
        used = {a.table for a in self.answers}
        return sum(b for name, b in self.budgets.items() if name not in used)

    @property
    def worst_weighted_ratio(self) -> float:
        """What the division minimises: the worst weight × half-width / target."""
        return max(a.weighted_ratio for a in self.answers)


def divide(config: ReleaseConfig, questions: Sequence[Question]) -> Division:
    """The division of `config.budget_total` with the smallest worst ratio (see the module doc)."""
    budgets, answers, _ = _divide(config, questions, weighted=True)
    return Division(budgets, answers, _needed_total(config, questions))


def _needed_total(config: ReleaseConfig, questions: Sequence[Question]) -> float:
    """The smallest total at which every target is met (unweighted), the tables that answer no
    question keeping their budget. A median's or survival's half-width is not quite proportional
    to the noise's standard deviation, so the total extrapolated from one division is divided
    again until it stops moving."""
    total = _divide(config, questions, weighted=False)[2]
    for _ in range(ROUNDS):
        again = _divide(replace(config, budget_total=total), questions, weighted=False)[2]
        if math.isclose(again, total, rel_tol=1e-4):
            return again
        total = again
    return total


def _divide(
    config: ReleaseConfig, questions: Sequence[Question], *, weighted: bool
) -> tuple[dict[str, float], list[Expected], float]:
    """(budgets, answers under them, the total extrapolated to meet every target)."""
    mechanism = config.mechanism
    sensitivity = {s.name: s.sensitivity for s in config.measurements}
    budgets = {s.name: s.budget for s in config.measurements}
    needed_total = math.inf
    answers = expected(config, questions, budgets)
    for _ in range(ROUNDS):
        used = {a.table for a in answers}
        fixed = sum(b for name, b in budgets.items() if name not in used)
        sd = {n: math.sqrt(noise_for(mechanism, budgets[n], sensitivity[n]).variance) for n in used}
        # K per table: its worst (weighted) ratio per unit of noise standard deviation
        objective = {
            n: max(
                (a.weighted_ratio if weighted else a.ratio) / sd[n] for a in answers if a.table == n
            )
            for n in used
        }
        plain = {n: max(a.ratio / sd[n] for a in answers if a.table == n) for n in used}

        def spend(t: float, k: dict[str, float]) -> dict[str, float]:
            return {
                n: budget_for_variance(mechanism, (t / kn) ** 2, sensitivity[n])
                for n, kn in k.items()
            }

        low, high = 1e-6, 1e6  # the common ratio t: spend(t) falls as t grows
        for _ in range(BISECTION_STEPS):
            middle = math.sqrt(low * high)
            if sum(spend(middle, objective).values()) > config.budget_total - fixed:
                low = middle
            else:
                high = middle
        needed_total = fixed + sum(spend(1.0, plain).values())
        new = {**budgets, **spend(high, objective)}
        settled = all(math.isclose(new[n], budgets[n], rel_tol=1e-6) for n in used)
        budgets, answers = new, expected(config, questions, new)
        if settled and {a.table for a in answers} == used:
            break
    return budgets, answers, needed_total
