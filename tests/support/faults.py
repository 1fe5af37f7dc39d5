"""Helpers for tests/e2e/test_faults.py: small exports, broken copies of files, a disk that fills up
or turns read-only, and `binc` run in-process or as its own process."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from binc.cli import main
from binc.core.environment import LEDGER_DIR_ENV
from binc.core.format_v1 import COLUMNS
from binc.release_file import load_release
from support import REPO
from support.exports import TEST_KEY, national_number, row
from support.warehouses import TWO_TABLE_CONFIG

KEY_ENV = {"BINC_PSEUDONYM_KEY": TEST_KEY.decode()}
NN = national_number(date(2008, 1, 1), 1)
# The faults do not depend on the workload: two tables keep releases fast.
MINI_CONFIG = TWO_TABLE_CONFIG


def exports(folder: Path, files: int, rows: int, prefix: str = "F") -> list[Path]:
    """`files` CSV exports of `rows` distinct children; every 50th row has an invalid sex code."""
    folder.mkdir(parents=True, exist_ok=True)
    base, paths = row(), []
    for f in range(files):
        lines = [",".join(COLUMNS)]
        for i in range(rows):
            n = ord(prefix[0]) * 100_000 + f * rows + i
            birth = date(2008, 1, 1) + timedelta(days=n % 3000)
            counter = 1 + n // 3000 % 997
            sex = "Q" if i % 50 == 0 else ("M" if counter % 2 else "V")
            values = dict(base, record_id=f"{prefix}{f}-{i:06d}", sex=sex,
                          national_number=national_number(birth, counter),
                          birth_date=birth.isoformat())  # fmt: skip
            lines.append(",".join(values[c] for c in COLUMNS))
        paths.append(folder / f"{prefix}{f}.csv")
        paths[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def rejected_of(rows: int) -> int:
    return len(range(0, rows, 50))


def binc(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# `binc ARGS` with ingest committing every file in a transaction of its own, as it does with
# exports of GROUP_ROWS (250,000) rows or more; small test files would otherwise share one.
_ONE_FILE_PER_TRANSACTION = """
import sys
from binc.ingest import pipeline
pipeline.GROUP_ROWS = 1
from binc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def binc_process(
    *args: object, one_file_per_transaction: bool = False, **popen: object
) -> subprocess.Popen[str]:
    env = {**os.environ, **KEY_ENV, "PYTHONUNBUFFERED": "1"}
    env.pop("BINC_DEBUG", None)
    if one_file_per_transaction:
        command = [sys.executable, "-c", _ONE_FILE_PER_TRANSACTION, *map(str, args)]
    else:
        command = [sys.executable, "-m", "binc", *map(str, args)]
    return subprocess.Popen(command, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **popen)  # fmt: skip


_MANY = """
import contextlib, io, json, sys
from binc.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        results.append((main(argv), err.getvalue()))
print(json.dumps(results))
"""


def binc_commands(*commands: tuple[object, ...]) -> subprocess.Popen[str]:
    """Several `binc` commands, one after another, in one new process (its imports paid once);
    `.communicate()` then gives a JSON list of (exit status, stderr)."""
    argvs = json.dumps([[str(a) for a in command] for command in commands])
    env = {**os.environ, **KEY_ENV}
    env.pop("BINC_DEBUG", None)
    return subprocess.Popen([sys.executable, "-c", _MANY, argvs], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def one_line(code: int, err: str, name: str, *words: str) -> str:
    """The fault contract: exit status 2 and one line on stderr naming the file, no traceback."""
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert name in err, err
    for word in words:
        assert word in err, err
    return err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def broken(kind: str, good: Path, to: Path) -> Path:
    """A copy of `good` broken in one of the ways a file breaks (or something else in its place)."""
    data = good.read_bytes()
    rng = random.Random(5)
    if kind == "directory":
        to.mkdir()
    elif kind == "empty":
        to.write_bytes(b"")
    elif kind == "garbage":
        to.write_bytes(rng.randbytes(65536))
    elif kind == "truncated":
        to.write_bytes(data[: len(data) * 3 // 10])
    elif kind == "damaged":  # the headers intact, every block after them overwritten
        to.write_bytes(data[:12288] + rng.randbytes(len(data) - 12288))
    elif kind == "header":
        to.write_bytes(rng.randbytes(4096) + data[4096:])
    return to


@contextlib.contextmanager
def file_size_limit(size: int) -> Iterator[None]:
    """Writes beyond `size` bytes fail in this process (EFBIG), in Python and in DuckDB alike: a
    disk that fills up halfway through a file, without root or a tiny file system."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the signal ends the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def make_read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make `folder` unwritable: chmod; as root (where chmod does not stop writes) chattr +i; where
    neither works, the writers' file creation in `folder` is made to fail with EROFS."""
    folder.chmod(0o555)
    if not writable(folder):
        return "chmod"
    folder.chmod(0o755)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)],
                                                 capture_output=True).returncode == 0:  # fmt: skip
        if not writable(folder):
            return "chattr"
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    from binc import release_file

    read_only = OSError(errno.EROFS, os.strerror(errno.EROFS))
    real_mkstemp, real_write = tempfile.mkstemp, release_file._write_file

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == folder:
            raise read_only
        return real_mkstemp(*args, dir=dir, **kwargs)

    def write_file(tmp: Path, *args):
        if tmp.parent == folder:
            raise read_only
        return real_write(tmp, *args)

    monkeypatch.setattr("binc.export.writers.tempfile.mkstemp", mkstemp)
    monkeypatch.setattr(release_file, "_write_file", write_file)
    return "simulated"


def writable(folder: Path) -> bool:
    try:
        (folder / ".probe").write_bytes(b"")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


KILL_FILES, KILL_ROWS = 4, 5_000


def file_states(warehouse: Path, files: list[Path], rows: int = KILL_ROWS) -> dict[str, str]:
    """Per file: "in" (log, every accepted row and every reject), "out" (none of it), or what is wrong."""
    con = duckdb.connect(str(warehouse), read_only=True)  # opens: the log replays or is discarded
    try:
        states = {}
        for path in files:
            prefix = path.stem + "-"
            logged = con.execute("SELECT rows_read, accepted, rejected FROM ingest_log WHERE file_name = ?",
                                 [path.name]).fetchall()  # fmt: skip
            stored = con.execute("SELECT count(*) FROM trajectories WHERE starts_with(record_id, ?)",
                                 [prefix]).fetchall()[0][0]  # fmt: skip
            rejects = con.execute("SELECT count(*) FROM rejects WHERE file_name = ?",
                                  [path.name]).fetchall()[0][0]  # fmt: skip
            rejected = rejected_of(rows)
            if logged == [(rows, rows - rejected, rejected)] and (stored, rejects) == (
                rows - rejected,
                rejected,
            ):
                states[path.name] = "in"
            elif not logged and stored == rejects == 0:
                states[path.name] = "out"
            else:
                states[path.name] = f"partly: log {logged}, {stored} rows, {rejects} rejects"
        return states
    finally:
        con.close()


def persons_complete(warehouse: Path) -> bool:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM persons) = (SELECT count(DISTINCT pseudonym) FROM trajectories)"
        ).fetchall()[0][0]
    finally:
        con.close()


def holds_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (it then holds DuckDB's lock on it)."""
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if Path(os.readlink(fd)) == path.resolve():
                    return True
    return False


def published(
    world: dict[str, Path], folder: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    """A folder holding a release and a CSV export (with its codebook). The release's privacy
    ledger is in the test's ledger directory (BINC_LEDGER_DIR): `snapshot` takes it in too."""
    folder.mkdir()
    release = shutil.copy(world["release"], folder / "r.duckdb")
    table = folder / "t.csv"
    code, _, _ = binc(capsys, "export", "--release", release, "--measure", "trajectories", "--by",
                      "year,partnership", "--format", "csv", "--out", table)  # fmt: skip
    assert code == 0
    return release, table


def snapshot(folder: Path) -> dict[str, str]:
    """The digest of every file in `folder` and in the privacy ledger directory (`ledger/<name>`)."""
    ledgers = Path(os.environ[LEDGER_DIR_ENV])
    return {p.name: digest(p) for p in folder.iterdir()} | {
        f"ledger/{p.name}": digest(p) for p in ledgers.iterdir()
    }


def unchanged(folder: Path, before: dict[str, str]) -> None:
    """Every file as it was (the privacy ledger too), and no temporary file left behind."""
    assert snapshot(folder) == before
    assert load_release(folder / "r.duckdb").release_id  # the previous release still opens


def release_into(world: dict[str, Path], release: Path) -> tuple[object, ...]:
    return ("release", "--warehouse", world["warehouse"], "--out", release, "--config",
            world["config"])  # fmt: skip


def export_into(table: Path, fmt: str = "csv") -> tuple[object, ...]:
    return ("export", "--release", table.parent / "r.duckdb", "--measure", "trajectories", "--by",
            "year,partnership", "--totals", "--format", fmt, "--out", table)  # fmt: skip


@dataclass(frozen=True)
class Kill:
    """How a kill went: `running` — the process was still running when the moment came, just
    before the signal; `returncode` — -SIGKILL when the signal is what ended it."""

    running: bool
    returncode: int

    @property
    def mid_run(self) -> bool:
        return self.running and self.returncode == -signal.SIGKILL


def kill_when(process: subprocess.Popen[str], moment: Callable[[], bool]) -> Kill:
    """SIGKILL `process` as soon as `moment()` is true (within 60 s); how that went."""
    deadline = time.monotonic() + 60
    running = False
    while process.poll() is None and time.monotonic() < deadline:
        if moment():
            running = process.poll() is None
            break
        time.sleep(0.001)
    process.kill()  # does nothing to a process that has already ended
    process.communicate()
    return Kill(running, process.returncode)


def log_size(warehouse: Path) -> int:
    log = warehouse.with_name(warehouse.name + ".wal")
    return log.stat().st_size if log.exists() else 0
