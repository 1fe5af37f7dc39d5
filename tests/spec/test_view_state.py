"""How a link's values become a page's choice (dashboard.view_state.Choice.read): known values are
kept in the link's order, everything else is returned to be named in a notice, and nothing usable
means the default. The widgets and notices themselves: tests/app/test_view_links.py."""

from __future__ import annotations

import pytest

from dashboard.view_state import NO, YES, Choice

LEVEL = Choice("level", "cmp_level", ("partnership", "province"), ("partnership",))
BY = Choice(
    "by", "tables_by", ("year", "partnership", "sex", "age_band"), (), multiple=True, limit=3
)


def test_nothing_asked_is_the_default_and_nothing_is_ignored():
    assert LEVEL.read([]) == (("partnership",), ())
    assert BY.read([]) == ((), ())


def test_a_known_value_is_chosen():
    assert LEVEL.read(["province"]) == (("province",), ())


def test_an_unknown_value_gives_the_default_and_is_named():
    assert LEVEL.read(["P99"]) == (("partnership",), ("P99",))
    assert LEVEL.read([""]) == (("partnership",), ("",))


def test_a_single_choice_keeps_the_first_known_value_and_names_the_others():
    assert LEVEL.read(["x", "province", "partnership"]) == (("province",), ("x", "partnership"))
    # a repeat is no second value
    assert LEVEL.read(["province", "province"]) == (("province",), ())


def test_a_multiple_choice_keeps_the_links_order_up_to_its_limit():
    assert BY.read(["sex", "year"]) == (("sex", "year"), ())
    asked = ["sex", "moon", "year", "sex", "partnership", "age_band"]
    assert BY.read(asked) == (("sex", "year", "partnership"), ("moon", "age_band"))
    assert BY.read(["moon"]) == ((), ("moon",))


def test_a_toggle_reads_yes_or_no():
    totals = Choice("totals", "tables_totals", (YES, NO), (NO,))
    assert totals.read(["yes"]) == ((YES,), ())
    assert totals.read(["true"]) == ((NO,), ("true",))


@pytest.mark.parametrize(
    ("param", "options", "default", "multiple"),
    [
        ("region", ("a",), ("a",), False),  # the sidebar's parameter
        ("embed", ("a",), ("a",), False),  # Streamlit's
        ("level", ("a", "b"), ("c",), False),  # a default that is no option
        ("level", ("a", "b"), (), False),  # a single choice without a default
        ("by", ("a", "b"), ("a",), True),  # a multiple choice defaults to none
    ],
)
def test_a_choice_that_could_not_be_linked_is_refused(param, options, default, multiple):
    with pytest.raises(ValueError):
        Choice(param, "key", options, default, multiple=multiple)
