"""`binc demo`: build the demo's synthetic exports, warehouse and release where missing."""

from __future__ import annotations

import argparse
from pathlib import Path

from binc.core.environment import DEMO_DIR_ENV
from binc.demo import ensure_demo


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        help=f"where the demo lives (default ${DEMO_DIR_ENV}, else ~/.local/share/binc-demo)",
    )
    parser.add_argument(
        "--children", type=int, help="distinct children to generate (default: national scale)"
    )


def run(args: argparse.Namespace) -> int:
    paths = ensure_demo(args.dir, children=args.children)
    print(
        f"demo ready: exports {paths.exports}, warehouse {paths.warehouse}, release {paths.release}"
    )
    return 0
