"""The dashboard's only path to data: one cached release per process and cached answers.

Every number on screen comes from `binc.answering.answer` through `ask`; pages never open a
release or a database themselves. The Release object is shared by every session (st.cache_resource),
so nothing here mutates it; answers are cached per question (st.cache_data), refusals included, so a
filter change that repeats a question is instant.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from binc.answering import answer, calendar, list_measures
from binc.core.environment import RELEASE_ENV, SYNTHETIC_ENV
from binc.core.errors import TooCostlyToProtectError, UserError
from binc.core.resources import demo_dir
from binc.core.table import AnsweredTable
from binc.factsheet import factsheet_pdf
from binc.release_file import Release, load_release

Where = Mapping[str, str | Sequence[str]] | None


def release_path() -> Path:
    """The release to show: $BINC_RELEASE (set by `binc serve`), else the demo release."""
    configured = os.environ.get(RELEASE_ENV)
    return Path(configured) if configured else demo_dir() / "release.duckdb"


@st.cache_resource(show_spinner=False)
def _load(path: str, modified: float) -> Release:
    # `modified` is part of the cache key: a rebuilt release file is read again.
    return load_release(path)


def release() -> Release:
    """The shared, read-only release (UserError when the file is missing or unusable)."""
    path = release_path()
    if not path.is_file():
        raise UserError(
            f"{path}: no release at this path; build one with `binc release` or `binc demo`"
        )
    return _load(str(path), path.stat().st_mtime)


def is_synthetic() -> bool:
    """Synthetic data get a banner: the demo release, or a release marked so by `binc serve --demo`."""
    if os.environ.get(SYNTHETIC_ENV) == "1":
        return True
    if release().metadata.get("synthetic") is True:
        return True
    path = release_path().resolve()
    return path.is_relative_to(demo_dir().resolve())


@dataclass(frozen=True)
class _Outcome:
    table: AnsweredTable | None
    refusal: UserError | None


class Refusal(str):
    """A refusal's English message, with what the page needs to explain it in its own language:
    `costly` when the table was too costly to protect rather than not measured, and the layer's
    `reason` and `details` (see UserError)."""

    costly: bool = False
    reason: str | None = None
    details: Mapping[str, object] = {}


def _key(where: Where) -> tuple[tuple[str, tuple[str, ...]], ...]:
    items = []
    for dim, value in (where or {}).items():
        codes = (value,) if isinstance(value, str) else tuple(value)
        items.append((dim, tuple(sorted(codes))))
    return tuple(sorted(items))


@st.cache_data(show_spinner=False, max_entries=5000)
def _ask(path: str, release_id: str, measure: str, by: tuple[str, ...],
         where: tuple[tuple[str, tuple[str, ...]], ...], totals: bool) -> _Outcome:  # fmt: skip
    try:
        return _Outcome(answer(release(), measure, by, dict(where), totals), None)
    except UserError as refusal:
        return _Outcome(None, refusal)


def ask(
    measure: str, by: Sequence[str] = (), where: Where = None, totals: bool = False
) -> AnsweredTable:
    """The answered (suppressed, with intervals) table; UserError when the workload does not cover it."""
    current = release()
    outcome = _ask(str(release_path()), current.release_id, measure, tuple(by), _key(where), totals)
    if outcome.table is None:
        # A fresh exception each time: the cached one is shared by every session.
        refusal = outcome.refusal or UserError("refused")
        raise type(refusal)(str(refusal), reason=refusal.reason, **refusal.details)
    return outcome.table


def try_ask(
    measure: str, by: Sequence[str] = (), where: Where = None, totals: bool = False
) -> AnsweredTable | str:
    """Like `ask`, but a refusal comes back as its message (for panels that explain instead of fail)."""
    try:
        return ask(measure, by, where, totals)
    except UserError as refusal:
        message = Refusal(str(refusal))
        message.costly = isinstance(refusal, TooCostlyToProtectError)
        message.reason, message.details = refusal.reason, dict(refusal.details)
        return message


@st.cache_data(show_spinner=False)
def _measures(path: str, release_id: str) -> list[dict[str, Any]]:
    return list_measures(release())


def measures() -> list[dict[str, Any]]:
    """The measures this release can answer, with labels and allowed dimensions (the catalogue)."""
    current = release()
    return _measures(str(release_path()), current.release_id)


def facts() -> dict[str, Any]:
    """The release metadata as the answering layer hands it out with every answer."""
    return dict(ask("trajectories").release_metadata)


def domains() -> dict[str, list[str]]:
    """The public code list of every dimension the release measures, in display order."""
    listed = release().metadata.get("domains") or {}
    return {dimension: [str(code) for code in codes] for dimension, codes in listed.items()}


def years() -> tuple[str, ...]:
    """The release's public years, as codes (text)."""
    return tuple(str(y) for y in facts().get("years", ()))


def provisional_years() -> frozenset[str]:
    """The start years whose figures are provisional in this release (its publication calendar);
    none for a release without one."""
    return calendar.provisional_years(release())


def complete_years() -> tuple[str, ...]:
    """The release's start years that were over on the date of its data (`as_of`): the years
    before that date's year. A later year is still filling up, and its trajectories have had
    little time to end, so outcomes of those years are not comparable yet. On a publication
    calendar, the closed (definitive) years: a year closes when nearly all its trajectories have
    ended, and its figures have the full budget."""
    if calendar.has_calendar(release()):
        marked = provisional_years()
        return tuple(year for year in years() if year not in marked)
    as_of = str(facts().get("as_of") or facts().get("created_at") or "")[:4]
    if not as_of.isdigit():
        return years()
    return tuple(year for year in years() if int(year) < int(as_of))


@st.cache_data(show_spinner=False, max_entries=64)
def _factsheet(path: str, release_id: str, region: str, language: str, synthetic: bool,
               _release: Release) -> bytes:  # fmt: skip
    # `_release` is left out of the cache key (path and release id name it).
    return factsheet_pdf(_release, region, language, synthetic)


def factsheet(region: str, language: str) -> Callable[[], bytes]:
    """The fact sheet PDF of `region` (a partnership, province or "flanders") as a callable for
    st.download_button: nothing is built until the button is clicked, then once per release, region
    and language. The synthetic mark follows `is_synthetic`, decided here in the page's run."""
    current, synthetic, path = release(), is_synthetic(), str(release_path())
    return lambda: _factsheet(path, current.release_id, region, language, synthetic, current)
