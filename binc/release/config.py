"""The release config (config/release.toml): the whole privacy story of a release, declared in one place.

It states the privacy unit, the noise mechanism (pure ε-DP with the two-sided geometric, the
default, or ρ-zCDP with the discrete Gaussian), the release's total budget (ε or ρ) and how it is
split over the measured marginals, the contribution cap c, the suppression threshold k, the public years, the workload and
the rule for values too uncertain to draw (`[uncertainty]`).
This module reads it and refuses anything outside the rules, naming the rule and how to fix it —
a privacy knob that only warns is no knob at all.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binc.core.dimensions import ROLLUPS, known_dimensions
from binc.core.errors import UserError
from binc.core.noise import (
    BUDGET_NAMES,
    MECHANISMS,
    PURE_DP,
    ZCDP,
    Noise,
    budget_text,
    noise_for,
)
from binc.core.resources import default_config, queries_dir
from binc.core.table import UncertaintyRule
from binc.release.calendar import Calendar, parse_calendar

UNITS = ("trajectories", "children", "dropped_trajectories")
# The δ at which a zCDP release states the (ε, δ)-DP its ρ implies, unless the config names one:
# well below 1 / (the number of children in the register).
DEFAULT_DELTA = 1e-6
# Rounding slack when the shares are decimal fractions that should add up to exactly 1.
BUDGET_TOLERANCE = 1e-9


@dataclass(frozen=True)
class MeasurementSpec:
    """One measured marginal: a table of counts over the public domain of its dimensions."""

    name: str
    unit: str  # trajectories | children | dropped_trajectories
    dimensions: tuple[str, ...]
    share: float  # fraction of the release's budget
    mechanism: str  # two_sided_geometric | discrete_gaussian
    budget: float  # share × the release's total: ε (pure ε-DP) or ρ (zCDP)
    sensitivity: float  # how much one person can change the whole table: L1 (pure), L2 (zCDP)
    consistent_with: tuple[
        str, ...
    ]  # coarser measurements this table is post-processed to agree with
    query: Path | None  # None: the marginal template (queries/marginal.sql)

    @property
    def noise(self) -> Noise:
        return noise_for(self.mechanism, self.budget, self.sensitivity)


@dataclass(frozen=True)
class ReleaseConfig:
    path: Path
    mechanism: str  # two_sided_geometric (pure ε-DP) | discrete_gaussian (ρ-zCDP)
    budget_total: float  # ε_total or ρ_total
    contribution_cap: int
    k: int
    first_year: int
    last_year: int
    lifetime_epsilon_limit: float
    lifetime_rho_limit: float | None  # required for zCDP
    measurements: tuple[MeasurementSpec, ...]
    # When a shown value is "too uncertain" to read (the dashboard says so instead of drawing it).
    uncertainty: UncertaintyRule
    delta: float = DEFAULT_DELTA  # zCDP: the δ of the (ε, δ) its ρ is stated as
    # The publication calendar (binc/release/calendar.py); None: every release re-measures all.
    calendar: Calendar | None = None

    @property
    def budget_name(self) -> str:
        """epsilon | rho: the budget's name in the config, the ledger and the metadata."""
        return BUDGET_NAMES[self.mechanism]

    def budget_text(self, budget: float | None = None) -> str:
        """ "ε 1" or "ρ 0.5": the release's total (or `budget`) as people read it."""
        return budget_text(self.mechanism, self.budget_total if budget is None else budget)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    def measurement(self, name: str) -> MeasurementSpec:
        return next(m for m in self.measurements if m.name == name)


def sensitivity(unit: str, dimensions: tuple[str, ...], cap: int) -> int:
    """L1 sensitivity under adding or removing one person (with all their records).

    - trajectory counts: a person keeps at most c trajectories, each in one cell → c;
    - distinct children: a person is one count in each cell their ≤ c trajectories reach → at most
      c cells (1 for a table without dimensions);
    - dropped trajectories: each person's dropped rows are counted up to c → c.
    """
    if unit == "children" and not dimensions:
        return 1
    return cap


def sensitivity_for(mechanism: str, unit: str, dimensions: tuple[str, ...], cap: int) -> float:
    """The sensitivity `mechanism`'s noise is calibrated to: L1 for pure ε-DP, L2 for zCDP."""
    if mechanism == PURE_DP:
        return sensitivity(unit, dimensions, cap)
    return l2_sensitivity(unit, dimensions, cap)


def l2_sensitivity(unit: str, dimensions: tuple[str, ...], cap: int) -> float:
    """L2 sensitivity under adding or removing one person (what the discrete Gaussian needs).

    - trajectory counts and dropped trajectories: up to c in one cell → c (spread over cells the
      norm is smaller; one cell is the worst case);
    - distinct children: 1 in each of at most c cells → √c (1 without dimensions).
    """
    if unit == "children":
        return 1.0 if not dimensions else math.sqrt(cap)
    return float(cap)


def _fail(path: Path, where: str, message: str) -> UserError:
    return UserError(f"{path}: {where}: {message}")


def _require(
    table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: Path, where: str
) -> Any:
    if key not in table:
        raise _fail(path, where, f"the field `{key}` is missing; add it")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _fail(path, where, f"`{key}` = {value!r} has the wrong type")
    return value


def load_config(path: Path | None = None) -> ReleaseConfig:
    """Read and check a release config; UserError naming the rule for anything not allowed."""
    path = Path(path) if path is not None else default_config()
    if not path.is_file():
        raise UserError(f"{path}: no release config at this path; give --config FILE")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not valid TOML ({error}); fix the syntax") from None
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: Path) -> ReleaseConfig:
    privacy = raw.get("privacy")
    if not isinstance(privacy, Mapping):
        raise _fail(
            path,
            "[privacy]",
            "the section is missing; declare epsilon_total, contribution_cap and k",
        )
    if privacy.get("unit", "person") != "person":
        raise _fail(
            path, "[privacy] unit", "the privacy unit must be 'person' (docs/design.md §4, point 1)"
        )
    mechanism = privacy.get("noise", PURE_DP)
    if mechanism not in MECHANISMS:
        raise _fail(
            path,
            "[privacy] noise",
            f"{mechanism!r} is unknown; allowed: {', '.join(map(repr, MECHANISMS))}",
        )
    total_key = f"{BUDGET_NAMES[mechanism]}_total"
    other_key = f"{BUDGET_NAMES[ZCDP if mechanism == PURE_DP else PURE_DP]}_total"
    if other_key in privacy:
        raise _fail(
            path,
            f"[privacy] {other_key}",
            f"noise = {mechanism!r} spends {total_key}; remove {other_key} (one budget per release)",
        )
    budget_total = float(_require(privacy, total_key, (int, float), path, "[privacy]"))
    if not (math.isfinite(budget_total) and budget_total > 0):
        example = "1.0" if mechanism == PURE_DP else "0.5"
        raise _fail(path, f"[privacy] {total_key}", f"must be a positive number, e.g. {example}")
    cap = _require(privacy, "contribution_cap", int, path, "[privacy]")
    if cap < 1:
        raise _fail(
            path,
            "[privacy] contribution_cap",
            f"c = {cap} is not allowed; c must be at least 1 (default 3)",
        )
    k = _require(privacy, "k", int, path, "[privacy]")
    if k < 1:
        raise _fail(
            path,
            "[privacy] k",
            f"k = {k} is not allowed; the suppression threshold must be at least 1",
        )
    lifetime = float(_require(privacy, "lifetime_epsilon_limit", (int, float), path, "[privacy]"))
    if not (math.isfinite(lifetime) and lifetime > 0):
        raise _fail(path, "[privacy] lifetime_epsilon_limit", "must be a positive number")
    if mechanism == PURE_DP and lifetime < budget_total:
        raise _fail(path, "[privacy] lifetime_epsilon_limit", "must be at least epsilon_total")
    rho_limit = None
    if mechanism == ZCDP or "lifetime_rho_limit" in privacy:
        rho_limit = float(_require(privacy, "lifetime_rho_limit", (int, float), path, "[privacy]"))
        if not (math.isfinite(rho_limit) and rho_limit > 0):
            raise _fail(path, "[privacy] lifetime_rho_limit", "must be a positive number")
        if mechanism == ZCDP and rho_limit < budget_total:
            raise _fail(path, "[privacy] lifetime_rho_limit", "must be at least rho_total")
    delta = float(privacy.get("delta", DEFAULT_DELTA))
    if not 0 < delta < 1e-3:
        raise _fail(
            path,
            "[privacy] delta",
            f"δ = {delta:g} is not allowed; the δ a zCDP release is stated at is above 0 and "
            "below 0.001 (e.g. 1e-6)",
        )

    domain = raw.get("domain")
    if not isinstance(domain, Mapping):
        raise _fail(path, "[domain]", "the section is missing; declare first_year and last_year")
    first = _require(domain, "first_year", int, path, "[domain]")
    last = _require(domain, "last_year", int, path, "[domain]")
    if not 1990 <= first <= last <= 2100:
        raise _fail(path, "[domain]", f"years {first}–{last} are not a valid public range")

    uncertainty = _parse_uncertainty(raw, path)

    items = raw.get("measurement")
    if not isinstance(items, list) or not items:
        raise _fail(
            path, "[[measurement]]", "the workload is empty; declare at least one measurement"
        )
    allowed = set(known_dimensions())
    specs: list[MeasurementSpec] = []
    for index, item in enumerate(items, start=1):
        specs.append(
            _parse_measurement(item, index, specs, allowed, (mechanism, budget_total), cap, path)
        )

    total_share = sum(s.share for s in specs)
    if total_share > 1 + BUDGET_TOLERANCE:
        raise UserError(
            f"{path}: budget ledger: the measurements' shares add up to {total_share:.4f} of "
            f"{total_key} = {budget_total} ({total_share * budget_total:.4f}); the "
            "rule is that they may not exceed 1 — lower some `share` values"
        )
    calendar = parse_calendar(raw, path)
    if calendar is not None:
        for spec in specs:
            if "year" not in spec.dimensions:
                raise _fail(
                    path,
                    f"[[measurement]] {spec.name}",
                    "a release with a [calendar] measures every table per start year; add "
                    '"year" to its dimensions',
                )
    return ReleaseConfig(
        path=path,
        mechanism=mechanism,
        budget_total=budget_total,
        contribution_cap=cap,
        k=k,
        first_year=first,
        last_year=last,
        lifetime_epsilon_limit=lifetime,
        lifetime_rho_limit=rho_limit,
        measurements=tuple(specs),
        uncertainty=uncertainty,
        delta=delta,
        calendar=calendar,
    )


# The `[uncertainty]` fields: name -> (what it is, the largest value that still makes sense).
UNCERTAINTY_FIELDS = {
    "share_points": ("the 95% half-width of a share or rate, in percentage points", 100.0),
    "count_relative": ("the 95% half-width of a count, as a fraction of the count", 10.0),
    "median_relative": ("the 95% half-width of a median, as a fraction of the median", 10.0),
}


def _parse_uncertainty(raw: Mapping[str, Any], path: Path) -> UncertaintyRule:
    """The rule for "too uncertain" values (docs/methodology.md): a required section, so that
    the signed config says when the dashboard stops drawing a value."""
    section = raw.get("uncertainty")
    if not isinstance(section, Mapping):
        raise _fail(
            path,
            "[uncertainty]",
            "the section is missing; declare share_points (e.g. 20.0), count_relative (e.g. 0.5) "
            "and median_relative (e.g. 0.5)",
        )
    unknown = sorted(set(section) - set(UNCERTAINTY_FIELDS))
    if unknown:
        raise _fail(
            path,
            f"[uncertainty] {unknown[0]}",
            f"unknown field; allowed: {', '.join(UNCERTAINTY_FIELDS)}",
        )
    values = {}
    for name, (meaning, largest) in UNCERTAINTY_FIELDS.items():
        value = float(_require(section, name, (int, float), path, "[uncertainty]"))
        if not (math.isfinite(value) and 0 < value <= largest):
            raise _fail(
                path,
                f"[uncertainty] {name}",
                f"{name} = {value:g} is not allowed; {meaning} must be above 0 and at most {largest:g}",
            )
        values[name] = value
    return UncertaintyRule(**values)


def _parse_measurement(
    item: Any,
    index: int,
    earlier: list[MeasurementSpec],
    allowed: set[str],
    budget: tuple[str, float],
    cap: int,
    path: Path,
) -> MeasurementSpec:
    """One `[[measurement]]`; `budget`: the release's (mechanism, total)."""
    where = f"measurement #{index}"
    if not isinstance(item, Mapping):
        raise _fail(path, where, "must be a table")
    name = _require(item, "name", str, path, where)
    where = f"measurement {name!r}"
    if not name.isidentifier() or name != name.lower():
        raise _fail(path, where, "the name must be lower-case letters, digits and underscores")
    if any(s.name == name for s in earlier):
        raise _fail(path, where, "the name is used twice; names must be unique")
    unit = _require(item, "unit", str, path, where)
    if unit not in UNITS:
        raise _fail(path, where, f"unit {unit!r} is unknown; allowed: {', '.join(UNITS)}")
    dims = _require(item, "dimensions", list, path, where)
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise _fail(
            path,
            where,
            f"unknown dimension(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(allowed))}",
        )
    if len(set(dims)) != len(dims):
        raise _fail(path, where, "a dimension is listed twice")
    share = float(_require(item, "share", (int, float), path, where))
    if not (math.isfinite(share) and 0 < share <= 1):
        raise _fail(path, where, f"share = {share} must be in (0, 1]")
    anchors = tuple(item.get("consistent_with", ()))
    _check_anchors(anchors, tuple(dims), unit, earlier, path, where)
    # A trajectory marginal without its own SQL file is counted by the template queries/marginal.sql.
    query: Path | None = queries_dir() / f"{item.get('query', name)}.sql"
    if query is not None and not query.is_file():
        if "query" in item or unit != "trajectories":
            raise _fail(path, where, f"no SQL file {query}; add it or set `query`")
        query = None
    return MeasurementSpec(
        name=name,
        unit=unit,
        dimensions=tuple(dims),
        share=share,
        mechanism=budget[0],
        budget=share * budget[1],
        sensitivity=sensitivity_for(budget[0], unit, tuple(dims), cap),
        consistent_with=anchors,
        query=query,
    )


def _check_anchors(
    anchors: tuple[str, ...],
    dims: tuple[str, ...],
    unit: str,
    earlier: list[MeasurementSpec],
    path: Path,
    where: str,
) -> None:
    # At most two anchors: the rounding problem stays a transportation problem (integral LP).
    if len(anchors) > 2:
        raise _fail(path, where, "consistent_with may name at most two coarser measurements")
    for anchor in anchors:
        spec = next((s for s in earlier if s.name == anchor), None)
        if spec is None:
            raise _fail(
                path, where, f"consistent_with names {anchor!r}, which is not declared above it"
            )
        if spec.unit != unit or unit != "trajectories":
            raise _fail(
                path, where, f"consistent_with {anchor!r}: only trajectory counts can agree"
            )
        shared = [
            d
            for d in spec.dimensions
            if d in dims or any((c, d) in ROLLUPS or (d, c) in ROLLUPS for c in dims)
        ]
        if not shared:
            raise _fail(
                path,
                where,
                f"consistent_with {anchor!r}: it shares no dimension with this table",
            )
