"""Benchmark `binc ingest`: rows per second and peak memory on synthetic provider exports.

    python benchmarks/bench_ingest.py [--children N] [--seed S] [--keep DIR]

Generates exports with the real generator (`binc generate`), then runs the real `binc ingest`
in a child process on all of them into a fresh warehouse, and reports wall time, rows per second
and the child's peak resident memory. Figures go in the README ("Performance").
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--children",
        type=int,
        default=620_000,
        help="distinct children to generate (620,000 ≈ 1M rows)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in this folder instead of a temporary one")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="binc-bench-"))
    exports, warehouse = work / "exports", work / "warehouse.duckdb"
    binc = [sys.executable, "-m", "dashboard.cli"]
    if not exports.exists():
        started = time.perf_counter()
        subprocess.run(
            [
                *binc,
                "generate",
                "--out",
                str(exports),
                "--children",
                str(args.children),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )
        print(f"generate: {time.perf_counter() - started:.1f} s")
    files = sorted(str(p) for p in exports.iterdir() if p.suffix in (".csv", ".xlsx", ".parquet"))
    warehouse.unlink(missing_ok=True)
    env = {**os.environ, "BINC_PSEUDONYM_KEY": secrets.token_hex(32)}
    log = work / "ingest.log"
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(
            [*binc, "ingest", "--warehouse", str(warehouse), *files], env=env, stdout=out
        )
        # wait4 gives this child's own peak memory (not the generator's).
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        sys.exit(f"ingest failed; see {log}")
    peak_mib = usage.ru_maxrss / 1024
    stdout = log.read_text()
    total = next(line for line in stdout.splitlines() if line.startswith("total:"))
    rows = int(total.split("read ")[1].split(",")[0])
    print(total)
    print(
        f"ingest: {len(files)} files, {rows:,} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s; peak RSS {peak_mib:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
