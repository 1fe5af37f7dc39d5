"""End reasons per region in five public groups: a table of groups answers questions about whole
groups, exactly; a question that cuts through a group is refused, not approximated.

The shipped config measures year × partnership × end group (`partnership_outcome`) and the eight
end reasons only for Flanders; see docs/methodology.md, "What is measured".
"""

from __future__ import annotations

import numpy as np
import pytest
from support.small_release import demo_sized_release, small_release
from support.warehouses import DEFAULT_CONFIG, write_config

from binc.answering import answer
from binc.core import reference
from binc.core.dimensions import END_GROUPS, domain, members
from binc.core.errors import UserError
from binc.release.config import load_config
from binc.release_file import load_release

# The groups as the codebook states them, written out (an oracle that does not read END_GROUPS).
PLANNED = ("goals_reached", "other_planned")
ENDED = ("goals_reached", "other_planned", "family_withdrew", "other_unplanned")
PLANNED_REASONS = ("goals_reached", "goals_partly_reached", "referred_follow_up", "handed_over")


def test_the_groups_split_the_end_reasons_exactly_once() -> None:
    reasons = [c for codes in END_GROUPS.values() for c in codes]
    assert sorted(reasons) == sorted(domain("end_reason", ()))
    assert len(reasons) == len(set(reasons))
    planned = reference.codelists().filter(
        (reference.codelists()["list"] == "end_reason")
        & (reference.codelists()["group"] == "planned")
    )["code"]
    groups = members("end_reason", "end_group")
    assert sorted(c for g in PLANNED for c in groups[g]) == sorted(planned)


def test_a_partnership_share_is_the_share_of_its_group_cells() -> None:
    # one start year of the demo-sized copy with every cell large: the small test release hides
    # most partnerships' shares (its noise leaves many group cells at 0)
    release = demo_sized_release(floor=400)
    table = release.measurements["partnership_outcome"]
    cells = table.estimate[list(table.domains[0]).index("2024")].astype(
        float
    )  # partnership × group
    groups = list(table.domains[2])
    planned = cells[:, [groups.index(g) for g in PLANNED]].sum(1)
    ended = cells[:, [groups.index(g) for g in ENDED]].sum(1)
    asked = answer(release, "share_planned_end", by=("partnership",), where={"year": "2024"})
    frame = asked.frame
    shown = ~frame["suppressed"].to_numpy()
    assert shown.any()
    codes = list(table.domains[1])
    rows = [codes.index(p) for p in frame["partnership"].to_list()]
    want = 100 * planned[rows] / ended[rows]
    assert np.allclose(frame["value"].to_numpy()[shown], want[shown])
    assert "partnership_outcome" in asked.notes[0]


def test_whole_groups_filter_a_region_and_split_groups_are_refused() -> None:
    release = load_release(small_release()[0])
    where = {"year": "2024", "partnership": "P03"}
    whole = answer(release, "trajectories", where={**where, "end_reason": "goals_reached"})
    group = answer(release, "trajectories", where={**where, "end_group": "goals_reached"})
    # the same trajectories, the same table, the same pattern: the identical answer
    assert whole.frame.equals(group.frame)
    planned = answer(release, "trajectories", where={**where, "end_reason": PLANNED_REASONS})
    both = answer(release, "trajectories", where={**where, "end_group": PLANNED})
    assert planned.frame.equals(both.frame)
    # handed_over alone is a part of "other planned": not measured per partnership
    with pytest.raises(UserError) as refused:
        answer(release, "trajectories", where={**where, "end_reason": "handed_over"})
    assert refused.value.reason == "no_table_covers"
    # a misspelt code is still named as such
    with pytest.raises(UserError) as unknown:
        answer(release, "trajectories", where={**where, "end_reason": "goals_reachd"})
    assert unknown.value.reason == "unknown_code"
    # Flanders still has the single reasons
    flanders = answer(release, "trajectories", by=("end_reason",), where={"year": "2024"})
    assert set(flanders.frame["end_reason"]) == set(domain("end_reason", ()))


def test_an_anchor_must_share_a_dimension(tmp_path) -> None:
    head = DEFAULT_CONFIG[: DEFAULT_CONFIG.index("[[measurement]]")]

    def config(anchor_dims: str) -> str:
        return head + (
            '[[measurement]]\nname = "anchor"\nunit = "trajectories"\n'
            f"dimensions = {anchor_dims}\nshare = 0.5\n\n"
            '[[measurement]]\nname = "table"\nunit = "trajectories"\n'
            'dimensions = ["partnership", "end_group"]\nshare = 0.5\nconsistent_with = ["anchor"]\n'
        )

    # shared through the rollup end reason -> end group: allowed
    load_config(write_config(tmp_path, config('["year", "end_reason"]')))
    with pytest.raises(UserError, match="shares no dimension"):
        load_config(write_config(tmp_path, config('["year", "sex"]')))
