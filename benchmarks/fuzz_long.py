"""The long fuzz run and the slow part of the suppressed-cell audit, with figures.

    python benchmarks/fuzz_long.py            # tests/…/test_fuzz.py with HYPOTHESIS_PROFILE=long
    python benchmarks/fuzz_long.py --audit    # also: every three-dimension table with totals
    python benchmarks/fuzz_long.py --smoke --audit   # tiny: CI budget, 5 tables (benchmarks/smoke.py)

The fuzz part runs the CI fuzz tests with 20× the examples (random files into `binc ingest`, random
questions into the answering function and `binc export`) on a release with freshly drawn noise
(`--seed` replays one), and prints per test the examples run, the time, the outcome and any
falsifying example. `--audit` answers every measure by every three dimensions one measured
table holds together, with totals, on the small synthetic release of the test suite, and LP-audits
each table (tests/e2e/test_attacks.py does all pairs in CI); it prints the count and the slowest tables.
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


def test_file(name: str) -> Path:
    """A file of the test suite, wherever under tests/ it lives (the suite is reorganised now and
    then): exactly one match, or a clear error instead of a run that tests nothing."""
    found = sorted(ROOT.glob(f"tests/**/{name}"))
    if len(found) != 1:
        raise SystemExit(f"expected one tests/**/{name}, found {[str(p) for p in found]}")
    return found[0]


def fuzz(seed: int, smoke: bool) -> int:
    env = {**os.environ, "BINC_FUZZ_RELEASE_SEED": str(seed)}
    if smoke:  # the CI budget (1/20 of the long run's examples)
        env.pop("HYPOTHESIS_PROFILE", None)
    else:
        env["HYPOTHESIS_PROFILE"] = "long"
    tests = test_file("test_fuzz.py").relative_to(ROOT).as_posix()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--hypothesis-show-statistics", tests]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    print(
        f"fuzz ({'CI budget' if smoke else 'HYPOTHESIS_PROFILE=long'} "
        f"BINC_FUZZ_RELEASE_SEED={seed}): exit {done.returncode}, {seconds:.0f} s wall"
    )
    for block in re.split(rf"\n(?={re.escape(tests)}::)", output):
        name = re.match(rf"{re.escape(tests)}::(\w+)", block)
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


def audit(limit: int | None) -> int:
    """Audit the three-dimension tables with totals; `limit`: only that many (a smoke run)."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]  # the test suite's helpers: tests/support/
    from support.small_release import small_release

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
    questions = [(m["name"], by) for m in list_measures(release) for by in sorted(triples)]
    for measure, by in questions:
        if limit is not None and audited >= limit:
            break
        begun = time.process_time()
        try:
            table = answer(release, measure, by=by, totals=True)
        except UserError:
            continue
        frame = table.frame.drop("base")
        report = audit_table(frame, list(by), release.k, additive=table.kind == "count")
        timings.append((time.process_time() - begun, measure, by, table.frame.height))
        audited += 1
        if not report.ok:
            failed.append((measure, by))
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
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny run that only shows the script works: the CI fuzz budget, and 5 tables audited",
    )
    args = parser.parse_args()
    status = fuzz(args.seed if args.seed is not None else random.randrange(1 << 31), args.smoke)
    if args.audit:
        status = audit(5 if args.smoke else None) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
