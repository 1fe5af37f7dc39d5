"""Measure the workload declared in the release config (config/release.toml by default) on a
warehouse, with differential-privacy noise, and write a release: noisy measurements and their
metadata only, never a true count. Every run spends the config's ε on the data; the lifetime total
is kept in the data's privacy ledger (in --ledger-dir, else $BINC_LEDGER_DIR, else
~/.local/state/binc/ledger; `binc ledger` shows it), wherever the release is written, and may not
exceed the config's limit. A missing or inconsistent ledger refuses the release.

With a publication calendar in the config (`[calendar]`), a closed start year is measured once
(definitive figures) and every later release carries its figures forward unchanged from the
previous release, given with --previous; open start years get provisional figures with a smaller
budget (docs/methodology.md, "The publication calendar"). A correction release (--correct YEAR)
measures a closed start year's definitive figures again, with its own budget, and says so in its
release notes.

With --check nothing is built or spent: the command says whether the release at --out was measured
from the warehouse's present data (exit status 0) or from an older state or another warehouse
(exit status 2, with both versions), e.g. before publishing a release or after an ingest.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from binc.cli.ledger import add_ledger_dir_option
from binc.release.build import build_release, check_current
from binc.release.ledger import use_ledger_dir


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="the pseudonymised warehouse (DuckDB)"
    )
    parser.add_argument("--out", required=True, type=Path, help="release file to write (DuckDB)")
    parser.add_argument(
        "--config", type=Path, default=None, help="release config (default config/release.toml)"
    )
    add_ledger_dir_option(parser)
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="with a [calendar]: the previous release, whose definitive figures this one carries "
        "forward unchanged (required once a start year has definitive figures)",
    )
    parser.add_argument(
        "--correct",
        type=int,
        action="append",
        default=[],
        metavar="YEAR",
        help="with a [calendar]: a correction release, measuring this closed start year's "
        "definitive figures again with the full budget (repeatable; named in the release notes)",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="the warehouse holds synthetic data: the release, and everything made from it, says so",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="build nothing; say whether the release at --out was measured from the warehouse's "
        "present data (exit status 2 when not)",
    )


def run(args: argparse.Namespace) -> int:
    if args.check:
        version = check_current(args.out, args.warehouse)
        print(
            f"{args.out}: current — measured from {args.warehouse} at its present version {version}"
        )
        return 0
    with use_ledger_dir(args.ledger_dir) if args.ledger_dir else contextlib.nullcontext():
        summary = build_release(
            args.warehouse,
            args.out,
            args.config,
            synthetic=args.synthetic,
            previous=args.previous,
            correct=tuple(args.correct),
        )
    print(
        f"release {summary.release_id} written to {summary.path}: {summary.measurements} tables, "
        f"{summary.cells} cells, {summary.budget_text} (lifetime {summary.lifetime_text}), "
        f"warehouse {summary.warehouse_version}, {summary.seconds:.1f} s"
    )
    return 0
