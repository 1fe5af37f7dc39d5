"""Faults, each a one-line message naming the file (exit status 2, no traceback) with nothing lost:
damaged or missing warehouse and release files, a release of another warehouse version, a full or
read-only disk during release and export, an ingest killed halfway, and two processes on one
warehouse. The product is used as users use it: `binc` (in-process through binc.cli.main, or
as its own process where a second process is the point) and the dashboard (Streamlit AppTest).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from support.faults import (
    KEY_ENV,
    KILL_FILES,
    KILL_ROWS,
    MINI_CONFIG,
    NN,
    binc,
    binc_commands,
    binc_process,
    broken,
    digest,
    export_into,
    exports,
    file_size_limit,
    file_states,
    holds_open,
    kill_when,
    log_size,
    make_read_only,
    one_line,
    persons_complete,
    published,
    rejected_of,
    release_into,
    snapshot,
    unchanged,
)
from support.small_release import app_test

from binc.cli import main
from binc.release.build import release_is_current
from binc.release_file import load_release


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A warehouse ingested from three exports, a two-table release of it, and its config."""
    base = tmp_path_factory.mktemp("faults")
    config = base / "mini.toml"
    config.write_text(MINI_CONFIG, encoding="utf-8")
    files = exports(base / "exports", 3, 300)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
        assert main(["ingest", "--warehouse", str(base / "w.duckdb"), *map(str, files)]) == 0
    (base / "releases").mkdir()
    release = base / "releases" / "r.duckdb"
    assert main(["release", "--warehouse", str(base / "w.duckdb"), "--out", str(release),
                 "--config", str(config)]) == 0  # fmt: skip
    return {"warehouse": base / "w.duckdb", "release": release, "config": config, "base": base}


# ---- damaged or missing warehouse --------------------------------------------------------------

WAREHOUSE_FAULTS = ("missing", "directory", "empty", "garbage", "header", "truncated", "damaged")


@pytest.mark.parametrize("fault", WAREHOUSE_FAULTS)
def test_a_broken_warehouse_is_one_clear_line_for_every_command_and_is_left_as_it_was(
    world, tmp_path, capsys, monkeypatch, fault
):
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
    bad = broken(fault, world["warehouse"], tmp_path / "w.duckdb")
    before = digest(bad) if bad.is_file() else None
    commands = [
        (
            "release",
            "--warehouse",
            bad,
            "--out",
            tmp_path / "r.duckdb",
            "--config",
            world["config"],
        ),
        ("purge", "--warehouse", bad, "--as-of", "2024-01-01"),
        ("subject-access", "--warehouse", bad, "--national-number", NN),
    ]
    if fault != "missing":  # ingest creates a missing warehouse: that is its job
        commands.append(("ingest", "--warehouse", bad, world["base"] / "exports" / "F0.csv"))
    for command in commands:
        code, out, err = binc(capsys, *command)
        one_line(code, err, "w.duckdb", "warehouse")
        assert "written to" not in out
        assert (digest(bad) if bad.is_file() else None) == before  # nothing written into it
    assert not (tmp_path / "r.duckdb").exists()


def test_ingest_refuses_to_turn_a_release_into_a_warehouse(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
    release = shutil.copy(world["release"], tmp_path / "r.duckdb")
    code, _, err = binc(
        capsys, "ingest", "--warehouse", release, world["base"] / "exports" / "F0.csv"
    )
    one_line(code, err, "r.duckdb", "not a BINC warehouse")
    assert digest(release) == digest(world["release"])
    assert load_release(release).release_id == load_release(world["release"]).release_id


# ---- damaged or missing release ------------------------------------------------------------------

RELEASE_FAULTS = ("missing", "directory", "empty", "garbage", "truncated", "damaged", "warehouse")


def broken_release(fault: str, world: dict[str, Path], tmp_path: Path) -> Path:
    if fault == "warehouse":
        return shutil.copy(world["warehouse"], tmp_path / "r.duckdb")
    return broken(fault, world["release"], tmp_path / "r.duckdb")


@pytest.mark.parametrize("fault", RELEASE_FAULTS)
def test_export_from_a_broken_release_is_one_clear_line(world, tmp_path, capsys, fault):
    release = broken_release(fault, world, tmp_path)
    code, _, err = binc(capsys, "export", "--release", release, "--measure", "trajectories",
                        "--by", "year", "--format", "csv", "--out", tmp_path / "t.csv")  # fmt: skip
    one_line(code, err, "r.duckdb", "release")
    assert not (tmp_path / "t.csv").exists()
    assert not (tmp_path / "t.codebook.json").exists()


@pytest.mark.parametrize("fault", RELEASE_FAULTS)
def test_the_dashboard_explains_a_broken_release_instead_of_failing(
    world, tmp_path, monkeypatch, fault
):
    monkeypatch.setenv("BINC_RELEASE", str(broken_release(fault, world, tmp_path)))
    at = app_test()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert "r.duckdb" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not at.title  # no page is drawn from a release that cannot be read


def test_the_dashboard_recovers_when_a_damaged_release_is_restored(world, tmp_path, monkeypatch):
    release = shutil.copy(world["release"], tmp_path / "r.duckdb")
    monkeypatch.setenv("BINC_RELEASE", str(release))
    at = app_test()
    at.run()
    assert not at.exception
    assert not at.error
    good = release.read_bytes()
    release.write_bytes(good[: len(good) // 3])  # e.g. a copy cut short by a full disk
    os.utime(release, (time.time() + 5, time.time() + 5))
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert "r.duckdb" in at.error[0].value
    release.write_bytes(good)
    os.utime(release, (time.time() + 10, time.time() + 10))
    at.run()
    assert not at.exception
    assert not at.error
    assert at.title


def test_serve_refuses_a_broken_release_before_opening_a_port(world, tmp_path, capsys, monkeypatch):
    release = broken("garbage", world["release"], tmp_path / "r.duckdb")
    monkeypatch.chdir(tmp_path)  # serve changes directory and sets BINC_RELEASE: both restored
    monkeypatch.setenv("BINC_RELEASE", "")
    code, out, err = binc(capsys, "serve", "--release", release, "--port", "1")
    lines = [line for line in err.splitlines() if "ScriptRunContext" not in line
             and "MemoryCacheStorageManager" not in line]  # fmt: skip
    one_line(code, "\n".join(lines), "r.duckdb", "cannot be opened as a release")
    assert "open http" not in out


@pytest.mark.parametrize("fault", ["missing", "empty", "garbage", "truncated"])
def test_audit_of_a_broken_export_is_one_clear_line(world, tmp_path, capsys, fault):
    code, _, _ = binc(capsys, "export", "--release", world["release"], "--measure",
                      "trajectories", "--by", "year", "--format", "parquet", "--out",
                      tmp_path / "good.parquet")  # fmt: skip
    assert code == 0
    exported = broken(fault, tmp_path / "good.parquet", tmp_path / "t.parquet")
    code, _, err = binc(capsys, "audit", exported)
    one_line(code, err, "t.parquet")


# ---- a release of another warehouse version -----------------------------------------------------


def test_release_check_says_which_warehouse_version_a_release_measured(
    world, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
    warehouse = shutil.copy(world["warehouse"], tmp_path / "w.duckdb")
    release = shutil.copy(world["release"], tmp_path / "r.duckdb")
    check = ("release", "--warehouse", warehouse, "--out", release, "--check")
    ledger_before = snapshot(tmp_path)
    code, out, _ = binc(capsys, *check)
    assert code == 0
    assert "current" in out
    assert digest(release) == digest(world["release"])  # --check builds and spends nothing
    assert not list(tmp_path.rglob("privacy-ledger*"))
    assert snapshot(tmp_path) == ledger_before  # the warehouse and the privacy ledger too

    new = exports(tmp_path / "new", 1, 20, "N")
    assert binc(capsys, "ingest", "--warehouse", warehouse, *new)[0] == 0
    measured = load_release(release).metadata["warehouse_version"].split(".")[1]
    code, _, err = binc(capsys, *check)
    one_line(
        code,
        err,
        "r.duckdb",
        f"data version {measured} of",
        f"now at data version {int(measured) + 1}",
    )

    other = tmp_path / "other.duckdb"
    assert binc(capsys, "ingest", "--warehouse", other, tmp_path / "new" / "N0.csv")[0] == 0
    code, _, err = binc(capsys, "release", "--warehouse", other, "--out", release, "--check")
    one_line(code, err, "r.duckdb", "measured from another warehouse")


def test_the_demo_sees_that_its_release_measured_an_older_warehouse_version(
    world, tmp_path, capsys, monkeypatch
):
    """`binc demo` (and `binc serve --demo`) rebuild the release when this says it is stale."""
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
    warehouse = shutil.copy(world["warehouse"], tmp_path / "warehouse.duckdb")
    release = shutil.copy(world["release"], tmp_path / "release.duckdb")
    assert release_is_current(release, warehouse)
    assert binc(capsys, "ingest", "--warehouse", warehouse, *exports(tmp_path, 1, 20, "D"))[0] == 0
    assert not release_is_current(release, warehouse)


# ---- a full or read-only disk during release and export ---------------------------------------


def test_a_disk_full_halfway_keeps_the_previous_release_and_export(world, tmp_path, capsys):
    release, table = published(world, tmp_path / "pub", capsys)
    before = snapshot(release.parent)
    with file_size_limit(200_000):  # the new release is ~1.3 MB: DuckDB fails while writing it
        code, out, err = binc(capsys, *release_into(world, release))
    one_line(code, err, "r.duckdb", "while writing the release; the previous release is kept")
    assert "written to" not in out
    unchanged(release.parent, before)  # the ledger too: an unpublished release spends nothing
    with file_size_limit(2_000):
        code, _, err = binc(capsys, *export_into(table.with_suffix(".xlsx"), "xlsx"))
        one_line(code, err, "t.xlsx", "while writing the export; nothing was written")
        code, _, err = binc(capsys, *export_into(table))
    one_line(code, err, "t.codebook.json", "while writing the export; the previous file is kept")
    unchanged(release.parent, before)


def test_no_space_left_is_said_in_those_words_and_loses_nothing(
    world, tmp_path, capsys, monkeypatch
):
    release, table = published(world, tmp_path / "pub", capsys)
    before = snapshot(release.parent)
    no_space = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def half_a_release(tmp: Path, *_: object) -> None:
        tmp.write_bytes(b"\0" * 65536)
        raise no_space

    with monkeypatch.context() as patch:
        patch.setattr("binc.release_file._write_file", half_a_release)
        code, _, err = binc(capsys, *release_into(world, release))
    one_line(
        code,
        err,
        "r.duckdb",
        "no space left on device while writing the release; the previous release is kept",
    )
    unchanged(release.parent, before)

    synced = []

    def fsync_then_full(fd: int) -> None:  # the codebook is staged, then the disk is full
        synced.append(fd)
        if len(synced) == 2:
            raise no_space

    with monkeypatch.context() as patch:
        patch.setattr("binc.export.writers.os.fsync", fsync_then_full)
        code, _, err = binc(capsys, *export_into(table))
    one_line(
        code,
        err,
        "t.csv",
        "no space left on device while writing the export; the previous file is kept",
    )
    unchanged(release.parent, before)

    with monkeypatch.context() as patch:  # the release is complete, but its ledger line is not
        patch.setattr("binc.release.ledger.os.fsync", lambda fd: (_ for _ in ()).throw(no_space))
        code, _, err = binc(capsys, *release_into(world, release))
    one_line(
        code,
        err,
        "privacy-ledger-",
        "no space left on device",
        "the release was not published",
    )
    unchanged(release.parent, before)  # no half line in the ledger, the previous release in place


def test_a_disk_full_during_ingest_loses_no_file_halfway(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY_ENV["BINC_PSEUDONYM_KEY"])
    warehouse = shutil.copy(world["warehouse"], tmp_path / "w.duckdb")
    files = exports(tmp_path / "new", 2, 2_000, "S")
    with file_size_limit(100_000):  # the warehouse's log cannot grow past 100 kB
        code, _, err = binc(capsys, "ingest", "--warehouse", warehouse, *files)
    one_line(code, err, "w.duckdb", "while writing the warehouse", "run the same command again")
    assert set(file_states(warehouse, files, rows=2_000).values()) <= {"in", "out"}
    assert (
        binc(capsys, "ingest", "--warehouse", warehouse, *files)[0] == 0
    )  # room again: it completes
    assert set(file_states(warehouse, files, rows=2_000).values()) == {"in"}


def test_a_read_only_folder_keeps_the_previous_release_and_export(
    world, tmp_path, capsys, monkeypatch
):
    release, table = published(world, tmp_path / "pub", capsys)
    before = snapshot(release.parent)
    method = make_read_only(release.parent, monkeypatch)
    try:
        code, _, err = binc(capsys, *release_into(world, release))
        one_line(code, err, "r.duckdb", "cannot write the release", "the previous release is kept")
        code, _, err = binc(capsys, *export_into(table))
        one_line(
            code, err, "t.codebook.json", "cannot write the export", "the previous file is kept"
        )
    finally:
        if method == "chattr":
            subprocess.run(["chattr", "-i", str(release.parent)], check=True)
        release.parent.chmod(0o755)
    unchanged(release.parent, before)


# ---- an ingest killed halfway -------------------------------------------------------------------


@pytest.fixture(scope="module")
def killed(world, tmp_path_factory) -> dict[str, object]:
    """Ingest of four files killed (SIGKILL) three times — 0.2 s after it opened the warehouse
    (still reading and checking the first file), as soon as it writes to the warehouse's log, right
    after it reported a file loaded (more files to go) — then run to the end; the state of every
    file after each, and how each kill went. Each file is committed in its own transaction, as with
    large exports, so a kill can fall between the files of one run."""
    base = tmp_path_factory.mktemp("killed")
    files = exports(base / "exports", KILL_FILES, KILL_ROWS, "K")
    warehouse = shutil.copy(world["warehouse"], base / "w.duckdb")
    result: dict[str, object] = {"files": files, "warehouse": warehouse, "kills": {}}

    def ingest() -> subprocess.Popen[str]:
        return binc_process("ingest", "--warehouse", warehouse, *files,
                            one_file_per_transaction=True)  # fmt: skip

    run = ingest()
    opened_at: list[float] = []

    def loading() -> bool:  # 0.2 s after the ingest opened the warehouse
        if not opened_at and holds_open(run.pid, warehouse):
            opened_at.append(time.monotonic())
        return bool(opened_at) and time.monotonic() - opened_at[0] > 0.2

    result["kills"]["opened"] = kill_when(run, loading)
    result["opened"] = file_states(warehouse, files)

    start = log_size(warehouse)
    run = ingest()
    result["kills"]["writing"] = kill_when(run, lambda: log_size(warehouse) > start)
    result["writing"] = file_states(warehouse, files)

    run = ingest()
    reported = []
    for line in run.stdout:
        if ": read " in line:  # loaded by this run (not "already ingested" by an earlier one)
            reported.append(line.split(":")[0])
            break
    result["kills"]["reported"] = kill_when(run, lambda: True)
    result["reported_files"] = reported
    result["reported"] = file_states(warehouse, files)
    result["persons_complete_after_kills"] = persons_complete(warehouse)

    rerun = binc_process("ingest", "--warehouse", warehouse, *files)
    result["rerun_out"], result["rerun_err"] = rerun.communicate(timeout=120)
    result["rerun_code"] = rerun.returncode
    result["final"] = file_states(warehouse, files)
    return result


def _killed_mid_run(killed: dict[str, object]) -> None:
    """Every kill landed while the ingest was still running, and the kill is what ended it."""
    assert set(killed["kills"]) == {"opened", "writing", "reported"}
    for moment, kill in killed["kills"].items():
        assert kill.running, f"{moment}: the ingest had ended before the moment to kill it came"
        assert kill.returncode == -signal.SIGKILL, f"{moment}: exit status {kill.returncode}"
        assert kill.mid_run


def test_a_killed_ingest_leaves_each_file_entirely_in_or_out_and_a_rerun_completes(killed):
    _killed_mid_run(killed)
    for moment in ("opened", "writing", "reported"):
        assert set(killed[moment].values()) <= {"in", "out"}, (moment, killed[moment])
    assert len(killed["reported_files"]) == 1  # the third kill came right after a file was loaded
    for name in killed["reported_files"]:  # what ingest reported as loaded survived the kill
        assert killed["reported"][name] == "in"
    assert killed["rerun_code"] == 0, killed["rerun_err"]
    assert set(killed["final"].values()) == {"in"}, killed["final"]
    con = duckdb.connect(str(killed["warehouse"]), read_only=True)
    read, accepted, rejected = con.execute(
        "SELECT sum(rows_read), sum(accepted), sum(rejected) FROM ingest_log "
        "WHERE starts_with(file_name, 'K')"
    ).fetchall()[0]
    con.close()
    assert accepted + rejected == read == KILL_FILES * KILL_ROWS


def test_a_killed_ingest_leaves_no_person_out(killed):
    _killed_mid_run(killed)
    # persons is written in the same transaction as the rows: complete right after the kills,
    # not only once a rerun has caught up
    assert killed["persons_complete_after_kills"]
    assert persons_complete(killed["warehouse"])


# ---- two processes on one warehouse --------------------------------------------------------------

IN_USE = "the warehouse is in use by another process; try again when it finishes"


def test_a_second_process_is_told_the_warehouse_is_in_use_and_nothing_changes(world, tmp_path):
    warehouse = shutil.copy(world["warehouse"], tmp_path / "w.duckdb")
    new = exports(tmp_path / "new", 1, 20, "U")
    before = digest(warehouse)
    release = ("release", "--warehouse", warehouse, "--out", tmp_path / "r.duckdb")
    purge = ("purge", "--warehouse", warehouse, "--as-of", "2024-01-01")
    access = ("subject-access", "--warehouse", warehouse, "--national-number", NN)
    ingest = ("ingest", "--warehouse", warehouse, *new)
    for read_only, commands in ((False, (release, purge, access, ingest)), (True, (ingest, purge))):
        # This test process holds the warehouse, as a running ingest (read-write) or release
        # (read-only) would; DuckDB lets one process write, or several only read.
        holder = duckdb.connect(str(warehouse), read_only=read_only)
        try:
            out, err = binc_commands(*commands).communicate(timeout=120)
        finally:
            holder.close()
        assert err == ""
        for (code, message), command in zip(json.loads(out), commands, strict=True):
            assert command[0] in message
            one_line(code, message, "w.duckdb", IN_USE)
    assert digest(warehouse) == before
    assert not (tmp_path / "r.duckdb").exists()


def test_ingest_and_release_at_the_same_time(world, tmp_path, capsys):
    warehouse = shutil.copy(world["warehouse"], tmp_path / "w.duckdb")
    files = exports(tmp_path / "new", 3, 5_000, "C")
    release = tmp_path / "r.duckdb"
    ingest = binc_process("ingest", "--warehouse", warehouse, *files)
    deadline = time.monotonic() + 60
    while not holds_open(ingest.pid, warehouse) and time.monotonic() < deadline:
        time.sleep(0.005)
    code, _, err = binc(capsys, *release_into(world | {"warehouse": warehouse}, release))
    assert ingest.poll() is None, "the ingest ended before the release started; make it longer"
    one_line(code, err, "w.duckdb", IN_USE)
    out, err = ingest.communicate(timeout=120)
    assert ingest.returncode == 0, err
    assert f"accepted {3 * (5_000 - rejected_of(5_000))}" in out
    assert binc(capsys, *release_into(world | {"warehouse": warehouse}, release))[0] == 0
    code, out, _ = binc(capsys, "release", "--warehouse", warehouse, "--out", release, "--check")
    assert code == 0
    assert "current" in out
