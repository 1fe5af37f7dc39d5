"""Twenty years of publishing on the publication calendar: quarterly releases, every child's
lifetime loss recomputed from the ledger and the warehouse, definitive figures checked unchanged.

Usage: .venv/bin/python benchmarks/calendar_simulation.py [--first-year 2030] [--years 20]
       [--children N] [--every 3] [--dir DIR]

Synthetic exports for `--years` start years (`binc generate`: children return in later years);
then a release at the end of every `--every` months from the end of the first start year's first
quarter to the end of the last start year, each measured as of its day (the warehouse as known
then: later starts absent, later ends still ongoing) and carrying forward the previous release's
figures. Before each release the exports of the start years begun by then are ingested, except
one partnership's (P07), which arrive late: after their start year has closed, so the releases
count them as late registrations and never fold them into definitive figures; quarterly releases
go on after the last start year until the last late files have arrived. The config is config/release.toml with the years of the horizon, a
lifetime limit of ε 5 and the calendar below (a start year closes on 30 June two years later;
provisional figures at 0.4 of the budget, at most 9 times; late registrations counted with
0.2: a child's late trajectories enter one count only): quarterly releases measure a year
provisionally 9 times, so a child pays at most ε 1 × (1 + 9 × 0.4) + 0.2 = 4.8.

Checks and prints: releases made and refused (must be 0); seconds per release; the largest
lifetime loss of any child, recomputed independently (every child's kept and dropped trajectories
ranked by a plain window query on the warehouse, times the budgets the ledger file's lines spent
on each start year, plus the late count for each kept trajectory of a late file), against the
ledger's own per-child bound and the limit; late registrations counted (shown counts, summed); definitive slices
checked in later releases, and how many differed (must be 0); and the 95% half-width of
Flanders' trajectories per start year, definitive beside provisional, in the last release.
Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from binc.answering import answer
from binc.core.errors import UserError
from binc.core.pseudonym_key import PseudonymKey
from binc.core.resources import default_config
from binc.ingest.pipeline import ingest_files
from binc.release.build import build_release
from binc.release.ledger import use_ledger_dir
from binc.release_file import load_release
from binc.synthetic.generate import generate_exports

CALENDAR = """
[calendar]
closing_lag_years = 2
closing_day = "06-30"
provisional_share = 0.4
provisional_releases = 9
late_share = 0.2
"""
LIMIT = 5.0
LATE_PARTNERSHIP = "P07"  # its exports arrive after their start year has closed


def due(name: str, day: date, closing_lag: int = 2) -> bool:
    """Has the export file `name` ("2031_1g1p_P07.csv") arrived by `day`? A start year's files
    arrive from its first release on; the late partnership's after the year closed (30 June two
    years later) and one more quarter."""
    year = int(name[:4])
    if f"_1g1p_{LATE_PARTNERSHIP}." in name:
        return day >= date(year + closing_lag, 9, 30)
    return day.year >= year


def release_days(first: int, last: int, every: int) -> list[date]:
    """The last day of every `every`-th month from March of `first` to December of `last`."""
    days = []
    for index in range(first * 12 + 2, last * 12 + 12, every):  # months counted from year 0
        following = index + 1
        days.append(date(following // 12, following % 12 + 1, 1) - timedelta(days=1))
    return days


def late_days(last_day: date, last: int) -> list[date]:
    """Releases after the last start year until the late files of every year have arrived: the
    end of each quarter up to 30 September two years after it."""
    out = []
    month = last_day.year * 12 + last_day.month - 1 + 3
    while date(month // 12, month % 12 + 1, 1) <= date(last + 2, 9, 30):
        following = month + 1
        out.append(date(following // 12, following % 12 + 1, 1) - timedelta(days=1))
        month += 3
    return out


def config_text(first: int, last: int) -> str:
    text = default_config().read_text(encoding="utf-8")
    text = re.sub(r"(?m)^first_year = .*$", f"first_year = {first}", text)
    text = re.sub(r"(?m)^last_year = .*$", f"last_year = {last}", text)
    text = re.sub(r"(?m)^lifetime_epsilon_limit = .*$", f"lifetime_epsilon_limit = {LIMIT}", text)
    return text + CALENDAR


def slice_digests(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, start year) -> (the release that measured it, digest of its noisy and estimate
    values) for every definitive slice of the release at `path`."""
    release = load_release(path)
    out = {}
    for name, m in release.measurements.items():
        axis = m.dimensions.index("year")
        for at, year in enumerate(m.domains[axis]):
            source = release.metadata["measurements"][name]["years"][year]
            if source["phase"] != "definitive":
                continue
            digest = hashlib.sha256()
            for cube in (m.noisy, m.estimate):
                digest.update(np.ascontiguousarray(np.take(cube, at, axis=axis)).tobytes())
            out[(name, year)] = (source["release_id"], digest.hexdigest())
    return out


def child_losses(
    warehouse: Path, ledger_file: Path, cap: int, first: int, last: int
) -> list[float]:
    """Every child's lifetime loss (ε): per start year, kept trajectories / c × what the ledger's
    lines spent on that year for kept trajectories, plus the same for dropped ones, plus for each
    kept trajectory of a late file 1 / c × the dearest late count (it enters one); the kept and
    dropped ones ranked here by a plain window query over the final warehouse (a superset of what
    any earlier release saw, so the loss is an upper bound)."""
    spent: dict[tuple[str, int], float] = {}
    late = 0.0
    for line in ledger_file.read_text(encoding="utf-8").splitlines():
        for m in json.loads(line)["measurements"]:
            if m["phase"] == "late":
                late = max(late, float(m["budget"]))
                continue
            for year in m["years"]:
                key = (m.get("family", "kept"), int(year))
                spent[key] = spent.get(key, 0.0) + float(m["budget"])
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    con.execute(
        "CREATE TABLE spent AS SELECT * FROM (SELECT unnest(?) AS family, unnest(?) AS year, "
        "unnest(?) AS budget)",
        [[k[0] for k in spent], [k[1] for k in spent], list(spent.values())],
    )
    rows = con.execute(
        """
        WITH first_seen AS (
            SELECT record_id, min(ingest_id) AS first_ingest FROM (
                SELECT record_id, ingest_id FROM wh.trajectories
                UNION ALL SELECT record_id, ingest_id FROM wh.trajectory_history)
            GROUP BY record_id
        ),
        ranked AS (
            SELECT t.pseudonym, year(t.start_date) AS year,
                   f.first_ingest IN (SELECT ingest_id FROM wh.ingest_log WHERE file_name LIKE ?)
                       AS arrived_late,
                   rank() OVER (PARTITION BY t.pseudonym ORDER BY f.first_ingest, t.start_date,
                                md5(t.pseudonym || '|' || t.record_id)) AS place
            FROM wh.trajectories AS t JOIN first_seen AS f USING (record_id)
            WHERE t.programme = '1g1p' AND year(t.start_date) BETWEEN ? AND ?
        ),
        counted AS (
            SELECT pseudonym, year,
                   CASE WHEN place <= ? THEN 'kept' ELSE 'dropped' END AS family, count(*) AS n,
                   count(*) FILTER (WHERE arrived_late AND place <= ?) AS n_late
            FROM ranked WHERE place <= 2 * ?
            GROUP BY ALL
        )
        SELECT sum(c.n / ? * coalesce(s.budget, 0) + c.n_late / ? * ?) AS loss
        FROM counted AS c LEFT JOIN spent AS s USING (family, year)
        GROUP BY c.pseudonym
        """,
        [f"%_1g1p_{LATE_PARTNERSHIP}.%", first, last, cap, cap, cap, float(cap), float(cap), late],
    ).fetchall()
    con.close()
    return [float(r[0]) for r in rows]


def half_widths(path: Path) -> dict[str, tuple[str, float]]:
    """Flanders' trajectories per start year: phase and 95% half-width, from the release."""
    release = load_release(path)
    frame = answer(release, "trajectories", by=("year",)).frame
    phases = release.metadata["calendar"]["years"]
    out = {}
    for row in frame.iter_rows(named=True):
        if row["value"] is not None and row["ci_high"] is not None:
            half = (row["ci_high"] - row["ci_low"]) / 2
            out[row["year"]] = (phases[row["year"]]["phase"], 100 * half / row["value"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first-year", type=int, default=2030)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--children", type=int, default=None, help="default: binc generate's")
    parser.add_argument("--every", type=int, default=3, help="months between releases")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: temporary)")
    args = parser.parse_args()
    first, last = args.first_year, args.first_year + args.years - 1
    work = Path(tempfile.mkdtemp(prefix="binc-calendar-")) if args.dir is None else args.dir
    work.mkdir(parents=True, exist_ok=True)
    try:
        return simulate(work, first, last, args.children, args.every)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


def simulate(work: Path, first: int, last: int, children: int | None, every: int) -> int:
    started = time.perf_counter()
    exports = work / "exports"
    summary = generate_exports(exports, children, first_year=first, last_year=last)
    warehouse = work / "warehouse.duckdb"
    waiting = sorted(p for p in exports.iterdir() if p.suffix == ".csv")
    key = PseudonymKey(b"calendar simulation key, synthetic data only")
    exported = date(last + 1, 3, 31)  # the files hold the registrations as of this day
    config = work / "release.toml"
    config.write_text(config_text(first, last), encoding="utf-8")
    print(f"{last - first + 1} start years {first}–{last}, {summary.children:,} children: "
          f"generated in {time.perf_counter() - started:.0f} s")  # fmt: skip

    seconds: list[float] = []
    refused = 0
    digests: dict[tuple[str, str], tuple[str, str]] = {}
    checked = differed = 0
    previous: Path | None = None
    ledger_dir = work / "ledger"
    late_counted = 0
    days = release_days(first, last, every)
    with use_ledger_dir(ledger_dir):
        for number, day in enumerate([*days, *late_days(days[-1], last)]):
            arrived = [p for p in waiting if due(p.name, day)]
            if arrived:
                ingest_files(warehouse, arrived, key, today=exported)
                waiting = [p for p in waiting if p not in arrived]
            out = work / f"release-{number:03d}.duckdb"
            try:
                built = build_release(warehouse, out, config, previous=previous, as_of=day)
            except UserError as error:
                refused += 1
                print(f"  {day}: refused: {error}")
                continue
            seconds.append(built.seconds)
            figures = load_release(out).metadata["calendar"]["late_registrations"].values()
            late_counted += sum(f["value"] or 0 for f in figures)
            for key_, value in slice_digests(out).items():
                if key_ in digests:
                    checked += 1
                    differed += digests[key_] != value
                else:
                    digests[key_] = value
            if previous is not None:
                previous.unlink()
            previous = out
    releases = len(seconds)
    print(f"releases: {releases} made, {refused} refused; seconds per release median "
          f"{statistics.median(seconds):.2f}, max {max(seconds):.2f}")  # fmt: skip
    if previous is None:
        return 1
    meta = load_release(previous).metadata
    ledger_bound = meta["ledger"]["lifetime_epsilon_pure"]
    (ledger_file,) = ledger_dir.glob("privacy-ledger-*.jsonl")
    losses = child_losses(warehouse, ledger_file, meta["c"], first, last)
    worst = max(losses)
    print(f"lifetime loss per child, recomputed from ledger and warehouse: max ε {worst:.3f} over "
          f"{len(losses):,} children (median {statistics.median(losses):.3f}); the ledger's bound "
          f"ε {ledger_bound:.3f}; limit ε {LIMIT:g}")  # fmt: skip
    print(f"definitive slices checked in later releases: {checked:,}, differed: {differed}")
    print(f"late registrations ({LATE_PARTNERSHIP}'s exports, after their year closed): "
          f"{late_counted:,} counted in the releases (shown counts, summed); files never "
          f"ingested: {len(waiting)}")  # fmt: skip
    print("Flanders' trajectories per start year in the last release (95% half-width, % of value):")
    for year, (phase, half) in half_widths(previous).items():
        print(f"  {year} {phase:11} ±{half:.1f} %")
    failed = (refused or differed or waiting or worst > LIMIT + 1e-9
              or worst > ledger_bound + 1e-9)  # fmt: skip
    print(f"simulation {'FAILED' if failed else 'passed'} in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
