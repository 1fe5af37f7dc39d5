"""The lifetime privacy budget as operators meet it on the command line: `binc ledger` shows the
ledger of a warehouse's data; `binc release` counts wherever it writes, takes --ledger-dir, refuses
at the limit and on a missing or inconsistent ledger (one line, naming the file); a re-ingest of the
same exports with the same key continues the total; two release processes cannot both pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.faults import MINI_CONFIG, binc, binc_process, exports, one_line

from binc.core.pseudonym_key import PseudonymKey
from binc.warehouse.schema import connect

RELEASE_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d  [0-9a-f]{32}  two_sided_geometric  ε 1  years 2019–2025$"
)


# A key of this module's own: other modules' warehouses of the same exports and the suite's test
# key are the same data (one ledger), and their releases are in the session's ledger directory.
KEY = "binc ledger command-line tests: a key of their own"
LEDGER_NAME = f"privacy-ledger-{PseudonymKey(KEY.encode()).ledger_id()}.jsonl"


# Every test here counts privacy budget from an empty ledger directory (tests/conftest.py).
pytestmark = pytest.mark.empty_ledger


@pytest.fixture
def data(tmp_path: Path, capsys, monkeypatch) -> dict[str, Path]:
    """Three exports ingested with this module's key into w.duckdb, and the two-table config."""
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", KEY)
    files = exports(tmp_path / "exports", 3, 40)
    warehouse = tmp_path / "w.duckdb"
    assert binc(capsys, "ingest", "--warehouse", warehouse, *files)[0] == 0
    config = tmp_path / "mini.toml"
    config.write_text(MINI_CONFIG, encoding="utf-8")
    return {"warehouse": warehouse, "config": config, "files": tmp_path / "exports"}


def release(capsys, data: dict[str, Path], out: Path, *extra: object) -> tuple[int, str, str]:
    out.parent.mkdir(parents=True, exist_ok=True)
    return binc(
        capsys,
        "release",
        "--warehouse",
        data["warehouse"],
        "--out",
        out,
        "--config",
        data["config"],
        *extra,
    )


def room_for_one_release(data: dict[str, Path]) -> None:
    """The config's lifetime limit at 1: one release of ε 1 fits, a second does not."""
    config = MINI_CONFIG.replace("lifetime_epsilon_limit = 10.0", "lifetime_epsilon_limit = 1.0")
    data["config"].write_text(config, encoding="utf-8")


def ledger(capsys, data: dict[str, Path], *extra: object) -> tuple[int, str, str]:
    return binc(
        capsys, "ledger", "--warehouse", data["warehouse"], "--config", data["config"], *extra
    )


def test_binc_ledger_lists_each_release_and_the_totals_against_the_limits(
    data, tmp_path, capsys, ledger_dir
):
    code, out, _ = ledger(capsys, data)
    assert code == 0
    assert "no releases of these data yet" in out
    for folder in ("a", "b"):  # two folders: one ledger
        code, out, err = release(capsys, data, tmp_path / folder / "r.duckdb")
        assert code == 0, err
    assert "(lifetime ε 2)" in out
    code, out, err = ledger(capsys, data)
    assert (code, err) == (0, "")
    shown = out.splitlines()
    path = ledger_dir / LEDGER_NAME
    assert shown[0] == f"ledger {path}"
    assert all(RELEASE_LINE.match(line) for line in shown[1:3]), shown
    assert shown[3:] == [
        "lifetime per child: 2 release(s), accounted in pure ε-DP: the ε add up (a calendar's "
        "start years side by side: the most one start year got)",
        "  ε of pure ε-DP releases: 2 of lifetime_epsilon_limit 10 (8 left)",
        "  ρ (zCDP, all releases): 1 of lifetime_rho_limit not set",
    ]
    assert not list(tmp_path.rglob("privacy-ledger*.jsonl"))  # nothing beside the releases


CALENDAR = """
[calendar]
closing_lag_years = 2
closing_day = "06-30"
provisional_share = 0.5
provisional_releases = 4
late_share = 0.1
"""


def test_a_calendar_release_carries_the_previous_one_forward_on_the_command_line(
    data, tmp_path, capsys
):
    """Today (the test's clock) every start year up to two and a half years back is closed: the
    first release measures those definitively; the second needs --previous and carries them."""
    data["config"].write_text(MINI_CONFIG + CALENDAR, encoding="utf-8")
    first, second = tmp_path / "r1.duckdb", tmp_path / "r2.duckdb"
    assert release(capsys, data, first)[0] == 0
    code, _, err = release(capsys, data, second)
    assert code == 2
    assert "has definitive figures of release" in err
    assert "with --previous" in err
    code, out, err = release(capsys, data, second, "--previous", first)
    assert (code, err) == (0, ""), err
    code, out, _ = ledger(capsys, data)
    lines = out.splitlines()
    assert re.match(r"^\d{4}-\d\d-\d\d  [0-9a-f]{32}  two_sided_geometric  ε \S+  "
                    r"definitive 2019–\d{4}; provisional \d{4}", lines[1]), lines  # fmt: skip
    # nothing definitive; the late registrations of the closed years it carries forward
    assert re.match(r".*  provisional \d{4}(–\d{4})?; late 2019–\d{4}$", lines[2]), lines
    assert "lifetime per child: 2 release(s)" in out


def test_binc_ledger_exits_1_with_one_line_when_the_ledger_is_missing_or_inconsistent(
    data, tmp_path, capsys, ledger_dir
):
    for n in range(2):
        assert release(capsys, data, tmp_path / f"r{n}.duckdb")[0] == 0
    path = ledger_dir / LEDGER_NAME
    good = path.read_bytes()
    first, second, _ = good.split(b"\n")
    path.write_bytes(
        first.replace(b'"created_at": "', b'"created_at": "1', 1) + b"\n" + second + b"\n"
    )
    code, _, err = ledger(capsys, data)
    assert code == 1
    assert err.startswith(f"binc ledger: {path}: line 2 does not follow line 1")
    assert len(err.strip().splitlines()) == 1
    code, _, err = release(capsys, data, tmp_path / "r2.duckdb")
    one_line(code, err, path.name, "hash chain")
    path.unlink()
    code, _, err = ledger(capsys, data)
    assert code == 1
    assert "the privacy ledger is missing" in err
    assert "2 release(s)" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = release(capsys, data, tmp_path / "r2.duckdb")
    one_line(code, err, path.name, "missing", "restore the ledger directory from its backup")
    assert not (tmp_path / "r2.duckdb").exists()
    path.write_bytes(good)  # restored from the backup: releases go on
    assert release(capsys, data, tmp_path / "r2.duckdb")[0] == 0


def test_release_and_ledger_take_a_ledger_dir(data, tmp_path, capsys, ledger_dir):
    chosen = tmp_path / "ledgers"
    code, _, err = release(capsys, data, tmp_path / "r.duckdb", "--ledger-dir", chosen)
    assert code == 0, err
    assert [p.name for p in chosen.iterdir()] == [LEDGER_NAME]
    assert not (ledger_dir / LEDGER_NAME).exists()
    code, out, _ = ledger(capsys, data, "--ledger-dir", chosen)
    assert code == 0
    assert "lifetime per child: 1 release(s)" in out
    code, _, err = ledger(capsys, data)  # BINC_LEDGER_DIR: not where this warehouse's ledger is
    assert code == 1
    assert "missing" in err


def test_a_reingest_with_binc_ingest_continues_the_total(data, tmp_path, capsys):
    assert release(capsys, data, tmp_path / "r.duckdb")[0] == 0
    again = tmp_path / "again.duckdb"
    files = sorted(data["files"].iterdir())
    assert binc(capsys, "ingest", "--warehouse", again, *files)[0] == 0
    code, out, _ = ledger(capsys, data | {"warehouse": again})
    assert code == 0
    assert "lifetime per child: 1 release(s)" in out
    code, out, _ = release(capsys, data | {"warehouse": again}, tmp_path / "r.duckdb")
    assert code == 0
    assert "(lifetime ε 2)" in out


def test_a_release_at_the_limit_is_refused_with_the_rule_named(data, tmp_path, capsys):
    room_for_one_release(data)
    assert release(capsys, data, tmp_path / "r.duckdb")[0] == 0
    code, out, err = release(capsys, data, tmp_path / "elsewhere" / "r.duckdb")
    one_line(
        code,
        err,
        "privacy-ledger-",
        "lifetime budget rule (lifetime_epsilon_limit)",
        "lifetime_epsilon_limit = 1 in the release config",
    )
    assert "written to" not in out
    code, out, _ = ledger(capsys, data)
    assert "1 of lifetime_epsilon_limit 1 (0 left)" in out


def test_a_warehouse_of_the_older_format_is_refused_with_a_request_to_reingest(
    data, tmp_path, capsys
):
    with connect(data["warehouse"]) as con:
        con.execute("DELETE FROM warehouse_meta WHERE key = 'ledger_id'")
    code, _, err = release(capsys, data, tmp_path / "r.duckdb")
    one_line(code, err, "w.duckdb", "no privacy ledger id", "re-ingest")
    code, _, err = ledger(capsys, data)
    assert code == 1
    assert "re-ingest" in err


def test_two_release_processes_cannot_both_pass(data, tmp_path, ledger_dir):
    """Room for one release; two `binc release` processes at once: exactly one is published."""
    room_for_one_release(data)
    processes = [
        binc_process(
            "release",
            "--warehouse",
            data["warehouse"],
            "--out",
            tmp_path / f"{name}.duckdb",
            "--config",
            data["config"],
        )
        for name in ("a", "b")
    ]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
    assert sorted(code for code, _ in results) == [0, 2], results
    (refusal,) = (err for code, err in results if code == 2)
    assert "in use by another release" in refusal or "lifetime budget rule" in refusal
    path = ledger_dir / LEDGER_NAME
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    assert len(list(tmp_path.glob("[ab].duckdb"))) == 1
