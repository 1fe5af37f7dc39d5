"""Helpers for the security tests (tests/e2e/test_security*.py, tests/spec/test_security_code.py):
a warehouse and release built with a known key, key forms to look for, a CLI runner that can
inject a database fault, and a hostile Streamlit environment."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from support import REPO

# Runs `binc ARGS` in a fresh interpreter. FAULT=param makes the first DuckDB statement that
# carries bytes parameters (the key's HMAC pads) fail, FAULT=any the first parameterised one:
# the failure a corrupt disk or a DuckDB bug would cause, in whichever frame uses the key. On a
# crash it prints the standard traceback and then one with every frame's local variables (what
# error trackers record), after a marker line.
RUNNER = textwrap.dedent("""
    import os, sys, traceback
    import duckdb
    FAULT = os.environ.get("FAULT", "")
    real_connect = duckdb.connect

    class FaultyConnection:
        def __init__(self, con):
            self._con = con
        def __getattr__(self, name):
            return getattr(self._con, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self._con.close()
        def _check(self, args, kwargs):
            params = kwargs.get("params", kwargs.get("parameters", args[1] if len(args) > 1 else None))
            values = list(params.values()) if isinstance(params, dict) else list(params or ())
            if (FAULT == "any" and values) or (FAULT == "param" and any(isinstance(v, bytes) for v in values)):
                raise RuntimeError("injected fault: the database failed on this statement")
        def execute(self, *args, **kwargs):
            self._check(args, kwargs)
            return self._con.execute(*args, **kwargs)
        def sql(self, *args, **kwargs):
            self._check(args, kwargs)
            return self._con.sql(*args, **kwargs)
        def cursor(self):
            return FaultyConnection(self._con.cursor())

    if FAULT:
        duckdb.connect = lambda *a, **k: FaultyConnection(real_connect(*a, **k))

    def hook(kind, value, trace):
        traceback.print_exception(kind, value, trace)
        print("==== with local variables ====", file=sys.stderr)
        detailed = traceback.TracebackException(kind, value, trace, capture_locals=True)
        # this runner's own frames (the fault injector holds the statement's arguments) are not
        # the product's: a real DuckDB failure has no Python frame there
        detailed.stack = traceback.StackSummary.from_list(
            [f for f in detailed.stack if f.filename != __file__])
        print("".join(detailed.format()), file=sys.stderr)
    sys.excepthook = hook
    from binc.cli import main
    sys.exit(main(sys.argv[1:]))
""")

LOCALS_MARKER = "==== with local variables ===="


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class World:
    base: Path
    key: str  # as the operator sets it: 64 hex characters
    key_file: Path
    warehouse: Path
    release: Path
    national_number: str
    runs: list[Run] = field(default_factory=list)

    def binc(self, *args: str, key_env: bool = True, fault: str = "") -> Run:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BINC_", "STREAMLIT_"))}
        env["BINC_DEBUG"] = "1"  # the most a developer could see: tracebacks instead of one line
        if key_env:
            env["BINC_PSEUDONYM_KEY"] = self.key
        if fault:
            env["FAULT"] = fault
        runner = self.base / "runner.py"
        if not runner.exists():
            runner.write_text(RUNNER)
        done = subprocess.run(
            [sys.executable, str(runner), *args],
            cwd=self.base / "cwd",  # anything written relative to the working directory is scanned
            env={**env, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        run = Run(list(args), done.returncode, done.stdout, done.stderr)
        self.runs.append(run)
        return run


def key_forms(key: str) -> dict[str, bytes]:
    """Every form in which the key or its HMAC pads could turn up, and 16-byte pieces of them."""
    raw = key.encode()
    block = raw if len(raw) <= 64 else hashlib.sha256(raw).digest()
    padded = block.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in padded)
    outer = bytes(b ^ 0x5C for b in padded)
    forms = {
        "key": raw,
        "key as hex": raw.hex().encode(),
        "key as base64": base64.b64encode(raw),
        "key decoded from hex": bytes.fromhex(key),
        "inner pad": inner,
        "outer pad": outer,
        "inner pad as hex": inner.hex().encode(),
        "outer pad as hex": outer.hex().encode(),
        "inner pad as Python shows bytes": repr(inner)[2:-1].encode(),
        "outer pad as Python shows bytes": repr(outer)[2:-1].encode(),
    }
    for name, value in list(forms.items())[:4]:
        for start in range(0, len(value) - 15):
            forms[f"{name}[{start}:{start + 16}]"] = value[start : start + 16]
    return forms


def leaks(data: bytes | str, forms: dict[str, bytes]) -> list[str]:
    blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    lowered = blob.lower()  # hex may be printed in upper case
    return [name for name, value in forms.items() if value in blob or value.lower() in lowered]


HOSTILE_CONFIG = """
[global]
developmentMode = true
[server]
enableCORS = false
enableXsrfProtection = false
runOnSave = true
fileWatcherType = "poll"
maxUploadSize = 2000
maxMessageSize = 7
enableStaticServing = true
enableAgentApi = true
headless = false
[client]
showErrorDetails = "full"
showErrorLinks = true
toolbarMode = "developer"
[browser]
gatherUsageStats = true
"""

HOSTILE_ENV = {
    "STREAMLIT_SERVER_ENABLE_CORS": "false",
    "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "false",
    "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "full",
    "STREAMLIT_GLOBAL_DEVELOPMENT_MODE": "true",
}


def hostile_environment(base: Path) -> tuple[dict[str, str], Path]:
    """(environment, working directory) where a user config, a project config in the working
    directory and STREAMLIT_* variables all try to switch the protections off."""
    home, cwd = base / "home", base / "elsewhere"
    for folder in (home, cwd):
        (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
        (folder / ".streamlit" / "config.toml").write_text(HOSTILE_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINC_", "STREAMLIT_"))}
    env.update(HOSTILE_ENV, HOME=str(home), PYTHONPATH=str(REPO))
    return env, cwd
