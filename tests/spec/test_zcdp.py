"""zCDP as the DPO's option (issue 11, item 4): a config that says `noise = "discrete_gaussian"`
spends ρ (`rho_total`, split by the same shares), each table gets discrete Gaussian noise with its
L2 sensitivity, the ledger adds ρ, and every reader (metadata, answers' notes, citations, the
interval of a single cell, `binc ledger`, `binc plan`) states the guarantee as ρ and the (ε, δ) it
implies."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from support.warehouses import (
    DEFAULT_CONFIG,
    make_warehouse,
    random_trajectories,
    write_config,
)

from binc.answering import answer
from binc.cli import main
from binc.core.errors import UserError
from binc.core.noise import ZCDP, DiscreteGaussianNoise, zcdp_epsilon
from binc.export.codebook import citation
from binc.release.build import build_release, privatise
from binc.release.config import load_config
from binc.release.measure import bound_contributions, measuring_connection, true_marginal
from binc.release_file import load_release

pytestmark = pytest.mark.empty_ledger

RHO = 0.5
ZCDP_CONFIG = DEFAULT_CONFIG.replace(
    'noise = "two_sided_geometric"\nepsilon_total = 1.0',
    f'noise = "discrete_gaussian"\nrho_total = {RHO}\nlifetime_rho_limit = 2.0',
)


def zcdp_config(folder: Path, **privacy: object) -> Path:
    assert ZCDP_CONFIG != DEFAULT_CONFIG
    return write_config(folder, ZCDP_CONFIG, **privacy)


@pytest.fixture(scope="module")
def zcdp_release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("zcdp")
    warehouse = make_warehouse(base / "w.duckdb", random_trajectories(4000, seed=5))
    config = zcdp_config(base)
    build_release(warehouse, base / "r.duckdb", config, rng=np.random.default_rng(5))
    return base / "r.duckdb", config


# ---- the config ------------------------------------------------------------------------------


def test_a_zcdp_config_splits_rho_and_uses_l2_sensitivities(tmp_path: Path) -> None:
    config = load_config(zcdp_config(tmp_path))
    assert (config.mechanism, config.budget_total, config.delta) == (ZCDP, RHO, 1e-6)
    assert config.budget_text() == "ρ 0.5"
    assert sum(s.budget for s in config.measurements) == pytest.approx(RHO)
    by_name = {s.name: s for s in config.measurements}
    # trajectory counts: up to c = 3 in one cell; distinct children a year: 1 in each of ≤ 3 years
    assert by_name["year_partnership"].sensitivity == 3.0
    assert by_name["children"].sensitivity == pytest.approx(math.sqrt(3))
    noise = by_name["year_partnership"].noise
    assert noise == DiscreteGaussianNoise(
        rho=by_name["year_partnership"].share * RHO, sensitivity=3.0
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('rho_total = 0.5', 'rho_total = 0.5\nepsilon_total = 1.0'),
         r"\[privacy\] epsilon_total: .*remove epsilon_total"),
        (('rho_total = 0.5\n', ''), r"the field `rho_total` is missing"),
        (('lifetime_rho_limit = 2.0', ''), r"the field `lifetime_rho_limit` is missing"),
        (('lifetime_rho_limit = 2.0', 'lifetime_rho_limit = 0.1'), "at least rho_total"),
        (('rho_total = 0.5', 'rho_total = 0.5\ndelta = 0.01'), "below 0.001"),
        (('noise = "discrete_gaussian"', 'noise = "gaussian"'), r"'gaussian' is unknown; allowed: "
                                                  r"'two_sided_geometric', 'discrete_gaussian'"),
    ],
)  # fmt: skip
def test_a_zcdp_config_outside_the_rules_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in ZCDP_CONFIG
    path = tmp_path / "release.toml"
    path.write_text(ZCDP_CONFIG.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(UserError, match=message):
        load_config(path)


# ---- the release -------------------------------------------------------------------------------


def test_a_zcdp_release_states_rho_and_the_epsilon_delta_it_implies(zcdp_release) -> None:
    release_path, _ = zcdp_release
    meta = load_release(release_path).metadata
    assert meta["noise_distribution"] == ZCDP
    assert meta["rho_total"] == RHO
    assert meta["rho_spent"] == pytest.approx(RHO)
    assert meta["delta"] == 1e-6
    assert meta["epsilon_at_delta"] == pytest.approx(zcdp_epsilon(RHO, 1e-6))
    assert 5.2 < meta["epsilon_at_delta"] < 5.25
    assert "epsilon_total" not in meta
    assert "lifetime_epsilon" not in meta
    assert meta["lifetime_rho"] == pytest.approx(RHO)
    assert "zCDP" in meta["composition"]
    for name, table in meta["measurements"].items():
        assert table["distribution"] == ZCDP, name
        assert "rho" in table, name
        assert "epsilon" not in table, name
        assert "alpha" not in table, name
    assert meta["ledger"]["pure_only"] is False


def test_a_zcdp_release_reads_back_with_its_discrete_gaussian(zcdp_release) -> None:
    release_path, config_path = zcdp_release
    release = load_release(release_path)
    config = load_config(config_path)
    for spec in config.measurements:
        assert release.measurements[spec.name].noise == spec.noise
        assert isinstance(spec.noise, DiscreteGaussianNoise)


def test_the_noise_of_a_zcdp_release_is_gaussian_not_laplace(tmp_path: Path) -> None:
    """The measured counts minus the true ones, over every cell of every table, in units of each
    table's σ: variance 1 (within 5 %) and no heavy tails (the excess kurtosis of a discrete
    Laplace is 3, of a Gaussian 0)."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", random_trajectories(3000, seed=8))
    config = load_config(zcdp_config(tmp_path))
    with measuring_connection(warehouse) as (con, _):
        bound_contributions(con, config, as_of=date(2025, 12, 31))
        trues = [true_marginal(con, spec, config) for spec in config.measurements]
    counts = {t.spec.name: t.counts.reshape(-1).copy() for t in trues}
    measured = privatise(trues, np.random.default_rng(8))
    z = np.concatenate(
        [
            (m.noisy.reshape(-1) - counts[name]) / m.noise.sigma
            for name, m in measured.items()
            if isinstance(m.noise, DiscreteGaussianNoise)
        ]
    )
    assert z.size > 15_000
    assert np.mean(z**2) == pytest.approx(1.0, rel=0.05)
    excess_kurtosis = np.mean(z**4) / np.mean(z**2) ** 2 - 3
    assert abs(excess_kurtosis) < 0.3, excess_kurtosis


def test_an_answer_of_a_zcdp_release_says_so_and_its_one_cell_interval_is_exact(
    zcdp_release,
) -> None:
    release_path, _ = zcdp_release
    release = load_release(release_path)
    table = answer(release, "trajectories", by=("partnership",), where={"year": "2024"})
    (note,) = [n for n in table.notes if n.startswith("answered from")]
    source = release.measurements[table.source_tables[0]]
    assert f"ρ {source.noise.rho:g}, discrete Gaussian noise" in note
    half = source.noise.half_width(0.95)
    frame = table.frame.filter(~table.frame["suppressed"] & (table.frame["ci_low"] > 0))
    assert frame.height >= 10
    assert ((frame["ci_high"] - frame["value"]) == half).all()
    assert ((frame["value"] - frame["ci_low"]) == half).all()
    assert "privacy budget ρ 0.5 (zCDP, implying (ε 5.22, δ 1e-06)-DP)" in citation(table)


# ---- the ledger --------------------------------------------------------------------------------


def test_the_ledger_adds_rho_and_refuses_beyond_the_rho_limit(tmp_path: Path, capsys) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb", random_trajectories(300, seed=2))
    config = zcdp_config(tmp_path, lifetime_rho_limit=0.9)
    summary = build_release(warehouse, tmp_path / "one.duckdb", config)
    assert summary.budget_text == "ρ 0.5"
    assert summary.lifetime.rho == pytest.approx(0.5)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(UserError, match=r"lifetime budget rule \(lifetime_rho_limit\)"):
        build_release(warehouse, tmp_path / "elsewhere" / "two.duckdb", config)
    assert main(["ledger", "--warehouse", str(warehouse), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "discrete_gaussian  ρ 0.5" in out
    assert (
        "ρ (zCDP, all releases): 0.5 of lifetime_rho_limit 0.9; that is (ε 5.22, δ 1e-06)-DP" in out
    )


def test_the_release_command_prints_rho(tmp_path: Path, capsys) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb", random_trajectories(300, seed=3))
    out_path = tmp_path / "r.duckdb"
    code = main(["release", "--warehouse", str(warehouse), "--out", str(out_path), "--config",
                 str(zcdp_config(tmp_path))])  # fmt: skip
    assert code == 0
    assert "ρ 0.5 (lifetime ρ 0.5 (zCDP))" in capsys.readouterr().out


def test_plan_of_a_zcdp_config_speaks_rho(tmp_path: Path, capsys) -> None:
    code = main(["plan", "--config", str(zcdp_config(tmp_path))])
    out = capsys.readouterr().out
    assert code == 0  # every shipped target is met at ρ 0.5 (the README's figures)
    assert "under the config's budget (ρ 0.5, zCDP, δ 1e-06, c = 3)" in out
    assert "every target is met at a total ρ of" in out
    # compared with pure ε-DP at ε = √(2ρ) = 1
    assert "1: ε 1 (pure ε-DP)" in out
