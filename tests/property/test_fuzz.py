"""Fuzzing (issue 5, part 5): random files into `binc ingest`, random questions into the answering
function and `binc export`. Nothing may end in an unhandled exception — only success or a UserError
(exit status 2) with a one-line message — and the invariants hold: accepted + rejected = read, every
reject names file, line, field and reason; every shown value rests on a base ≥ k, intervals contain
their estimate, suppressed cells carry no number.

The CI budget is small (see `budget`); HYPOTHESIS_PROFILE=long runs ~20× more examples
(benchmarks/fuzz_long.py prints the figures). BINC_DEBUG=1 makes the CLI re-raise programmer errors,
so a crash shows up here with its traceback instead of as exit status 1.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import math
import os
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from support.exports import TEST_KEY, row
from support.small_release import session_folder, small_ledger_dir, small_release

from binc.answering import DIMENSIONS, MEASURES, TOTAL, answer, list_measures
from binc.answering.catalogue import measure_defs
from binc.cli import main
from binc.core.errors import UserError
from binc.core.format_v1 import COLUMNS, IDENTIFYING
from binc.export.writers import FORMATS, csv_bytes, export_files
from binc.release.build import build_release
from binc.release.ledger import use_ledger_dir
from binc.release_file import Release, load_release

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
TODAY = date(2026, 11, 29)
COUNTS = re.compile(r"^(?!total:)(?P<file>\S+): read (\d+), accepted (\d+), rejected (\d+)", re.M)


def budget(examples: int) -> settings:
    """CI: `examples` (all tests of both attack files within ~60 s on 2 cores); long: 20×."""
    return settings(
        max_examples=examples * 20 if LONG else examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A directory with the key; every ingest example writes its own file and warehouse there."""
    base = tmp_path_factory.mktemp("fuzz")
    (base / "key").write_bytes(TEST_KEY)
    return base


_counter = itertools.count()


@contextlib.contextmanager
def _debug() -> Iterator[None]:
    """BINC_DEBUG=1 for one CLI call: a programmer error is re-raised, not turned into exit 1."""
    before = os.environ.get("BINC_DEBUG")
    os.environ["BINC_DEBUG"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["BINC_DEBUG"]
        else:
            os.environ["BINC_DEBUG"] = before


def _ingest(workspace: Path, name: str, content: bytes) -> tuple[int, str, str, Path]:
    """Run `binc ingest` on one file into a new warehouse (a replayed example must not find its
    file already ingested); (status, stdout, stderr, warehouse). A programmer error propagates."""
    number = next(_counter)
    path, warehouse = workspace / f"{number}-{name}", workspace / f"w{number}.duckdb"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    argv = ["ingest", "--warehouse", str(warehouse), "--key-file"]
    argv += [str(workspace / "key"), "--today", TODAY.isoformat(), str(path)]
    with _debug(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert status in (0, 2), (status, err.getvalue())
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if status == 2:
        message = err.getvalue().strip()
        assert "\n" not in message  # one line
        assert path.name in message  # naming the file
    return status, out.getvalue(), err.getvalue(), warehouse


def _rejects(warehouse: Path, file_name: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT line, field, reason, problems FROM rejects WHERE file_name = ? ORDER BY line",
            [file_name],
        ).fetchall()
    finally:
        con.close()


def _check_counts(warehouse: Path, stdout: str, rows: int | None = None) -> list[tuple]:
    """accepted + rejected = read, and the rejects table holds one row per rejected line."""
    match = COUNTS.search(stdout)
    assert match, stdout
    name, read, accepted, rejected = match.group("file"), *map(int, match.groups()[1:])
    assert accepted + rejected == read
    if rows is not None:
        assert read == rows  # nothing silently dropped or invented
    rejects = _rejects(warehouse, name)
    assert len(rejects) == rejected
    for line, field, reason, _ in rejects:
        assert 2 <= line <= read + 1
        assert field in (*COLUMNS, "line")
        assert reason.strip()
    return rejects


# ---- ingest: random files ---------------------------------------------------------------------

HEADER = ",".join(COLUMNS).encode()
SUFFIXES = (".csv", ".CSV", ".txt", ".xlsx", ".parquet", ".json", "")


@budget(10)
@given(
    content=st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: HEADER + b"\n" + b),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),  # zip magic, as XLSX has
        st.binary(max_size=300).map(lambda b: b"PAR1" + b + b"PAR1"),  # parquet magic
    ),
    suffix=st.sampled_from(SUFFIXES),
)
def test_random_bytes_are_read_or_refused_never_crash(workspace, content, suffix):
    status, stdout, _, warehouse = _ingest(workspace, f"bytes{suffix}", content)
    if status == 0:
        _check_counts(warehouse, stdout)


FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12
) | st.sampled_from(["", " ", '"', "a,b", "x;y", "\n", "TOTAL", "NULL", "1e9", "-1", "2023-02-30"])


@st.composite
def random_tables(draw) -> tuple[bytes, bool, int]:
    """(file bytes, header complete, number of records) of a CSV with random columns and values."""
    columns = draw(st.permutations(COLUMNS))
    n = len(COLUMNS)
    keep = draw(st.sampled_from([n, n, n, n, n - 1, n - 2]))  # mostly complete: rows get read
    columns = [c.upper() if draw(st.booleans()) else c for c in columns[:keep]]
    if draw(st.integers(1, 5)) == 1:
        columns.append(draw(st.sampled_from(["email", "note", "Record_ID"])))
    records = draw(
        st.lists(st.lists(FIELD_TEXT, min_size=len(columns), max_size=len(columns)), max_size=6)
    )
    separator = draw(st.sampled_from([",", ";"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    text = io.StringIO()
    writer = csv.writer(
        text, delimiter=separator, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    writer.writerow(columns)
    writer.writerows(records)
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = text.getvalue().encode("utf-8")
    complete = sorted(c.lower() for c in columns) == sorted(COLUMNS)
    return data, complete, len(records)


@budget(12)
@given(table=random_tables())
def test_random_csv_tables_are_read_or_refused_with_a_reason(workspace, table):
    data, complete, records = table
    status, stdout, stderr, warehouse = _ingest(workspace, "table.csv", data)
    if status == 0:
        _check_counts(warehouse, stdout, rows=records)
    else:  # refused whole: for a structural reason, named
        event("file refused" + ("" if complete else " (columns)"))
        reasons = r"missing column|unknown column|appears twice|not UTF-8|empty"
        assert re.search(reasons, stderr), stderr


VALID_ISH = {
    "programme": ["1g1p", "other_youth_care", "1G1P"],
    "partnership_id": ["P01", "P16", "P17", "p01", ""],
    "national_number": ["15.03.12-123.76", "15031212300", "1503121237"],
    "birth_date": ["12/03/2015", "2015-02-29", "42000", "2099-01-01"],
    "sex": ["M", "V", "X", "m"],
    "municipality_nis": ["11002", "99999", "1100"],
    "family_size": ["1", "20", "21", "0", "3.0"],
    "trajectory_type": ["bridging", "psychologist", "Bridging"],
    "start_date": ["2023-02-01", "2019-01-01", "2031-01-01", "01/02/2023"],
    "end_date": ["", "2023-01-31", "2026-11-30"],
    "end_reason": ["", "moved_away", "goals_partly_reached"],
    "follow_up": ["", "realised", "indicated"],
}
MARKER = st.from_regex(r"X9[a-z0-9]{6,10}", fullmatch=True)  # a recognisable identifying value


@st.composite
def mutated_rows(draw) -> tuple[list[dict[str, str]], set[int], list[str]]:
    """Valid rows, some with fields replaced; (rows, indexes of mutated rows, identifying markers)."""
    n = draw(st.integers(1, 8))
    rows, mutated, markers = [], set(), []
    for i in range(n):
        changes = {}
        for field in draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True)):
            if field in IDENTIFYING and draw(st.booleans()):
                value = draw(MARKER)
                markers.append(value)
            elif field in VALID_ISH and draw(st.booleans()):
                value = draw(st.sampled_from(VALID_ISH[field]))
            else:
                value = draw(FIELD_TEXT.filter(lambda v: "\n" not in v and "\r" not in v))
            changes[field] = value
        if changes:
            mutated.add(i)
        rows.append(row(**{"record_id": f"r{i}", **changes}))
    return rows, mutated, markers


@budget(15)
@given(case=mutated_rows(), separator=st.sampled_from([",", ";"]))
def test_valid_rows_mutated_field_by_field_keep_every_row_accounted_for(workspace, case, separator):
    rows, mutated, markers = case
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(COLUMNS), delimiter=separator)
    writer.writeheader()
    writer.writerows(rows)
    status, stdout, stderr, warehouse = _ingest(workspace, "rows.csv", text.getvalue().encode())
    assert status == 0, stderr  # a bad value rejects its row, never the file
    rejects = _check_counts(warehouse, stdout, rows=len(rows))
    ids = [r["record_id"] for r in rows]
    clean = {i for i in range(len(rows)) if i not in mutated and ids.count(ids[i]) == 1}
    rejected_lines = {line for line, *_ in rejects}
    assert not rejected_lines & {i + 2 for i in clean}, "an untouched valid row was rejected"
    text_of_rejects = " ".join(str(v) for r in rejects for v in r)
    for marker in markers:
        assert marker not in text_of_rejects, "an identifying value was copied into a reject"


# ---- answering and export: random questions ---------------------------------------------------

# The noise of the fuzzed release is seeded, so that a failing example can be replayed; the long
# run (benchmarks/fuzz_long.py) draws a new seed each time to fuzz other noise as well.
RELEASE_SEED = int(os.environ.get("BINC_FUZZ_RELEASE_SEED", "2026"))


@cache
def _release_path() -> Path:
    """A release of the test suite's small synthetic warehouse, with seeded noise."""
    _, warehouse = small_release()
    out = session_folder("binc-fuzz-") / "release.duckdb"
    with use_ledger_dir(small_ledger_dir()):  # the shared warehouse's ledger, whichever test asks
        build_release(warehouse, out, rng=np.random.default_rng(RELEASE_SEED))
    return out


@cache
def _release() -> Release:
    return load_release(_release_path())


JUNK = st.text(max_size=8) | st.sampled_from([TOTAL, "", " year", "YEAR", "street", "pseudonym"])


def _sometimes(draw, strategy, often: st.SearchStrategy, one_in: int) -> st.SearchStrategy:
    """`often`, or once in `one_in` draws `often | strategy` (junk mixed in)."""
    return often | strategy if draw(st.integers(1, one_in)) == 1 else often


@st.composite
def questions(draw) -> tuple[str, list[str], dict[str, object], bool]:
    """Mostly questions inside the workload (so the invariants get exercised), some outside it."""
    release = _release()
    listed = {m["name"]: m["dimensions"] for m in list_measures(release)}
    measure = draw(_sometimes(draw, JUNK, st.sampled_from(MEASURES), 10))
    allowed = listed.get(measure) or list(DIMENSIONS)
    # dimensions one measured table holds together (with what the statistic uses), so that most
    # questions fall inside the workload
    spec = measure_defs().get(measure)
    tables = [
        [d for d in m.dimensions if d in allowed]
        for m in release.measurements.values()
        if spec is None or (m.unit == spec.source_unit and set(spec.uses) <= set(m.dimensions))
    ]
    within = draw(st.sampled_from([t for t in tables if t] or [allowed]))
    pool = _sometimes(draw, st.sampled_from(DIMENSIONS) | JUNK, st.sampled_from(within), 6)
    unique = draw(st.integers(1, 10)) > 1  # now and then a dimension named twice
    by = draw(st.lists(pool, max_size=3 if LONG else 2, unique=unique))
    domains = release.metadata["domains"]
    where: dict[str, object] = {}
    for dim in draw(st.lists(pool, max_size=2, unique=True)):
        codes = _sometimes(draw, JUNK, st.sampled_from(domains.get(dim) or [TOTAL]), 6)
        where[dim] = draw(codes | st.lists(codes, max_size=3))
    return measure, by, where, draw(st.booleans())


def _expected_rows(release, by: list[str], where: dict[str, object], totals: bool) -> int:
    def size(dim: str) -> int:
        if dim not in where:
            return len(release.metadata["domains"][dim])
        codes = where[dim]
        return 1 if isinstance(codes, str) else len(set(codes))

    return math.prod(size(d) + totals for d in by)


def check_invariants(table, k: int) -> None:
    frame = table.frame
    assert frame.columns == [
        *table.dimensions, "value", "ci_low", "ci_high", "base", "suppressed", "too_uncertain",
    ]  # fmt: skip
    assert frame["too_uncertain"].null_count() == 0
    assert not (frame["too_uncertain"] & frame["suppressed"]).any(), "hidden and too uncertain"
    hidden = frame.filter(pl.col("suppressed"))
    for column in ("value", "ci_low", "ci_high", "base"):
        assert hidden[column].null_count() == hidden.height, f"suppressed cell keeps {column}"
    shown = frame.filter(~pl.col("suppressed"))
    assert sum(shown.select("value", "ci_low", "ci_high", "base").null_count().row(0)) == 0
    assert (shown["base"] >= k).all(), "a value resting on fewer than k is shown"
    if table.kind == "count":
        assert (shown["value"] >= k).all()
    else:
        assert shown["value"].is_between(0, math.inf if table.kind == "median" else 100).all()
    outside = shown.filter(
        (pl.col("ci_low") > pl.col("value")) | (pl.col("value") > pl.col("ci_high"))
    )
    assert outside.is_empty(), f"{table.measure}: interval misses its estimate: {outside.head(3)}"


@budget(150)
@given(question=questions())
# found by the long run: the refusal listed all 304 municipalities (2,175 characters)
@example(question=("trajectories", [], {"municipality": ""}, False))
def test_random_questions_are_answered_safely_or_refused_clearly(question):
    measure, by, where, totals = question
    release = _release()
    try:
        table = answer(release, measure, by=by, where=where, totals=totals)
    except UserError as error:
        message = str(error)
        assert "\n" not in message
        assert len(message) < 1500
        assert re.search(
            r"allowed|unknown|cannot|no measured table|give|counted|twice|not measured|too many to protect",
            message,
        ), message
        event("refused")
        return
    has_hidden = "with" if table.frame["suppressed"].any() else "without"
    event(f"answered: {table.kind}, {has_hidden} suppressed cells")
    check_invariants(table, release.k)
    assert table.frame.height == _expected_rows(release, by, where, totals)
    for fmt in FORMATS:
        files = export_files(table, Path("fuzz.csv" if fmt == "csv" else f"fuzz.{fmt}"), fmt, "en")
        assert all(files.values())
    exported = pl.read_csv(io.BytesIO(csv_bytes(table)), infer_schema=False)
    hidden = exported.filter(pl.col("suppressed") == "true")
    assert (
        hidden.select(pl.col("value", "ci_low", "ci_high").null_count()).row(0)
        == (hidden.height,) * 3
    )


ARG = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@budget(25)
@given(
    measure=st.sampled_from(MEASURES) | ARG,
    by=st.lists(st.sampled_from(DIMENSIONS) | ARG, max_size=3).map(",".join),
    where=st.lists(
        st.tuples(st.sampled_from(DIMENSIONS) | ARG, ARG | st.just("2024")).map("=".join),
        max_size=2,
    ),
    totals=st.booleans(),
    fmt=st.sampled_from(FORMATS) | ARG,
)
def test_random_export_commands_write_a_safe_table_or_refuse(
    workspace, measure, by, where, totals, fmt
):
    out = workspace / f"export-{next(_counter)}.out"
    argv = ["export", "--release", str(_release_path()), "--measure", measure, "--by", by]
    argv += [a for w in where for a in ("--where", w)] + (["--totals"] if totals else [])
    argv += ["--format", fmt, "--out", str(out)]
    err = io.StringIO()
    try:
        with _debug(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            status = main(argv)
    except SystemExit as exit_:  # argparse refuses e.g. a value that looks like an option
        status = exit_.code
        assert "usage: binc export" in err.getvalue()
        assert status == 2
        return
    assert status in (0, 2), err.getvalue()
    if status == 2:
        assert err.getvalue().count("\n") == 1
        assert not out.exists()
    else:
        assert out.exists()
