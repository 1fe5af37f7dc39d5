"""The same questions under both noise mechanisms, so the data-protection officer chooses with numbers.

Pure ε-DP (two-sided geometric) and ρ-zCDP (discrete Gaussian) are not measured in the same unit,
so one config's budget is put in three comparable ways:

- pure ε-DP at ε;
- zCDP at ρ = ε²/2: the ρ that pure ε-DP itself guarantees (Bun & Steinke 2016, Prop. 1.4), so
  the two promise the same in zCDP terms; in (ε, δ) terms it is weaker (the ε it implies at the
  config's δ is printed);
- zCDP at the ρ whose (ε, δ)-DP at the config's δ is the same ε: the same ε, give or take δ.

The shares of the budget stay the config's; the half-widths come from the same answering layer
(binc/planning/precision.py). A setting also says the smallest total of its mechanism at which
every target is met with the same tables, the tables that answer no question keeping their
budget (binc/planning/budget.py); settings 2 and 3 differ in that budget only, so `binc plan`
asks it of settings 1 and 3. A zCDP config is compared the other way round (pure ε = √(2ρ)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from scipy import optimize

from binc.core.noise import PURE_DP, ZCDP, pure_to_zcdp, zcdp_epsilon
from binc.planning.budget import divide
from binc.planning.precision import Expected, expected
from binc.planning.questions import Question
from binc.release.config import ReleaseConfig, sensitivity_for


@dataclass(frozen=True)
class Setting:
    """One way of spending: the config under a mechanism and total, and its questions' answers."""

    spending: ReleaseConfig  # the config's shares of this mechanism's total
    answers: list[Expected]

    @property
    def mechanism(self) -> str:
        return self.spending.mechanism

    @property
    def total(self) -> float:
        """ε or ρ."""
        return self.spending.budget_total

    @property
    def met(self) -> int:
        return sum(a.met for a in self.answers)

    @property
    def guarantee(self) -> str:
        """The total in the DPO's terms: "ε 1 (pure ε-DP)", "ρ 0.5 zCDP → (ε 5.22, δ 1e-06)"."""
        return guarantee(self.mechanism, self.total, self.spending.delta)

    def needed(self, questions: Sequence[Question]) -> str:
        """The smallest total of this mechanism at which every target is met with the same tables,
        those that answer no question keeping their budget (budget.divide), in the DPO's terms."""
        total = divide(self.spending, questions).needed_total
        return guarantee(self.mechanism, total, self.spending.delta)


def under(config: ReleaseConfig, mechanism: str, total: float) -> ReleaseConfig:
    """`config` spending `total` (ε or ρ) with `mechanism`, every table keeping its share."""
    specs = tuple(
        replace(
            spec,
            mechanism=mechanism,
            budget=spec.share * total,
            sensitivity=sensitivity_for(
                mechanism, spec.unit, spec.dimensions, config.contribution_cap
            ),
        )
        for spec in config.measurements
    )
    return replace(config, mechanism=mechanism, budget_total=total, measurements=specs)


def rho_for_epsilon(epsilon: float, delta: float) -> float:
    """The ρ whose (ε, δ)-DP bound (zcdp_epsilon) is `epsilon` at `delta`."""
    return float(
        optimize.brentq(lambda rho: zcdp_epsilon(rho, delta) - epsilon, 1e-12, epsilon, xtol=1e-12)
    )


def guarantee(mechanism: str, total: float, delta: float) -> str:
    if mechanism == PURE_DP:
        return f"ε {total:.3g} (pure ε-DP)"
    return f"ρ {total:.3g} zCDP → (ε {zcdp_epsilon(total, delta):.2f}, δ {delta:g})"


def settings(config: ReleaseConfig, questions: Sequence[Question]) -> list[Setting]:
    """The questions under the three settings of the module doc."""
    epsilon = (
        config.budget_total if config.mechanism == PURE_DP else math.sqrt(2 * config.budget_total)
    )
    out = []
    for mechanism, total in (
        (PURE_DP, epsilon),
        (ZCDP, pure_to_zcdp(epsilon)),
        (ZCDP, rho_for_epsilon(epsilon, config.delta)),
    ):
        spending = under(config, mechanism, total)
        out.append(Setting(spending, expected(spending, questions)))
    return out
