"""Write a one-page PDF fact sheet for a region: headline figures with 95% intervals, the trend over
the years, target group, outcomes and duration, each as the release answers it (suppressed values
marked, values too uncertain to read written "te onzeker" without a number, refused questions left
out with a note), with the source line. REGION is a partnership code (P01…P16), a province code as
in the reference data (10000, 20001, 30000, 40000, 70000, 04000) or `flanders` (no region filter).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from binc.core.errors import UserError, shown
from binc.core.reference import LANGUAGES
from binc.factsheet import factsheet_pdf, region
from binc.release_file import load_release


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", required=True, type=Path, help="release to answer from")
    parser.add_argument(
        "--region", required=True, metavar="CODE", help="P01…P16, a province code or flanders"
    )
    parser.add_argument("--out", required=True, type=Path, help="PDF file to write")
    parser.add_argument("--language", default="nl", help="nl (default) or en")


def run(args: argparse.Namespace) -> int:
    if args.language not in LANGUAGES:
        raise UserError(
            f"--language {shown(args.language)} is not supported; allowed: {', '.join(LANGUAGES)}"
        )
    place = region(args.region)  # an unknown code fails before the release is read
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
    if out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name such as {out / 'sheet.pdf'}")
    if not args.release.exists():
        raise UserError(f"--release {args.release}: no such release; build one with binc release")
    pdf = factsheet_pdf(load_release(args.release), place.code, args.language)
    out.write_bytes(pdf)
    print(f"wrote {out}: fact sheet for {place.name(args.language)} ({len(pdf)} bytes)")
    return 0
