"""Human labels for the stable codes of every dimension, in Dutch or English, from the reference data.

Exports and the dashboard show the same words: both call `label_for` (or `labels_of` for a whole code
list). Codes never change with the language; labels do. Margin rows (code "TOTAL") read "Totaal" /
"Total". A code without a reference label keeps its code as label rather than failing an export.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from binc.core import i18n, reference
from binc.core.dimensions import BAND_DIMENSIONS, GROUP_DIMENSIONS, domain
from binc.core.reference import LANGUAGES
from binc.core.table import TOTAL

TOTAL_LABELS = {"nl": "Totaal", "en": "Total"}

# Dimensions labelled from the code lists of registration format v1 (list name = dimension name).
CODELIST_DIMENSIONS = (
    "programme",
    "sex",
    "family_situation",
    "trajectory_type",
    "end_reason",
    "follow_up",
)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


@cache
def _code_table(dimension: str) -> pl.DataFrame | None:
    """code, label_nl, label_en (display order) for one dimension; None when it has no reference list."""
    if dimension in CODELIST_DIMENSIONS:
        frame = reference.codelists().filter(pl.col("list") == dimension).sort("sort_order")
    elif dimension in BAND_DIMENSIONS:
        frame = reference.bands().filter(pl.col("dimension") == dimension).sort("sort_order")
    elif dimension == "partnership":
        frame = reference.partnerships().rename({"partnership_id": "code"}).sort("code")
    elif dimension == "province":
        frame = reference.provinces().rename({"province_nis": "code"}).sort("code")
    elif dimension == "municipality":
        # Municipalities have official Dutch names only; English readers see the same name.
        frame = (
            reference.municipalities()
            .rename({"municipality_nis": "code"})
            .with_columns(label_nl=pl.col("name_nl"), label_en=pl.col("name_nl"))
            .sort("code")
        )
    elif dimension in GROUP_DIMENSIONS:
        # A public grouping the release defines: its labels live in the language files.
        codes = domain(dimension, ())
        frame = pl.DataFrame(
            {
                "code": list(codes),
                "label_nl": [i18n.text(f"code.{dimension}.{c}", "nl") for c in codes],
                "label_en": [i18n.text(f"code.{dimension}.{c}", "en") for c in codes],
            }
        )
    else:
        return None
    return frame.select("code", "label_nl", "label_en")


@cache
def _label_map(dimension: str, language: str) -> dict[str, str]:
    table = _code_table(dimension)
    if table is None:
        return {}
    return dict(zip(table["code"], table[f"label_{language}"], strict=True))


def label_for(dimension: str, code: str, language: str = "nl") -> str:
    """The label of `code` in `dimension` (a year is its own label; unknown codes label themselves)."""
    _check_language(language)
    if code == TOTAL:
        return TOTAL_LABELS[language]
    return _label_map(dimension, language).get(code, code)


def display_label(dimension: str, code: str, language: str = "nl") -> str:
    """The label a reader sees: the language file's word for codes a release adds (status, yes/no,
    ongoing), else the reference label."""
    key = f"code.{dimension}.{code}"
    if key in i18n.keys(language):
        return i18n.text(key, language)
    return label_for(dimension, code, language)


def labels_of(dimension: str, codes: list[str], language: str = "nl") -> list[str]:
    """Labels for many codes of one dimension at once (what an export column needs)."""
    _check_language(language)
    mapping = _label_map(dimension, language)
    return [TOTAL_LABELS[language] if c == TOTAL else mapping.get(c, c) for c in codes]


def code_list(dimension: str, codes: list[str] | None = None) -> list[dict[str, str]]:
    """Codes with both labels, for a codebook: the reference list, or `codes` when given or none exists."""
    table = _code_table(dimension)
    if codes is None:
        codes = [] if table is None else list(table["code"])
    return [
        {
            "code": c,
            "label_nl": label_for(dimension, c, "nl"),
            "label_en": label_for(dimension, c, "en"),
        }
        for c in codes
    ]
