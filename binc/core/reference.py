"""Public reference data (geography, partnerships, code lists, bands) read from data/reference/.

Everything here is public: release queries take their group keys from these tables, never from
the private data, so the presence of a key leaks nothing.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from binc.core.resources import reference_dir

LANGUAGES = ("nl", "en")


def _read(name: str) -> pl.DataFrame:
    # Every column is read as text: codes such as "02000" or "0-2" must keep their exact spelling.
    return pl.read_csv(reference_dir() / name, infer_schema=False)


@cache
def municipalities() -> pl.DataFrame:
    """municipality_nis, name_nl, name_fr, province_nis, region_nis, partnership_id (demo mapping)."""
    mapping = _read("partnership_mapping_demo.csv")
    return _read("municipalities.csv").join(mapping, on="municipality_nis", how="left")


@cache
def provinces() -> pl.DataFrame:
    """province_nis, label_nl, label_en, region_nis (Brussels-Capital Region counts as one)."""
    return _read("provinces.csv")


@cache
def partnerships() -> pl.DataFrame:
    """partnership_id, label_nl, label_en, province_nis, name_status."""
    return _read("partnerships.csv")


@cache
def postal_codes() -> pl.DataFrame:
    """postal_code, municipality_nis."""
    return _read("postal_codes.csv")


@cache
def nis_crosswalk() -> pl.DataFrame:
    """old_nis, old_name, new_nis, new_name: pre-2025 codes of the 2025 Flemish mergers."""
    return _read("nis_crosswalk_pre2025.csv")


@cache
def codelists() -> pl.DataFrame:
    """list, code, label_nl, label_en, sort_order, group — every code list of registration format v1."""
    return _read("codelists.csv").with_columns(pl.col("sort_order").cast(pl.Int32))


@cache
def codes(list_name: str) -> tuple[str, ...]:
    """The codes of one list of registration format v1, in display order."""
    frame = codelists().filter(pl.col("list") == list_name).sort("sort_order")
    if frame.is_empty():
        raise KeyError(f"no code list named {list_name!r} in data/reference/codelists.csv")
    return tuple(frame["code"])


@cache
def bands() -> pl.DataFrame:
    """dimension, code, lower (inclusive), upper (exclusive, empty = open), labels, sort_order."""
    return _read("bands.csv").with_columns(
        pl.col("lower").cast(pl.Int32),
        pl.col("upper").cast(pl.Int32),
        pl.col("sort_order").cast(pl.Int32),
    )


@cache
def population_0_17() -> pl.DataFrame:
    """region_level (province|region), region_code (NIS as in provinces.csv), year (1 January),
    children_0_17, source: residents aged 0–17, for rates per 1,000 children (Statbel; how each
    figure was obtained, and the years covered, are in data/reference/SOURCES.md)."""
    return _read("population_0_17.csv").with_columns(
        pl.col("year").cast(pl.Int32),
        pl.col("children_0_17").cast(pl.Int64),
    )
