"""The floor under `binc ingest`: what the unavoidable steps cost alone, with no validation logic.

    python benchmarks/ingest_floor.py EXPORTS_DIR [--work DIR]

EXPORTS_DIR holds generated CSV exports, e.g. those of `python benchmarks/bench_ingest.py --keep
DIR` (DIR/exports, ~1M rows). Three steps are timed, each with wall and CPU seconds (CPU = every
thread of this process, from time.process_time; the machine has 2 cores, so 200,000 rows/s for
1M rows allows at most 10 CPU-seconds in all):

(a) read: every CSV into a frame of text columns, with polars and with pyarrow (what ingest's
    reader does before any check).
(b) write: the rows as the warehouse stores them (the real schema from binc.warehouse.schema,
    same column types, ENUM casts in the INSERT as the loader does) inserted into a fresh on-disk
    DuckDB file, then CHECKPOINT and close: in one transaction; in 4 (as ingest's groups of
    ~250,000 rows), where the checkpoint's vacuum merges each transaction's part-filled last row
    group with the next ones and so rewrites nearly everything; and in 4 with that vacuum off (as
    ingest does now). The typed input is built beforehand (its parsing is validation work, not
    timed here).
(c) HMAC-SHA256 of every national number: Python hashlib from precomputed pad states (what ingest
    does), DuckDB's sha256 twice (the plain HMAC construction), and — only where gcc and the
    OpenSSL headers exist — a 12-line C loop over the same OpenSSL calls, loaded with ctypes: not
    something ingest can ship as is, but it shows what the hashing itself costs on this CPU.

Nothing identifying is written: the warehouse file gets pseudonyms and coded values only, and is
deleted at the end unless --work is given.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from binc.core.format_v1 import COLUMNS
from binc.core.national_number import normalise
from binc.core.pseudonym_key import PseudonymKey
from binc.core.reference import codes, partnerships
from binc.ingest.validate import ACCEPTED_COLUMNS, parse_date
from binc.warehouse.schema import ENUM_TYPES, create_schema


def timed(label: str, step: Callable[[], Any], rows: int | None = None) -> Any:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = f" = {rows / wall:>9,.0f} rows/s" if rows else ""
    print(
        f"  {label:<46} wall {wall:5.2f} s  CPU {cpu:5.2f} s{rate}  (load {load:.2f})", flush=True
    )
    return result


def separator(data: bytes) -> str:
    header = data.split(b"\n", 1)[0]
    return ";" if header.count(b";") > header.count(b",") else ","


def read_polars(files: list[Path]) -> pl.DataFrame:
    frames = []
    for path in files:
        data = path.read_bytes()
        frames.append(pl.read_csv(data, separator=separator(data), infer_schema=False))
    return pl.concat(frames, how="vertical_relaxed")


def read_pyarrow(files: list[Path]) -> pa.Table:
    text = pacsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string()))
    tables = []
    for path in files:
        data = path.read_bytes()
        parse = pacsv.ParseOptions(delimiter=separator(data))
        tables.append(pacsv.read_csv(pa.py_buffer(data), parse_options=parse, convert_options=text))
    return pa.concat_tables(tables)


# What ingest stores per row. Untimed preparation: parsing and dropping the ~1% of deliberately
# invalid rows (the INSERT's NOT NULL and ENUM casts would refuse them) is validation work.
NOT_NULL = ["record_id", "pseudonym", "programme", "municipality_nis", "sex", "birth_year"]
NOT_NULL += ["age_at_start", "family_situation", "family_size", "trajectory_type", "start_date"]


def typed_rows(raw: pl.DataFrame, pseudonyms: pl.Series) -> pa.Table:
    dates = ("birth_date", "referral_date", "start_date", "end_date")
    on_list = [pl.col(c).is_in(codes(c)) | pl.col(c).is_null() for c in ENUM_TYPES.values()]
    partnership = pl.col("partnership_id")
    frame = raw.with_columns(
        pseudonyms,
        *(parse_date(c).alias(c) for c in dates),
        pl.col("family_size").str.replace(r"\.0+$", "").cast(pl.Int16, strict=False),
        pl.col("record_id").str.slice(0, 100),
    ).filter(
        *on_list,
        partnership.is_in(partnerships()["partnership_id"].to_list()) | partnership.is_null(),
    )
    birth, start = pl.col("birth_date"), pl.col("start_date")
    derived = {
        "province_nis": pl.col("municipality_nis").str.slice(0, 1).add("0000"),
        "birth_year": birth.dt.year().cast(pl.Int16),
        "age_at_start": (start.dt.year() - birth.dt.year()).cast(pl.Int16),
        "retention_until": birth.dt.offset_by("35y"),
        "source_line": pl.int_range(pl.len(), dtype=pl.Int32) + 2,
    }
    return (
        frame.select(
            *(derived.get(c, pl.col(c)).alias(c) for c in ACCEPTED_COLUMNS),
            pl.lit(1, dtype=pl.Int32).alias("ingest_id"),
        )
        .drop_nulls(NOT_NULL)
        .to_arrow()
    )


INSERT = """
INSERT INTO trajectories SELECT
    record_id, pseudonym, programme::programme_code, partnership_id::partnership_code,
    municipality_nis, province_nis, sex::sex_code, birth_year, age_at_start,
    family_situation::family_situation_code, family_size, trajectory_type::trajectory_type_code,
    referral_date, start_date, end_date, end_reason::end_reason_code,
    follow_up::follow_up_code, retention_until, ingest_id, source_line
FROM typed
"""


def write_warehouse(path: Path, typed: pa.Table, groups: int, vacuum: bool) -> None:
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    create_schema(con)
    con.execute("SET checkpoint_threshold = '4GB'")  # as ingest: fold the log once, at the end
    if not vacuum:  # as ingest: no merging of each transaction's part-filled last row group
        con.execute("SET max_vacuum_tasks = 0")
    size = -(-typed.num_rows // groups)

    def insert() -> None:
        for start in range(0, typed.num_rows, size):
            con.register("typed", typed.slice(start, size))
            con.execute("BEGIN TRANSACTION")
            con.execute(INSERT)
            con.execute("COMMIT")

    timed(f"  INSERT in {groups} transaction(s)", insert, typed.num_rows)
    timed("  CHECKPOINT", lambda: con.execute("CHECKPOINT"))
    timed("  close", con.close)


def hmac_duckdb(key_bytes: bytes, numbers: pa.Array) -> pa.Table:
    key = PseudonymKey(key_bytes)
    con = duckdb.connect()
    con.register("numbers", pa.table({"n": numbers}))
    sql = "SELECT sha256($opad || unhex(sha256($ipad || n::BLOB))) FROM numbers"
    pads = {"ipad": key._inner_pad, "opad": key._outer_pad}
    return con.sql(sql, params=pads).to_arrow_table()


_C_LOOP = r"""
#include <openssl/sha.h>
#include <stdint.h>
void hmac_many(const SHA256_CTX *inner, const SHA256_CTX *outer, const int64_t *offsets,
               const char *data, int64_t n, char *hex) {
    static const char digits[] = "0123456789abcdef";
    for (int64_t i = 0; i < n; i++) {
        SHA256_CTX c = *inner; unsigned char d[32];
        SHA256_Update(&c, data + offsets[i], offsets[i + 1] - offsets[i]); SHA256_Final(d, &c);
        c = *outer; SHA256_Update(&c, d, 32); SHA256_Final(d, &c);
        for (int j = 0; j < 32; j++) { hex[64 * i + 2 * j] = digits[d[j] >> 4];
                                       hex[64 * i + 2 * j + 1] = digits[d[j] & 15]; }
    }
}
"""


def hmac_c(work: Path, key_bytes: bytes, numbers: pa.Array) -> Callable[[], pa.Array] | None:
    """A compiled loop over OpenSSL's SHA-256 with precomputed pad states; None without gcc."""
    if not shutil.which("gcc") or not Path("/usr/include/openssl/sha.h").exists():
        return None
    (work / "hmac.c").write_text(_C_LOOP)
    build = ["gcc", "-O2", "-shared", "-fPIC", "-Wno-deprecated-declarations", "-o"]
    subprocess.run([*build, str(work / "hmac.so"), str(work / "hmac.c"), "-lcrypto"], check=True)
    lib, crypto = ctypes.CDLL(str(work / "hmac.so")), ctypes.CDLL("libcrypto.so.3")
    padded = key_bytes.ljust(64, b"\0")
    states = []
    for pad in (0x36, 0x5C):
        state = ctypes.create_string_buffer(256)  # > sizeof(SHA256_CTX)
        crypto.SHA256_Init(state)
        crypto.SHA256_Update(state, bytes(b ^ pad for b in padded), ctypes.c_size_t(64))
        states.append(state)
    numbers = numbers.cast(pa.large_string())
    _, offsets, data = numbers.buffers()

    def run() -> pa.Array:
        n = len(numbers)
        out = ctypes.create_string_buffer(64 * n)
        lib.hmac_many(*states, ctypes.c_void_p(offsets.address), ctypes.c_void_p(data.address),
                      ctypes.c_int64(n), out)  # fmt: skip
        offsets_out = pa.py_buffer(np.arange(0, 64 * n + 1, 64, dtype=np.int64).tobytes())
        return pa.LargeStringArray.from_buffers(n, offsets_out, pa.py_buffer(out))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", type=Path, help="folder of generated CSV exports")
    parser.add_argument("--work", type=Path, help="keep the warehouse file here")
    args = parser.parse_args()
    files = sorted(args.exports.glob("*.csv"))
    if not files:
        raise SystemExit(f"{args.exports}: no CSV exports in it")
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        measure(files, args.work)
    else:  # removed at the end, also when a step fails
        with tempfile.TemporaryDirectory(prefix="binc-floor-") as work:
            measure(files, Path(work))


def measure(files: list[Path], work: Path) -> None:
    key_bytes = secrets.token_hex(32).encode()

    print(f"(a) read {len(files)} CSV files into text columns")
    raw = timed("polars read_csv", lambda: read_polars(files))
    rows = raw.height
    timed("pyarrow.csv.read_csv", lambda: read_pyarrow(files))
    print(f"    {rows:,} rows")

    numbers = raw.select(normalise("national_number").alias("n"))["n"]
    numbers = numbers.filter(numbers.str.contains(r"^\d{11}$"))
    print(f"(c) HMAC-SHA256 of {len(numbers):,} national numbers (normalised beforehand)")
    key = PseudonymKey(key_bytes)
    expected = timed("hashlib, precomputed pads (ingest today)", lambda: key.pseudonymise(numbers))
    arrow_numbers = numbers.to_arrow()
    via_duckdb = timed("DuckDB sha256 twice", lambda: hmac_duckdb(key_bytes, arrow_numbers))
    assert via_duckdb.column(0).to_pylist()[:100] == expected[:100].to_list()
    compiled = hmac_c(work, key_bytes, arrow_numbers)
    if compiled is None:
        print("  C loop over OpenSSL: skipped (no gcc or no OpenSSL headers)")
    else:
        via_c = timed("C loop over OpenSSL (needs a compiler)", compiled)
        assert via_c.to_pylist() == expected.to_list()

    typed = typed_rows(
        raw,
        key.pseudonymise(raw.select(normalise("national_number").alias("n"))["n"]),
    )
    print(f"(b) write {typed.num_rows:,} typed rows into a fresh on-disk DuckDB warehouse")
    warehouse = work / "floor.duckdb"
    # 4 transactions: as ingest writes ~250,000 rows per transaction
    for groups, vacuum in ((1, True), (4, True), (4, False)):
        label = (
            f"total ({groups} transaction(s){'' if vacuum else ', no vacuum'}, CHECKPOINT, close)"
        )
        write = lambda: write_warehouse(warehouse, typed, groups, vacuum)  # noqa: B023, E731
        timed(label, write, typed.num_rows)
        print(f"    file size {warehouse.stat().st_size / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
