"""Least-squares Monte Carlo: the paper's worked example and Table 1, the conversion option's
bounds, its zero-volatility limit, and the plain-words rule.

References: Longstaff, F. A. and Schwartz, E. S. (2001), "Valuing American Options by Simulation: A
Simple Least-Squares Approach", Review of Financial Studies 14(1), 113-147. Section 1's eight-path
example (value 0.1144; paths 4, 6, 7, 8 exercise at t = 1, path 3 at t = 3) and Table 1's
finite-difference American put values (strike 40, r = 0.06), as transcribed in
github.com/ptamarov/lsmc_py data.csv and replicated by github.com/bdmitry09/Real-Options
(both read 2026-11-30 through the search tool).
"""

from __future__ import annotations

import numpy as np
import pytest
from conversion_paths import conversion_paths
from hypothesis import example, given, settings
from hypothesis import strategies as st

from valuation.errors import ValuationError
from valuation.options import (
    CONVERSION_RULE_DIRECTIONS,
    OptionsInputError,
    american_put,
    conversion_option,
    exercise_rule,
    longstaff_schwartz,
    polynomial_regression,
)

# (spot, volatility, maturity years, finite-difference American value), strike 40, r = 0.06
LS_TABLE_1 = [
    (36.0, 0.2, 1.0, 4.478),
    (36.0, 0.2, 2.0, 4.840),
    (36.0, 0.4, 1.0, 7.101),
    (40.0, 0.2, 1.0, 2.314),
    (44.0, 0.2, 1.0, 1.110),
    (36.0, 0.4, 2.0, 8.508),
    (44.0, 0.4, 2.0, 5.647),
]


def test_the_papers_eight_path_example() -> None:
    s = np.array(
        [
            [1.09, 1.08, 1.34],
            [1.16, 1.26, 1.54],
            [1.22, 1.07, 1.03],
            [0.93, 0.97, 0.92],
            [1.11, 1.56, 1.52],
            [0.76, 0.77, 0.90],
            [0.92, 0.84, 1.01],
            [0.88, 1.22, 1.34],
        ]
    )
    result = longstaff_schwartz(
        np.maximum(1.10 - s, 0.0),
        np.exp(-0.06 * np.arange(1, 4)),
        s,
        regression=polynomial_regression(2),  # the paper's basis: 1, X, X^2
        min_regression_paths=1,
    )
    assert result.value == pytest.approx(0.1144, abs=5e-5)
    assert result.exercise_index.tolist() == [-1, -1, 2, 0, -1, 0, 0, 0]
    assert result.exercised_by_date.tolist() == [0.5, 0.5, 0.625]
    # the value is the mean of the paths' discounted exercise values, by hand
    by_hand = (0.17 + 0.34 + 0.18 + 0.22) * np.exp(-0.06) + 0.07 * np.exp(-0.18)
    assert result.value == pytest.approx(by_hand / 8, rel=1e-12)


@pytest.mark.parametrize(("spot", "vol", "maturity", "fd_value"), LS_TABLE_1)
def test_american_put_matches_longstaff_schwartz_table_1(spot, vol, maturity, fd_value) -> None:
    result = american_put(spot, 40.0, 0.06, vol, maturity)
    assert 0 < result.std_error < 0.02
    assert abs(result.value - fd_value) <= max(3 * result.std_error, 0.05)
    # an American put is worth at least exercising now
    assert result.value >= max(40.0 - spot, 0.0)


def test_same_seed_same_value_other_seed_other_value() -> None:
    a = american_put(36.0, 40.0, 0.06, 0.2, 1.0, n_paths=20_000, seed=7)
    b = american_put(36.0, 40.0, 0.06, 0.2, 1.0, n_paths=20_000, seed=7)
    c = american_put(36.0, 40.0, 0.06, 0.2, 1.0, n_paths=20_000, seed=8)
    assert (a.value, a.std_error) == (b.value, b.std_error)
    assert a.value != c.value
    assert abs(a.value - c.value) < 5 * np.hypot(a.std_error, c.std_error)


def test_any_regressor_can_replace_the_polynomial() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    s = np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.05, (4000, 10)), axis=1)) * 36
    exercise = np.maximum(40.0 - s, 0.0)
    df = np.exp(-0.06 * 0.1 * np.arange(1, 11))
    poly = longstaff_schwartz(exercise, df, s)
    spline = make_pipeline(SplineTransformer(n_knots=6, degree=3), Ridge(alpha=1e-3))
    other = longstaff_schwartz(exercise, df, s, regression=spline)
    assert other.value == pytest.approx(poly.value, abs=4 * poly.std_error + 0.02)
    assert other.boundary is not None
    fitted = [r for r in other.boundary.regressions if r is not None]
    assert fitted and all(isinstance(r[-1], Ridge) for r in fitted)


def _put_paths(n_paths: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table 1's first row (S = 36, K = 40, r = 0.06, sigma = 0.2, T = 1, 50 dates), antithetic."""
    rng = np.random.default_rng(seed)
    dt = 1 / 50
    z = rng.standard_normal((n_paths // 2, 50))
    z = np.concatenate([z, -z])
    s = 36 * np.exp(np.cumsum((0.06 - 0.02) * dt + 0.2 * np.sqrt(dt) * z, axis=1))
    return np.maximum(40 - s, 0), np.exp(-0.06 * dt * np.arange(1, 51)), s


def test_cross_fitting_removes_a_flexible_regressors_foresight() -> None:
    from sklearn.tree import DecisionTreeRegressor

    ex, df, s = _put_paths(12_000)
    tree = DecisionTreeRegressor(min_samples_leaf=5)
    in_sample = longstaff_schwartz(ex, df, s, regression=tree, antithetic=True)
    crossed = longstaff_schwartz(ex, df, s, regression=tree, antithetic=True, cross_fit=True)
    # a tree fitted on the paths it values learns their futures: far above the true 4.478
    assert in_sample.value > 4.478 + 0.5
    # a rule valued on paths it never saw is a feasible stopping rule: at most the true value
    assert crossed.value <= 4.478 + 3 * crossed.std_error
    assert crossed.boundary is not None and crossed.exercise_index.shape == (12_000,)
    # with the low-order basis, cross-fitting agrees with the paper
    poly = longstaff_schwartz(
        ex, df, s, regression=polynomial_regression(3), antithetic=True, cross_fit=True
    )
    assert abs(poly.value - 4.478) <= max(3 * poly.std_error, 0.05)


def test_cross_fitting_keeps_the_zero_volatility_answer() -> None:
    x = np.tile(np.array([[1.0, 2.0, 3.0]]), (8, 1))
    ex = np.tile(np.array([[1.0, 3.0, 2.5]]), (8, 1))
    result = longstaff_schwartz(ex, np.ones(3), x, cross_fit=True)
    assert result.value == pytest.approx(3.0)
    assert result.exercise_index.tolist() == [1] * 8


def test_holding_cash_flows_and_path_discount_factors() -> None:
    # one date, continuing pays 1.0 on every path; exercising pays the feature: exercise iff x > 1
    x = np.linspace(0.01, 2.0, 400)[:, None]
    df = np.full((400, 1), 0.9)
    result = longstaff_schwartz(x, df, x, holding_cash_flow_usd=np.ones((400, 1)))
    np.testing.assert_array_equal(result.exercise_index == 0, x[:, 0] > 1.0)
    assert result.value == pytest.approx(0.9 * np.maximum(x[:, 0], 1.0).mean(), rel=1e-12)


def test_exercise_rule_recovers_a_two_feature_boundary() -> None:
    # continuing is worth 1; exercising is worth 1 + (a - 1)+ + (0.5 - b)+: exercise iff a > 1 or b < 0.5
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 2, 20_000), rng.uniform(0, 1, 20_000)
    exercise = 1.0 + np.maximum(a - 1, 0) + np.maximum(0.5 - b, 0)
    feats = np.stack([a, b], axis=1)[:, None, :]
    result = longstaff_schwartz(
        exercise[:, None], np.ones(1), feats, holding_cash_flow_usd=np.ones((20_000, 1))
    )
    rule = exercise_rule(result, feats, ["a_ratio", "b_usd_per_ph_day"], action="convert")
    assert rule.combiner == "or"
    assert dict(zip(rule.feature_names, rule.directions, strict=True)) == {
        "a_ratio": "above",
        "b_usd_per_ph_day": "below",
    }
    t = dict(zip(rule.feature_names, rule.thresholds, strict=True))
    assert t["a_ratio"] == pytest.approx(1.0, abs=0.05)
    assert t["b_usd_per_ph_day"] == pytest.approx(0.5, abs=0.025)
    assert rule.agreement_share > 0.98
    assert rule.text == (
        f"convert when a_ratio is at least {t['a_ratio']:,.4g} "
        f"or b_usd_per_ph_day is below ${t['b_usd_per_ph_day']:,.2f}"
    )
    # said in words: each name as its words, the unit after the amount; a name not in the
    # words keeps its name
    assert rule.worded({"b_usd_per_ph_day": ("hashprice", "/PH/day")}) == (
        f"convert when a_ratio is at least {t['a_ratio']:,.4g} "
        f"or hashprice is below ${t['b_usd_per_ph_day']:,.2f}/PH/day"
    )
    # one named feature only: the best single threshold, reproducing fewer decisions
    single = exercise_rule(result, feats, ["a_ratio", "b_usd_per_ph_day"], ["a_ratio"])
    assert single.feature_names == ("a_ratio",) and single.directions == ("above",)
    assert single.agreement_share < rule.agreement_share


def test_exercise_rule_keeps_to_a_known_direction() -> None:
    # converting (worth 2, against 1 for waiting) wins everywhere but where the lease rate is
    # above $145: a fit free to choose says "convert when the lease rate is below $145", a rule
    # that must say converting wins at high lease rates cannot, and reproduces fewer decisions
    rng = np.random.default_rng(5)
    lease, hashprice = rng.uniform(100, 150, 20_000), rng.uniform(30, 60, 20_000)
    exercise = np.where(lease > 145.0, 0.5, 2.0)
    feats = np.stack([lease, hashprice], axis=1)[:, None, :]
    result = longstaff_schwartz(
        exercise[:, None], np.ones(1), feats, holding_cash_flow_usd=np.ones((20_000, 1))
    )
    names = ["lease_rate_usd_per_kw_month", "hashprice_usd_per_ph_day"]
    free = exercise_rule(result, feats, names, ["lease_rate_usd_per_kw_month"])
    assert free.directions == ("below",) and free.thresholds[0] == pytest.approx(145, abs=1.0)
    kept = exercise_rule(result, feats, names, ["lease_rate_usd_per_kw_month"],
                         directions=CONVERSION_RULE_DIRECTIONS)  # fmt: skip
    assert kept.directions == ("above",)
    assert kept.agreement_share < free.agreement_share
    # the conversion's rule over every feature keeps to each one's direction
    rule = exercise_rule(result, feats, names, directions=CONVERSION_RULE_DIRECTIONS)
    for name, direction in zip(rule.feature_names, rule.directions, strict=True):
        assert CONVERSION_RULE_DIRECTIONS[name] == direction, name
    with pytest.raises(OptionsInputError, match="directions has .*'up'.*allowed 'above'"):
        exercise_rule(result, feats, names, directions={"hashprice_usd_per_ph_day": "up"})


def test_exercise_rule_of_the_put_is_a_low_spot() -> None:
    s = 36 * np.exp(np.cumsum(np.random.default_rng(2).normal(0, 0.06, (20_000, 12)), axis=1))
    exercise = np.maximum(40.0 - s, 0.0)
    result = longstaff_schwartz(exercise, np.exp(-0.005 * np.arange(1, 13)), s)
    rule = exercise_rule(result, s[:, :, None], ["spot_usd"], action="exercise")
    assert rule.directions == ("below",) and rule.thresholds[0] < 40.0
    assert 0.8 < rule.agreement_share <= 1.0
    assert rule.n_decisions > 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"exercise_value_usd": [[np.nan, 1.0]]}, "exercise_value_usd"),
        ({"exercise_value_usd": np.ones(3)}, "exercise_value_usd"),
        ({"discount_factor": np.array([1.0, -0.5])}, "discount_factor"),
        ({"discount_factor": np.ones(3)}, "discount_factor"),
        ({"features": np.ones((2, 3, 1))}, "features"),
        ({"holding_cash_flow_usd": np.ones((3, 2))}, "holding_cash_flow_usd"),
        ({"in_the_money": "some"}, "in_the_money"),
        ({"regression": "ols"}, "regression"),
        ({"antithetic": True, "exercise_value_usd": np.ones((3, 2))}, "n_paths"),
    ],
)
def test_bad_engine_input_names_the_field(kwargs, field) -> None:
    args = {
        "exercise_value_usd": np.ones((2, 2)),
        "discount_factor": np.ones(2),
        "features": np.ones((2, 2, 1)),
    }
    if field == "n_paths":
        args["features"] = np.ones((3, 2, 1))
    args.update(kwargs)
    with pytest.raises(OptionsInputError, match=field) as info:
        longstaff_schwartz(**args)
    assert isinstance(info.value, ValuationError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-36.0, 40.0, 0.06, 0.2, 1.0), "spot"),
        ((36.0, 40.0, 0.06, 0.0, 1.0), "volatility_per_year"),
        ((36.0, 40.0, np.nan, 0.2, 1.0), "rate_per_year"),
        ((36.0, 40.0, 0.06, 0.2, 1.0, 50, 1001), "n_paths"),
    ],
)
def test_bad_put_input_names_the_field(args, field) -> None:
    with pytest.raises(OptionsInputError, match=field):
        american_put(*args)


# ---------------------------------------------------------------------------------------------
# The conversion option
# ---------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    lease_vol=st.floats(0.05, 0.6),
    hashprice_vol=st.floats(0.1, 0.9),
    lease_rate=st.floats(60.0, 220.0),
    capex_musd=st.floats(300.0, 1500.0),
    quarterly=st.booleans(),
    cross_fit=st.booleans(),
)
# A cross-fitted rule that waited where converting now was worth more on average (found by
# hypothesis): the first decision on the sample means keeps the value above converting now.
@example(seed=138, lease_vol=0.25, hashprice_vol=0.5, lease_rate=195.0, capex_musd=300.0,
         quarterly=True, cross_fit=True)  # fmt: skip
def test_conversion_never_below_converting_now_or_never(
    seed, lease_vol, hashprice_vol, lease_rate, capex_musd, quarterly, cross_fit
) -> None:
    data = conversion_paths(
        n_paths=1_000,
        n_years=8,
        decisions_per_year=4 if quarterly else 1,
        lease_vol_per_year=lease_vol,
        hashprice_vol_per_year=hashprice_vol,
        lease_rate_usd_per_kw_month=lease_rate,
        capex_usd=capex_musd * 1e6,
        seed=seed,
    )
    result = conversion_option(**data, cross_fit=cross_fit)
    rounding = 1e-9 * (abs(result.never_convert_usd) + abs(result.convert_now_usd))  # sum order
    assert result.option_to_wait_usd >= -3 * result.option_to_wait_std_error_usd - rounding
    gain_over_never = result.value_usd - result.never_convert_usd
    assert gain_over_never >= -3 * result.gain_over_never_std_error_usd - rounding
    assert result.option_to_wait_usd == pytest.approx(result.value_usd - result.convert_now_usd)
    by_year = result.converted_by_year
    assert by_year.shape == (8,)
    assert np.all(np.diff(by_year) >= 0) and by_year[0] >= 0 and by_year[-1] <= 1
    assert by_year[-1] == pytest.approx(result.converted_by_date[-1])
    assert 0 <= result.rule.agreement_share <= 1


def _deterministic_best(data: dict) -> float:
    """The best start by enumeration on one path: mine until month m_k, then convert (or never)."""
    months = data["decision_months"]
    mining = data["mining_cash_flow_usd"][0]
    r_month = (1 + data["discount_rate_per_year"]) ** (1 / 12) - 1
    df = (1 + r_month) ** -np.arange(mining.size)
    starts = [
        (mining[:m] * df[:m]).sum() + df[m] * data["convert_now_value_usd"][0, k]
        for k, m in enumerate(months)
    ]
    return max([*starts, (mining * df).sum()])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    lease_rate=st.floats(40.0, 260.0),
    capex_musd=st.floats(100.0, 2000.0),
    n_paths=st.integers(1, 60),
    quarterly=st.booleans(),
)
def test_zero_volatility_equals_the_deterministic_best_start(
    seed, lease_rate, capex_musd, n_paths, quarterly
) -> None:
    one = conversion_paths(
        n_paths=1,
        n_years=6,
        decisions_per_year=4 if quarterly else 1,
        lease_vol_per_year=0.3,  # one random trajectory, then copied to every path
        hashprice_vol_per_year=0.6,
        lease_rate_usd_per_kw_month=lease_rate,
        capex_usd=capex_musd * 1e6,
        seed=seed,
    )
    same = {
        k: np.repeat(v, n_paths, axis=0)
        if k in ("convert_now_value_usd", "mining_cash_flow_usd", "features")
        else v
        for k, v in one.items()
    }
    result = conversion_option(**same)
    best = _deterministic_best(one)
    assert result.value_usd == pytest.approx(best, rel=1e-9, abs=1.0)
    assert result.std_error_usd == pytest.approx(0.0, abs=1e-6 * max(1.0, abs(best)))
    # every path takes the same decision
    assert set(np.unique(result.converted_by_date)) <= {0.0, 1.0}


def test_zero_volatility_converts_at_the_known_best_year() -> None:
    # hand-built: mining pays 10 a month for 36 months; converting is worth 100, 400, 300 at months
    # 0, 12, 24 (USD at that month); at 0% discounting: now 100, after a year 120 + 400 = 520, after
    # two 240 + 250 = 490, never 360: mine a year, then convert
    mining = np.full((5, 36), 10.0)
    convert = np.tile([100.0, 400.0, 250.0], (5, 1))
    feats = np.zeros((5, 3, 1))
    result = conversion_option(convert, mining, np.array([0, 12, 24]), 0.0, feats, ["x_usd"])
    assert result.value_usd == pytest.approx(120.0 + 400.0)
    assert result.convert_now_usd == pytest.approx(100.0)
    assert result.never_convert_usd == pytest.approx(360.0)
    assert result.converted_by_date.tolist() == [0.0, 1.0, 1.0]
    assert result.converted_by_year.tolist() == [0.0, 1.0, 1.0]
    assert result.policy == "regression" and result.regression_value_usd == result.value_usd


@given(values=st.lists(st.floats(-1e9, 1e9), min_size=3, max_size=3))
def test_the_first_decision_is_the_policy_worth_most_ties_said_as_now_then_never(values):
    from valuation.options import first_decision, policy_shares

    now, never, regression = (np.full(4, v) for v in values)
    policy = first_decision({"now": now, "never": never, "regression": regression})
    best = max(values)
    assert {"now": now, "never": never, "regression": regression}[policy][0] == best
    if values[0] == best:
        assert policy == "now"
    elif values[1] == best:
        assert policy == "never"
    shares = np.array([0.2, 0.5, 0.9])
    assert policy_shares("now", shares).tolist() == [1.0, 1.0, 1.0]
    assert policy_shares("never", shares).tolist() == [0.0, 0.0, 0.0]
    assert policy_shares("regression", shares) is shares


def test_a_site_with_no_lease_market_never_converts() -> None:
    data = conversion_paths(n_paths=1_500, n_years=6, lease_rate_usd_per_kw_month=120.0, seed=5)
    # no lease market: converting brings no rent, only the capex
    data["convert_now_value_usd"] = np.full_like(data["convert_now_value_usd"], -900e6)
    result = conversion_option(**data)
    assert result.converted_by_year.tolist() == [0.0] * 6
    assert result.value_usd == pytest.approx(result.never_convert_usd, rel=1e-12)
    assert result.rule.text.startswith("never convert")
    # the regression never converts either: a tie, said as never converting
    assert result.policy == "never" and result.regression_value_usd == result.value_usd


def test_conversion_rule_names_the_features_in_dollars() -> None:
    data = conversion_paths(n_paths=4_000, n_years=10, seed=11)
    result = conversion_option(**data)
    assert result.converted_by_year[-1] > 0.05  # some paths convert
    assert result.rule.text.startswith("convert when ")
    assert "lease_rate_usd_per_kw_month" in result.rule.text and "$" in result.rule.text
    assert result.rule.agreement_share > 0.7


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decision_months": np.array([0, 12, 12, 36, 48, 60])}, "decision_months"),
        ({"decision_months": np.array([0.0, 12, 24, 36, 48, 60])}, "decision_months"),
        ({"discount_rate_per_year": "ten"}, "discount_rate_per_year"),
        ({"mining_cash_flow_usd": np.ones((3, 72))}, "mining_cash_flow_usd"),
        ({"features": np.ones((50, 5, 2))}, "features"),
        ({"feature_names": ["only_one"]}, "feature_names"),
    ],
)
def test_bad_conversion_input_names_the_field(change, field) -> None:
    data = conversion_paths(n_paths=50, n_years=6)
    data.update(change)
    with pytest.raises(OptionsInputError, match=field):
        conversion_option(**data)
