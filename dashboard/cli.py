"""The `binc` command line: one sub-command per job, each implemented next to the layer it belongs to."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from dashboard.errors import UserError

# name -> (module implementing `configure(parser)` and `run(args) -> int`, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": (
        "dashboard.synthetic.command",
        "write synthetic provider exports (registration format v1)",
    ),
    "ingest": ("dashboard.ingest.command", "validate, pseudonymise and load provider exports"),
    "purge": (
        "dashboard.warehouse.purge_command",
        "retention: remove everyone aged 35 or more on a date",
    ),
    "subject-access": ("dashboard.warehouse.subject_access_command", "every record of one person"),
    "release": (
        "dashboard.release.command",
        "measure the declared workload with DP noise, write a release",
    ),
    "export": ("dashboard.export.command", "a safe table from a release as CSV, XLSX or Parquet"),
    "audit": ("dashboard.disclosure.audit_command", "LP audit of an exported table's suppression"),
    "serve": ("dashboard.serve", "open the dashboard"),
    "demo": ("dashboard.demo", "build the demo exports, warehouse and release when missing"),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """All sub-commands are listed; only the selected one is imported (keeps `binc --help` fast)."""
    parser = argparse.ArgumentParser(
        prog="binc",
        description="Safe statistics over the pseudonymised BINC '1 Gezin, 1 Plan' warehouse.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        if name != selected:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.configure(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(selected if selected in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UserError as error:
        print(f"binc {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"binc {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        # A programmer error. The message of an arbitrary exception may carry data values, so
        # it is only shown with BINC_DEBUG=1; the key is never placed in any exception.
        if os.environ.get("BINC_DEBUG") == "1":
            raise
        print(
            f"binc {args.command}: internal error ({type(error).__name__}); "
            "rerun with BINC_DEBUG=1 for details",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
