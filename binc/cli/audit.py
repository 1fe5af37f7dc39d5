"""Audit an exported table's suppression with linear programming: can any suppressed cell be
recomputed from the published cells and totals more precisely than the threshold k allows?

Reads a CSV export (with its .codebook.json beside it), an XLSX or a Parquet export. Exit status 0 when
every suppressed cell's feasible interval is at least k wide, 1 when a flaw is found, 2 when the file
cannot be read.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from binc.core.errors import UserError
from binc.core.table import KINDS
from binc.disclosure.audit import AuditReport, audit_table
from binc.export.read import read_export


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, metavar="FILE", help="exported table (.csv, .xlsx, .parquet)"
    )
    parser.add_argument(
        "--k",
        type=int,
        default=None,
        help="suppression threshold (default: k from the file's metadata)",
    )
    parser.add_argument(
        "--kind",
        default=None,
        help="measure kind count|share|median|rate (default: from the metadata, else count)",
    )


def run(args: argparse.Namespace) -> int:
    table = read_export(args.file)
    k = args.k if args.k is not None else table.k
    if k is None:
        raise UserError(f"{args.file}: no suppression threshold k in its metadata; pass --k")
    if k < 1:
        raise UserError(f"--k must be a positive whole number, not {k}")
    kind = args.kind or table.kind or "count"
    if kind not in KINDS:
        raise UserError(f"--kind {kind!r} is not known; allowed: {', '.join(KINDS)}")
    report = audit_table(table.frame, table.dimensions, k, additive=kind == "count")
    for line in describe(report):
        print(line)
    return 0 if report.ok else 1


def _number(x: float) -> str:
    if math.isinf(x):
        return "unbounded"
    return str(round(x)) if abs(x - round(x)) < 1e-6 else f"{x:.2f}"


def _cell(report: AuditReport, key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={c}" for d, c in zip(report.dimensions, key, strict=True)) or "(total)"


def describe(report: AuditReport) -> list[str]:
    """What `binc audit` prints: one line per flaw, then one summary line."""
    n, k = report.suppressed_count, report.k
    if not report.consistent:
        return [
            "audit failed: the published values contradict their totals, so no interval can be "
            "proven (is this a count table? pass --kind otherwise)"
        ]
    if not report.additive:
        lines = [
            f"cell {_cell(report, v.key)}: the only suppressed cell of a row, column or slice"
            for v in report.violations
        ]
        if report.violations:
            return [
                *lines,
                f"audit failed: {len(lines)} of {n} suppressed cells stand alone in a line",
            ]
        return [
            f"audit passed: {n} suppressed cells, none alone in a row, column or slice "
            "(values do not add up; the pattern was checked)"
        ]
    lines = [
        f"cell {_cell(report, v.key)}: feasible interval [{_number(v.low)}, {_number(v.high)}], "
        f"width {_number(v.width)} < k = {k}"
        for v in report.violations
        if v.low is not None and v.high is not None and v.width is not None
    ]
    if report.violations:
        return [*lines, f"audit failed: {len(lines)} of {n} suppressed cells narrower than k = {k}"]
    return [f"audit passed: {n} suppressed cells, all feasible intervals ≥ k (k = {k})"]
