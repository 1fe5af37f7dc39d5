"""The embedded demo: synthetic exports → real ingest → real release, built once in the demo folder
(`binc.core.resources.demo_dir`).

Each step runs only when its output is missing or stale, so `binc serve --demo` is fast after
the first time. The demo's pseudonymisation key is a throwaway file outside the demo folder (see
`binc.core.resources.demo_key_file`), never beside the data it protects. Its privacy ledger lives in
the demo folder (`ledger/`): the data are synthetic, so rebuilding the demo never spends a real
ledger, and `make clean-demo` starts it over with the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from binc.core.errors import UserError
from binc.core.pseudonym_key import create_key_file, load_key
from binc.core.resources import demo_dir, demo_key_file
from binc.ingest.pipeline import ingest_files
from binc.release.build import build_release, release_is_current
from binc.release.ledger import use_ledger_dir
from binc.release_file import load_release
from binc.synthetic.generate import generate_exports
from binc.warehouse.release_log import ledger_id
from binc.warehouse.schema import connect

DEMO_SEED = 2026


@dataclass(frozen=True)
class DemoPaths:
    exports: Path
    warehouse: Path
    release: Path
    ledger: Path  # the demo's own privacy ledger directory


def demo_paths(base: Path | None = None) -> DemoPaths:
    base = demo_dir() if base is None else base
    return DemoPaths(
        exports=base / "exports",
        warehouse=base / "warehouse.duckdb",
        release=base / "release.duckdb",
        ledger=base / "ledger",
    )


def ensure_demo(base: Path | None = None, *, children: int | None = None) -> DemoPaths:

    paths = demo_paths(base)
    if not paths.exports.exists() or not any(paths.exports.iterdir()):
        print(f"demo: generating synthetic provider exports in {paths.exports} …", flush=True)
        if children is None:
            generate_exports(paths.exports, seed=DEMO_SEED)
        else:
            generate_exports(paths.exports, children=children, seed=DEMO_SEED)
    if paths.warehouse.exists() and not _has_ledger_id(paths.warehouse):
        print(f"demo: {paths.warehouse} predates privacy ledger ids; ingesting again …", flush=True)
        for stale in (paths.warehouse, paths.warehouse.with_name(paths.warehouse.name + ".wal")):
            stale.unlink(missing_ok=True)
    if not paths.warehouse.exists():
        key_file = demo_key_file()
        if not key_file.exists():
            create_key_file(key_file)
        files = sorted(
            p for p in paths.exports.iterdir() if p.suffix in (".csv", ".xlsx", ".parquet")
        )
        print(f"demo: ingesting {len(files)} exports into {paths.warehouse} …", flush=True)
        report = ingest_files(paths.warehouse, files, load_key(key_file))
        print(
            f"demo: read {report.total('read')}, accepted {report.total('accepted')}, "
            f"rejected {report.total('rejected')}, replaced {report.total('replaced')}",
            flush=True,
        )
    if not _release_usable(paths):
        print(f"demo: building the release {paths.release} …", flush=True)
        # Synthetic data: the demo's privacy ledger lives in the demo folder, so rebuilding the
        # demo never spends a real ledger (and `make clean-demo` starts it over with the data).
        # With a publication calendar the new release carries the old one's definitive figures
        # forward (without one, `previous` is not read).
        previous = paths.release if paths.release.exists() else None
        with use_ledger_dir(paths.ledger):
            build_release(paths.warehouse, paths.release, synthetic=True, previous=previous)
    return paths


def _release_usable(paths: DemoPaths) -> bool:
    """A release of the current warehouse that this code version can read (formats may change)."""

    if not paths.release.exists() or not release_is_current(paths.release, paths.warehouse):
        return False
    try:
        load_release(paths.release)
    except UserError:
        return False
    return True


def _has_ledger_id(warehouse: Path) -> bool:
    """Written by this version's ingest (a warehouse without one cannot be released)."""
    with connect(warehouse, read_only=True) as con:
        return ledger_id(con) is not None
