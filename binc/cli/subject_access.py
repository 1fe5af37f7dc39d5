"""Every warehouse record of one person, found through the key, for answering an access request.

Shows the person's stored values, current registrations, earlier versions replaced by
corrections, and rejected rows with their reason. The pseudonym itself is never shown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from binc.core.environment import KEY_ENV
from binc.core.pseudonym_key import load_key
from binc.warehouse.schema import connect
from binc.warehouse.subject_access import find_subject

_SECTIONS = (
    ("person", "Stored about the person"),
    ("trajectories", "Registrations (current version)"),
    ("history", "Earlier versions, replaced by corrections"),
    ("rejects", "Rows refused at ingest (not used in any statistic)"),
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB warehouse file")
    parser.add_argument(
        "--national-number", required=True, metavar="NN", help="the requester's national number"
    )
    parser.add_argument(
        "--key-file", type=Path, help=f"file holding the pseudonymisation key (else ${KEY_ENV})"
    )
    parser.add_argument(
        "--out", type=Path, help="also write the records to this .xlsx file (one sheet per section)"
    )


def _show(title: str, frame: pl.DataFrame) -> None:
    print(f"\n== {title}: {len(frame)} ==")
    if frame.is_empty():
        print("(none)")
        return
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=200,
        fmt_str_lengths=60,
        tbl_hide_dataframe_shape=True,
    ):
        # One record per block, field: value — readable however many columns there are.
        for index, record in enumerate(frame.iter_rows(named=True), start=1):
            print(f"-- {index}")
            for field, value in record.items():
                print(f"   {field:<18} {'' if value is None else value}")


def run(args: argparse.Namespace) -> int:
    key = load_key(args.key_file)
    con = connect(args.warehouse, read_only=True)
    try:
        records = find_subject(con, key, args.national_number)
    finally:
        con.close()
    if not records.found:
        print("No records of this person in the warehouse.")
        return 0
    for attribute, title in _SECTIONS:
        _show(title, getattr(records, attribute))
    if args.out:
        import xlsxwriter  # only needed for this optional output

        with xlsxwriter.Workbook(str(args.out)) as workbook:
            for attribute, _ in _SECTIONS:
                getattr(records, attribute).write_excel(workbook, worksheet=attribute)
        print(f"\nwritten to {args.out}")
    return 0
