"""The wheel, as a user gets it: built from this checkout, installed into a fresh virtualenv outside
it, and run from another folder with an empty home.

One test, in order (each step needs the one before):
1. `python -m build` makes an sdist from a copy of the checkout and the wheel from that sdist, so
   both carry the package data (SQL, reference CSVs and geometry, default config, UI texts).
   The copy leaves the checkout untouched (no build/ or egg-info written into it).
2. The wheel holds every module and data file of the source folders, and nothing else.
3. A new venv in a temporary folder gets the wheel and its dependencies from the index, at the
   versions of the environment running this test (constraints), so the test measures the
   wheel, not whatever was released upstream this morning; pip's cache makes this fast when it can.
4. From a folder outside the checkout, with HOME and XDG_* pointed at temporary folders and no
   BINC_* variables: the installed package and its data come from the venv, its version is
   pyproject's, `binc --help`, `binc demo --dir … --children 2000` and `binc export` of that demo's
   release (CSV) work, the demo's key went to the (temporary) XDG state folder, and `binc serve`
   of that release shows every page without an error (over Streamlit's websocket protocol).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from importlib.metadata import distributions
from pathlib import Path

from support.load import HOST, LOG_ERROR, free_port
from support.load_behaviour import SLUGS
from support.streamlit_client import Run, Session

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
NAME = PYPROJECT["project"]["name"]

# What is not copied into the build folder: caches, environments, generated data.
IGNORE_NAMES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    ".hypothesis",
    "*.duckdb",
    "*.duckdb.wal",
    "node_modules",
)
IGNORE_FOLDERS = {"data/demo", "data/generated", "tests/screenshots", "benchmarks/out", "tmp"}


def ignore(folder: str, names: list[str]) -> set[str]:
    here = Path(folder).relative_to(ROOT)
    skipped = {n for n in names if (here / n).as_posix() in IGNORE_FOLDERS}
    return skipped | set(IGNORE_NAMES(folder, names))


# Source folder → where its files land in the wheel, for the data packages; and the data suffixes.
DATA_FOLDERS = {
    "queries": "binc/queries",
    "data/reference": "binc/reference_data",
    "config": "binc/default_config",
    "binc/core/i18n": "binc/core/i18n",
}
DATA_SUFFIXES = {".sql", ".csv", ".geojson", ".toml"}
EXPORT_HEADER = ["year", "year_label", "value", "ci_low", "ci_high", "suppressed", "too_uncertain"]

# Printed at the end of the test (pytest -s, or in the report of a failure): where the time goes.
TIMINGS: dict[str, float] = {}


def run(command: list[str], *, timeout: float, step: str, **kwargs) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    TIMINGS[step] = time.perf_counter() - started
    assert done.returncode == 0, (
        f"{step}: {' '.join(command)} exited {done.returncode}\n"
        f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
    )
    return done


def source_files(folder: str, suffixes: set[str]) -> set[str]:
    base = ROOT / folder
    return {
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts
    }


def build_wheel(tmp: Path) -> Path:
    source, dist = tmp / "source", tmp / "dist"
    shutil.copytree(ROOT, source, ignore=ignore)
    # --no-isolation: the build backend of the test environment (the dev extra pins setuptools
    # above pyproject's build requirement; `build` refuses to run if it is not met), no download.
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        timeout=300, step="build sdist + wheel", cwd=tmp)  # fmt: skip
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    assert len(list(dist.glob("*.tar.gz"))) == 1
    return wheels[0]


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    dist_info = f"{NAME}-{VERSION}.dist-info"
    assert wheel.name.startswith(f"{NAME}-{VERSION}-py3-none-any"), wheel.name
    assert {n.split("/")[0] for n in names} == {"binc", "dashboard", dist_info}, sorted(
        {n.split("/")[0] for n in names}
    )
    # every module of both packages (a subpackage missing from [tool.setuptools] packages fails here)
    for package in ("binc", "dashboard"):
        modules = {f"{package}/{p}" for p in source_files(package, {".py"})}
        assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    # every data file, at its place inside the package
    for folder, target in DATA_FOLDERS.items():
        data = {f"{target}/{p}" for p in source_files(folder, DATA_SUFFIXES)}
        assert data, f"{folder}: no data files found in the checkout"
        assert data <= names, f"{folder}: missing from the wheel: {sorted(data - names)}"
    shipped = {Path(n).suffix for n in names}
    assert shipped >= DATA_SUFFIXES, f"the wheel lacks {DATA_SUFFIXES - shipped}"
    assert "binc/default_config/release.toml" in names
    entry_points = f"{dist_info}/entry_points.txt"
    assert entry_points in names
    with zipfile.ZipFile(wheel) as archive:
        assert "binc = binc.cli:main" in archive.read(entry_points).decode()


def constraints(tmp: Path) -> Path:
    """The versions this test runs with, for every distribution except this project."""
    pins: dict[str, str] = {}
    for found in distributions():  # in sys.path order: the first of a name is the one imported
        name = re.sub(r"[-_.]+", "-", found.metadata["Name"] or "").lower()
        if name and name != NAME:
            pins.setdefault(name, f"{name}=={found.version}")
    path = tmp / "constraints.txt"
    path.write_text("\n".join(sorted(pins.values())) + "\n", encoding="utf-8")
    return path


def clean_environment(tmp: Path, venv: Path) -> dict[str, str]:
    """The user's environment, minus anything that could point back at the checkout or the test
    environment, with HOME and the XDG folders in the temporary folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BINC_", "PYTHON", "VIRTUAL_ENV", "CONDA", "XDG_"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    home = tmp / "home"
    for name, folder in {"HOME": home, "XDG_DATA_HOME": home / "data",
                         "XDG_STATE_HOME": home / "state", "XDG_CONFIG_HOME": home / "config",
                         "XDG_CACHE_HOME": home / "cache"}.items():  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    return env


INSPECT = """
import json, sys
import binc, dashboard, binc.core.i18n
from importlib.metadata import version
from binc.core import resources
print(json.dumps({
    "binc": binc.__file__, "dashboard": dashboard.__file__, "version": binc.__version__,
    "metadata_version": version("binc"), "sys_path": sys.path, "prefix": sys.prefix,
    "queries": str(resources.queries_dir()), "reference": str(resources.reference_dir()),
    "config": str(resources.default_config()), "texts": len(binc.core.i18n.keys("nl")),
    "sql": len(list(resources.queries_dir().glob("*.sql"))),
}))
"""


async def visit_every_page(port: int) -> list[Run]:
    session = Session(HOST, port, timeout=120)
    runs = [await session.open("", "lang=nl")]
    for slug in SLUGS[1:]:
        runs.append(await session.goto(slug))
    await session.close()
    return runs


def serve_every_page(binc: Path, release: Path, env: dict[str, str], work: Path) -> None:
    """The installed `binc serve` (the app, its texts and look, all from the wheel), visited
    page by page over Streamlit's own websocket protocol: no exception, no error, nothing logged."""
    started = time.perf_counter()
    port, log = free_port(), work / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(binc), "serve", "--release", str(release), "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, env=env, cwd=work,
        )  # fmt: skip
        try:
            deadline = time.perf_counter() + 120
            while True:
                assert server.poll() is None, f"binc serve exited:\n{log.read_text()}"
                assert time.perf_counter() < deadline, f"binc serve not healthy:\n{log.read_text()}"
                try:
                    urllib.request.urlopen(
                        f"http://{HOST}:{port}/_stcore/health", timeout=1
                    ).close()
                    break
                except OSError:
                    time.sleep(0.2)
            runs = asyncio.run(visit_every_page(port))
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    TIMINGS["binc serve + every page"] = time.perf_counter() - started
    assert [r.page for r in runs] == list(SLUGS)
    for run in runs:
        assert run.errors == [], (run.page, run.errors)
        assert run.status is not None, f"{run.page}: the script did not finish"
        assert sum(run.elements.values()) > 0, f"{run.page}: nothing drawn"
    assert runs[0].elements["plotly_chart"] > 0, runs[0].elements  # the overview's charts
    logged = [line for line in log.read_text().splitlines() if LOG_ERROR.search(line)]
    assert logged == [], logged


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    tmp = tmp_path.resolve()
    assert not tmp.is_relative_to(ROOT), "pytest's temporary folder must lie outside the checkout"
    try:
        install_and_run(tmp)
    finally:  # the venv is ~1 GB; pytest keeps the temporary folders of the last runs
        shutil.rmtree(tmp / "venv", ignore_errors=True)
        shutil.rmtree(tmp / "source", ignore_errors=True)


def install_and_run(tmp: Path) -> None:
    started = time.perf_counter()
    wheel = build_wheel(tmp)
    check_wheel_contents(wheel)

    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120, step="create venv")
    python, binc = venv / "bin" / "python", venv / "bin" / "binc"
    # pip runs with the user's own settings (index, cache); the commands below do not.
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         "--constraint", str(constraints(tmp)), str(wheel)],
        timeout=900, step="pip install wheel + dependencies", env=pip_env, cwd=tmp)  # fmt: skip
    assert binc.exists(), "the wheel installed no `binc` command"

    env = clean_environment(tmp, venv)
    work = tmp / "work"
    work.mkdir()

    # the installed package and its data come from the venv, never from the checkout
    inspected = json.loads(
        run([str(python), "-c", INSPECT], timeout=120, step="inspect", env=env, cwd=work).stdout
    )
    site = Path(inspected["prefix"]).resolve()
    assert site == venv.resolve()
    for key in ("binc", "dashboard", "queries", "reference", "config"):
        path = Path(inspected[key]).resolve()
        assert path.is_relative_to(venv), f"{key} comes from {path}, not from the fresh venv"
        assert not path.is_relative_to(ROOT), f"{key} comes from the checkout: {path}"
    assert not any(p and Path(p).resolve().is_relative_to(ROOT) for p in inspected["sys_path"])
    assert inspected["version"] == inspected["metadata_version"] == VERSION
    assert inspected["sql"] == len(source_files("queries", {".sql"}))
    assert inspected["texts"] > 0

    shown = run([str(binc), "--help"], timeout=120, step="binc --help", env=env, cwd=work).stdout
    for command in ("demo", "export", "ingest", "release", "serve"):
        assert command in shown

    demo = tmp / "demo"
    run([str(binc), "demo", "--dir", str(demo), "--children", "2000"],
        timeout=600, step="binc demo --children 2000", env=env, cwd=work)  # fmt: skip
    release = demo / "release.duckdb"
    assert release.is_file()
    assert (demo / "warehouse.duckdb").is_file()
    assert any((demo / "exports").glob("*.csv"))
    # the throwaway key lives in the (temporary) XDG state folder, not beside the data
    assert (Path(env["XDG_STATE_HOME"]) / "binc-demo" / "pseudonym.key").is_file()
    assert not (Path(env["XDG_DATA_HOME"]) / "binc-demo").exists(), "--dir was not honoured"

    out = work / "trajectories.csv"
    run([str(binc), "export", "--release", str(release), "--measure", "trajectories",
         "--by", "year", "--format", "csv", "--out", str(out)],
        timeout=300, step="binc export (csv)", env=env, cwd=work)  # fmt: skip
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == EXPORT_HEADER
    rows = [line.split(",") for line in lines[1:]]
    assert rows, "the export has no rows"
    assert all(len(r) == len(EXPORT_HEADER) and r[0].isdigit() and len(r[0]) == 4 for r in rows)
    assert all(r[5] in ("true", "false") for r in rows)
    assert out.with_suffix(".codebook.json").is_file()

    serve_every_page(binc, release, env, work)

    TIMINGS["total"] = time.perf_counter() - started
    print("wheel test timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))
