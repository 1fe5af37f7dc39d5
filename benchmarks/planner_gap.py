"""How close `binc plan` gets to least squares over all tables, on the config's questions.

Usage: .venv/bin/python benchmarks/planner_gap.py [--config FILE] [--smoke]

Issue 11 asks for a planner that chooses the tables and their budgets, with every number
estimated from all tables (least squares), and allows a simpler planner if we show how close it
gets. `binc plan` answers each question from one table and divides the budget over the config's
tables. This script prints the smallest total ε (pure ε-DP, the config's c) at which every count
and share question of the config meets its target:

1. one table per answer, the budget divided by `binc plan --divide` (binc/planning/budget.py);
2. least squares over the same tables (binc/planning/least_squares.py), the config's shares of the
   budget, scaled together;
3. least squares over the same tables, the budgets of the tables that answer a question chosen to
   minimise the total (SLSQP), the others keeping their ε as in 1;
4. as 3, with each question's own marginal (year × its breakdown × its category) added as a table
   that may get budget: the planner choosing what to measure.

Least squares here treats a public grouping (end groups, provinces) as an attribute of its own,
so 2–4 are upper bounds for full least squares. Medians and survival are left out: their
variance is not a quadratic form of the counts. Nothing here reads data; `--smoke` (CI) runs the
comparison with few optimiser iterations so the script cannot rot.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize

from binc.answering.catalogue import measure_defs
from binc.answering.estimates import Z95
from binc.core.dimensions import domain, members, parent_of
from binc.core.noise import GeometricNoise
from binc.planning.budget import divide
from binc.planning.least_squares import Strategy, Table
from binc.planning.precision import expected
from binc.planning.questions import Question, load_questions
from binc.release.config import ReleaseConfig, load_config


@dataclass(frozen=True)
class Linear:
    """A question as least-squares queries: its numerator and base (the same for a count)."""

    question: Question
    numerator: dict[str, np.ndarray]
    base: dict[str, np.ndarray]

    def half_width(self, strategy: Strategy) -> float:
        q = self.question
        typical = q.typical_base * q.years
        if not q.is_share:
            return 100 * Z95 * math.sqrt(strategy.variance(self.numerator)) / typical
        p = q.typical_share
        variance = (
            strategy.variance(self.numerator)
            - 2 * p * strategy.covariance(self.numerator, self.base)
            + p**2 * strategy.variance(self.base)
        )
        if math.isnan(variance):  # inf − inf: a part no table determines
            return math.inf
        return 100 * Z95 * math.sqrt(max(variance, 0.0)) / typical


def _indicator(codes: Sequence[str], chosen: Sequence[str]) -> np.ndarray:
    return np.array([1.0 if c in chosen else 0.0 for c in codes])


def linear(
    question: Question, years: Sequence[str], tables: Sequence[frozenset[str]]
) -> Linear | None:
    """The question's numerator and base as product queries (one cell of its breakdown, its
    filters kept); None for medians and survival."""
    d = measure_defs()[question.measure]

    def codes_of(dimension: str) -> tuple[str, ...]:
        return question.where.get(dimension, domain(dimension, ()))

    def one_cell(dimensions: Sequence[str]) -> dict[str, np.ndarray]:
        """The first code of each of `dimensions`, the filters on the others, the years."""
        cell = {"year": _indicator(years, years[-question.years :])}
        for dimension in question.where:
            cell[dimension] = _indicator(domain(dimension, ()), codes_of(dimension))
        for dimension in dimensions:
            cell[dimension] = _indicator(domain(dimension, ()), codes_of(dimension)[:1])
        return cell

    if d.method == "count":
        query = one_cell(question.by)
        return Linear(question, query, query)
    if d.method == "share":
        # the base: the same cell with every code of the last dimension (within its filter)
        return Linear(question, one_cell(question.by), one_cell(question.by[:-1]))
    if d.method != "ratio" or d.category is None:
        return None
    fixed = one_cell(question.by)
    category = d.category
    codes = domain(category, ())
    numerator, denominator = list(d.numerator), list(d.denominator or codes)
    group = parent_of(category)
    wanted = {"year", *question.by, category}
    if group is not None and not any(wanted <= t for t in tables):
        # The per-region tables hold the category in its public groups (end groups).
        groups = members(category, group)
        category, codes = group, tuple(groups)
        numerator = [g for g, inside in groups.items() if set(inside) <= set(numerator)]
        denominator = [g for g, inside in groups.items() if set(inside) <= set(denominator)]
    return Linear(
        question,
        {**fixed, category: _indicator(codes, numerator)},
        {**fixed, category: _indicator(codes, denominator)},
    )


def strategy(
    config: ReleaseConfig, budgets: Mapping[str, float], extra: Mapping[frozenset[str], float]
) -> Strategy:
    tables = []
    cap = config.contribution_cap
    for spec in config.measurements:
        if spec.unit != "trajectories" or budgets[spec.name] <= 0:
            continue
        noise = GeometricNoise(budgets[spec.name], int(spec.sensitivity))
        tables.append(Table(frozenset(spec.dimensions), noise.variance))
    for attributes, epsilon in extra.items():
        if epsilon > 0:
            tables.append(Table(attributes, GeometricNoise(epsilon, cap).variance))
    sizes = {d: len(domain(d, config.years)) for t in tables for d in t.attributes}
    return Strategy(sizes, tuple(tables))


def worst(config: ReleaseConfig, questions: Sequence[Linear], budgets, extra) -> float:
    s = strategy(config, budgets, extra)
    return max(q.half_width(s) / q.question.target for q in questions)


def scaled_total(config: ReleaseConfig, questions: Sequence[Linear]) -> float:
    """Total ε at which least squares over the config's tables, its shares kept, meets all."""

    def ratio(total: float) -> float:
        return worst(config, questions, {s.name: s.share * total for s in config.measurements}, {})

    low, high = 0.01, 100.0
    for _ in range(60):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if ratio(middle) > 1 else (low, middle)
    return high


def optimised_total(
    config: ReleaseConfig,
    questions: Sequence[Linear],
    free: Sequence[str],
    candidates: Sequence[frozenset[str]],
    iterations: int,
) -> tuple[float, dict[str, float], dict[frozenset[str], float]]:
    """Smallest total with every target met: SLSQP over the log budgets of the free tables and
    the candidate tables; the other tables keep their config ε."""
    fixed = {s.name: s.budget for s in config.measurements if s.name not in free}
    start = {s.name: s.budget for s in config.measurements}
    names = list(free)
    n = len(names) + len(candidates)

    def unpack(z: np.ndarray) -> tuple[dict[str, float], dict[frozenset[str], float]]:
        budgets = {**fixed, **{name: float(np.exp(z[i])) for i, name in enumerate(names)}}
        extra = {c: float(np.exp(z[len(names) + j])) for j, c in enumerate(candidates)}
        return budgets, extra

    cache: dict[bytes, np.ndarray] = {}

    def slack(z: np.ndarray) -> np.ndarray:
        key = z.tobytes()
        if key not in cache:
            budgets, extra = unpack(z)
            s = strategy(config, budgets, extra)
            cache[key] = np.array([1 - q.half_width(s) / q.question.target for q in questions])
        return cache[key]

    z0 = np.log(np.array([max(start[name], 1e-3) for name in names] + [0.02] * len(candidates)))

    def spent(z: np.ndarray) -> float:
        return float(np.exp(z).sum())

    def gradient(z: np.ndarray) -> np.ndarray:
        return np.exp(z)

    result = optimize.minimize(
        spent,
        z0,
        jac=gradient,
        constraints=optimize.NonlinearConstraint(slack, 0.0, np.inf),
        bounds=[(math.log(1e-4), math.log(10.0))] * n,
        method="SLSQP",
        options={"maxiter": iterations, "ftol": 1e-6},
    )
    if not result.success and iterations > 5:
        print(f"   (SLSQP: {result.message})")
    # feasible by construction: scale up until the worst ratio is 1 (SLSQP may stop just outside)
    factor = 1.0
    while min(slack(np.log(np.exp(result.x) * factor))) < -1e-6 and factor < 100:
        factor *= 1.001
    budgets, extra = unpack(np.log(np.exp(result.x) * factor))
    return (
        sum(fixed.values()) + sum(budgets[m] for m in names) + sum(extra.values()),
        budgets,
        extra,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true", help="few optimiser iterations (CI)")
    args = parser.parse_args()
    config = load_config(args.config)
    questions = load_questions(config.path)
    years = domain("year", config.years)
    tables = [frozenset(s.dimensions) for s in config.measurements]
    planned = [q for q in (linear(q, years, tables) for q in questions) if q is not None]
    iterations = 5 if args.smoke else 200
    started = time.perf_counter()
    print(
        f"{len(planned)} count and share questions of {len(questions)} (medians and survival left out)"
    )
    division = divide(config, [p.question for p in planned])
    print(
        f"1. one table per answer, divided by binc plan:            ε {division.needed_total:.3f}"
    )
    print(
        f"2. least squares, the config's shares scaled:              ε {scaled_total(config, planned):.3f}"
    )
    used = sorted({a.table for a in expected(config, [p.question for p in planned])})
    total, _, _ = optimised_total(config, planned, used, [], iterations)
    print(f"3. least squares, budgets of the answering tables chosen:  ε {total:.3f}")
    # each question's own marginal: the attributes its queries use
    candidates = sorted(
        {frozenset(p.numerator) for p in planned}
        - {frozenset(s.dimensions) for s in config.measurements},
        key=sorted,
    )
    total4, budgets4, extra4 = optimised_total(config, planned, used, candidates, iterations)
    print(f"4. as 3, with each question's own marginal as a candidate: ε {total4:.3f}")
    for name in used:
        print(f"     {name:40} ε {budgets4[name]:.3f}")
    for attributes, epsilon in extra4.items():
        print(f"     {' × '.join(sorted(attributes)):40} ε {epsilon:.3f}")
    every = [s.name for s in config.measurements if s.unit == "trajectories"]
    total5, budgets5, extra5 = optimised_total(config, planned, every, candidates, iterations)
    print(f"5. as 4, every table free (one no question needs may get nothing): ε {total5:.3f}")
    for name in every:
        if budgets5[name] >= 0.001:
            print(f"     {name:40} ε {budgets5[name]:.3f}")
    for attributes, epsilon in extra5.items():
        if epsilon >= 0.001:
            print(f"     {' × '.join(sorted(attributes)):40} ε {epsilon:.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
