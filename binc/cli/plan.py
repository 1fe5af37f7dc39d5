"""How precise the release config's questions will be, before any data is touched.

Reads the `[[question]]`s of the release config (config/release.toml by default; each names a
measure, its breakdown, the start years, a typical size and a target 95% half-width) and prints,
per question, the table that will answer it, the target, the expected half-width under the
config's budget and whether it is met; then the worst ratio of half-width to target and the total
budget (ε, or ρ for a zCDP config) at which every target would be met with these tables; then the
same questions under both noise mechanisms (binc/planning/mechanisms.py: pure ε-DP, zCDP at the
same ρ, zCDP at the same ε at the config's δ). With --divide it also proposes shares of
the budget for the tables that answer questions (the others keep theirs) that make the worst ratio
as small as it can be (each ratio times its question's weight), with the same table for that
division; the data-protection officer puts them in the config and signs it as any other change.
With a publication calendar (`[calendar]`) it also prints the per-child lifetime bound of the
calendar against the config's lifetime limit, and each question's expected half-width for
provisional figures (an open start year, measured with the provisional share of the budget).
Shares, rates and survival are in percentage points, counts in % of the typical value, medians in
their own unit (months, days). Exit status 0 when every target is met, 1 when some is not, 2 on a bad
argument or config.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from binc.core.noise import BUDGET_SYMBOLS
from binc.core.resources import default_config
from binc.planning.budget import divide
from binc.planning.calendar import provisional_budgets
from binc.planning.mechanisms import Setting, settings
from binc.planning.precision import Expected, expected
from binc.planning.questions import Question, load_questions
from binc.release.config import ReleaseConfig, load_config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, help="release config (default config/release.toml)"
    )
    parser.add_argument(
        "--divide",
        action="store_true",
        help="also propose the division of the budget with the smallest worst ratio",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    questions = load_questions(args.config or default_config())
    answers = expected(config, questions)
    division = divide(config, questions)
    mechanism = "pure ε-DP" if config.budget_name == "epsilon" else f"zCDP, δ {config.delta:g}"
    print(
        f"under the config's budget ({config.budget_text()}, {mechanism}, "
        f"c = {config.contribution_cap}):"
    )
    print(_table(answers))
    worst = max(a.ratio for a in answers)
    met = sum(a.met for a in answers)
    print(f"{met} of {len(answers)} targets met; worst ratio of half-width to target {worst:.2f}")
    symbol = BUDGET_SYMBOLS[config.mechanism]
    print(
        f"every target is met at a total {symbol} of {division.needed_total:.3g} "
        f"(tables that answer no question keeping their {symbol}, "
        f"{division.unplanned:.3g} of it)"
    )
    if config.calendar is not None:
        _calendar(config, questions, answers)
    print("\nthe same questions under both mechanisms (the config's shares):")
    print(_comparison(settings(config, questions), questions))
    if args.divide:
        print(
            f"\nthe division with the smallest worst ratio ({division.worst_ratio:.2f}; "
            f"weighted {division.worst_weighted_ratio:.2f}):"
        )
        print(_table(division.answers))
        print("\nshares for the config (tables that answer a question):")
        used = {a.table for a in division.answers}
        for spec in config.measurements:
            if spec.name in used:
                share = division.budgets[spec.name] / config.budget_total
                print(f"  {spec.name:24} share = {share:.3f}   (now {spec.share:.3f})")
    return 0 if met == len(answers) else 1


def _calendar(
    config: ReleaseConfig, questions: Sequence[Question], answers: Sequence[Expected]
) -> None:
    """The calendar's per-child lifetime bound and its provisional figures' precision."""
    calendar = config.calendar
    if calendar is None:
        return
    symbol = BUDGET_SYMBOLS[config.mechanism]
    tables = sum(spec.budget for spec in config.measurements)
    bound = calendar.per_child_budget(tables, config.budget_total)
    limit = config.lifetime_epsilon_limit if symbol == "ε" else config.lifetime_rho_limit
    verdict = "within" if limit is not None and bound <= limit + 1e-9 else "ABOVE"
    print(f"\npublication calendar: {calendar.text()}")
    print(
        f"per child over a lifetime: at most {symbol} {bound:.3g} (one definitive and "
        f"{calendar.provisional_releases} provisional measurements of the start years a child is "
        f"in; {verdict} the config's lifetime limit of {symbol} {limit:g})"
    )
    provisional = expected(config, questions, provisional_budgets(config, calendar))
    print("provisional figures (an open start year; pooled questions as if every year were open):")
    lines = [f"  {'question':58} {'target':>12} {'definitive':>12} {'provisional':>12}"]
    for definitive, early in zip(answers, provisional, strict=True):
        unit = definitive.question.unit
        lines.append(
            f"  {definitive.question.name[:58]:58} {definitive.question.target:5.1f} {unit:6} "
            f"{definitive.half_width:5.1f} {unit:6} {early.half_width:5.1f} {unit}"
        )
    print("\n".join(line.rstrip() for line in lines))


def _comparison(columns: Sequence[Setting], questions: Sequence[Question]) -> str:
    width = 20
    lines = [f"  {'question':58} {'target':>11}" + "".join(f" {i + 1:>{width}}" for i in range(3))]
    for row, question in enumerate(a.question for a in columns[0].answers):
        unit = question.unit
        cells = "".join(
            f" {column.answers[row].half_width:{width - 11}.1f} {unit:6} "
            f"{'met' if column.answers[row].met else '   '}"
            for column in columns
        )
        lines.append(f"  {question.name[:58]:58} {question.target:4.1f} {unit:6}{cells}")
    lines.append(f"  {'targets met':58} {'':11}" + "".join(f" {c.met:>{width}}" for c in columns))
    for number, column in enumerate(columns, start=1):
        lines.append(f"  {number}: {column.guarantee}")
    lines.append(
        f"  every target is met at {columns[0].needed(questions)}, or at "
        f"{columns[2].needed(questions)} (the tables "
        "that answer no question keeping their budget of column 1 or 3)"
    )
    return "\n".join(line.rstrip() for line in lines)


def _table(answers: Sequence[Expected]) -> str:
    weighted = any(a.question.weight != 1 for a in answers)
    lines = [
        f"  {'question':58} {'table':24} {'target':>12} {'expected':>12}  met"
        + ("  weight" if weighted else "")
    ]
    for a in answers:
        unit = a.question.unit
        lines.append(
            f"  {a.question.name[:58]:58} {a.table[:24]:24} {a.question.target:5.1f} {unit:6} "
            f"{a.half_width:5.1f} {unit:6}  {'yes' if a.met else 'no ':3}"
            + (f"  {a.question.weight:6g}" if weighted else "")
        )
    return "\n".join(line.rstrip() for line in lines)
