"""Write synthetic provider exports (registration format v1) for demos, tests and benchmarks.

One file per 1G1P partnership and start year (2019–2025 unless --first-year/--last-year say
otherwise; P08 and P16 from 2021) plus the other youth care registrations per year, named so that
sorted order is chronological: ingest them in that order (`binc ingest --warehouse W.duckdb
DIR/*.csv`). The providers export on 31 March after the last start year. Some children return in
later start years with the same national number, name and birth date. About 1% of rows carry one
deliberate defect and about 0.5% are corrected in a later file. Everything is drawn from the seed:
the same seed writes the same bytes. No real person is in the output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from binc.synthetic.exports import FORMATS
from binc.synthetic.generate import DEFAULT_SEED, generate_exports
from binc.synthetic.recipe import (
    EARLIEST_YEAR,
    FIRST_YEAR,
    LAST_YEAR,
    LATEST_YEAR,
    MAX_YEARS,
    RECIPE,
)


def _children_help() -> str:
    per_weight = RECIPE.default_children / sum(RECIPE.year_weights.values())
    before, after = RECIPE.year_weight(EARLIEST_YEAR), RECIPE.year_weight(LATEST_YEAR)
    return (
        f"number of distinct children (default {RECIPE.default_children:,} for {FIRST_YEAR}–"
        f"{LAST_YEAR} ≈ the national order of magnitude, about 5,000 families a year; for other "
        f"start years {RECIPE.default_children:,} × their summed yearly volume weights / those of "
        f"{FIRST_YEAR}–{LAST_YEAR}: about {round(per_weight, -2):,.0f} per unit of weight, "
        f"{round(per_weight * after, -2):,.0f} for each year after {LAST_YEAR} (weight {after:.2f}) "
        f"and {round(per_weight * before, -2):,.0f} for each year before {FIRST_YEAR} "
        f"({before:.2f}), so every start year keeps today's volume)"
    )


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
        default=None,
        help=_children_help(),
    )
    parser.add_argument(
        "--first-year",
        type=int,
        default=FIRST_YEAR,
        help=f"first start year (default {FIRST_YEAR})",
    )
    parser.add_argument(
        "--last-year",
        type=int,
        default=LAST_YEAR,
        help=f"last start year (default {LAST_YEAR}); 1 to {MAX_YEARS} years within "
        f"{EARLIEST_YEAR}–{LATEST_YEAR}. Years after today are SIMULATED FUTURE data (at the "
        f"{LAST_YEAR} volume), exported as on 31 March after the last year",
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
    summary = generate_exports(
        args.out,
        args.children,
        args.seed,
        args.file_format,
        first_year=args.first_year,
        last_year=args.last_year,
    )
    print(f"binc generate: {summary.line()}")
    return 0
