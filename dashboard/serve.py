"""Open the dashboard: Streamlit on this machine, reading one release (never the warehouse).

With --demo, the embedded demo is built first when missing (synthetic exports → ingest →
release), so a newcomer sees the product with one command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard.errors import UserError
from dashboard.paths import REPO_ROOT

APP = REPO_ROOT / "dashboard" / "app.py"
RELEASE_ENV = "BINC_RELEASE"


def configure(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--demo", action="store_true", help="build the synthetic demo when missing and open it"
    )
    source.add_argument("--release", type=Path, help="the release file to show")
    parser.add_argument("--port", type=int, default=8501, help="port on localhost (default 8501)")
    parser.add_argument(
        "--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )


def command_line(release: Path, port: int, address: str) -> list[str]:
    """Streamlit's own command line (argv[0] is the program name, as Streamlit's CLI expects)."""
    return [
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--global.developmentMode",
        "false",
    ]


def run(args: argparse.Namespace) -> int:
    if args.demo:
        from dashboard.demo import ensure_demo

        release = ensure_demo().release
    else:
        release = args.release
        if not release.exists():
            raise UserError(f"{release}: no release at this path (build one with `binc release`)")
    print(f"binc serve: release {release}; open http://{args.address}:{args.port}", flush=True)
    os.environ[RELEASE_ENV] = str(release.resolve())
    if args.demo:
        os.environ["BINC_SYNTHETIC"] = "1"  # the demo is synthetic: the app shows a banner
    # Streamlit reads .streamlit/config.toml from the working directory: run from the repo root.
    os.chdir(REPO_ROOT)
    # Streamlit runs in this process, so what the first page needs is imported once, now, before
    # the first visitor arrives, instead of during their first page load (~1.5 s on 2 cores).
    from streamlit.web import cli as streamlit_cli

    import dashboard.app_data
    import dashboard.charts  # noqa: F401

    sys.argv = command_line(release, args.port, args.address)
    return int(streamlit_cli.main(standalone_mode=False) or 0)
