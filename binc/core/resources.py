"""Where the product finds its packaged files (reference data, SQL, default config) and the demo.

Everything the code reads at run time ships inside the installed package and is read through
`importlib.resources`, so an installed wheel works from any folder. In a source checkout the
top-level folders `data/reference/`, `queries/` and `config/` are those packages (see
`[tool.setuptools.package-dir]` in pyproject.toml), so there is one copy of each file.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from binc.core.environment import DEMO_DIR_ENV, LEDGER_DIR_ENV


def _folder(package: str) -> Path:
    folder = files(package)
    # DuckDB, polars and the config reader take file paths; a pip-installed package is a folder.
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"{package} is not installed as a folder (a zipped install is not supported)"
        )
    return folder


def reference_dir() -> Path:
    """The public reference data of `data/reference/` (municipalities, code lists, geometry)."""
    return _folder("binc.reference_data")


def queries_dir() -> Path:
    """The SQL of the measurements, one file per measured table (`queries/`)."""
    return _folder("binc.queries")


def default_config() -> Path:
    """The release configuration a release uses when none is given (`config/release.toml`)."""
    return _folder("binc.default_config") / "release.toml"


def _state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def demo_dir() -> Path:
    """Where the demo's generated exports, warehouse and release live: $BINC_DEMO_DIR, else
    $XDG_DATA_HOME/binc-demo (~/.local/share/binc-demo) — never inside the installed package."""
    configured = os.environ.get(DEMO_DIR_ENV)
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "binc-demo"


def ledger_dir() -> Path:
    """Where the privacy ledgers live (one file per ledger id): $BINC_LEDGER_DIR, else
    $XDG_STATE_HOME/binc/ledger (~/.local/state/binc/ledger) — never a release's folder."""
    configured = os.environ.get(LEDGER_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return _state_home() / "binc" / "ledger"


def demo_key_file() -> Path:
    """The demo's throwaway pseudonymisation key: outside the demo folder, so it never sits beside
    the data it protects."""
    return _state_home() / "binc-demo" / "pseudonym.key"
