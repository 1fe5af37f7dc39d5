"""The `binc` command line: one module per sub-command in this package, each only parsing its
arguments and printing; the work is done by the layer the command belongs to."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from binc.core.environment import DEBUG_ENV
from binc.core.errors import FULL, READ_ONLY, UserError, storage_message, storage_problem

# name -> one-line help; the sub-command lives in binc.cli.<name with "_" for "-">, a module with
# `configure(parser)` and `run(args) -> int`.
COMMANDS: dict[str, str] = {
    "generate": "write synthetic provider exports (registration format v1)",
    "ingest": "validate, pseudonymise and load provider exports",
    "purge": "retention: remove everyone aged 35 or more on a date",
    "subject-access": "every record of one person",
    "plan": "how precise the release config's questions will be, before any data is touched",
    "release": "measure the declared workload with DP noise, write a release",
    "ledger": "the privacy ledger of a warehouse's data: its releases and lifetime budget",
    "export": "a safe table from a release as CSV, XLSX or Parquet",
    "audit": "LP audit of an exported table's suppression",
    "factsheet": "a one-page PDF fact sheet for a partnership, a province or Flanders",
    "serve": "open the dashboard",
    "demo": "build the demo exports, warehouse and release when missing",
}


def command_module(name: str) -> str:
    return f"binc.cli.{name.replace('-', '_')}"


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """All sub-commands are listed; only the selected one is imported (keeps `binc --help` fast)."""
    parser = argparse.ArgumentParser(
        prog="binc",
        description="Safe statistics over the pseudonymised BINC '1 Gezin, 1 Plan' warehouse.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        if name != selected:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(command_module(name))
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
        print(f"binc {args.command}: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"binc {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `binc subject-access ... | head`): stop quietly, as other
        # command-line tools do; point stdout at /dev/null so the exit flush cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        storage = _storage_failure(args, error)
        if storage:  # a file in use, full, read-only or damaged: the user's to fix, exit status 2
            print(f"binc {args.command}: {_one_line(storage)}", file=sys.stderr)
            return 2
        # A programmer error. The message of an arbitrary exception may carry data values, so
        # it is only shown with BINC_DEBUG=1; the key is never placed in any exception.
        print(
            f"binc {args.command}: internal error ({type(error).__name__}); "
            "rerun with BINC_DEBUG=1 for details",
            file=sys.stderr,
        )
        return 1


# What a failed write leaves behind, where the command's transactions make it certain.
_AFTER_A_FAILED_WRITE = {
    "ingest": "files reported above as loaded are kept, the others are not loaded; make room "
    "and run the same command again",
}


def _storage_failure(args: argparse.Namespace, error: BaseException) -> str | None:
    """The one-line message for an error that says a file is in use, full, read-only or damaged.

    Commands open their files through code that already explains these; this is the net for the
    rest (e.g. a damaged block met halfway through a query). The file is the one DuckDB or the OS
    names, else the command's warehouse or release.
    """
    # The cause may sit under a later error (e.g. a failed ROLLBACK after a failed COMMIT).
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    error = next((e for e in chain if storage_problem(e) is not None), error)
    problem = storage_problem(error)
    if problem is None:
        return None
    named = re.search(r'file "([^"]+)"', str(error))
    path = named.group(1) if named else getattr(error, "filename", None)
    roles = [
        (Path(value), what)
        for name, what in (("warehouse", "the warehouse"), ("release", "the release"))
        if isinstance(value := getattr(args, name, None), (str, Path))
    ]
    what = "this file"
    if path is None and roles:
        path, what = roles[0]
    for role_path, role in roles:
        if str(path).startswith((str(role_path), str(role_path.resolve()))):
            what = role  # also the warehouse's .wal beside it
            if str(path) in (str(role_path), str(role_path.resolve())):
                path = role_path  # as the user wrote it
    writing = problem[0] in (FULL, READ_ONLY)
    kept = _AFTER_A_FAILED_WRITE.get(args.command, "") if writing else ""
    return storage_message(error, path, what, writing=writing, kept=kept)


def _one_line(message: str) -> str:
    """Newlines, control and bidi characters escaped: a message cannot forge extra log lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


if __name__ == "__main__":
    sys.exit(main())
