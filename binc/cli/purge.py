"""Retention: remove everyone aged 35 or more on DATE (their 35th birthday included) from every table.

Later releases cannot contain them. Releases built before the purge are not changed: they hold
only noisy aggregates, never a person's rows.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from binc.core.errors import UserError
from binc.warehouse.retention import purge
from binc.warehouse.schema import connect


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB warehouse file")
    parser.add_argument(
        "--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD, usually today"
    )


def run(args: argparse.Namespace) -> int:
    if args.as_of > date.today():
        raise UserError(
            f"--as-of {args.as_of}: lies in the future; purging ahead of time would destroy data early"
        )
    con = connect(args.warehouse)
    try:
        counts = purge(con, args.as_of)
    finally:
        con.close()
    print(
        f"purged as of {args.as_of}: {counts.persons} persons aged 35 or more; removed {counts.trajectories} "
        f"trajectories, {counts.history} earlier versions and {counts.rejects} rejected rows"
    )
    return 0
