"""What a fact sheet says, as plain data: every number is a cell of an `answer()` to a fixed question.

A sheet covers one region (a partnership, a province or Flanders, i.e. no region filter) and the
release's latest start year, with the trend over all its years. Each panel keeps the question it
asked, so a reader (and the tests) can ask it again. A suppressed cell keeps no number at all, and
neither does a cell too uncertain to read (`too_uncertain`, the release's [uncertainty] rule): the
sheet writes "te onzeker" for it, as the dashboard does, draws no bar and compares nothing with it. A
question the release refuses is kept as a panel without cells and a short note, never as zeros. A
release on the publication calendar marks the cells of a provisional start year (`provisional`):
the sheet names that year "2025 (voorlopig)" and draws those bars light, as the dashboard draws
them open.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from binc.answering import TOTAL, answer
from binc.answering.calendar import provisional_years
from binc.answering.catalogue import HEADLINES
from binc.core import i18n, reference
from binc.core.dimensions import ENDED_GROUPS
from binc.core.environment import SYNTHETIC_ENV
from binc.core.errors import TooCostlyToProtectError, UserError, shown
from binc.core.resources import demo_dir
from binc.core.table import AnsweredTable, with_too_uncertain
from binc.export.labels import display_label, label_for
from binc.release_file import Release

FLANDERS = "flanders"
TREND_MEASURE = "trajectories"
# The breakdowns, each a share of the region's trajectories of the latest year, with the extra
# filter the dashboard page uses for it (target group, outcomes, duration).
BREAKDOWNS: tuple[tuple[str, Mapping[str, tuple[str, ...]]], ...] = (
    ("age_band", {}),
    ("sex", {}),
    # End reasons in their public groups: what is measured per partnership and province.
    ("end_group", {"end_group": ENDED_GROUPS}),
    ("duration_band", {"status": ("ended",)}),
)


@dataclass(frozen=True)
class Region:
    kind: str  # "partnership", "province" or FLANDERS
    code: str

    @property
    def where(self) -> dict[str, tuple[str, ...]]:
        return {} if self.kind == FLANDERS else {self.kind: (self.code,)}

    def name(self, language: str) -> str:
        if self.kind == FLANDERS:
            return i18n.text("factsheet.flanders", language)
        return label_for(self.kind, self.code, language)


def regions() -> tuple[str, ...]:
    """Every code a sheet can be made for: partnerships, provinces, then `flanders`."""
    return (
        *reference.partnerships()["partnership_id"],
        *reference.provinces()["province_nis"],
        FLANDERS,
    )


def region(code: str) -> Region:
    """The region of a code (P01…, a province NIS code such as 10000, or `flanders`)."""
    if code in reference.partnerships()["partnership_id"].to_list():
        return Region("partnership", code)
    if code in reference.provinces()["province_nis"].to_list():
        return Region("province", code)
    if code.lower() == FLANDERS:
        return Region(FLANDERS, FLANDERS)
    partnerships = reference.partnerships()["partnership_id"]
    provinces = ", ".join(reference.provinces()["province_nis"])
    raise UserError(
        f"unknown region {shown(code)}; use a partnership ({partnerships[0]}…{partnerships[-1]}), "
        f"a province ({provinces}) or {FLANDERS}"
    )


@dataclass(frozen=True)
class Cell:
    """One cell: its code and label, and value with 95% interval — all None when suppressed or too
    uncertain to read (`too_uncertain`: the answer flags its interval as too wide; the sheet then
    says "te onzeker" and keeps no number, like the dashboard)."""

    code: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    too_uncertain: bool = False
    # rests on a provisional start year (a release on the publication calendar): "voorlopig"
    provisional: bool = False

    @property
    def shown(self) -> bool:
        """The cell has a number to write, draw and compare (neither suppressed nor too uncertain)."""
        return self.value is not None

    @property
    def suppressed(self) -> bool:
        return self.value is None and not self.too_uncertain


@dataclass(frozen=True)
class Panel:
    """One question and what the release answered: cells, or a refusal (then no cells)."""

    key: str  # the measure (headlines, trend) or the breakdown dimension
    title: str
    measure: str
    by: tuple[str, ...]
    where: dict[str, tuple[str, ...]]
    unit: str  # the unit's label
    decimals: int
    cells: tuple[Cell, ...]
    refusal: str | None = None  # the short note shown instead of a refused panel
    note: str | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None


@dataclass(frozen=True)
class Sheet:
    language: str
    region: Region
    region_name: str
    year: str  # the start year of the headlines and breakdowns
    years: tuple[str, ...]  # the trend's years
    headlines: tuple[Panel, ...]
    trend: Panel
    breakdowns: tuple[Panel, ...]
    synthetic: bool
    k: int  # the release's suppression threshold
    release_id: str
    as_of: str  # the state-of-data date, formatted
    source: str  # the source line (as under exports)
    # the release's provisional start years among `years` (a release on the publication calendar)
    provisional: tuple[str, ...] = ()

    def year_label(self, year: str) -> str:
        """A start year as the sheet names it: "2025 (voorlopig)" when it is provisional."""
        if year in self.provisional:
            return i18n.text("provisional.year", self.language, year=year)
        return year


def is_synthetic(release: Release) -> bool:
    """Synthetic data are marked as such: a release marked synthetic, one in the demo folder, or
    $BINC_SYNTHETIC=1 (as the dashboard decides, dashboard/data.is_synthetic)."""
    if os.environ.get(SYNTHETIC_ENV) == "1" or release.metadata.get("synthetic") is True:
        return True
    if release.path is None:
        return False
    return Path(release.path).resolve().is_relative_to(demo_dir().resolve())


def _cells(table: AnsweredTable, language: str) -> tuple[Cell, ...]:
    frame = with_too_uncertain(table.frame, table.kind, table.release_metadata)
    for name in table.dimensions:
        frame = frame.filter(pl.col(name) != TOTAL)
    dim = table.dimensions[0] if table.dimensions else None
    cells = []
    for row in frame.iter_rows(named=True):
        code = "" if dim is None else str(row[dim])
        label = "" if dim is None else display_label(dim, code, language)
        marked = bool(row.get("provisional"))
        if row["suppressed"] is not False or row["value"] is None:
            cells.append(Cell(code, label, None, None, None, provisional=marked))
        elif row["too_uncertain"]:
            cells.append(Cell(code, label, None, None, None, True, marked))
        else:
            cells.append(
                Cell(code, label, row["value"], row["ci_low"], row["ci_high"], False, marked)
            )
    return tuple(cells)


def _panel(
    release: Release,
    language: str,
    key: str,
    title: str,
    measure: str,
    by: tuple[str, ...],
    where: dict[str, tuple[str, ...]],
    note: str | None = None,
) -> Panel:
    try:
        table = answer(release, measure, by, where)
    except UserError as refusal:
        reason = "too_costly" if isinstance(refusal, TooCostlyToProtectError) else "not_measured"
        return Panel(key, title, measure, by, where, "", 0, (),
                     i18n.text(f"factsheet.refused_{reason}", language), note)  # fmt: skip
    decimals = 0 if table.kind == "count" else 1
    unit = i18n.text(f"unit.{table.unit}", language)
    return Panel(
        key, title, measure, by, where, unit, decimals, _cells(table, language), None, note
    )


def source_line(metadata: Mapping[str, Any], language: str, synthetic: bool) -> str:
    """Opgroeien, BINC, the release id and the state-of-data date; the synthetic mark first."""
    line = i18n.text(
        "factsheet.source",
        language,
        release=metadata.get("release_id", "?"),
        as_of=i18n.format_date(metadata.get("as_of") or metadata.get("created_at"), language),
    )
    return f"{i18n.text('factsheet.synthetic', language)} {line}" if synthetic else line


def build(
    release: Release, code: str, language: str = "nl", synthetic: bool | None = None
) -> Sheet:
    """The sheet of region `code` (UserError for an unknown code). `synthetic`: None = decide from
    the release (is_synthetic); the dashboard passes its own decision."""
    if language not in reference.LANGUAGES:
        raise UserError(f"unknown language {shown(language)}; allowed: nl, en")
    place = region(code)
    synthetic = is_synthetic(release) if synthetic is None else synthetic
    years = tuple(str(y) for y in release.metadata.get("years", ()))
    if not years:
        raise UserError("the release names no years; it cannot make a fact sheet")
    year = max(years)
    base = place.where
    latest = {**base, "year": (year,)}
    headlines = tuple(
        _panel(release, language, m, i18n.text(f"measure.{m}", language), m, (), latest)
        for m in HEADLINES
    )
    trend = _panel(release, language, TREND_MEASURE, i18n.text("factsheet.trend", language),
                   TREND_MEASURE, ("year",), base)  # fmt: skip
    breakdowns = tuple(
        _panel(
            release,
            language,
            dim,
            i18n.text(f"factsheet.by_{dim}", language),
            "share",
            (dim,),
            {**latest, **extra},
            i18n.text(f"factsheet.note_{dim}", language),
        )
        for dim, extra in BREAKDOWNS
    )
    return Sheet(
        language=language,
        region=place,
        region_name=place.name(language),
        year=year,
        years=years,
        headlines=headlines,
        trend=trend,
        breakdowns=breakdowns,
        synthetic=synthetic,
        k=release.k,
        release_id=release.release_id,
        as_of=i18n.format_date(release.metadata.get("as_of"), language),
        source=source_line(release.metadata, language, synthetic),
        provisional=tuple(y for y in years if y in provisional_years(release)),
    )


def shown_number(cell: Cell, decimals: int, language: str) -> str:
    """The cell's value as the dashboard writes it (nl-BE 1.234,5), or the word for suppressed or for
    too uncertain ("te onzeker")."""
    if cell.too_uncertain:
        return i18n.text("chart.too_uncertain", language)
    if cell.value is None:
        return i18n.text("chart.suppressed", language)
    return i18n.format_number(cell.value, language, decimals)


def interval_text(cell: Cell, decimals: int, language: str) -> str:
    """ "95%-interval: low – high" (empty for a cell without a number: suppressed or too uncertain)."""
    if not cell.shown:
        return ""
    return i18n.text(
        "chart.interval_caption",
        language,
        low=i18n.format_number(cell.low, language, decimals),
        high=i18n.format_number(cell.high, language, decimals),
    )
