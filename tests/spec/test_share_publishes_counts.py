"""Spec: a share publishes its numerator and its base (share × base is the count), so it is hidden
wherever the count table of the same question hides either — on every breakdown and filter."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from support.small_release import small_release

from binc.answering import answer, list_measures
from binc.core.errors import UserError
from binc.core.table import TOTAL
from binc.release_file import load_release


def _questions(release) -> list[tuple[tuple[str, ...], dict[str, str]]]:
    share = next(m for m in list_measures(release) if m["name"] == "share")
    dims = [d for d in share["dimensions"] if d != "year"]
    out: list[tuple[tuple[str, ...], dict[str, str]]] = []
    for first, second in itertools.permutations(["year", *dims], 2):
        out.append(((first, second), {}))
    for dim in dims:
        out.append(((dim,), {"year": "2024"}))
        out.append(((dim,), {"partnership": "P01"} if dim != "partnership" else {"year": "2023"}))
    return out


def test_a_share_is_hidden_wherever_its_count_or_base_is_hidden() -> None:
    release = load_release(small_release()[0])
    checked = hidden_counts = 0
    for by, where in _questions(release):
        try:
            counts = answer(release, "trajectories", by=by, where=where, totals=True).frame
            shares = answer(release, "share", by=by, where=where, totals=True).frame
        except UserError:
            continue  # refused as a whole: nothing is published
        hidden = {
            tuple(row[d] for d in by): row["suppressed"] for row in counts.iter_rows(named=True)
        }
        for row in shares.iter_rows(named=True):
            key = tuple(row[d] for d in by)
            base = (*key[:-1], TOTAL)
            if hidden[key] or hidden[base]:
                hidden_counts += hidden[key]
                assert row["suppressed"], f"{by} {where}: share at {key} shows a hidden count"
                assert row["value"] is None
            checked += 1
    # 5,728 share cells checked, 1,346 of them over a hidden count (small test release)
    assert checked > 5000
    assert hidden_counts > 1000


def test_the_doelgroep_page_pair_agrees() -> None:
    """The *Doelgroep* page draws trajectories and shares by age band × sex side by side."""
    release = load_release(small_release()[0])
    by = ("age_band", "sex")
    where = {"partnership": "P01"}
    counts = answer(release, "trajectories", by=by, where=where, totals=True).frame
    shares = answer(release, "share", by=by, where=where, totals=True).frame
    joined = counts.join(shares, on=list(by), suffix="_share")
    inner = joined.filter(pl.col("sex") != TOTAL)
    assert inner.filter(pl.col("suppressed") & ~pl.col("suppressed_share")).is_empty()


@pytest.mark.parametrize("share_over", ["sex", "age_band"])
def test_shown_shares_times_shown_bases_give_only_shown_counts(share_over: str) -> None:
    release = load_release(small_release()[0])
    other = "age_band" if share_over == "sex" else "sex"
    by = (other, share_over)
    counts = answer(release, "trajectories", by=by, where={"year": "2024"}, totals=True).frame
    shares = answer(release, "share", by=by, where={"year": "2024"}, totals=True).frame
    shown = shares.filter(~pl.col("suppressed") & (pl.col(share_over) != TOTAL))
    for row in shown.iter_rows(named=True):
        count = counts.filter(
            (pl.col(other) == row[other]) & (pl.col(share_over) == row[share_over])
        )
        base = counts.filter((pl.col(other) == row[other]) & (pl.col(share_over) == TOTAL))
        assert not count["suppressed"][0]
        assert not base["suppressed"][0]
