"""Risk statistics on hand-worked arrays, and their invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.risk_stats import (
    RiskStatsError,
    expected_shortfall,
    percentiles,
    probability_beats,
    standard_error,
    summarize,
)

X = np.arange(1.0, 11.0)  # 1 .. 10


def test_percentiles_by_hand() -> None:
    # h = (n - 1) q = 9 q: P10 at h = 0.9 -> 1 + 0.9 = 1.9; P50 at 4.5 -> 5.5; P90 at 8.1 -> 9.1
    np.testing.assert_allclose(percentiles(X), [1.9, 5.5, 9.1])


def test_expected_shortfall_by_hand() -> None:
    # n alpha = 0.5: half of the worst path, divided by 0.5 -> 1
    assert expected_shortfall(X, 0.05) == pytest.approx(1.0)
    # n alpha = 2.5: (1 + 2 + 0.5 x 3) / 2.5 = 1.8
    assert expected_shortfall(X, 0.25) == pytest.approx(1.8)
    # alpha = 1 is the mean; order of the input does not matter
    assert expected_shortfall(X[::-1], 1.0) == pytest.approx(5.5)


def test_standard_error_by_hand() -> None:
    # sample sd of 1..10 = sqrt(55 / 6) = 3.02765; / sqrt(10) = 0.957427
    assert standard_error(X) == pytest.approx(np.sqrt(55 / 6) / np.sqrt(10))
    assert np.isnan(standard_error([3.0]))


def test_probability_beats_by_hand() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([0.0, 2.0, 5.0, 1.0])  # a > b on paths 0 and 3; the tie on path 1 does not count
    p, se = probability_beats(a, b)
    assert p == 0.5 and se == pytest.approx(np.sqrt(0.25 / 4))


def test_columns_are_strategies() -> None:
    m = np.stack([X, 2 * X], axis=1)
    np.testing.assert_allclose(percentiles(m)[:, 1], [3.8, 11.0, 18.2])
    np.testing.assert_allclose(expected_shortfall(m, 0.25), [1.8, 3.6])


def test_summarize_frame() -> None:
    df = summarize({"keep_mining": X, "convert": X + 1})
    assert list(df.index) == ["keep_mining", "convert"]
    assert list(df.columns) == ["mean_usd", "se_usd", "p10_usd", "p50_usd", "p90_usd", "es5_usd"]
    assert df.loc["convert", "mean_usd"] == pytest.approx(6.5)
    assert df.loc["convert", "p90_usd"] == pytest.approx(10.1)
    with pytest.raises(RiskStatsError, match="same"):
        summarize({"a": X, "b": X[:5]})


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(RiskStatsError, match="non-finite"):
        percentiles([1.0, np.nan])
    with pytest.raises(RiskStatsError, match="alpha=0"):
        expected_shortfall(X, 0)
    with pytest.raises(RiskStatsError, match="a has 10 paths and b has 2"):
        probability_beats(X, [1.0, 2.0])


values = st.lists(st.floats(-1e9, 1e9), min_size=2, max_size=200)


@settings(max_examples=60, deadline=None)
@given(x=values, alpha=st.floats(0.01, 1.0))
def test_shortfall_lies_between_the_minimum_and_the_mean(x: list[float], alpha: float) -> None:
    arr = np.array(x)
    es = expected_shortfall(arr, alpha)
    tol = 1e-9 * (1 + np.abs(arr).max())
    assert arr.min() - tol <= es <= arr.mean() + tol


@settings(max_examples=60, deadline=None)
@given(x=values)
def test_percentiles_are_ordered_and_beats_are_complementary(x: list[float]) -> None:
    arr = np.array(x)
    p10, p50, p90 = percentiles(arr)
    assert arr.min() <= p10 <= p50 <= p90 <= arr.max()
    y = arr[::-1]
    ties = np.mean(arr == y)
    assert probability_beats(arr, y)[0] + probability_beats(y, arr)[0] + ties == pytest.approx(1.0)
