"""Benchmark `binc ingest`: rows per second and peak memory on synthetic provider exports.

    python benchmarks/bench_ingest.py [--children N] [--seed S] [--keep DIR] [--runs N] [--code DIR]

Generates exports with the real generator (`binc generate`), then runs the real `binc ingest`
in a child process on all of them into a fresh warehouse, and reports wall time, rows per second,
the child's CPU seconds (user + system: less sensitive to other work on the machine than wall
time) and its peak resident memory, with the load average before each run. `--code DIR` runs the
`binc` package found in DIR instead (e.g. an older version, for back-to-back comparisons).
Without `--keep` everything is written into a temporary folder that is removed at the end, even
when a step fails. With `--keep DIR`, DIR/exports is reused when it holds this script's output for
the same --children and --seed. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Written into the exports folder once the generator has finished: what it was asked for.
GENERATED = "GENERATED.json"


def generated_exports(exports: Path, children: int, seed: int, binc: list[str]) -> None:
    """Make sure `exports` holds the generator's output for (children, seed).

    The files are written into a scratch folder beside it and moved into place only when the
    generator has finished, with a note of what they are: a failed or interrupted run never leaves
    a half-written folder that a later `--keep` run would benchmark. A folder without the note was
    put there by hand (e.g. one big file) and is used as it is."""
    wanted = {"children": children, "seed": seed}
    note = exports / GENERATED
    if exports.exists():
        if not note.exists():
            print(
                f"{exports}: no {GENERATED} in it, so not made by this script; ingesting it as is"
            )
            return
        if json.loads(note.read_text()) == wanted:
            return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".exports-partial-", dir=exports.parent) as scratch:
        partial = Path(scratch) / "exports"
        command = [*binc, "generate", "--out", str(partial), "--children", str(children)]
        subprocess.run([*command, "--seed", str(seed)], check=True)
        (partial / GENERATED).write_text(json.dumps(wanted))
        if exports.exists():  # generated earlier with other parameters
            os.replace(exports, Path(scratch) / "outdated")
        os.replace(partial, exports)
    print(f"generate: {time.perf_counter() - started:.1f} s")


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
    parser.add_argument("--runs", type=int, default=1, help="ingest this many times; best reported")
    parser.add_argument("--code", type=Path, help="run the dashboard package in this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        benchmark(args.keep.resolve(), args)
    else:  # nothing is left behind, whatever happens
        with tempfile.TemporaryDirectory(prefix="binc-bench-") as work:
            benchmark(Path(work).resolve(), args)


def benchmark(work: Path, args: argparse.Namespace) -> None:
    exports, warehouse = work / "exports", work / "warehouse.duckdb"
    binc = [sys.executable, "-m", "binc"]
    generated_exports(exports, args.children, args.seed, binc)
    files = sorted(str(p) for p in exports.iterdir() if p.suffix in (".csv", ".xlsx", ".parquet"))
    env = {**os.environ, "BINC_PSEUDONYM_KEY": secrets.token_hex(32)}
    if args.code:
        env["PYTHONPATH"] = str(args.code.resolve())
    results = []
    for run in range(1, args.runs + 1):
        warehouse.unlink(missing_ok=True)
        Path(f"{warehouse}.wal").unlink(missing_ok=True)
        load = os.getloadavg()[0]
        log = work / "ingest.log"
        started = time.perf_counter()
        with log.open("w") as out:
            child = subprocess.Popen(
                [*binc, "ingest", "--warehouse", str(warehouse), *files],
                env=env,
                stdout=out,
                cwd=args.code,
            )
            # wait4 gives this child's own peak memory and CPU time (not the generator's).
            _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            sys.exit(f"ingest failed (status {status}); its output:\n{log.read_text()[-4000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        peak_mib = usage.ru_maxrss / 1024
        stdout = log.read_text()
        total = next(line for line in stdout.splitlines() if line.startswith("total:"))
        rows = int(total.split("read ")[1].split(",")[0])
        if run == 1:
            print(total)
        print(
            f"ingest run {run}: {len(files)} files, {rows:,} rows in {elapsed:.2f} s = "
            f"{rows / elapsed:,.0f} rows/s; CPU {cpu:.1f} s (user {usage.ru_utime:.1f}, "
            f"system {usage.ru_stime:.1f}); peak RSS {peak_mib:,.0f} MiB; load before {load:.2f}",
            flush=True,
        )
        results.append((elapsed, cpu, peak_mib))
    if args.runs > 1:
        elapsed, cpu, peak_mib = min(results)
        print(
            f"best of {args.runs}: {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s; "
            f"CPU {min(r[1] for r in results):.1f}–{max(r[1] for r in results):.1f} s; "
            f"peak RSS {min(r[2] for r in results):,.0f}–{max(r[2] for r in results):,.0f} MiB"
        )


if __name__ == "__main__":
    main()
