"""The method page states the release's guarantee in its own mechanism's terms: ε for a pure ε-DP
release; ρ and the (ε, δ) it implies for a zCDP release (issue 11, item 4), in Dutch and English,
and each measured table's share of it as ε or ρ."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support.small_release import open_page
from support.warehouses import DEFAULT_CONFIG, make_warehouse, random_trajectories, write_config

from binc.core import i18n
from binc.release.build import build_release

pytestmark = pytest.mark.empty_ledger


@pytest.fixture(scope="module")
def zcdp_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("zcdp-app")
    text = DEFAULT_CONFIG.replace(
        'noise = "two_sided_geometric"\nepsilon_total = 1.0',
        'noise = "discrete_gaussian"\nrho_total = 0.5\nlifetime_rho_limit = 2.0',
    )
    warehouse = make_warehouse(base / "w.duckdb", random_trajectories(2000, seed=4))
    out = base / "r.duckdb"
    build_release(
        warehouse, out, write_config(base, text), np.random.default_rng(4), synthetic=True
    )
    return out


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_zcdp_release_reads_rho_and_the_epsilon_delta_it_implies(
    zcdp_release: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setenv("BINC_RELEASE", str(zcdp_release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    at = open_page("method", {"lang": lang})
    assert not at.exception, [e.value for e in at.exception]
    texts = " ".join(m.value for m in at.markdown)
    number = "0,500" if lang == "nl" else "0.500"
    epsilon = "5,22" if lang == "nl" else "5.22"
    stated = i18n.text("method.budget_zcdp", lang, rho=number, epsilon=epsilon, delta="1e-6")
    assert stated in texts  # the technical note on the budget
    assert "zCDP" in texts
    # each table's share, as ρ
    shares = pl.from_pandas(at.dataframe[0].value)
    assert "ρ" in shares.columns
    assert "ε" not in shares.columns


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_pure_release_reads_epsilon(app_release: Path, lang: str) -> None:
    at = open_page("method", {"lang": lang})
    assert not at.exception, [e.value for e in at.exception]
    texts = " ".join(m.value for m in at.markdown)
    number = "1,00" if lang == "nl" else "1.00"
    assert i18n.text("method.budget_pure", lang, epsilon=number) in texts
    assert "zCDP" not in texts
    assert "ρ" not in texts
    shares = pl.from_pandas(at.dataframe[0].value)
    assert "ε" in shares.columns


def _dropped_row(at) -> str:
    facts = pl.from_pandas(at.table[0].value)
    label = i18n.text("method.dropped", "nl")
    (row,) = facts.filter(pl.col(facts.columns[0]) == label).rows()
    return str(row[1])


def test_the_dropped_count_reads_as_the_release_publishes_it(app_release: Path) -> None:
    """The cap's dropped trajectories: the value with its interval, or 'onderdrukt' / 'te onzeker'
    as the release's figure says; never a raw (possibly negative) noisy number."""
    from binc.release_file import load_release

    figure = load_release(app_release).metadata["bounding"]["rows_dropped"]
    at = open_page("method", {"lang": "nl"})
    assert not at.exception, [e.value for e in at.exception]
    shown = _dropped_row(at)
    if figure["suppressed"]:
        assert shown == i18n.text("chart.suppressed", "nl")
    elif figure["too_uncertain"]:
        assert shown == i18n.text("chart.too_uncertain", "nl")
    else:
        low, high = (i18n.format_number(figure[k], "nl", 0) for k in ("ci_low", "ci_high"))
        assert shown.startswith(f"ongeveer {i18n.format_number(figure['value'], 'nl', 0)} ")
        assert f"95%-interval {low} tot {high};" in shown
    assert not re.search(r"(^|\s)[-−]\d", shown)  # never a raw, possibly negative, noisy count


@pytest.mark.parametrize(
    ("figure", "key"),
    [
        (
            {
                "value": None,
                "ci_low": None,
                "ci_high": None,
                "suppressed": True,
                "too_uncertain": False,
            },
            "chart.suppressed",
        ),
        (
            {
                "value": 120,
                "ci_low": 0,
                "ci_high": 1019,
                "suppressed": False,
                "too_uncertain": True,
            },
            "chart.too_uncertain",
        ),
    ],
)
def test_a_hidden_or_too_uncertain_dropped_count_shows_no_number(
    app_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figure: dict, key: str
) -> None:
    import json
    import shutil

    import duckdb

    copy = Path(shutil.copyfile(app_release, tmp_path / "release.duckdb"))
    con = duckdb.connect(str(copy))
    try:
        (document,) = con.execute("SELECT document FROM release_metadata").fetchone()
        metadata = json.loads(document)
        metadata["bounding"]["rows_dropped"] = figure
        con.execute("UPDATE release_metadata SET document = ?", [json.dumps(metadata)])
    finally:
        con.close()
    monkeypatch.setenv("BINC_RELEASE", str(copy))
    at = open_page("method", {"lang": "nl"})
    assert not at.exception, [e.value for e in at.exception]
    shown = _dropped_row(at)
    assert shown == i18n.text(key, "nl")
    assert not any(ch.isdigit() for ch in shown)
