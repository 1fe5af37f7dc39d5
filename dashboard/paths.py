"""Where the product finds its reference data, SQL and default working files."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "data" / "reference"
QUERIES_DIR = REPO_ROOT / "queries"
CONFIG_DIR = REPO_ROOT / "config"

# Generated files (demo exports, warehouse, releases) live under data/demo, git-ignored.
DEMO_DIR = Path(os.environ.get("BINC_DEMO_DIR", REPO_ROOT / "data" / "demo"))


def demo_key_file() -> Path:
    """The demo's throwaway pseudonymisation key: outside data/, so it never sits beside the data it protects."""
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / "binc-demo" / "pseudonym.key"
