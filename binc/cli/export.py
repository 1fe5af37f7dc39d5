"""Export a safe table from a release: answered from the release's noisy measurements, suppressed,
with 95% intervals, as a tidy CSV (plus a .codebook.json beside it), XLSX (data, metadata and codes
sheets) or Parquet (codebook in the key-value metadata). Dimension columns hold stable codes; each
has a <dim>_label column in Dutch (default) or English. Rows with code TOTAL are margins.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from binc.answering import DIMENSIONS, MEASURES, answer
from binc.core.errors import UserError, shown
from binc.core.reference import LANGUAGES
from binc.export.writers import FORMATS, write_export
from binc.release_file import load_release


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", required=True, type=Path, help="release to answer from")
    measures = MEASURES
    parser.add_argument(
        "--measure",
        required=True,
        help="measure: " + (", ".join(measures) if measures else "e.g. trajectories"),
    )
    parser.add_argument(
        "--by",
        default="",
        metavar="DIM[,DIM...]",
        help="dimensions, comma separated: " + ", ".join(DIMENSIONS),
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="DIM=CODE",
        help="keep only one code of a dimension (repeatable), e.g. --where year=2024",
    )
    parser.add_argument("--totals", action="store_true", help="add TOTAL rows for every dimension")
    parser.add_argument("--format", required=True, help="csv, xlsx or parquet")
    parser.add_argument("--out", required=True, type=Path, help="file to write")
    parser.add_argument("--language", default="nl", help="labels in nl (default) or en")


def parse_by(text: str, allowed: Sequence[str]) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for name in names:
        if name not in allowed:
            raise UserError(f"--by: unknown dimension {shown(name)}; allowed: {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise UserError(f"--by: a dimension is named twice in {shown(text)}")
    return names


def parse_where(items: Sequence[str], allowed: Sequence[str]) -> dict[str, str]:
    where: dict[str, str] = {}
    for item in items:
        dim, sep, code = item.partition("=")
        dim, code = dim.strip(), code.strip()
        if not sep or not dim or not code:
            raise UserError(
                f"--where {shown(item)} is malformed; write DIM=CODE, e.g. --where year=2024"
            )
        if dim not in allowed:
            raise UserError(
                f"--where: unknown dimension {shown(dim)}; allowed: {', '.join(allowed)}"
            )
        if dim in where:
            raise UserError(f"--where: dimension {shown(dim)} is given twice")
        where[dim] = code
    return where


def run(args: argparse.Namespace) -> int:
    fmt = args.format.lower()
    if fmt not in FORMATS:
        raise UserError(
            f"--format {shown(args.format)} is not supported; allowed: {', '.join(FORMATS)}"
        )
    if args.language not in LANGUAGES:
        raise UserError(
            f"--language {shown(args.language)} is not supported; allowed: {', '.join(LANGUAGES)}"
        )
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
    if out.is_dir():
        raise UserError(
            f"--out {out} is a directory; give a file name such as {out / 'table'}.{fmt}"
        )

    measures, dimensions = MEASURES, DIMENSIONS
    if args.measure not in measures:
        raise UserError(
            f"--measure: unknown measure {shown(args.measure)}; allowed: {', '.join(measures)}"
        )
    by = parse_by(args.by, dimensions)
    where = parse_where(args.where, dimensions)
    if not args.release.exists():
        raise UserError(f"--release {args.release}: no such release; build one with binc release")

    release = load_release(args.release)
    table = answer(release, args.measure, by=by, where=where or None, totals=args.totals)
    written = write_export(table, out, fmt, args.language)
    suppressed = int(table.frame["suppressed"].sum())
    uncertain = int(table.frame["too_uncertain"].sum())
    # a release on the publication calendar: how many rows rest on a start year still open
    provisional = (
        f", {int(table.frame['provisional'].sum())} provisional (column provisional)"
        if "provisional" in table.frame.columns
        else ""
    )
    print(
        f"wrote {', '.join(str(p) for p in written)}: {table.frame.height} rows, "
        f"{suppressed} suppressed, {uncertain} too uncertain (flagged, values kept){provisional}"
    )
    return 0
