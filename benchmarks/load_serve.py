"""Load test of `binc serve`: many concurrent real sessions changing pages and filters as people do.

    .venv/bin/python benchmarks/load_serve.py [--sessions 50] [--duration 60] [--think 5 15]
        [--release data/demo/release.duckdb] [--browser 0] [--seed 1] [--json FILE]

Starts `binc serve --release R` on a free localhost port (the demo release by default, built with
`binc demo` when missing), warms it with one visit, then runs `--sessions` simulated visitors for
`--duration` seconds in one asyncio loop. Each visitor opens a shared link (random page, language,
years, region, trajectory types in the URL, as ui.write_url writes them), then repeatedly
looks at the page for a think time (`--think`, uniform) and does what people do: switch page,
change the language, the years, the region (partnership or province) or the trajectory types in
the sidebar, or a page's own choice (measure, breakdown, level, table dimensions, toggles); now
and then they open a new link (a new session). Visitors speak Streamlit's websocket protocol
(tests/support/streamlit_client.py): the server does exactly the work a browser tab causes. The
server's CPU time per run is reported too: 1 / that is the page views a second one core sustains.

Reported: page times (request → `script_finished`) p50/p95/max overall, per action and per page;
errors (exception elements, st.error messages, page not found, unsuccessful runs, disconnects,
timeouts, and tracebacks or ERROR lines in the server log); the server's resident memory (RSS of
the serve process and its children, sampled every 0.5 s: start, peak, end); load average.
Target: 0 errors and p95 ≤ 1 s. Exit status 1 when there were errors.

Not covered: the browser's own work (downloading Streamlit's and Plotly's JavaScript, layout,
drawing charts), static files and download-button files. `--browser N` adds N headless Chromium
tabs (Debian's /usr/bin/chromium) that click through the pages during the load and reports their
page times: from the click to the script finishing and every chart drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

# The server and the visitors are shared with the load smoke test: tests/support/load.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.load import Server, drive, free_port, spread, summarize, warm_up
from support.load_behaviour import Codes

REPO = Path(__file__).resolve().parents[1]
DEMO_RELEASE = REPO / "data" / "demo" / "release.duckdb"


# ---------------------------------------------------------------- the server's resources


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total = 0
    for each in _descendants(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants, from /proc."""
    total = 0
    for each in _descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


async def sample_memory(pid: int, samples: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_bytes(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# ---------------------------------------------------------------- reporting


def print_report(report: dict, args: argparse.Namespace) -> None:
    def line(name: str, s: dict) -> str:
        return f"  {name:<26} n={s['n']:>5}  p50 {s['p50']*1000:6.0f} ms  p95 {s['p95']*1000:6.0f} ms  max {s['max']*1000:6.0f} ms"  # fmt: skip

    print(f"sessions {args.sessions}, duration {args.duration:g} s, think {args.think[0]:g}–{args.think[1]:g} s, "
          f"release {args.release}")  # fmt: skip
    print(
        f"server: healthy after {report['healthy_s']:.1f} s; first visit {report['warm_up_s'] * 1000:.0f} ms"
    )
    print(f"runs {report['runs']} ({report['runs_per_s']:.1f}/s), received {report['received_mib']:.0f} MiB, "
          f"refusals shown {report['refusals']}")  # fmt: skip
    print(line("all page times", report["page_time"]))
    for name, s in report["by_action"].items():
        print(line(name, s))
    for name, s in report["by_page"].items():
        print(line("page " + name, s))
    if report.get("browser"):
        print(line(f"browser tabs ({args.browser})", report["browser"]["page_time"]))
    rss = report["rss_mib"]
    print(
        f"server RSS: start {rss['start']:.0f} MiB, peak {rss['peak']:.0f} MiB, end {rss['end']:.0f} MiB"
    )
    print(f"server CPU {report['server_cpu_s']:.1f} s = {report['server_cpu_ms_per_run']:.0f} ms a run; "
          f"client CPU {report['client_cpu_s']:.1f} s; load average (1 min) before "
          f"{report['load_before']:.2f}, after {report['load_after']:.2f}")  # fmt: skip
    print(f"errors: {report['errors']}")
    for example in report["error_examples"] + report["server_log_errors"]:
        print(f"  {example}")
    met = report["errors"] == 0 and report["page_time"]["p95"] <= 1.0
    print(f"target (0 errors, p95 ≤ 1 s): {'met' if met else 'NOT met'}")


def release_path(args: argparse.Namespace) -> Path:
    if args.release is not None:
        return args.release
    if not DEMO_RELEASE.exists():  # `binc demo` alone would build it in ~/.local/share/binc-demo
        binc = str(Path(sys.executable).parent / "binc")
        subprocess.run([binc, "demo", "--dir", str(DEMO_RELEASE.parent)], check=True, cwd=REPO)
    return DEMO_RELEASE


async def run_load(args: argparse.Namespace, release: Path, log: Path) -> dict:
    port = free_port()
    server = Server(release, port, log)
    report: dict = {"load_before": os.getloadavg()[0]}
    try:
        report["healthy_s"] = server.wait_healthy()
        warm, years = await warm_up(port, args.timeout)
        report["warm_up_s"] = warm.seconds
        if warm.errors or not years:
            raise RuntimeError(f"the first visit failed: {warm.errors or 'no years widget'}")
        codes = Codes.load(years)
        rss: list[int] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(server.process.pid, rss, stop))
        cpu = time.process_time()
        server_cpu = cpu_seconds(server.process.pid)
        started = time.perf_counter()
        load = drive(port, args.sessions, args.duration, tuple(args.think), args.seed,
                     args.timeout, codes, min(args.ramp, args.duration / 4))  # fmt: skip
        if args.browser:
            from browser_load import browse

            runs, (browser_times, browser_errors) = await asyncio.gather(
                load, browse(port, args.browser, args.duration, args.seed)
            )
        else:
            runs, browser_times, browser_errors = await load, [], []
        elapsed = time.perf_counter() - started
        report["client_cpu_s"] = time.process_time() - cpu
        report["server_cpu_s"] = cpu_seconds(server.process.pid) - server_cpu
        stop.set()
        await sampler
        report.update(summarize(runs, rss, server.log_errors()))
        if args.browser:
            report["browser"] = {"page_time": spread(browser_times), "errors": browser_errors}
            report["errors"] += len(browser_errors)
            report["error_examples"] += sorted(set(browser_errors))[:3]
        report["runs_per_s"] = len(runs) / elapsed
        report["server_cpu_ms_per_run"] = report["server_cpu_s"] / max(len(runs), 1) * 1000
        report["load_after"] = os.getloadavg()[0]
        report["runs_detail"] = (
            [{**asdict(r), "elements": dict(r.elements)} for r in runs] if args.json else None
        )
    finally:
        server.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", type=Path, help="release file (default: the demo's)")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
                        help="seconds a visitor looks at a page before the next action (uniform; "
                             "default 5 15, ~6 actions a minute; 2 8 is a stress setting)")  # fmt: skip
    parser.add_argument(
        "--ramp", type=float, default=10.0, help="seconds over which visitors arrive"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before a run is an error"
    )
    parser.add_argument("--browser", type=int, default=0, help="headless Chromium tabs alongside")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the report (and every run) as JSON")
    args = parser.parse_args(argv)
    release = release_path(args)
    with tempfile.TemporaryDirectory(prefix="binc-load-") as scratch:
        report = asyncio.run(run_load(args, release, Path(scratch) / "serve.log"))
    print_report(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
