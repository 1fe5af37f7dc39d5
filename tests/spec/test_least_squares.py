"""Least squares over all measured marginals (binc/planning/least_squares.py): the closed-form
variances and estimates against a dense generalised-least-squares oracle (numpy's pseudo-inverse
over the full contingency table) on a small domain, and by simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from binc.planning.least_squares import Strategy, Table

SIZES = {"a": 2, "b": 3, "c": 4}
ORDER = ("a", "b", "c")
TABLES = {
    frozenset(): 5.0,
    frozenset({"a"}): 2.0,
    frozenset({"a", "b"}): 3.0,
    frozenset({"b", "c"}): 7.0,
}


def _strategy() -> Strategy:
    return Strategy(SIZES, tuple(Table(t, v) for t, v in TABLES.items()))


def _matrix(attributes: frozenset[str]) -> np.ndarray:
    """M_T over the full table (attributes in ORDER, C order)."""
    out = np.ones((1, 1))
    for a in ORDER:
        n = SIZES[a]
        out = np.kron(out, np.eye(n) if a in attributes else np.ones((1, n)))
    return out


def _full(query: dict[str, np.ndarray]) -> np.ndarray:
    out = np.ones(1)
    for a in ORDER:
        out = np.kron(out, query.get(a, np.ones(SIZES[a])))
    return out


def _normal() -> np.ndarray:
    return sum(_matrix(t).T @ _matrix(t) / v for t, v in TABLES.items())


QUERIES = [
    {"a": np.array([1.0, 0.0])},
    {"a": np.array([0.0, 1.0]), "b": np.array([1.0, 0.0, 1.0])},
    {"b": np.array([0.0, 1.0, 0.0]), "c": np.array([1.0, 1.0, 0.0, 0.0])},
    {},
    {"c": np.array([0.0, 0.0, 0.0, 1.0])},
    {"a": np.array([1.0, -0.6]), "b": np.array([0.2, 1.0, 0.0])},  # a share's num − p·base form
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_closed_form_variance_is_the_dense_least_squares_variance(query) -> None:
    q = _full(query)
    dense = float(q @ np.linalg.pinv(_normal()) @ q)
    assert _strategy().variance(query) == pytest.approx(dense, rel=1e-9)


def test_a_covariance_is_the_dense_one() -> None:
    inverse = np.linalg.pinv(_normal())
    for q, r in itertools.pairwise(QUERIES):
        dense = float(_full(q) @ inverse @ _full(r))
        assert _strategy().covariance(q, r) == pytest.approx(dense, rel=1e-9, abs=1e-12)


def test_a_query_no_table_determines_has_infinite_variance() -> None:
    """a × c is in no table: one cell of it is not determined (its dense 'variance' is that of a
    projection, not of an unbiased estimate)."""
    query = {"a": np.array([1.0, 0.0]), "c": np.array([1.0, 0.0, 0.0, 0.0])}
    assert math.isinf(_strategy().variance(query))
    q = _full(query)
    normal = _normal()
    # the dense check of estimability: q lies outside the row space of the measurements
    assert not np.allclose(normal @ np.linalg.pinv(normal) @ q, q)


def test_the_estimate_is_the_dense_least_squares_estimate() -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 50, size=24).astype(np.float64)
    noisy, order = {}, {}
    b = np.zeros(24)
    for t, v in TABLES.items():
        y = _matrix(t) @ truth + rng.normal(0, math.sqrt(v), size=_matrix(t).shape[0])
        axes = tuple(a for a in ORDER if a in t)
        noisy[t] = y.reshape(tuple(SIZES[a] for a in axes)) if axes else np.array(y[0])
        order[t] = axes
        b += _matrix(t).T @ y / v
    x = np.linalg.pinv(_normal()) @ b
    for query in [q for q in QUERIES if not math.isinf(_strategy().variance(q))]:
        got = _strategy().estimate(query, noisy, order)
        assert got == pytest.approx(float(_full(query) @ x), rel=1e-9, abs=1e-9)


def test_more_tables_never_make_a_variance_larger() -> None:
    """Least squares uses every table: adding one can only help (here the a × b count gets the
    b × c table's information on b)."""
    query = {"a": np.array([0.0, 1.0]), "b": np.array([0.0, 0.0, 1.0])}
    alone = Strategy(SIZES, (Table(frozenset({"a", "b"}), 3.0),)).variance(query)
    assert alone == pytest.approx(3.0)
    assert _strategy().variance(query) < alone
