"""`binc serve`: open the dashboard, Streamlit on this machine reading one release (never the
warehouse). With --demo, the embedded demo is built first when missing."""

from __future__ import annotations

import argparse
from pathlib import Path

from binc.core.environment import ALLOWED_HOSTS_ENV
from binc.demo import ensure_demo
from binc.serving import allowed_hosts, extra_hosts, serve


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
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name browsers reach the dashboard by, e.g. statistiek.example.be (repeatable; "
        f"also from {ALLOWED_HOSTS_ENV}, comma-separated). The dashboard refuses any other name "
        "in the Host header (DNS rebinding); localhost, 127.0.0.1, ::1 and --address are "
        "always allowed",
    )


def run(args: argparse.Namespace) -> int:
    hosts = extra_hosts(args.allowed_host)
    allowed_hosts(args.address, hosts)  # a bad --allowed-host stops here, before any build
    release = ensure_demo().release if args.demo else args.release
    return serve(release, args.port, args.address, hosts, synthetic=args.demo)
