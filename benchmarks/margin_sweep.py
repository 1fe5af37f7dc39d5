"""How often a margin is one number in every view: every TOTAL row of the 1–2-dimension breakdowns
of three measures (count, share, median), compared with the same margin asked on its own.

    .venv/bin/python benchmarks/margin_sweep.py --release data/demo/release.duckdb

Prints how many margins are shown in both (and whether value and interval agree), hidden in both,
hidden in the breakdown but shown when asked directly (the margins whose protection needed the
margin itself) and the other way round (a margin whose breakdown's shown cells add up to it, so
hiding it there would be in vain; docs/hardening.md). The figures are in docs/hardening.md.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

from binc.answering import answer
from binc.core.errors import UserError
from binc.core.table import margins
from binc.release_file import Release, load_release

DIMENSIONS = ("partnership", "province", "trajectory_type", "age_band", "sex", "end_group",
              "care_after", "duration_band", "family_situation")  # fmt: skip
MEASURES = ("trajectories", "share_planned_end", "median_duration_months")
FIGURES = ("value", "ci_low", "ci_high")


def breakdowns() -> list[tuple[str, ...]]:
    pairs = list(itertools.combinations(DIMENSIONS, 2))
    return [(d,) for d in DIMENSIONS] + pairs + [("year", d) for d in DIMENSIONS]


def sweep(release: Release) -> dict[str, int]:
    kinds = ("shown", "differ", "hidden", "hidden_in_breakdown_only", "hidden_alone_only")
    counts = dict.fromkeys(kinds, 0)
    for measure, by in itertools.product(MEASURES, breakdowns()):
        for where in [{}] if "year" in by else [{"year": "2024"}, {"year": ("2023", "2024")}]:
            try:
                table = answer(release, measure, by=by, where=where, totals=True).frame
            except UserError:
                continue
            for kept, rows in margins(table, by):
                direct = answer(release, measure, by=kept, where=where).frame
                renamed = direct.rename({c: f"{c}_direct" for c in direct.columns if c not in kept})
                joined = (
                    rows.join(renamed, on=list(kept)) if kept else rows.join(renamed, how="cross")
                )
                for row in joined.iter_rows(named=True):
                    if row["suppressed"] and not row["suppressed_direct"]:
                        counts["hidden_in_breakdown_only"] += 1
                    elif row["suppressed"]:
                        counts["hidden"] += 1
                    elif row["suppressed_direct"]:
                        counts["hidden_alone_only"] += 1
                    else:
                        counts["shown"] += 1
                        counts["differ"] += any(row[f] != row[f"{f}_direct"] for f in FIGURES)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = sweep(load_release(args.release))
    total = sum(v for k, v in counts.items() if k != "differ")
    print(f"margins compared: {total} in {time.perf_counter() - started:.1f} s")
    print(f"  shown in both: {counts['shown']} (value or interval differs: {counts['differ']})")
    print(f"  hidden in both: {counts['hidden']}")
    print(
        f"  hidden in the breakdown but shown when asked alone: {counts['hidden_in_breakdown_only']}"
    )
    print(f"  shown in the breakdown but hidden when asked alone: {counts['hidden_alone_only']}")


if __name__ == "__main__":
    main()
