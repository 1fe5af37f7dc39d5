"""Property: the warehouse's national-number checks (both check-digit rules) agree with
python-stdnum's on every number, valid or not."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from stdnum.be import nn as stdnum_nn

from binc.core.national_number import valid_before_2000, valid_from_2000


# Two-digit years up to 25 only: stdnum also refuses birth dates in the future (20yy > today).
@given(
    st.integers(0, 25),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(1, 998),
    st.integers(0, 99),
    st.booleans(),
)
def test_national_number_checks_agree_with_stdnum(
    yy: int, mm: int, dd: int, counter: int, check: int, y2k: bool
) -> None:
    base = f"{yy:02d}{mm:02d}{dd:02d}{counter:03d}"
    correct = f"{97 - int(('2' if y2k else '') + base) % 97:02d}"
    for number in (base + correct, base + f"{check:02d}"):
        frame = pl.DataFrame({"n": [number]}).select(
            (valid_before_2000(pl.col("n")) | valid_from_2000(pl.col("n"))).alias("valid"),
            valid_from_2000(pl.col("n")).alias("from_2000"),
        )
        assert frame["valid"][0] == stdnum_nn.is_valid(number)
        if stdnum_nn.is_valid(number):
            assert frame["from_2000"][0] == (stdnum_nn.get_birth_date(number).year >= 2000)
