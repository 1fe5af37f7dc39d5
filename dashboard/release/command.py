"""Measure the workload declared in the release config (config/release.toml by default) on a
warehouse, with differential-privacy noise, and write a release: noisy measurements and their
metadata only, never a true count. Every run spends the config's ε; the lifetime total per warehouse
is kept in privacy-ledger.jsonl beside the release and may not exceed the config's limit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.release.build import build_release


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="the pseudonymised warehouse (DuckDB)"
    )
    parser.add_argument("--out", required=True, type=Path, help="release file to write (DuckDB)")
    parser.add_argument(
        "--config", type=Path, default=None, help="release config (default config/release.toml)"
    )


def run(args: argparse.Namespace) -> int:
    summary = build_release(args.warehouse, args.out, args.config)
    print(
        f"release {summary.release_id} written to {summary.path}: {summary.measurements} tables, "
        f"{summary.cells} cells, ε {summary.epsilon_total:g} (lifetime {summary.lifetime_epsilon:g}), "
        f"warehouse {summary.warehouse_version}, {summary.seconds:.1f} s"
    )
    return 0
