"""Benchmark `binc release` and answering against a bare DuckDB pass over the same data.

Usage: .venv/bin/python benchmarks/bench_release.py [--rows 1000000 10000000] [--dir DIR]

The warehouses are synthetic and written directly by SQL with the real schema (no ingest, no
national numbers: a benchmark only needs plausible rows fast); they are reused when present.
For each size it reports:
- bare: one DuckDB pass computing the same true marginals (every queries/*.sql over a view of the
  raw trajectories, no contribution bounding; run after the release so peak memory is the release's) — the floor a release cannot beat;
- release: `build_release` end to end (bounding, all marginals, noise, post-processing, write);
- peak memory of the process (ru_maxrss) after the release;
- answering: median and 95th percentile over many random questions on the loaded release.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from dashboard.answering import answer
from dashboard.errors import UserError
from dashboard.release import build_release, load_release
from dashboard.release.config import load_config
from dashboard.release.measure import _band_parameters, _load_public_keys, read_query
from dashboard.warehouse.schema import connect

GENERATE = """
INSERT INTO trajectories
WITH base AS (
    SELECT i, hash(i) AS h, hash(i * 7919) AS h2 FROM range({rows}) AS r(i)
), munis AS (
    SELECT row_number() OVER () - 1 AS m, municipality_nis, province_nis, partnership_id FROM muni
)
SELECT
    'R' || i,
    md5(CAST((h % {persons}) AS VARCHAR)),
    CAST(CASE WHEN h2 % 10 = 0 THEN 'other_youth_care' ELSE '1g1p' END AS programme_code),
    CASE WHEN h2 % 10 = 0 THEN NULL ELSE CAST(munis.partnership_id AS partnership_code) END,
    munis.municipality_nis, munis.province_nis,
    CAST(['M', 'V', 'X'][1 + CAST(h2 % 3 AS INTEGER)] AS sex_code),
    2010, CAST(h2 % 26 AS SMALLINT),
    CAST(['two_parents','single_parent','blended','co_parenting','foster','other'][1 + CAST((h2 >> 3) % 6 AS INTEGER)] AS family_situation_code),
    CAST(1 + (h2 >> 5) % 8 AS SMALLINT),
    CAST(['intake_only','coaching_short','coaching_intensive','case_coordination','bridging','psychologist'][1 + CAST((h2 >> 7) % 6 AS INTEGER)] AS trajectory_type_code),
    CASE WHEN (h2 >> 9) % 10 = 0 THEN NULL ELSE DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER) - CAST((h2 >> 11) % 120 AS INTEGER) END,
    DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER),
    CASE WHEN (h2 >> 13) % 5 = 0 THEN NULL ELSE DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER) + CAST((h2 >> 15) % 300 AS INTEGER) END,
    NULL, NULL, 'x', 1, 1
FROM base JOIN munis ON munis.m = (h >> 40) % {munis}
"""


def make_warehouse(path: Path, rows: int) -> None:
    from dashboard import reference

    con = connect(path, create=True)
    try:
        muni = reference.municipalities().filter(
            reference.municipalities()["partnership_id"].is_not_null()
        )
        con.register("muni", muni)
        con.execute(GENERATE.format(rows=rows, persons=int(rows / 1.4), munis=muni.height))
        # end reasons only where ended; dates in the future become ongoing
        con.execute(
            "UPDATE trajectories SET end_date = NULL WHERE end_date > current_date;"
            "UPDATE trajectories SET end_reason = CAST(['goals_reached','goals_partly_reached','referred_follow_up',"
            "'handed_over','family_withdrew','no_contact','moved_away','other'][1 + CAST(hash(record_id) % 8 AS INTEGER)] AS end_reason_code),"
            " follow_up = CAST(['none','indicated','realised'][1 + CAST(hash(record_id) % 3 AS INTEGER)] AS follow_up_code)"
            " WHERE end_date IS NOT NULL"
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def bare_pass(warehouse: Path) -> float:
    """The same true marginals with plain DuckDB: a view of the raw rows, no bounding."""
    config = load_config()
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    _load_public_keys(con, config)
    con.execute("CREATE TEMP TABLE persons_over_cap (pseudonym VARCHAR, trajectories BIGINT)")
    sql = read_query("bounded_trajectories").replace("CREATE TEMP TABLE", "CREATE TEMP VIEW")
    values = {
        "first_year": config.first_year,
        "last_year": config.last_year,
        "cap": 10**9,
        "salt": "'bare'",
        "as_of": f"DATE '{date.today()}'",
        **_band_parameters(),
    }
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", str(values[name]))
    started = time.perf_counter()
    con.execute(sql)
    for spec in config.measurements:
        query = spec.query.read_text().replace("$cap", "3")
        con.sql(query).to_arrow_table()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def questions(release) -> list[tuple[str, list[str], dict[str, str]]]:
    rng = random.Random(1)
    years = [str(y) for y in release.metadata["years"]]
    shapes = [
        ("trajectories", ["year", "partnership"], {}),
        ("trajectories", ["partnership", "age_band"], {"year": None}),
        ("trajectories", ["trajectory_type", "sex"], {"year": None}),
        ("trajectories", ["municipality"], {"year": None}),
        ("share", ["partnership", "end_reason"], {"year": None}),
        ("share_planned_end", ["partnership"], {"year": None}),
        ("median_duration_months", ["partnership"], {"year": None}),
        ("survival_6m", ["trajectory_type"], {}),
        ("median_waiting_days", ["year"], {}),
        ("children", ["year"], {}),
    ]
    out = []
    for _ in range(200):
        measure, by, where = rng.choice(shapes)
        out.append((measure, by, {k: rng.choice(years) for k in where}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "binc-bench")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        warehouse = args.dir / f"warehouse-{rows}.duckdb"
        if not warehouse.exists():
            started = time.perf_counter()
            make_warehouse(warehouse, rows)
            print(f"{rows:>11,} rows: warehouse generated in {time.perf_counter() - started:.1f} s")
        out = args.dir / f"release-{rows}.duckdb"
        (args.dir / "privacy-ledger.jsonl").unlink(
            missing_ok=True
        )  # benchmark data, not real people
        try:
            summary = build_release(warehouse, out)
        except UserError as error:
            raise SystemExit(str(error)) from None
        # measured before the bare pass, so the peak is the release's own
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        bare = bare_pass(warehouse)
        release = load_release(out)
        timings = []
        for measure, by, where in questions(release):
            release.cache.clear()
            started = time.perf_counter()
            answer(release, measure, by=by, where=where or None)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        print(
            f"{rows:>11,} rows: bare DuckDB pass {bare:.2f} s | build_release {summary.seconds:.2f} s "
            f"({summary.seconds / bare:.2f}x) | peak RSS {peak:.2f} GiB | answering median "
            f"{statistics.median(timings):.1f} ms, p95 {timings[int(0.95 * len(timings))]:.1f} ms"
        )


if __name__ == "__main__":
    main()
