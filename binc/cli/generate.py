"""Write synthetic provider exports (registration format v1) for demos, tests and benchmarks.

One file per 1G1P partnership and start year 2019–2025 (P08 and P16 from 2021) plus the other
youth care registrations per year, named so that sorted order is chronological: ingest them in
that order (`binc ingest --warehouse W.duckdb DIR/*.csv`). About 1% of rows carry one deliberate
defect and about 0.5% are corrected in a later file. Everything is drawn from the seed: the same
seed writes the same bytes. No real person is in the output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from binc.synthetic.exports import FORMATS
from binc.synthetic.generate import DEFAULT_SEED, generate_exports
from binc.synthetic.recipe import RECIPE


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="directory for the export files (created when missing)",
    )
    parser.add_argument(
        "--children",
        type=int,
        default=RECIPE.default_children,
        help=f"number of distinct children (default {RECIPE.default_children:,} ≈ the national "
        "order of magnitude: about 5,000 families a year)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--format",
        dest="file_format",
        choices=FORMATS,
        default="csv",
        help="write every file as csv (default; provider-specific separators and dates), xlsx or parquet",
    )


def run(args: argparse.Namespace) -> int:
    summary = generate_exports(args.out, args.children, args.seed, args.file_format)
    print(f"binc generate: {summary.line()}")
    return 0
