"""Spec tests of the lifetime privacy budget (binc/release/ledger.py): the ledger belongs to the data
(the registrations as pseudonymised with one key), not to a release's folder; a missing, edited or
shortened ledger refuses the release; a re-ingest with the same key continues the total; each line
records what its release's measurements covered; two releases cannot both pass the check.

Every test has an empty ledger directory of its own (BINC_LEDGER_DIR: the `ledger_dir` fixture).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from support.exports import OTHER_KEY, TEST_KEY
from support.faults import exports
from support.warehouses import TWO_TABLE_CONFIG, make_warehouse, trajectory, write_config

from binc.core.errors import UserError
from binc.core.noise import PURE_DP, ZCDP
from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files
from binc.release import ledger
from binc.release.build import build_release, check_current
from binc.release.ledger import (
    LedgerError,
    MeasurementSpend,
    Spend,
    open_ledger,
    totals_of,
    use_ledger_dir,
)
from binc.release_file import load_release
from binc.warehouse.release_log import recorded_releases
from binc.warehouse.schema import connect, warehouse_version

# Every test here counts privacy budget from an empty ledger directory (tests/conftest.py).
pytestmark = pytest.mark.empty_ledger


def config(folder: Path, limit: float = 10.0) -> Path:
    """The fast two-table config (ε 1 a release) with this lifetime_epsilon_limit."""
    return write_config(folder, TWO_TABLE_CONFIG, lifetime_epsilon_limit=limit)


def the_ledger(ledger_dir: Path) -> Path:
    (path,) = ledger_dir.glob("privacy-ledger-*.jsonl")
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def release(warehouse: Path, out: Path, cfg: Path) -> float:
    out.parent.mkdir(parents=True, exist_ok=True)
    return build_release(warehouse, out, cfg).lifetime.epsilon_pure


def spend(mechanism: str = PURE_DP, budget: float = 1.0) -> Spend:
    years = tuple(range(2019, 2026))
    return Spend(mechanism, budget, (MeasurementSpend("year", ("year",), years, "all", budget),))


# ---- the ledger belongs to the data -------------------------------------------------------------


def test_a_release_counts_wherever_it_is_written(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path, limit=2.5)
    assert release(warehouse, tmp_path / "a" / "r.duckdb", cfg) == 1.0
    assert release(warehouse, tmp_path / "b" / "r.duckdb", cfg) == 2.0  # another folder: counts
    with pytest.raises(UserError, match=r"lifetime budget rule \(lifetime_epsilon_limit\)"):
        release(warehouse, tmp_path / "c" / "r.duckdb", cfg)
    assert not list(tmp_path.rglob("privacy-ledger*"))  # never beside a release
    assert len(lines(the_ledger(ledger_dir))) == 2
    assert not (tmp_path / "c" / "r.duckdb").exists()


def test_moving_a_release_to_another_folder_still_counts(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path)
    release(warehouse, tmp_path / "old" / "r.duckdb", cfg)
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "r.duckdb").rename(tmp_path / "new" / "r.duckdb")
    shutil.rmtree(tmp_path / "old")
    assert release(warehouse, tmp_path / "new" / "r.duckdb", cfg) == 2.0
    meta = load_release(tmp_path / "new" / "r.duckdb").metadata
    assert meta["lifetime_epsilon"] == 2.0
    assert meta["ledger"]["releases"] == 2


def test_the_limit_refuses_with_a_message_naming_the_rule(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path, limit=1.0)
    release(warehouse, tmp_path / "r.duckdb", cfg)
    with pytest.raises(UserError) as refused:
        release(warehouse, tmp_path / "again.duckdb", cfg)
    message = str(refused.value)
    assert "lifetime budget rule (lifetime_epsilon_limit)" in message
    assert "have spent up to ε 1 per child; this release would take that to ε 2" in message
    assert "lifetime_epsilon_limit = 1 in the release config" in message
    assert str(the_ledger(ledger_dir)) in message
    assert len(lines(the_ledger(ledger_dir))) == 1  # a refused release spends nothing


def test_the_ledger_id_is_a_keyed_one_way_function_of_the_key_and_never_the_key(tmp_path):
    key = PseudonymKey(TEST_KEY)
    expected = hmac.new(TEST_KEY, b"binc privacy ledger v1", hashlib.sha256).hexdigest()[:32]
    assert key.ledger_id() == expected
    assert re.fullmatch(r"[0-9a-f]{32}", expected)  # never 64 hex digits: not pseudonym-like
    assert PseudonymKey(OTHER_KEY).ledger_id() != expected
    assert expected not in (TEST_KEY.decode(), TEST_KEY.hex())
    files = exports(tmp_path / "exports", 1, 20)
    ingest_files(tmp_path / "w.duckdb", files, key)
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
    assert meta["ledger_id"] == expected


def test_a_reingest_with_the_same_key_continues_the_total_and_another_key_starts_its_own(
    tmp_path, ledger_dir
):
    files = exports(tmp_path / "exports", 2, 30)
    cfg = config(tmp_path)
    first, again, other = (tmp_path / f"{n}.duckdb" for n in ("first", "again", "other"))
    ingest_files(first, files, PseudonymKey(TEST_KEY))
    assert release(first, tmp_path / "r1.duckdb", cfg) == 1.0
    assert release(first, tmp_path / "r2.duckdb", cfg) == 2.0
    # The warehouse is deleted; the same registrations, the same key, a new warehouse.
    first.unlink()
    ingest_files(again, files, PseudonymKey(TEST_KEY))
    assert release(again, tmp_path / "r3.duckdb", cfg) == 3.0
    assert len(lines(the_ledger(ledger_dir))) == 3
    # Another key gives other pseudonyms: other data, a ledger of its own.
    ingest_files(other, files, PseudonymKey(OTHER_KEY))
    assert release(other, tmp_path / "r4.duckdb", cfg) == 1.0
    assert len(list(ledger_dir.glob("privacy-ledger-*.jsonl"))) == 2


def test_ingest_refuses_data_of_another_key_into_a_warehouse(tmp_path):
    files = exports(tmp_path / "exports", 2, 10)
    ingest_files(tmp_path / "w.duckdb", files[:1], PseudonymKey(TEST_KEY))
    with pytest.raises(UserError, match="pseudonymised with another key"):
        ingest_files(tmp_path / "w.duckdb", files[1:], PseudonymKey(OTHER_KEY))


def test_a_warehouse_without_a_ledger_id_is_refused_with_a_request_to_reingest(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    with connect(warehouse) as con:  # as an older binc wrote it
        con.execute("DELETE FROM warehouse_meta WHERE key = 'ledger_id'")
    with pytest.raises(LedgerError) as refused:
        build_release(warehouse, tmp_path / "r.duckdb", config(tmp_path))
    message = str(refused.value)
    assert "no privacy ledger id" in message
    assert "re-ingest" in message
    assert "\n" not in message
    assert not (tmp_path / "r.duckdb").exists()


def test_the_demo_ledger_lives_where_it_is_told(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    with use_ledger_dir(tmp_path / "demo-ledger"):
        build_release(warehouse, tmp_path / "r.duckdb", config(tmp_path))
    assert len(list((tmp_path / "demo-ledger").glob("privacy-ledger-*.jsonl"))) == 1
    assert not list(ledger_dir.iterdir())


# ---- a missing or inconsistent ledger refuses the release ---------------------------------------


@pytest.fixture
def three_releases(tmp_path, ledger_dir) -> tuple[Path, Path, Path]:
    """(warehouse, config, ledger file) after three releases."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path)
    for n in range(3):
        release(warehouse, tmp_path / f"r{n}.duckdb", cfg)
    return warehouse, cfg, the_ledger(ledger_dir)


def refused(warehouse: Path, cfg: Path, *words: str) -> str:
    with pytest.raises(LedgerError) as error:
        build_release(warehouse, warehouse.parent / "next.duckdb", cfg)
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert not (warehouse.parent / "next.duckdb").exists()
    return message


def test_a_deleted_ledger_refuses_the_release(three_releases):
    warehouse, cfg, path = three_releases
    path.unlink()
    refused(warehouse, cfg, str(path), "missing", str(warehouse), "3 release(s)")
    assert not path.exists()  # the refusal does not start a new, empty ledger


def test_a_moved_ledger_directory_refuses_until_it_is_pointed_at(three_releases, tmp_path):
    warehouse, cfg, path = three_releases
    moved = tmp_path / "elsewhere"
    shutil.move(path.parent, moved)
    refused(warehouse, cfg, "missing", "--ledger-dir or BINC_LEDGER_DIR")
    with use_ledger_dir(moved):
        assert build_release(warehouse, tmp_path / "r.duckdb", cfg).lifetime.epsilon_pure == 4.0


def test_an_edited_line_breaks_the_hash_chain(three_releases):
    warehouse, cfg, path = three_releases
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = text[0].replace('"created_at": "', '"created_at": "1', 1)
    assert edited != text[0]
    path.write_text("".join([edited, *text[1:]]), encoding="utf-8")
    refused(warehouse, cfg, str(path), "line 2 does not follow line 1", "hash chain")
    spent_less = text[0].replace('"budget": 1.0', '"budget": 0.001', 1)
    path.write_text("".join([spent_less, *text[1:]]), encoding="utf-8")
    refused(warehouse, cfg, "line 1 states lifetime totals that its lines do not add up to")


def test_a_removed_line_is_found(three_releases):
    warehouse, cfg, path = three_releases
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(text[0] + text[2], encoding="utf-8")
    refused(warehouse, cfg, str(path), "line 2", "removed or inserted")


def test_a_removed_last_line_is_found_by_the_warehouses_record(three_releases):
    warehouse, cfg, path = three_releases
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(text[:2]), encoding="utf-8")
    last = lines_of(text[2])["release_id"]
    refused(warehouse, cfg, str(path), f"release {last}", "is not in the ledger", str(warehouse))


def test_an_edited_last_line_is_found_by_the_warehouses_record(three_releases):
    """Even with its totals made to add up again, the line is not the one the warehouse recorded."""
    warehouse, cfg, path = three_releases
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines_of(text[2])
    line.update(budget=0.001, lifetime_epsilon_pure=2.001, lifetime_rho=1.0000005)
    text[2] = json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text("".join(text), encoding="utf-8")
    refused(warehouse, cfg, str(path), "line 3", "is not the line", "edited")


def test_a_line_that_is_not_an_entry_and_an_incomplete_last_line_are_refused(three_releases):
    warehouse, cfg, path = three_releases
    good = path.read_bytes()
    path.write_bytes(good + b'{"oops": 1}\n')
    refused(warehouse, cfg, "line 4 is not a ledger entry")
    path.write_bytes(good + b'{"format": "binc-ledger/1", "li')
    refused(warehouse, cfg, "line 4 is incomplete")


def test_another_datas_ledger_in_its_place_is_refused(three_releases, tmp_path, ledger_dir):
    warehouse, cfg, path = three_releases
    other = make_warehouse(tmp_path / "other.duckdb", [trajectory()])
    release(other, tmp_path / "o.duckdb", cfg)
    (other_path,) = (p for p in ledger_dir.glob("privacy-ledger-*.jsonl") if p != path)
    shutil.copy(other_path, path)
    refused(warehouse, cfg, "line 1 belongs to another ledger")


def lines_of(text: str) -> dict:
    return json.loads(text)


# ---- what a line records, and how the warehouse records it ----------------------------------------


def test_each_line_records_what_its_measurements_covered_and_chains(three_releases):
    warehouse, _, path = three_releases
    entries = lines(path)
    raw = path.read_bytes().split(b"\n")
    assert [e["line"] for e in entries] == [1, 2, 3]
    assert entries[0]["previous_sha256"] is None
    for n in (1, 2):
        assert entries[n]["previous_sha256"] == hashlib.sha256(raw[n - 1]).hexdigest()
    with connect(warehouse, read_only=True) as con:
        ledger_id = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())[
            "ledger_id"
        ]
        records = recorded_releases(con)
        version = warehouse_version(con)
    assert path.name == f"privacy-ledger-{ledger_id}.jsonl"
    first = entries[0]
    assert first["ledger_id"] == ledger_id
    assert first["warehouse_version"] == version  # a release does not change the data version
    assert first["mechanism"] == "two_sided_geometric"
    assert first["budget"] == pytest.approx(1.0)
    assert [(m["name"], m["dimensions"], m["phase"]) for m in first["measurements"]] == [
        ("year", ["year"], "all"),
        ("year_partnership", ["year", "partnership"], "all"),
    ]
    assert all(m["years"] == list(range(2019, 2026)) for m in first["measurements"])
    assert sum(m["budget"] for m in first["measurements"]) == pytest.approx(1.0)
    assert [e["lifetime_epsilon_pure"] for e in entries] == pytest.approx([1.0, 2.0, 3.0])
    # The warehouse recorded each release with its line's hash.
    assert [r.release_id for r in records] == [e["release_id"] for e in entries]
    assert [r.ledger_line_sha256 for r in records] == [
        hashlib.sha256(line).hexdigest() for line in raw[:3]
    ]
    assert {r.mechanism for r in records} == {"two_sided_geometric"}


def test_the_release_publishes_the_totals_but_not_the_ledger_id(three_releases, tmp_path):
    warehouse, _, path = three_releases
    meta = load_release(tmp_path / "r2.duckdb").metadata
    assert meta["lifetime_epsilon"] == pytest.approx(3.0)
    assert meta["ledger"]["releases"] == 3
    assert meta["ledger"]["lifetime_epsilon_pure"] == pytest.approx(3.0)
    assert meta["ledger"]["lifetime_rho"] == pytest.approx(1.5)
    assert meta["ledger"]["pure_only"] is True
    ledger_id = lines(path)[0]["ledger_id"]
    assert ledger_id not in json.dumps(meta)
    assert str(path.parent) not in json.dumps(meta)
    assert check_current(tmp_path / "r2.duckdb", warehouse)  # recording kept it current


def test_a_failed_warehouse_record_over_counts_and_never_publishes(
    tmp_path, ledger_dir, monkeypatch
):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path)

    def fails(*_: object) -> None:
        raise UserError("w.duckdb: the warehouse is in use by another process")

    with monkeypatch.context() as patch:
        patch.setattr("binc.release.ledger.record_release", fails)
        with pytest.raises(UserError, match="in use"):
            release(warehouse, tmp_path / "r.duckdb", cfg)
    assert not (tmp_path / "r.duckdb").exists()
    assert len(lines(the_ledger(ledger_dir))) == 1  # the line was written first: counted
    assert release(warehouse, tmp_path / "r.duckdb", cfg) == 2.0  # over-counted, never under


# ---- the two mechanisms' accounting ----------------------------------------------------------------


def test_pure_releases_add_epsilon_and_a_mix_is_accounted_in_zcdp():
    pure = totals_of([spend(PURE_DP, 1.0), spend(PURE_DP, 0.5)])
    assert (pure.epsilon_pure, pure.rho, pure.releases, pure.pure_only) == (1.5, 0.625, 2, True)
    mixed = totals_of([spend(PURE_DP, 1.0), spend(ZCDP, 0.25)])
    assert (mixed.epsilon_pure, mixed.rho, mixed.pure_only) == (1.0, 0.75, False)


def calendar_spend(
    mechanism: str, slices: dict[tuple[str, str, int], float], phase: str = "provisional"
) -> Spend:
    """A calendar release: {(table, family, start year): budget of that slice}."""
    measurements = tuple(
        MeasurementSpend(table, ("year",), (year,), phase, budget, family)
        for (table, family, year), budget in slices.items()
    )
    return Spend(mechanism, sum(slices.values()), measurements)


def test_a_calendar_charges_a_child_the_most_any_one_start_year_spent():
    """Per child: Σ over families of the largest total any start year got (the ledger module's
    bound), not the sum over releases; releases without a calendar still charge in full."""
    first = calendar_spend(PURE_DP, {("t", "kept", 2024): 0.6, ("u", "kept", 2024): 0.4,
                                     ("t", "kept", 2025): 0.1, ("d", "dropped", 2025): 0.05})  # fmt: skip
    second = calendar_spend(PURE_DP, {("t", "kept", 2025): 0.1, ("t", "kept", 2026): 0.1,
                                      ("d", "dropped", 2024): 0.01})  # fmt: skip
    totals = totals_of([first, second])
    # kept: 2024 got 1.0, 2025 0.2, 2026 0.1 → 1.0; dropped: 2025 0.05, 2024 0.01 → 0.05
    assert totals.epsilon_pure == pytest.approx(1.05)
    # in ρ, a pure release's spend on a start year counts ε²/2 (its tables composed first)
    assert totals.rho == pytest.approx(1.0**2 / 2 + 0.05**2 / 2)
    assert totals_of([spend(PURE_DP, 1.0), first]).epsilon_pure == pytest.approx(2.05)
    # zCDP slices add their ρ; a pure slice counts ε²/2
    mixed = totals_of([first, calendar_spend(ZCDP, {("t", "kept", 2025): 0.6})])
    assert not mixed.pure_only
    assert mixed.rho == pytest.approx(max(1.0**2 / 2, 0.1**2 / 2 + 0.6) + 0.05**2 / 2)


def test_a_closed_start_year_is_measured_definitively_once(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    definitive = calendar_spend(PURE_DP, {("year", "kept", 2023): 1.0}, "definitive")
    with open_ledger(warehouse, None) as book:
        book.check(definitive, 10.0, None)
        book.record("a" * 32, "x.1", "2026-01-01T00:00:00+00:00", definitive)
        assert book.measured("year", "definitive") == {2023: ["a" * 32]}
        with pytest.raises(UserError, match=r"calendar rule: start year 2023 of table year was "
                           r"measured definitively by release a{32}"):  # fmt: skip
            book.check(definitive, 10.0, None)
        other_year = calendar_spend(PURE_DP, {("year", "kept", 2024): 1.0}, "definitive")
        assert book.check(other_year, 10.0, None).epsilon_pure == pytest.approx(1.0)


def test_zcdp_releases_are_checked_against_lifetime_rho_limit(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    version = "x.1"
    with open_ledger(warehouse, None) as book:
        with pytest.raises(
            UserError, match=r"lifetime budget rule \(lifetime_rho_limit\).*declares no"
        ):
            book.check(spend(ZCDP, 0.5), 10.0, None)
        after = book.check(spend(ZCDP, 0.5), 10.0, 1.0)
        assert (after.rho, after.pure_only) == (0.5, False)
        book.record("r1", version, "2026-01-01T00:00:00+00:00", spend(ZCDP, 0.5))
    with open_ledger(warehouse, None) as book:
        assert book.check(spend(PURE_DP, 1.0), 10.0, 1.0).rho == pytest.approx(1.0)  # ε²/2 = 0.5
        book.record("r2", version, "2026-01-02T00:00:00+00:00", spend(PURE_DP, 1.0))
    with open_ledger(warehouse, None) as book:
        totals = book.totals()
        assert (totals.epsilon_pure, totals.rho, totals.releases) == (1.0, 1.0, 2)
        with pytest.raises(UserError, match=r"lifetime_rho_limit\).*ρ 1 .*ε²/2.*ε 0.1 would"):
            book.check(spend(PURE_DP, 0.1), 10.0, 1.0)


def test_record_needs_a_check_of_the_same_spend(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    with open_ledger(warehouse, None) as book, pytest.raises(RuntimeError):
        book.record("r1", "x.1", "2026-01-01T00:00:00+00:00", spend())
    with open_ledger(warehouse, None, write=False) as book:
        book.check(spend(), 10.0, None)
        with pytest.raises(RuntimeError, match="opened for reading"):
            book.record("r1", "x.1", "2026-01-01T00:00:00+00:00", spend())


# ---- two releases at the same time ---------------------------------------------------------------


def test_the_lock_is_held_from_check_to_record(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    with open_ledger(warehouse, None) as book:
        book.check(spend(), 1.0, None)
        with pytest.raises(UserError, match="in use by another release of the same data"):
            open_ledger(warehouse, None)
        book.record("r1", "x.1", "2026-01-01T00:00:00+00:00", spend())
    with open_ledger(warehouse, None) as book, pytest.raises(UserError, match="lifetime budget"):
        book.check(spend(), 1.0, None)


def test_concurrent_releases_cannot_both_pass(tmp_path, ledger_dir):
    """Two threads release the same data at once with room for one: exactly one is published."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    cfg = config(tmp_path, limit=1.0)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def one(name: str) -> None:
        start.wait()
        try:
            build_release(warehouse, tmp_path / f"{name}.duckdb", cfg)
            outcomes[name] = "published"
        except UserError as error:
            outcomes[name] = str(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["a", "b"]
    assert list(outcomes.values()).count("published") == 1, outcomes
    (refusal,) = (v for v in outcomes.values() if v != "published")
    assert "in use by another release" in refusal or "lifetime budget rule" in refusal
    assert len(lines(the_ledger(ledger_dir))) == 1
    assert len([p for p in tmp_path.glob("[ab].duckdb")]) == 1


def test_the_default_directory_is_the_state_home_never_a_release_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("BINC_LEDGER_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert ledger.resolve_ledger_dir(None) == tmp_path / "state" / "binc" / "ledger"
    monkeypatch.setenv("BINC_LEDGER_DIR", str(tmp_path / "configured"))
    assert ledger.resolve_ledger_dir(None) == tmp_path / "configured"
    assert ledger.resolve_ledger_dir(tmp_path / "given") == tmp_path / "given"
