"""How precise the release config's questions will be, before any data is touched.

Reads the `[[question]]`s of the release config (config/release.toml by default; each names a
measure, its breakdown, the start years, a typical size and a target 95% half-width) and prints,
per question, the table that will answer it, the target, the expected half-width under the
config's budget and whether it is met; then the worst ratio of half-width to target and the total
ε at which every target would be met with these tables. With --divide it also proposes shares of
the budget for the tables that answer questions (the others keep theirs) that make the worst ratio
as small as it can be, with the same table for that division; the data-protection officer puts
them in the config and signs it as any other change. Shares are in percentage points, counts in %
of the typical value. Exit status 0 when every target is met, 1 when some is not, 2 on a bad
argument or config.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from binc.core.resources import default_config
from binc.planning.budget import divide
from binc.planning.precision import Expected, expected
from binc.planning.questions import load_questions
from binc.release.config import load_config


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
    print(
        f"under the config's budget (ε {config.epsilon_total:g}, pure ε-DP, c = {config.contribution_cap}):"
    )
    print(_table(answers))
    worst = max(a.ratio for a in answers)
    met = sum(a.met for a in answers)
    print(f"{met} of {len(answers)} targets met; worst ratio of half-width to target {worst:.2f}")
    print(
        f"every target is met at a total ε of {division.needed_total:.2f} "
        "(tables that answer no question keeping their ε)"
    )
    if args.divide:
        print(f"\nthe division with the smallest worst ratio ({division.worst_ratio:.2f}):")
        print(_table(division.answers))
        print("\nshares for the config (tables that answer a question):")
        used = {a.table for a in division.answers}
        for spec in config.measurements:
            if spec.name in used:
                share = division.epsilons[spec.name] / config.epsilon_total
                print(f"  {spec.name:24} share = {share:.3f}   (now {spec.share:.3f})")
    return 0 if met == len(answers) else 1


def _table(answers: Sequence[Expected]) -> str:
    lines = [f"  {'question':58} {'table':24} {'target':>7} {'expected':>9}  met"]
    for a in answers:
        unit = "%" if not a.question.is_share else " pt"
        lines.append(
            f"  {a.question.name[:58]:58} {a.table[:24]:24} {a.question.target:6.1f}{unit:2} "
            f"{a.half_width:7.1f}{unit:2}  {'yes' if a.met else 'no'}"
        )
    return "\n".join(lines)
