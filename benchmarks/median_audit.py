"""Do the shown medians give back hidden counts? A reader's linear programme on a release.

Usage: .venv/bin/python benchmarks/median_audit.py --release FILE [--years 2019 … 2025]
       [--without-audit]

For each start year, and the last three pooled, the median duration per partnership and the count
table by partnership × duration band (ended trajectories): every hidden band count's feasible
interval over all tables that fit the published cells, margins and every shown median, rounded
as published (tests/support/median_reader.py, independent of binc/disclosure). Prints how many
hidden band counts lie beside a shown median, how many come within less than k, and how many to
within one trajectory; and per start year how many medians are shown and readable (shown and not
too uncertain). `--without-audit` answers as the product did before the median audit
(binc/disclosure/medians.py), to measure what it prevents and what it costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.median_reader import narrow_counts

import binc.answering.engine
from binc.answering import answer
from binc.release_file import load_release


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--years", nargs="+", default=None, help="start years (default: all)")
    parser.add_argument("--without-audit", action="store_true")
    args = parser.parse_args()
    if args.without_audit:
        binc.answering.engine._hide_medians = lambda q, frame: frame
    release = load_release(args.release)
    years = args.years or [str(y) for y in release.metadata["years"]]
    periods = [[y] for y in years] + ([years[-4:-1]] if len(years) >= 4 else [])
    started = time.perf_counter()
    beside = narrow = exact = 0
    for period in periods:
        frame = answer(release, "median_duration_months", by=("partnership",),
                       where={"year": period}).frame  # fmt: skip
        shown = int((~frame["suppressed"]).sum())
        readable = int((~frame["suppressed"] & ~frame["too_uncertain"]).sum())
        counted, found = narrow_counts(release, period)
        beside, narrow = beside + counted, narrow + len(found)
        exact += sum(1 for _, low, high in found if high - low < 1)
        print(f"  {'+'.join(period):16} medians shown {shown:2}/{frame.height}, readable {readable:2}; "
              f"hidden band counts beside them {counted:3}, narrower than k {len(found)}")  # fmt: skip
    print(f"all: hidden band counts beside a shown median {beside}, narrower than k {narrow}, "
          f"to within one {exact} ({time.perf_counter() - started:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
