"""What a publication calendar costs a child over a lifetime, and how precise its provisional
figures are, before the data-protection officer signs it (`binc plan`).

A start year gets one definitive measurement with the tables' budgets and at most
`provisional_releases` provisional ones with `provisional_share` of them (binc/release/calendar.py).
A child keeps at most c trajectories over their life, so the ledger's per-child bound
(binc/release/ledger.py) is, per family of tables (kept and dropped trajectories), the most one
start year gets; summed over the families that is every table's budget × (1 + provisional
releases × provisional share), plus one late count (`late_share` of the budget): `lifetime`.
"""

from __future__ import annotations

from binc.release.calendar import Calendar
from binc.release.config import ReleaseConfig


def lifetime(config: ReleaseConfig, calendar: Calendar) -> float:
    """The per-child lifetime bound of releases following `calendar` (ε, or ρ for zCDP), with one
    late count (each trajectory enters at most one)."""
    tables = sum(spec.budget for spec in config.measurements) * calendar.schedule_factor()
    return tables + config.budget_total * calendar.late_share


def provisional_budgets(config: ReleaseConfig, calendar: Calendar) -> dict[str, float]:
    """Each table's budget for one provisional measurement of an open start year."""
    return {spec.name: spec.budget * calendar.provisional_share for spec in config.measurements}
