"""The method page states the release's guarantee in its own mechanism's terms: ε for a pure ε-DP
release; ρ and the (ε, δ) it implies for a zCDP release (issue 11, item 4), in Dutch and English,
and each measured table's share of it as ε or ρ."""

from __future__ import annotations

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
