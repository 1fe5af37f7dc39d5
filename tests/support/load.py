"""A running `binc serve` and simulated visitors on it, shared by the load smoke test
(tests/e2e/test_load_smoke.py) and the load benchmark (benchmarks/load_serve.py).

`Server` starts `binc serve --release R` on a port with its log in a file; `drive` runs visitors
(load_behaviour.py: shared links, page switches, filter changes) over Streamlit's websocket
protocol (streamlit_client.py) for a while; `summarize` turns their runs into page times and errors.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from support import REPO
from support.load_behaviour import Codes, act, shared_link
from support.streamlit_client import Run, Session

HOST = "127.0.0.1"
LOG_ERROR = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b")


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`binc serve --release R` in a subprocess, its log in a file."""

    def __init__(self, release: Path, port: int, log: Path, synthetic: bool = False) -> None:
        binc = Path(sys.executable).parent / "binc"
        env = {**os.environ, **({"BINC_SYNTHETIC": "1"} if synthetic else {})}
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [str(binc), "serve", "--release", str(release), "--port", str(port)],
            stdout=self._log_file, stderr=subprocess.STDOUT, env=env, cwd=REPO,
        )  # fmt: skip
        self.port = port

    def wait_healthy(self, timeout: float = 90.0) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"binc serve exited with {self.process.returncode}; see {self.log}"
                )
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/_stcore/health", timeout=1):
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"binc serve was not healthy within {timeout:g} s; see {self.log}")

    def log_errors(self) -> list[str]:
        self._log_file.flush()
        return [
            line.strip() for line in self.log.read_text().splitlines() if LOG_ERROR.search(line)
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()


# ---------------------------------------------------------------- the visitors


async def visitor(
    number: int, port: int, deadline: float, codes: Codes, think: tuple[float, float],
    seed: int, timeout: float, runs: list[Run],
) -> None:  # fmt: skip
    rng = random.Random(seed * 1000 + number)
    session: Session | None = None
    while time.perf_counter() < deadline:
        if session is None or session.ws is None or rng.random() < 0.05:
            if session is not None:
                await session.close()
            session = Session(HOST, port, timeout)
            try:
                run = await session.open(*shared_link(rng, codes))
            except OSError as error:  # the handshake failed: the server refused us
                run = Run("open", "?", 0.0, errors=[f"connect failed: {error}"])
        else:
            run = await act(rng, session)
        run.visitor = number
        runs.append(run)
        if run.errors and session.ws is not None:
            await session.close()  # start over, as a person reloading the page would
        await asyncio.sleep(rng.uniform(*think))
    if session is not None:
        await session.close()


async def drive(
    port: int, sessions: int, duration: float, think: tuple[float, float], seed: int,
    timeout: float, codes: Codes, ramp: float,
) -> list[Run]:  # fmt: skip
    runs: list[Run] = []
    deadline = time.perf_counter() + duration

    async def staggered(number: int) -> None:
        await asyncio.sleep(ramp * number / max(sessions, 1))  # people do not all arrive at once
        await visitor(number, port, deadline, codes, think, seed, timeout, runs)

    await asyncio.gather(*(staggered(n) for n in range(sessions)))
    return runs


async def warm_up(port: int, timeout: float) -> tuple[Run, tuple[str, ...]]:
    """The server's first visit (imports, release load); also learns the release's years."""
    session = Session(HOST, port, timeout)
    run = await session.open("", "lang=nl")
    years = session.widgets["f_years"].options if "f_years" in session.widgets else ()
    await session.close()
    return run, tuple(years)


# ---------------------------------------------------------------- reporting


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def spread(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values, default=float("nan"))}  # fmt: skip


def summarize(runs: list[Run], rss: list[int], log_errors: list[str]) -> dict:
    times = [r.seconds for r in runs if r.status is not None]
    by_action: dict[str, list[float]] = defaultdict(list)
    by_page: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        if run.status is not None:
            kind = run.action.split(":")[0]
            by_action[run.action if kind == "widget" else kind].append(run.seconds)
            by_page[run.page or "overzicht"].append(run.seconds)
    errors = [e for r in runs for e in r.errors]
    return {
        "runs": len(runs),
        "page_time": spread(times),
        "by_action": {k: spread(v) for k, v in sorted(by_action.items())},
        "by_page": {k: spread(v) for k, v in sorted(by_page.items())},
        "errors": len(errors) + len(log_errors),
        "error_examples": sorted(set(errors))[:5],
        "server_log_errors": log_errors[:5],
        "refusals": sum(r.refusals for r in runs),
        "rss_mib": {
            "start": rss[0] / 2**20 if rss else None,
            "peak": max(rss, default=0) / 2**20,
            "end": rss[-1] / 2**20 if rss else None,
        },
        "received_mib": sum(r.received_bytes for r in runs) / 2**20,
    }
