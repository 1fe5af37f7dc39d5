"""How precise a publication calendar's provisional figures are, before the data-protection
officer signs it (`binc plan`; the calendar's per-child bound is `Calendar.per_child_budget`).

A start year gets one definitive measurement with the tables' budgets and at most
`provisional_releases` provisional ones with `provisional_share` of them (binc/release/calendar.py).
"""

from __future__ import annotations

from binc.release.calendar import Calendar
from binc.release.config import ReleaseConfig


def provisional_budgets(config: ReleaseConfig, calendar: Calendar) -> dict[str, float]:
    """Each table's budget for one provisional measurement of an open start year."""
    return {spec.name: calendar.provisional_budget(spec.budget) for spec in config.measurements}
