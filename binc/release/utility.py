"""Utility analysis of a release config: expected noise per table at demo scale (docs/methodology.md).

`python -m binc.release.utility [CONFIG]` prints, for each measured table, its ε (or ρ), the noise
scale, the 95% interval half-width of one cell, and that width relative to an average cell at demo
scale (≈ 9,000 1G1P trajectories a year, 16 partnerships), so budget shares can be chosen from
expected interval widths rather than by feel.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from binc.core.dimensions import domain
from binc.core.noise import BUDGET_SYMBOLS, Noise
from binc.release.config import load_config

TRAJECTORIES_PER_YEAR = 9000
CHILDREN_PER_YEAR = 7000


def report(config_path: Path | None = None) -> str:
    config = load_config(config_path)
    lines = [
        f"| table | {BUDGET_SYMBOLS[config.mechanism]} | Δ | scale | 95% ± per cell | cells a year | average cell | ± relative | median rel. error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in config.measurements:
        noise = spec.noise
        per_year = math.prod(len(domain(d, config.years)) for d in spec.dimensions if d != "year")
        volume = CHILDREN_PER_YEAR if spec.unit == "children" else TRAJECTORIES_PER_YEAR
        if spec.unit == "dropped_trajectories":
            volume = 500
        average = volume / per_year
        half = noise.half_width(0.95)
        median_error = _median_absolute(noise)
        lines.append(
            f"| {spec.name} | {spec.budget:.3g} | {spec.sensitivity:.3g} | {noise.scale:.0f} | {half} | "
            f"{per_year} | {average:,.0f} | {half / average:.0%} | {median_error / average:.1%} |"
        )
    return "\n".join(lines)


def _median_absolute(noise: Noise) -> float:
    """The median of |noise| for one cell (its 50% half-width)."""
    return float(noise.half_width(0.5))


if __name__ == "__main__":
    print(report(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
