"""The synthetic-data recipe: every share and distribution the generator draws from, in one place.

Reviewers change the data here, not in the drawing code. Figures follow docs/domain.md §1.2–1.6
(design assumptions where no published figure exists): ~5,000 families a year, short
right-skewed trajectories (median ≈ 120 days), mostly young children, some re-entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

# The horizon of start years: by default the registrations so far (2019–2025); `binc generate
# --first-year/--last-year` asks for any 1–40 years within 2015–2060. Years after today are
# simulated future data. The providers export on 31 March after the last start year (2026-03-31
# by default): no generated date lies after it (except the deliberate "future date" defect), so
# output never depends on the clock.
FIRST_YEAR, LAST_YEAR = 2019, 2025
EARLIEST_YEAR, LATEST_YEAR = 2015, 2060
MAX_YEARS = 40
OTHER_YOUTH_CARE = "other_youth_care"


@dataclass(frozen=True)
class TrajectoryTypeRecipe:
    """How one trajectory type is offered, lasts and ends."""

    share_1g1p: float
    share_other_youth_care: float
    median_days: float  # log-normal duration: median and shape (sigma of the log)
    sigma: float
    dropout_rate: float  # share of ends that are unplanned at the median duration
    # planned end reasons: goals_reached, goals_partly_reached, referred_follow_up, handed_over
    planned_weights: tuple[float, float, float, float]


PLANNED_REASONS = ("goals_reached", "goals_partly_reached", "referred_follow_up", "handed_over")
FOLLOW_UPS = ("none", "indicated", "realised")


def _types() -> dict[str, TrajectoryTypeRecipe]:
    t = TrajectoryTypeRecipe
    return {
        # A perspective conversation only: short, often ends in a referral or hand-over.
        "intake_only": t(0.12, 0.05, 21, 0.60, 0.30, (0.15, 0.10, 0.45, 0.30)),
        # Process coaching, about 4 months (docs/domain.md §1.6).
        "coaching_short": t(0.29, 0.15, 115, 0.50, 0.22, (0.40, 0.30, 0.15, 0.15)),
        # Weekly visits for about half a year.
        "coaching_intensive": t(0.19, 0.30, 200, 0.45, 0.18, (0.35, 0.25, 0.25, 0.15)),
        "case_coordination": t(0.14, 0.15, 165, 0.50, 0.15, (0.25, 0.25, 0.20, 0.30)),
        # Bridging while waiting for specialised care: mostly handed over or referred on.
        "bridging": t(0.13, 0.15, 130, 0.55, 0.20, (0.10, 0.15, 0.30, 0.45)),
        # About 5 sessions: a few weeks to about 3 months.
        "psychologist": t(0.13, 0.20, 60, 0.45, 0.25, (0.45, 0.30, 0.20, 0.05)),
    }


@dataclass(frozen=True)
class Recipe:
    # --- horizon -----------------------------------------------------------------------------
    first_year: int = FIRST_YEAR  # start years first_year..last_year (`with_horizon`)
    last_year: int = LAST_YEAR

    # --- scale -------------------------------------------------------------------------------
    # 50,000 distinct children ≈ 29,000 families, ≈ 5,000 family starts a year over 2019–2025
    # (docs/domain.md §1.4: 3,000–6,000 families a year nationally). Another horizon scales this
    # by its summed year weights (`children_for_horizon`), so each start year keeps its volume.
    default_children: int = 50_000
    # Yearly volume: ramp-up 2019 (15 partnerships), COVID dip 2020, full coverage from 2021.
    # Years outside the table take the nearest year's weight (0.70 before, 1.20 after): a flat
    # simulated past and future at the last known level.
    year_weights: dict[int, float] = field(
        default_factory=lambda: {
            2019: 0.70, 2020: 0.75, 2021: 1.00, 2022: 1.05, 2023: 1.10, 2024: 1.15, 2025: 1.20,
        }
    )  # fmt: skip
    # Fewer starts in the summer holidays and around the new year.
    month_weights: tuple[float, ...] = (0.9, 1, 1, 1, 1, 1, 0.7, 0.6, 1.1, 1.1, 1, 0.8)
    # Partnerships recognised later (docs/domain.md §1.1): no 1g1p trajectory before that year.
    partnership_first_year: dict[str, int] = field(
        default_factory=lambda: {"P08": 2021, "P16": 2021}
    )

    # --- geography ---------------------------------------------------------------------------
    # No population per municipality offline: weight = (number of postal codes) ** exponent ×
    # a seeded log-normal factor, so Antwerpen and Gent are big and small municipalities are
    # genuinely small (small cells exist).
    municipality_size_exponent: float = 1.75
    municipality_size_sigma: float = 0.5

    # --- families ----------------------------------------------------------------------------
    children_per_family: dict[int, float] = field(
        default_factory=lambda: {1: 0.45, 2: 0.38, 3: 0.17}
    )
    family_situations: dict[str, float] = field(
        default_factory=lambda: {
            "two_parents": 0.45, "single_parent": 0.30, "blended": 0.10,
            "co_parenting": 0.08, "foster": 0.03, "other": 0.04,
        }
    )  # fmt: skip
    # (adults in the household, mean number of children not registered) by situation
    household: dict[str, tuple[int, float]] = field(
        default_factory=lambda: {
            "two_parents": (2, 0.6), "single_parent": (1, 0.3), "blended": (2, 1.3),
            "co_parenting": (1, 0.5), "foster": (2, 1.0), "other": (2, 0.5),
        }
    )  # fmt: skip
    family_size_range: tuple[int, int] = (2, 10)

    # --- children ----------------------------------------------------------------------------
    sex_shares: dict[str, float] = field(
        default_factory=lambda: {"M": 0.505, "V": 0.493, "X": 0.002}
    )
    # Age at the family's first start: weight exp(-age / decay) over 0–17 (younger more
    # common), plus a small 18–24 tail.
    age_decay_years: float = 9.0
    adult_tail_share: float = 0.03
    max_age: int = 24

    # --- trajectories ------------------------------------------------------------------------
    # Family episodes of 1G1P support (re-entries); each sibling is in the first, most in later.
    episodes_per_family: dict[int, float] = field(
        default_factory=lambda: {1: 0.80, 2: 0.13, 3: 0.045, 4: 0.015, 5: 0.007, 6: 0.003}
    )
    sibling_in_later_episode: float = 0.8
    gap_median_days: float = 240  # from one episode's end to the next start, log-normal
    gap_sigma: float = 0.8
    individual_duration_share: float = 0.2  # siblings usually end together; some do not
    # Returning children — a modelling assumption, no published figure: about 15% of children
    # (10–20%) have 1G1P trajectories in two or more start years, 1 to about 12 years apart, with
    # the same national number, name and birth date each time. The re-entries above (gaps of
    # months to a few years) give 11% within 2019–2025 and 14% over 20 years; in addition a share
    # of families comes back for a new spell later in childhood, 7–12 years after its first start,
    # with the children then under 18 (each joining as in a re-entry). Spells ≥ 7 years apart
    # never both fall in a 7-year horizon such as the default one, so they show only over longer
    # horizons: measured 16.5% returning children over 2019–2038, 18% over 40 years.
    returning_children_share: float = 0.15  # the target; tests check the generated share
    late_return_share: float = 0.10  # of families
    late_return_years: tuple[float, float] = (7.0, 12.0)  # uniform, from the first start
    # and at least this long after the family's last episode can have ended (duration cap)
    late_return_pause_days: int = 365
    trajectory_types: dict[str, TrajectoryTypeRecipe] = field(default_factory=_types)
    duration_cap_days: int = 540
    # log-odds of drop-out per unit of log(duration / median): short → more drop-out
    dropout_slope: float = -1.0
    # Long trajectories (> ratio × median) end more often in goals reached or a referral.
    long_duration_ratio: float = 1.5
    long_boost: tuple[float, float, float, float] = (1.4, 1.0, 1.6, 1.0)
    unplanned_reasons: dict[str, float] = field(
        default_factory=lambda: {
            "family_withdrew": 0.40, "no_contact": 0.32, "moved_away": 0.15, "other": 0.13,
        }
    )  # fmt: skip
    # (none, indicated, realised) by end reason; unplanned ends share one row
    follow_up_by_reason: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "goals_reached": (0.75, 0.15, 0.10),
            "goals_partly_reached": (0.50, 0.30, 0.20),
            "referred_follow_up": (0.10, 0.35, 0.55),
            "handed_over": (0.30, 0.30, 0.40),
            "unplanned": (0.70, 0.20, 0.10),
        }
    )
    follow_up_missing: float = 0.04
    # Share without end_date at the export date: still running, or the end not yet registered
    # (more likely the more recent the start; time scale in days).
    ongoing_share: float = 0.15
    ongoing_recency_days: float = 365
    # The share is of the starts in the last 7 start years (all of 2019–2025): over a longer
    # horizon the older trajectories have long been closed.
    ongoing_reference_years: int = 7
    # Waiting time from referral to start (docs/domain.md §1.6: mostly within a month).
    referral_within_month: float = 0.80
    referral_long_wait: float = 0.15  # 32–180 days; the rest has no referral date
    # Other youth care registrations per child (linkage by pseudonym), within ± offset of the
    # child's first 1G1P start, so some come before and some after.
    other_youth_care_per_child: dict[int, float] = field(
        default_factory=lambda: {0: 0.68, 1: 0.22, 2: 0.07, 3: 0.03}
    )
    other_youth_care_offset_days: int = 1100
    # One that would fall outside the horizon (or before birth) is drawn again, no later than
    # this many years after the first start (the default horizon is 7 years long, so there this
    # bound never binds); over a long horizon it keeps other youth care in childhood.
    other_youth_care_redraw_years: int = 7

    # --- provider habits and data quality ----------------------------------------------------
    correction_share: float = 0.005  # re-sent in the next year's file with changed values
    invalid_share: float = 0.01  # one deliberate defect each
    # These write CSV as Excel nl-BE does: `;`, UTF-8 with BOM, DD/MM/YYYY, CRLF.
    excel_style_partnerships: tuple[str, ...] = ("P02", "P05", "P09", "P12", "P15")
    formatted_number_share_excel: float = 0.6  # national numbers as YY.MM.DD-SSS.CC
    formatted_number_share_plain: float = 0.1
    street_pool_size: int = 3000

    # --- derived from the horizon ------------------------------------------------------------
    @property
    def start_years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    @property
    def export_date(self) -> date:
        """When the providers exported: 31 March after the last start year."""
        return date(self.last_year + 1, 3, 31)

    def year_weight(self, year: int) -> float:
        """Relative volume of starts in `year`; outside the table, the nearest year's."""
        known = sorted(self.year_weights)
        return self.year_weights[min(max(year, known[0]), known[-1])]

    def children_for_horizon(self) -> int:
        """`default_children` (for the years of `year_weights`) scaled by the horizon's summed
        year weights: every start year keeps about the volume it has over 2019–2025."""
        horizon = sum(self.year_weight(year) for year in self.start_years)
        return round(self.default_children * horizon / sum(self.year_weights.values()))

    def with_horizon(self, first_year: int, last_year: int) -> Recipe:
        return replace(self, first_year=first_year, last_year=last_year)


RECIPE = Recipe()
