"""The long fuzz run and the slow part of the suppressed-cell audit, with figures.

    python benchmarks/fuzz_long.py            # tests/test_fuzz.py with HYPOTHESIS_PROFILE=long
    python benchmarks/fuzz_long.py --audit    # also: every three-dimension table with totals

The fuzz part runs the CI fuzz tests with 20× the examples (random files into `binc ingest`, random
questions into the answering function and `binc export`) on a release with freshly drawn noise
(`--seed` replays one), and prints per test the examples run, the time, the outcome and any
falsifying example. `--audit` answers every measure by every three dimensions one measured
table holds together, with totals, on the small synthetic release of the test suite, and LP-audits
each table (tests/test_attacks.py does all pairs in CI); it prints the count and the slowest tables.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fuzz(seed: int) -> int:
    env = {**os.environ, "HYPOTHESIS_PROFILE": "long", "BINC_FUZZ_RELEASE_SEED": str(seed)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--hypothesis-show-statistics", "tests/test_fuzz.py"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    print(
        f"fuzz (HYPOTHESIS_PROFILE=long BINC_FUZZ_RELEASE_SEED={seed}): "
        f"exit {done.returncode}, {seconds:.0f} s wall"
    )
    for block in re.split(r"\n(?=tests/test_fuzz\.py::)", output):
        name = re.match(r"tests/test_fuzz\.py::(\w+)", block)
        if not name:
            continue
        runs = re.findall(r"(\d+) passing, (\d+) failing, and (\d+) invalid", block)
        phase = re.findall(r"during (?:generate|reuse|shrink) phase \(([\d.]+) seconds\)", block)
        passing, failing, invalid = (sum(int(r[i]) for r in runs) for i in range(3))
        print(
            f"  {name.group(1)}: {passing} passing, {failing} failing, {invalid} invalid, "
            f"{sum(map(float, phase)):.1f} s"
        )
    # A failure: its assertion and the falsifying example (replay it with the same seed).
    for line in output.splitlines():
        if re.match(r"E\s|\s*(Falsifying|Failing test case)", line):
            print("  " + line[:300])
    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print("  " + (summary[-1].strip() if summary else output[-2000:]))
    return done.returncode


def audit() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from app_fixtures import small_release

    from binc.answering import answer, list_measures
    from binc.core.errors import UserError
    from binc.disclosure.audit import audit_table
    from binc.release_file import load_release

    release = load_release(small_release()[0])
    triples: set[tuple[str, ...]] = set()
    for m in release.measurements.values():
        dims = [d for d in m.dimensions if d != "year"]
        triples.update(itertools.combinations(dims, 3))
        triples.update(("year", *pair) for pair in itertools.combinations(dims, 2))
    audited, failed, timings = 0, [], []
    started = time.perf_counter()
    for measure in list_measures(release):
        for by in sorted(triples):
            begun = time.process_time()
            try:
                table = answer(release, measure["name"], by=by, totals=True)
            except UserError:
                continue
            frame = table.frame.drop("base")
            report = audit_table(frame, list(by), release.k, additive=table.kind == "count")
            timings.append((time.process_time() - begun, measure["name"], by, table.frame.height))
            audited += 1
            if not report.ok:
                failed.append((measure["name"], by))
    print(
        f"audit of three-dimension tables with totals: {audited} tables, {len(failed)} failed, "
        f"{time.perf_counter() - started:.0f} s wall"
    )
    for seconds, name, by, rows in sorted(timings, reverse=True)[:5]:
        print(f"  slowest: {name} by {' × '.join(by)} ({rows} rows): {seconds:.1f} s CPU")
    for name, by in failed:
        print(f"  FAILED: {name} by {' × '.join(by)}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", action="store_true", help="also audit three-dimension tables")
    parser.add_argument(
        "--seed", type=int, default=None, help="noise seed of the fuzzed release (default: random)"
    )
    args = parser.parse_args()
    status = fuzz(args.seed if args.seed is not None else random.randrange(1 << 31))
    if args.audit:
        status = audit() or status
    return status


if __name__ == "__main__":
    sys.exit(main())
