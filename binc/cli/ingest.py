"""Validate provider exports (registration format v1), pseudonymise them with the key and load them.

Each file is loaded in one transaction. Rejected rows are kept in the warehouse's rejects table
with file, line, field and reason (never the identifying values); corrections (a known record_id
with other values) replace the stored row, whose old version is kept in trajectory_history.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from binc.core.environment import KEY_ENV
from binc.core.errors import UserError
from binc.core.pseudonym_key import load_key
from binc.ingest.load import IngestCounts
from binc.ingest.pipeline import FileFailure, ingest_files


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        required=True,
        help="the DuckDB warehouse file (created when missing)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        help=f"file holding the pseudonymisation key (else ${KEY_ENV}); never inside data/",
    )
    parser.add_argument(
        "--today", type=date.fromisoformat, help=argparse.SUPPRESS
    )  # for reproducible tests: dates after it count as future
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="exports: .csv, .xlsx or .parquet"
    )


def _print(outcome: IngestCounts | FileFailure) -> None:
    if isinstance(outcome, FileFailure):
        print(f"{outcome.file_name}: NOT LOADED — {outcome.message}", file=sys.stderr)
    elif outcome.already_ingested:
        print(f"{outcome.file_name}: already ingested (identical file) — nothing changed")
    else:
        print(
            f"{outcome.file_name}: read {outcome.read}, accepted {outcome.accepted}, rejected {outcome.rejected}, "
            f"replaced {outcome.replaced} (new {outcome.inserted}, unchanged {outcome.unchanged})"
        )


def run(args: argparse.Namespace) -> int:
    key = load_key(args.key_file)
    if not args.files:
        raise UserError("no files given")
    report = ingest_files(args.warehouse, args.files, key, today=args.today, on_file=_print)
    print(
        f"total: read {report.total('read')}, accepted {report.total('accepted')}, "
        f"rejected {report.total('rejected')}, replaced {report.total('replaced')}"
        + (f"; {len(report.failures)} file(s) not loaded" if report.failures else "")
    )
    if report.total("rejected"):
        print(
            "rejected rows and their reasons: table `rejects` in the warehouse (file, line, field, reason)"
        )
    return 2 if report.failures else 0
