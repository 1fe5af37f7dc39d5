"""Benchmark `binc release` and answering against a bare DuckDB pass over the same data.

Usage: .venv/bin/python benchmarks/bench_release.py [--rows 1000000 10000000] [--dir DIR]

The warehouses are synthetic and written directly by SQL with the real schema (no ingest, no
national numbers: a benchmark only needs plausible rows fast); they are reused when present.
Persons get on average 1.4 rows (mostly 1–3, a few up to ~9); 10% of rows are other youth care.
The warehouse file is read once before timing, so both contenders start from a warm page cache.

For each size it reports:
- bare: what a competent analyst would run with plain DuckDB to get the same TRUE marginals, in
  the same process settings (queries/measured_trajectories.sql's derivations: same dimensions,
  same public key domains, same banding, other-youth-care flags, ENUM codes): derive the banded
  columns ONCE into a temp table (without the release's row id), then one GROUP BY per measured
  marginal over it (the marginal queries of queries/, each padded to the full public cube;
  `children` counts distinct persons). No contribution bounding (so no dropped_by_bounding
  table), no noise, no consistency, no writing. This is the floor a release cannot beat;
- release: `build_release` end to end (bounding, all marginals, noise, post-processing, atomic
  write), run in a child process;
- ratio = release / bare;
- peak RSS of that child process (os.wait4 rusage), so neither the bare pass nor the warehouse
  generation count towards it;
- answering: median and 95th percentile over 200 random questions on the loaded release.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from binc.answering import answer
from binc.core.environment import LEDGER_DIR_ENV
from binc.core.errors import UserError
from binc.release.config import load_config
from binc.release.measure import (
    _band_parameters,
    _load_public_keys,
    measuring_connection,
    read_query,
    spec_sql,
)
from binc.release_file import load_release
from binc.warehouse.schema import SCHEMA_VERSION, connect

# Every value is named after its column and inserted BY NAME: when the warehouse schema changes, this
# fails with the name of the missing or unknown column instead of shifting values into the wrong one.
GENERATE = """
INSERT INTO trajectories BY NAME
WITH base AS (
    SELECT i, hash(i) AS h, hash(i * 7919) AS h2 FROM range({rows}) AS r(i)
), munis AS (
    SELECT row_number() OVER () - 1 AS m, municipality_nis, province_nis, partnership_id FROM muni
)
SELECT
    'R' || i AS record_id,
    md5(CAST((h % {persons}) AS VARCHAR)) AS pseudonym,
    CAST(CASE WHEN h2 % 10 = 0 THEN 'other_youth_care' ELSE '1g1p' END AS programme_code) AS programme,
    CASE WHEN h2 % 10 = 0 THEN NULL ELSE CAST(munis.partnership_id AS partnership_code) END AS partnership_id,
    munis.municipality_nis AS municipality_nis,
    munis.province_nis AS province_nis,
    CAST(['M', 'V', 'X'][1 + CAST(h2 % 3 AS INTEGER)] AS sex_code) AS sex,
    2010 AS birth_year,
    CAST(h2 % 26 AS SMALLINT) AS age_at_start,
    CAST(['two_parents','single_parent','blended','co_parenting','foster','other'][1 + CAST((h2 >> 3) % 6 AS INTEGER)] AS family_situation_code) AS family_situation,
    CAST(1 + (h2 >> 5) % 8 AS SMALLINT) AS family_size,
    CAST(['intake_only','coaching_short','coaching_intensive','case_coordination','bridging','psychologist'][1 + CAST((h2 >> 7) % 6 AS INTEGER)] AS trajectory_type_code) AS trajectory_type,
    CASE WHEN (h2 >> 9) % 10 = 0 THEN NULL ELSE DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER) - CAST((h2 >> 11) % 120 AS INTEGER) END AS referral_date,
    DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER) AS start_date,
    CASE WHEN (h2 >> 13) % 5 = 0 THEN NULL ELSE DATE '2019-01-01' + CAST((h >> 20) % 2555 AS INTEGER) + CAST((h2 >> 15) % 300 AS INTEGER) END AS end_date,
    NULL AS end_reason,
    NULL AS follow_up,
    DATE '2045-01-01' AS retention_until,
    1 AS ingest_id,
    1 AS source_line
FROM base JOIN munis ON munis.m = (h >> 40) % {munis}
"""


def warehouse_path(folder: Path, rows: int) -> Path:
    """The generated warehouse for `rows`, named after what made it: another schema version or
    another generator gives another file, so an outdated warehouse is never reused."""
    digest = hashlib.sha256(f"{SCHEMA_VERSION}\n{GENERATE}".encode()).hexdigest()[:12]
    return folder / f"warehouse-{rows}-schema{SCHEMA_VERSION}-{digest}.duckdb"


def ensure_warehouse(path: Path, rows: int) -> None:
    """Generate the warehouse unless a complete one is there. It is built in a scratch folder
    beside it and moved into place only once complete (checkpointed and closed), so a failed or
    interrupted generation never leaves a file a later run would take for a finished warehouse."""
    if path.exists():
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".partial-", dir=path.parent) as scratch:
        partial = Path(scratch) / path.name
        make_warehouse(partial, rows)
        os.replace(partial, path)
    print(f"{rows:>11,} rows: warehouse generated in {time.perf_counter() - started:.1f} s")


def make_warehouse(path: Path, rows: int) -> None:
    from binc.core import reference

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
    """The same true marginals with plain DuckDB: derive once, one GROUP BY per marginal."""
    config = load_config()
    derive = read_query("measured_trajectories").replace("    m.rowid AS row_id,\n", "")
    derive = derive.replace("TABLE measured_trajectories", "TABLE bounded_trajectories")
    parameters = {
        "first_year": config.first_year,
        "last_year": config.last_year,
        "as_of": date.today(),
        **_band_parameters(),
    }
    with measuring_connection(warehouse) as (con, _):
        _load_public_keys(con, config)
        started = time.perf_counter()
        con.execute(derive, parameters)
        for spec in config.measurements:
            if spec.unit == "dropped_trajectories":
                continue  # exists only because of bounding
            con.sql(spec_sql(spec)).to_arrow_table()
        return time.perf_counter() - started


CHILD = """
import json, sys
from pathlib import Path
from binc.release.build import build_release
summary = build_release(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": summary.seconds}))
"""


def fresh_ledger(warehouse: Path, ledger_dir: Path) -> None:
    """Benchmark data, not real people: the lifetime budget must not stop repeated runs. The
    warehouse gets a new privacy ledger id and forgets its releases; the ledger directory, the
    benchmark's own, starts empty (the real one, ~/.local/state/binc/ledger, is never touched)."""
    shutil.rmtree(ledger_dir, ignore_errors=True)
    con = connect(warehouse)
    try:
        con.execute("DROP TABLE IF EXISTS release_log")  # the release creates it again
        con.execute("DELETE FROM warehouse_meta WHERE key = 'ledger_id'")
        con.execute("INSERT INTO warehouse_meta VALUES ('ledger_id', ?)", [uuid.uuid4().hex])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def release_in_child(warehouse: Path, out: Path, ledger_dir: Path) -> tuple[float, float]:
    """(build_release seconds, peak RSS GiB) of a fresh child process."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(warehouse), str(out)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, LEDGER_DIR_ENV: str(ledger_dir)},
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"build_release failed in the child process (exit {child.returncode})")
    return float(json.loads(output.splitlines()[-1])["seconds"]), usage.ru_maxrss / 1024 / 1024


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def questions(release) -> list[tuple[str, list[str], dict[str, str]]]:
    rng = random.Random(1)
    years = [str(y) for y in release.metadata["years"]]
    shapes = [
        ("trajectories", ["year", "partnership"], {}),
        ("trajectories", ["partnership", "age_band"], {"year": None}),
        ("trajectories", ["province", "sex"], {"year": None}),
        ("trajectories", ["municipality"], {"year": None}),
        ("share", ["partnership", "end_group"], {"year": None}),
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
        warehouse = warehouse_path(args.dir, rows)
        ensure_warehouse(warehouse, rows)
        out = args.dir / f"release-{rows}.duckdb"
        fresh_ledger(warehouse, args.dir / "ledger")
        warm_page_cache(warehouse)
        bare = bare_pass(warehouse)
        try:
            seconds, peak = release_in_child(warehouse, out, args.dir / "ledger")
        except UserError as error:
            raise SystemExit(str(error)) from None
        release = load_release(out)
        timings = []
        for measure, by, where in questions(release):
            release.cache.clear()
            started = time.perf_counter()
            answer(release, measure, by=by, where=where or None)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        print(
            f"{rows:>11,} rows: bare DuckDB pass {bare:.2f} s | build_release {seconds:.2f} s "
            f"({seconds / bare:.2f}x) | peak RSS {peak:.2f} GiB | answering median "
            f"{statistics.median(timings):.1f} ms, p95 {timings[int(0.95 * len(timings))]:.1f} ms"
        )


if __name__ == "__main__":
    main()
