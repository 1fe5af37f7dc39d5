"""Which shown derived figures to hide next when, beside their count table, they fail the audit.

Shares of a group of codes (group_shares.py) and medians (medians.py) are each audited with the
count table they come from; where some hidden count comes within less than k, figures are hidden
in stages, from the likeliest culprits to all of them. Hiding a figure only removes constraints,
so repeating this ends with a pattern that passes.
"""

from __future__ import annotations

from collections.abc import Collection

from binc.core.table import TOTAL

Row = tuple[str, ...]


def next_to_hide(
    failing_rows: Collection[Row], with_hidden: Collection[Row], still_shown: Collection[Row]
) -> set[Row] | None:
    """Of `still_shown`: the rows of the failing cells, else the margin rows (they link every row
    to the others), else every row with a hidden count, else all; None when none is left."""
    shown = set(still_shown)
    stages = (
        set(failing_rows),
        {r for r in shown if TOTAL in r},
        set(with_hidden),
        shown,
    )
    return next((stage & shown for stage in stages if stage & shown), None)
