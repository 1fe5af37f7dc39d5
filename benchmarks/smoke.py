"""Every benchmark script at a tiny size, so that none of them can rot unnoticed.

    .venv/bin/python benchmarks/smoke.py [--only NAME ...]      (make bench-smoke)

Each script runs as a user would start it, on inputs built for the purpose in a temporary folder:
a demo of 2,000 children (`binc demo --dir`), 300 children's exports (`binc generate`). A script
passes when it exits 0 and printed its figures (the lines matched below); the figures themselves
are not judged: at this size they mean nothing (and two scripts run at a time, one per core).
Every script also gets its own empty TMPDIR, and whatever `binc-…` folder it leaves there is a
failure (a benchmark cleans up after itself).
bench_dashboard, browser_load, load_serve and proxy_first_chart drive Debian's /usr/bin/chromium
(the CI installs it); proxy_first_chart also needs Debian's nginx, its brotli module and openssl.
Exit status 1 when a script failed; the output of a failed script is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
BINC = Path(sys.executable).parent / "binc"
NUMBER = r"[\d.,]+"
LANES = 2
# Seconds each took at this size alone (2 cores): the longest start first.
SECONDS = {"proxy_first_chart": 29, "load_serve": 20, "fuzz_long": 18, "bench_dashboard": 17,
           "browser_load": 14, "calendar_simulation": 14, "margin_sweep": 10, "bench_release": 9,
           "release_targets": 7}  # fmt: skip


@dataclass(frozen=True)
class Script:
    name: str
    arguments: tuple[str, ...]  # {tmp}, {demo_release} and {exports} are filled in
    figures: tuple[str, ...]  # regular expressions, each must match a line of the output
    timeout: float = 300.0


SCRIPTS = (
    Script("bench_ingest", ("--children", "300"),
           (rf"^ingest run 1: \d+ files, {NUMBER} rows in {NUMBER} s = {NUMBER} rows/s; CPU",)),
    Script("ingest_floor", ("{exports}",),
           (rf"polars read_csv\s+wall\s+{NUMBER} s", rf"hashlib, precomputed pads.*wall\s+{NUMBER} s",
            rf"total \(4 transaction\(s\), no vacuum, CHECKPOINT, close\)\s+wall\s+{NUMBER} s")),
    Script("bench_release", ("--rows", "20000", "--dir", "{tmp}/release"),
           (rf"20,000 rows: bare DuckDB pass {NUMBER} s \| build_release {NUMBER} s .*answering "
            rf"median {NUMBER} ms, p95 {NUMBER} ms",)),
    Script("fuzz_long", ("--smoke", "--audit"),
           (r"^fuzz \(CI budget .*\): exit 0", r"^\s+\d+ passed",
            r"^audit of three-dimension tables with totals: [1-9]\d* tables, 0 failed")),
    Script("bench_dashboard", ("--release", "{demo_release}", "--runs", "1", "--fresh", "1"),
           (rf"^\s+overview\s+{NUMBER} ms", rf"^first script run in a fresh process.*: {NUMBER} s",
            rf"navigation → first chart, cold browser cache\s+{NUMBER} s")),
    Script("browser_load", ("--release", "{demo_release}", "--tabs", "1", "--duration", "10"),
           (rf"^browser page times: n=[1-9]\d*\s+p50 {NUMBER} ms", r"^errors: 0$")),
    Script("load_serve", ("--release", "{demo_release}", "--sessions", "2", "--duration", "10",
                          "--think", "0.5", "1.5", "--ramp", "1", "--browser", "1"),
           (r"^\s+all page times\s+n=\s*[1-9]\d*\s+p50", r"^\s+browser tabs \(1\)\s+n=\s*[1-9]",
            r"^errors: 0$")),
    Script("release_targets", ("--release", "{demo_release}"),
           (r"^  share ended as planned per partnership, one year \(points\)\s+(median|refused)",
            rf"^default views: \d+ cells, suppressed \d+ \({NUMBER}%\), too uncertain")),
    Script("margin_sweep", ("--release", "{demo_release}"),
           (rf"^margins compared: [1-9]\d* in {NUMBER} s",
            r"^  shown in both: \d+ \(value or interval differs: 0\)")),
    Script("linked_audit", ("--release", "{demo_release}", "--years", "2024"),
           (r"^all: hidden \d+, recovered exactly 0, narrower than k 0 in",)),
    Script("median_audit", ("--release", "{demo_release}", "--years", "2024", "2025"),
           (r"^all: hidden band counts beside a shown median \d+, narrower than k 0,",)),
    Script("calendar_simulation", ("--years", "3", "--children", "600"),
           (r"^releases: [1-9]\d* made, 0 refused", r"^lifetime loss per child, recomputed .*max ε",
            r"^definitive slices checked in later releases: [\d,]+, differed: 0",
            r"^late registrations .* files never ingested: 0$")),
    Script("planner_gap", ("--smoke",),
           (rf"^1\. one table per answer, divided by binc plan:\s+ε {NUMBER}",
            rf"^4\. as 3, with each question's own marginal as a candidate: ε {NUMBER}",
            rf"^5\. as 4, every table free .*: ε {NUMBER}")),
    Script("proxy_first_chart", ("--release", "{demo_release}", "--tiny"),
           (rf"^\s+via nginx .* median first chart\s+{NUMBER} s .* {NUMBER} MB transferred",
            rf"^\s+direct .* median first chart\s+{NUMBER} s .* {NUMBER} MB transferred")),
)  # fmt: skip


def run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, float]:
    started = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or b""
        status, output = -1, (out.decode() if isinstance(out, bytes) else out) + "\n(timed out)"
    return status, output, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [s.name for s in SCRIPTS]
    parser.add_argument("--only", nargs="+", choices=names, help="run only these scripts")
    args = parser.parse_args()
    chosen = [s for s in SCRIPTS if not args.only or s.name in args.only]
    missing = [s.name for s in SCRIPTS if not (BENCHMARKS / f"{s.name}.py").exists()]
    if missing:
        raise SystemExit(f"benchmarks missing (renamed? update benchmarks/smoke.py): {missing}")
    # every benchmark script must be covered here, so that a new one cannot be forgotten
    helpers = {"smoke"}  # shared code lives in tests/support/
    uncovered = {p.stem for p in BENCHMARKS.glob("*.py")} - set(names) - helpers
    if uncovered:
        raise SystemExit(f"benchmarks/smoke.py does not run {sorted(uncovered)}: add them")
    if not Path("/usr/bin/chromium").exists():
        print("note: /usr/bin/chromium is missing; the browser benchmarks will fail")
    failures: list[str] = []
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="binc-bench-smoke-") as folder:
        tmp = Path(folder)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("BINC_")}
        # the demo's throwaway key and any default demo folder stay in the temporary folder
        base_env |= {"XDG_STATE_HOME": str(tmp / "state"), "XDG_DATA_HOME": str(tmp / "data"),
                     "BINC_DEMO_DIR": str(tmp / "demo")}  # fmt: skip
        print("inputs:", flush=True)
        inputs = (
            ("binc demo --children 2000", [str(BINC), "demo", "--dir", str(tmp / "demo"),
                                           "--children", "2000"]),
            ("binc generate --children 300", [str(BINC), "generate", "--out",
                                              str(tmp / "exports"), "--children", "300"]),
        )  # fmt: skip
        for label, command in inputs:
            status, output, seconds = run(command, base_env, 600)
            print(f"  {label:<30} {seconds:6.1f} s", flush=True)
            if status != 0:
                print(output[-4000:])
                return 1
        values = {"tmp": str(tmp), "demo_release": str(tmp / "demo" / "release.duckdb"),
                  "exports": str(tmp / "exports")}  # fmt: skip
        print(f"benchmarks ({LANES} at a time):", flush=True)

        def one(script: Script) -> tuple[Script, list[str], str, list[str], float]:
            scratch = tmp / "tmpdir" / script.name
            scratch.mkdir(parents=True)
            env = base_env | {"TMPDIR": str(scratch)}
            command = [sys.executable, str(BENCHMARKS / f"{script.name}.py")]
            command += [a.format(**values) for a in script.arguments]
            status, output, seconds = run(command, env, script.timeout)
            problems = [] if status == 0 else [f"exit status {status}"]
            problems += [
                f"no line matching {figure!r}"
                for figure in script.figures
                if not re.search(figure, output, re.MULTILINE)
            ]
            leftovers = sorted(p.name for p in scratch.iterdir() if p.name.startswith("binc-"))
            if leftovers:
                problems.append(f"left in TMPDIR: {leftovers}")
            shutil.rmtree(scratch, ignore_errors=True)
            return script, command, output, problems, seconds

        # Two at a time (the machine's two cores): the figures are not judged here, only that each
        # script runs; the longest first, so that the two lanes end together.
        with ThreadPoolExecutor(max_workers=LANES) as pool:
            for script, command, output, problems, seconds in pool.map(
                one, sorted(chosen, key=lambda s: -SECONDS.get(s.name, 1))
            ):
                verdict = "ok" if not problems else "FAILED: " + "; ".join(problems)
                print(f"  {script.name:<17} {seconds:6.1f} s  {verdict}", flush=True)
                if problems:
                    failures.append(script.name)
                    print("    $ " + " ".join(command))
                    print("    " + output[-6000:].replace("\n", "\n    "))
    print(f"bench-smoke: {len(chosen) - len(failures)}/{len(chosen)} ok in "
          f"{time.perf_counter() - total:.0f} s" + (f"; failed: {failures}" if failures else ""))  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
