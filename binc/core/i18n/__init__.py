"""All UI text, one TOML file per language (nl-BE first, English as a switch), and number/date formats.

Pages never hold literal UI strings: they ask `text(key, language)`, so a translator edits exactly
one file per language. TOML sections nest keys: `[overview] title = ...` is the key `overview.title`.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from binc.core.reference import LANGUAGES

DEFAULT_LANGUAGE = "nl"
MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@cache
def _texts(language: str) -> dict[str, str]:
    with (files(__name__) / f"{language}.toml").open("rb") as handle:
        return _flatten(tomllib.load(handle))


def text(key: str, language: str, **values: object) -> str:
    """The UI string `key` in `language`; a missing key is a programmer error, caught by the tests."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    template = _texts(language)[key]
    return template.format(**values) if values else template


def keys(language: str) -> frozenset[str]:
    return frozenset(_texts(language))


def texts_of(section: str, language: str) -> dict[str, str]:
    """Every text of one section (`[export]` → {"title": ..., ...}) in `language`."""
    prefix = f"{section}."
    return {k.removeprefix(prefix): v for k, v in _texts(language).items() if k.startswith(prefix)}


def format_number(value: float | None, language: str, decimals: int = 0) -> str:
    """nl-BE: 1.234,5 — en: 1,234.5. None (a suppressed or missing value) is never shown as 0."""
    if value is None:
        return "–"
    formatted = f"{value:,.{decimals}f}"
    if language == "nl":
        formatted = formatted.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return formatted


def format_date(value: str | date | datetime | None, language: str) -> str:
    """nl-BE: 29 november 2026 — en: 29 November 2026 (ISO text accepted)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day} {MONTHS[language if language in MONTHS else DEFAULT_LANGUAGE][value.month - 1]} {value.year}"


def plotly_separators(language: str) -> str:
    """Plotly's `separators` layout value: decimal mark then thousands mark."""
    return ",." if language == "nl" else ".,"
