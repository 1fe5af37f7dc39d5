"""Can a hidden count be recovered by combining the questions the product answers? An LP audit over
linked tables, as an attacker with every allowed count question would do it.

    .venv/bin/python benchmarks/linked_audit.py --release data/demo/release.duckdb [--years 2023 2024]

For some start years and each dimension D that is measured per partnership, the universe is the
cube year × partnership × D (unknown counts, each ≥ 0), asked about each year alone and the years
pooled. Every count question about it that the
product answers gives linear equations (tests/support/linked_audit.py: the table with its totals,
each row and column asked alone, every single cell asked alone), and every hidden sum of any
answer is minimised and maximised over all of them at once. Printed per D: hidden values, how many
are recovered exactly (interval below 0.5: the value itself) and how many are pinned to an
interval narrower than k (the rule's promise). Counts only: shares, medians and rates are rounded,
non-linear views (docs/hardening.md). The figures are in docs/hardening.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.linked_audit import linked_audit

from binc.core.errors import UserError
from binc.release_file import load_release

DIMENSIONS = ("sex", "age_band", "end_group", "trajectory_type", "care_after", "family_situation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--years", nargs="+", default=["2023", "2024"])
    args = parser.parse_args()
    release = load_release(args.release)
    started = time.perf_counter()
    hidden = exact = narrow = 0
    years = ", ".join(args.years)
    print(
        f"start years {years}, k = {release.k}: hidden counts, recovered exactly, narrower than k"
    )
    for dim in DIMENSIONS:
        try:
            result = linked_audit(release, args.years, dim)
        except UserError as refusal:
            print(f"  partnership × {dim:<17} refused ({refusal.reason})")
            continue
        hidden, exact, narrow = hidden + result.hidden, exact + result.exact, narrow + result.narrow
        print(f"  partnership × {dim:<17} hidden {result.hidden:4}  exact {result.exact:4}  "
              f"narrower than k {result.narrow:4}")  # fmt: skip
    print(f"all: hidden {hidden}, recovered exactly {exact}, narrower than k {narrow} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
