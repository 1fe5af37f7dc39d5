"""Security (issue 5, part 3): the dashboard reads the release read-only and never the
warehouse, the key never leaks, and filter values never reach SQL text.

The attacker and the careless operator use only what they have: `binc` commands (with the key
set, BINC_DEBUG=1 and an injected database fault), `answer()`, `binc export`, and the
dashboard's query parameters. Server hardening: test_security_server.py; what is checked on the
code itself (the SQL text rule, the dashboard's ways to a database) and on the key object:
tests/spec/test_security_code.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from support.exports import national_number, row, write_csv
from support.security_world import LOCALS_MARKER, REPO, World, key_forms, leaks

from binc.answering import answer
from binc.cli import main as binc
from binc.core.errors import UserError
from binc.release.build import build_release
from binc.release.ledger import use_ledger_dir
from binc.release_file import load_release
from binc.synthetic.generate import generate_exports
from dashboard.navigation import PAGE_NAMES

EVIL = (
    "2019'; DROP TABLE cells_trajectories; --",
    "' OR 1=1 --",
    '2019") UNION SELECT noisy FROM cells_trajectories --',
    "２０１９",  # full-width digits
    "2019\nbinc export: wrote /etc/passwd",  # a forged log line
    "\u202e9102",  # right-to-left override
    "2019\x00",
    "x" * 100_000,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """Synthetic exports ingested with a known key (10 files through BINC_PSEUDONYM_KEY, one
    hand-made file with a rejected row through --key-file), then a release of that warehouse."""
    base = tmp_path_factory.mktemp("security")
    (base / "cwd").mkdir()
    key = secrets.token_hex(32)
    key_file = base / "keys" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text(key + "\n")
    number = national_number(date(2015, 3, 12), 123)
    world = World(base, key, key_file, base / "data" / "warehouse.duckdb",
                  base / "data" / "release.duckdb", number)  # fmt: skip
    generate_exports(base / "exports", children=200, seed=3)
    synthetic = sorted((base / "exports").iterdir())[:10]
    hand_made = write_csv(base / "exports-2" / "P01-extra.csv", [
        row(record_id="SEC-1", national_number=number),
        row(record_id="SEC-2", national_number="15031212399"),  # check digits wrong: rejected
    ])  # fmt: skip
    first = world.binc("ingest", "--warehouse", str(world.warehouse), *map(str, synthetic))
    second = world.binc("ingest", "--warehouse", str(world.warehouse), "--key-file",
                        str(key_file), str(hand_made), key_env=False)  # fmt: skip
    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    assert "rejected 1" in second.stdout
    with use_ledger_dir(base / "ledger"):  # in the scanned folder: the key is not in it either
        build_release(world.warehouse, world.release)
    return world


# --- the dashboard reads one release, read-only, and never the warehouse ----------------------


def test_release_is_opened_read_only_even_while_another_process_holds_it(world, tmp_path):
    release = tmp_path / "release.duckdb"
    shutil.copy(world.release, release)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True);"
         "print('open', flush=True); sys.stdin.read()", str(release)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException, match="lock"):  # the control: a writer is refused
            duckdb.connect(str(release)).close()
        before = digest(release)
        loaded = load_release(release)  # would fail like the control if it asked for writing
        assert loaded.measurements
        assert digest(release) == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.duckdb"]  # no .wal written


PROBE_APP = """
import json, sys, duckdb
calls, real = [], duckdb.connect
def recording(database=":memory:", read_only=False, *args, **kwargs):
    calls.append([str(database), bool(read_only)])
    return real(database, read_only, *args, **kwargs)
duckdb.connect = recording
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=60)
at.run()
for page in sys.argv[2:]:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"calls": calls, "modules": sorted(m for m in sys.modules if m.startswith("dashboard"))}))
"""


def test_every_dashboard_page_opens_only_the_release_and_read_only(world, tmp_path):
    release = tmp_path / "shown.duckdb"
    shutil.copy(world.release, release)
    env = {**os.environ, "BINC_RELEASE": str(release), "BINC_SYNTHETIC": "1"}
    pages = PAGE_NAMES
    done = subprocess.run([sys.executable, "-c", PROBE_APP, str(REPO / "dashboard" / "app.py"), *pages],
                          env=env, capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["calls"] == [[str(release), True]]
    forbidden = ("binc.warehouse", "binc.ingest", "binc.release.build",
                 "binc.release.measure", "binc.release.ledger")  # fmt: skip
    assert not [m for m in seen["modules"] if m.startswith(forbidden)]
    assert "dashboard.data" in seen["modules"]  # the probe did load the dashboard


# --- the key never appears in output, tracebacks or files ---------------------------------------


def test_key_never_in_output_or_in_any_file(world, tmp_path):
    out = tmp_path / "access.xlsx"
    access = world.binc("subject-access", "--warehouse", str(world.warehouse),
                        "--national-number", world.national_number, "--out", str(out))  # fmt: skip
    by_file = world.binc("subject-access", "--warehouse", str(world.warehouse), "--national-number",
                         world.national_number, "--key-file", str(world.key_file), key_env=False)  # fmt: skip
    assert access.returncode == 0, access.output
    assert "SEC-1" in access.stdout
    assert by_file.stdout.rstrip() == access.stdout.split("\nwritten to")[0].rstrip()
    forms = key_forms(world.key)
    for run in world.runs:
        assert not leaks(run.output, forms), run.args
    with zipfile.ZipFile(out) as book:
        for member in book.namelist():
            assert not leaks(book.read(member), forms), member
    scanned = [p for p in world.base.rglob("*") if p.is_file() and p != world.key_file]
    assert world.warehouse in scanned
    assert world.release in scanned
    assert [p for p in scanned if p.name.startswith("privacy-ledger-")]  # the ledger is scanned
    for path in scanned:
        assert not leaks(path.read_bytes(), forms), path


def _fault_run(world: World, command: str):
    """`binc ingest` / `subject-access` with BINC_DEBUG=1 and the database failing on the first
    parameterised statement (ingest: writing the pseudonymised rows, with the key in use)."""
    if command == "ingest":
        csv = write_csv(world.base / "exports-3" / "P02-more.csv", [row(record_id="SEC-3")])
        run = world.binc("ingest", "--warehouse", str(world.base / "scratch.duckdb"), str(csv),
                         fault="any")  # fmt: skip
    else:
        run = world.binc("subject-access", "--warehouse", str(world.warehouse),
                         "--national-number", world.national_number, fault="any")  # fmt: skip
    assert run.returncode != 0, run.output
    assert "injected fault" in run.stderr, run.output
    standard, _, with_locals = run.stderr.partition(LOCALS_MARKER)
    assert "Traceback" in standard, run.stderr[-2000:]
    assert "Traceback" in with_locals, run.stderr[-2000:]
    return standard, with_locals


@pytest.mark.parametrize("command", ["ingest", "subject-access"])
def test_key_not_in_the_debug_traceback_of_a_database_fault(world, command):
    standard, _ = _fault_run(world, command)
    assert not leaks(standard, key_forms(world.key))


@pytest.mark.parametrize("command", ["ingest", "subject-access"])
def test_key_not_in_a_traceback_with_local_variables(world, command):
    _, with_locals = _fault_run(world, command)
    forms = key_forms(world.key)
    leaked = [line for line in with_locals.splitlines() if leaks(line, forms)]
    assert not leaked, leaked[:2]


# --- filter values never reach SQL text: refused cleanly, release intact ------------------------


def _clean_refusal(message: str) -> None:
    assert message.isprintable(), repr(message[:200])  # one line, no control or bidi characters
    assert len(message) <= 600, len(message)  # echoes are cut, a 100 kB value is not repeated


def test_answer_refuses_hostile_filters_and_the_release_is_intact(world):
    before = digest(world.release)
    release = load_release(world.release)
    reference = answer(release, "trajectories", ["year"]).frame
    for evil in EVIL:
        questions = [dict(measure=evil), dict(measure="trajectories", by=[evil]),
                     dict(measure="trajectories", where={evil: "2019"}),
                     dict(measure="trajectories", where={"year": evil}),
                     dict(measure="trajectories", where={"year": ["2019", evil]}),
                     dict(measure="share", by=["year", evil])]  # fmt: skip
        for question in questions:
            with pytest.raises(UserError) as refused:
                answer(release, **question)
            _clean_refusal(str(refused.value))
    assert answer(load_release(world.release), "trajectories", ["year"]).frame.equals(reference)
    assert digest(world.release) == before


@pytest.mark.parametrize("evil", EVIL, ids=range(len(EVIL)))
def test_export_refuses_hostile_where_by_and_measure(world, evil, tmp_path, capsys):
    before = digest(world.release)
    out = tmp_path / "table.csv"
    common = ["export", "--release", str(world.release), "--format", "csv", "--out", str(out)]
    attempts = [["--measure", "trajectories", "--by", "year", "--where", f"year={evil}"],
                ["--measure", "trajectories", "--by", "year", "--where", f"{evil}=2019"],
                ["--measure", "trajectories", "--by", f"year,{evil}"],
                ["--measure", evil, "--by", "year"]]  # fmt: skip
    for attempt in attempts:
        assert binc([*common, *attempt]) == 2
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert captured.out == ""
        assert len(lines) == 1
        assert lines[0].startswith("binc export: ")
        _clean_refusal(lines[0])
    assert not list(tmp_path.iterdir())
    assert digest(world.release) == before


@pytest.mark.parametrize("evil", [EVIL[0], EVIL[4], EVIL[7]], ids=["sql", "newline", "long"])
def test_dashboard_ignores_hostile_query_parameters(world, evil, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BINC_RELEASE", str(world.release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    before = digest(world.release)
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.query_params = {"lang": evil, "year": [evil, "2019' OR '1'='1"], "region": evil,
                       "type": [evil, "coaching_short'--"]}  # fmt: skip
    at.run()
    assert not at.exception
    assert not at.error
    state = at.session_state
    assert (state["f_lang"], state["f_region"], state["f_types"]) == ("nl", "ALL", [])
    assert state["f_years"] == [
        max(load_release(world.release).metadata["years"], key=int).__str__()
    ]
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "title")
                     for e in getattr(at, kind))  # fmt: skip
    assert evil[:12] not in shown
    assert evil[:12] not in json.dumps(dict(at.query_params))
    assert digest(world.release) == before
