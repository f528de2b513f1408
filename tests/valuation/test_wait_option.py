"""The option to wait applied to conversion: on synthetic conversion paths and on a real site's
Monte Carlo driver paths through the named-strategy evaluator. Never below converting now or
never converting (3 standard errors); zero volatility equals compare's best mine-then-convert;
no lease market never converts; converting at date k pays exactly the row's NPV."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conversion_paths import conversion_paths
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sites import load_example_portfolio
from valuation.decision import compare
from valuation.drivers import BasePaths, RiskDrivers, generate_paths
from valuation.options import conversion_option
from valuation.scenario import Scenario
from valuation.strategies import build_site_model
from valuation.wait_option import (
    FEATURE_NAMES,
    WaitOptionError,
    option_to_wait,
    wait_inputs,
)

SITE_ID = "corz-muskogee"  # 100 MW, few halls: a fast site


def _synthetic_args(**kw) -> dict:
    data = conversion_paths(**kw)
    return {
        "convert_value_usd": data["convert_now_value_usd"],
        "mining_cash_flow_usd": data["mining_cash_flow_usd"],
        "decision_months": data["decision_months"],
        "discount_rate_per_year": data["discount_rate_per_year"],
        "features": data["features"],
        "feature_names": data["feature_names"],
    }


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), lease_vol=st.floats(0.05, 0.4), capex=st.floats(4e8, 1.4e9))
@example(seed=0, lease_vol=0.05, capex=867564166.0)  # a fitted rule worse than never converting
def test_never_below_converting_now_or_never_on_synthetic_paths(seed, lease_vol, capex) -> None:
    rep = option_to_wait(**_synthetic_args(n_paths=600, seed=seed, lease_vol_per_year=lease_vol,
                                           capex_usd=capex))  # fmt: skip
    assert rep.option_to_wait_usd >= -3 * rep.option_to_wait_std_error_usd
    assert rep.gain_over_never_usd >= -3 * rep.gain_over_never_std_error_usd
    assert rep.value_usd == pytest.approx(rep.never_convert_usd + rep.gain_over_never_usd)
    assert np.all(np.diff(rep.converted_by_year) >= 0)


def test_agrees_with_conversion_option_on_the_raw_inputs() -> None:
    """Where the convert value is known at its date, the gain form decides like the engine on
    the raw values (mining as holding cash flows): the same value within 3 standard errors."""
    args = _synthetic_args(n_paths=3_000, seed=3)
    rep = option_to_wait(**args, project_exercise=False)
    raw = conversion_option(
        args["convert_value_usd"], args["mining_cash_flow_usd"], args["decision_months"],
        args["discount_rate_per_year"], args["features"], args["feature_names"],
    )  # fmt: skip
    assert rep.never_convert_usd == pytest.approx(raw.never_convert_usd, rel=1e-12)
    assert rep.convert_now_usd == pytest.approx(raw.convert_now_usd, rel=1e-12)
    assert abs(rep.value_usd - raw.value_usd) <= 3 * max(rep.std_error_usd, raw.std_error_usd)


def test_bad_inputs_name_the_field() -> None:
    args = _synthetic_args(n_paths=50)
    with pytest.raises(WaitOptionError, match="convert_value_usd has shape"):
        option_to_wait(**{**args, "convert_value_usd": args["convert_value_usd"][:, 0]})
    with pytest.raises(WaitOptionError, match="decision_months"):
        option_to_wait(**{**args, "decision_months": args["decision_months"] + 500})
    with pytest.raises(WaitOptionError, match="discount_rate_per_year"):
        option_to_wait(**{**args, "discount_rate_per_year": float("nan")})
    with pytest.raises(WaitOptionError, match="features has shape"):
        option_to_wait(**{**args, "features": args["features"][:10]})


@pytest.fixture(scope="module")
def site():
    return {s.id: s for s in load_example_portfolio()}[SITE_ID]


def _paths(scenario: Scenario, drivers: RiskDrivers, n: int, seed: int = 0):
    base = BasePaths.from_market(scenario.market, scenario.horizon_months)
    return generate_paths(base, drivers, seed, n)


def test_zero_volatility_equals_the_deterministic_best_start(site) -> None:
    scenario = Scenario()
    model = build_site_model(site, scenario)
    inputs = wait_inputs(model, _paths(scenario, RiskDrivers.deterministic(), 40))
    d = compare(site, scenario)
    # every path is the deterministic one: each start's NPV is compare's start grid
    np.testing.assert_allclose(inputs.row_npv_usd, np.broadcast_to(
        d.start_grid["npv_usd"].to_numpy(), inputs.row_npv_usd.shape), rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(inputs.keep_npv_usd, d.strategy_npv_usd["keep_mining"], rtol=1e-9)
    rep = option_to_wait(**inputs.arguments())
    assert rep.value_usd == pytest.approx(d.strategy_npv_usd["mine_then_convert"], rel=1e-9)
    assert rep.std_error_usd == pytest.approx(0.0, abs=1e-3)
    best = int(np.argmax(d.start_grid["npv_usd"]))
    expected_by_year = (np.arange(rep.converted_by_year.size) >= best).astype(float)
    if d.start_grid["npv_usd"].max() <= d.strategy_npv_usd["keep_mining"]:
        expected_by_year[:] = 0.0
    np.testing.assert_array_equal(rep.converted_by_year, expected_by_year)


def test_converting_at_a_date_pays_that_rows_npv(site) -> None:
    """The derivation: converting at m_k after mining until then is worth V_k exactly, never
    converting V_keep (present values of the inputs at the option's rate)."""
    scenario = Scenario()
    model = build_site_model(site, scenario)
    inputs = wait_inputs(model, _paths(scenario, RiskDrivers(), 16, seed=4))
    n = inputs.mining_cash_flow_usd.shape[1]
    df = (1 + inputs.discount_rate_per_year) ** (-np.arange(n) / 12)
    pv = inputs.mining_cash_flow_usd * df
    np.testing.assert_allclose(pv.sum(axis=1), inputs.keep_npv_usd, rtol=1e-9)
    for k, m in enumerate(inputs.decision_months):
        paid = pv[:, :m].sum(axis=1) + df[m] * inputs.convert_value_usd[:, k]
        np.testing.assert_allclose(paid, inputs.row_npv_usd[:, k], rtol=1e-9)
    # the features are the state at each decision: lease offered, hashprice, power price
    assert inputs.feature_names == FEATURE_NAMES
    assert (inputs.features[:, :, 0] > 0).all() and (inputs.features[:, :, 1] > 0).all()


def test_random_paths_never_below_now_or_never(site) -> None:
    scenario = Scenario()
    model = build_site_model(site, scenario)
    inputs = wait_inputs(model, _paths(scenario, RiskDrivers(), 256, seed=1))
    rep = option_to_wait(**inputs.arguments())
    assert rep.option_to_wait_usd >= -3 * rep.option_to_wait_std_error_usd
    assert rep.gain_over_never_usd >= -3 * rep.gain_over_never_std_error_usd
    assert rep.never_convert_usd == pytest.approx(inputs.keep_npv_usd.mean(), rel=1e-9)
    assert 0.0 <= rep.rule_agreement_share <= 1.0 and rep.rule.startswith(("convert", "always"))


def test_the_rule_is_said_in_words_with_units() -> None:
    """The conversion rule names the lease rate, hashprice and the power price as an executive
    says them, with their units, and never a variable name; the verb is the rule's own."""
    from valuation.options import ExerciseRule
    from valuation.wait_option import FEATURE_WORDS

    def rule(**kw) -> ExerciseRule:  # noqa: ANN003
        fields = {"text": "", "feature_names": (), "directions": (), "thresholds": (),
                  "combiner": "", "agreement_share": 0.9, "n_decisions": 1_000,
                  "action": "convert"}  # fmt: skip
        return ExerciseRule(**{**fields, **kw})

    lease_or_hashprice = rule(
        feature_names=("lease_rate_usd_per_kw_month", "hashprice_usd_per_ph_day"),
        directions=("above", "below"), thresholds=(128.4, 51.114), combiner="or",
    )  # fmt: skip
    assert lease_or_hashprice.worded(FEATURE_WORDS) == (
        "convert when the lease rate offered is at least $128.40/kW-month "
        "or hashprice is below $51.11/PH/day"
    )
    power_and_hashprice = rule(
        feature_names=("power_price_usd_per_mwh", "hashprice_usd_per_ph_day"),
        directions=("below", "above"), thresholds=(-5.0, 40.0), combiner="and",
    )  # fmt: skip
    assert power_and_hashprice.worded(FEATURE_WORDS) == (
        "convert when the power price is below -$5.00/MWh and hashprice is at least $40.00/PH/day"
    )
    assert rule(kind="always", n_decisions=9).worded(FEATURE_WORDS) == (
        "always convert when it is worth something (9 decisions)"
    )
    assert rule(kind="never", n_decisions=9).worded(FEATURE_WORDS) == "never convert (9 decisions)"
    constant = rule(kind="constant", tried=FEATURE_NAMES)
    assert constant.worded(FEATURE_WORDS) == (
        "no threshold on the lease rate offered, hashprice, the power price separates the "
        "decisions (each is constant)"
    )


def test_the_report_says_the_policy_it_values(site) -> None:
    """The first decision follows the fitted rule, converts now or never converts, whichever
    is worth most on average: the value, the shares converted and the words are that policy's.
    On this site and seed converting now beats the fitted rule (measured: the option to wait
    is worth nothing), so the report says "convert now" and keeps the fitted rule apart."""
    scenario = Scenario()
    model = build_site_model(site, scenario)
    rep = option_to_wait(
        **wait_inputs(model, _paths(scenario, RiskDrivers(), 256, seed=1)).arguments()
    )
    assert rep.policy == "now"
    assert rep.value_usd == rep.convert_now_usd and rep.option_to_wait_usd == 0.0
    np.testing.assert_array_equal(rep.converted_by_year, 1.0)
    assert rep.rule.startswith("convert now (")
    # the fitted rule is a threshold rule, said in words, and differs from converting now
    assert rep.option.rule.kind == "threshold" and "_usd_per_" not in rep.fitted_rule
    assert rep.fitted_rule.startswith("convert when the lease rate offered")
    assert (rep.option.converted_by_year < 1.0).any()
    assert "Decision: convert now (" in rep.summary()
    assert rep.regression_value_usd < rep.value_usd
    assert "; following the regression (about: convert when" in rep.decision()
    assert rep.decision().endswith("path-years it decided) is worth less on average")
    # following the regression: said as such, and whether it stands out of the noise against
    # converting now and never converting (two standard errors)
    clear = dataclasses.replace(rep, policy="regression", option_to_wait_usd=3e6,
                                option_to_wait_std_error_usd=1e6, gain_over_never_usd=5e8,
                                gain_over_never_std_error_usd=1e6)  # fmt: skip
    assert clear.decision().startswith("mine and convert when the regression finds converting")
    assert "not told apart" not in clear.decision()
    noisy = dataclasses.replace(clear, option_to_wait_usd=1.9e6)
    assert noisy.decision().endswith("its value is not told apart from converting now")
    both = dataclasses.replace(noisy, gain_over_never_usd=-1.0)
    assert both.decision().endswith("not told apart from converting now or never converting")


def test_a_site_with_no_lease_market_never_converts(site) -> None:
    scenario = Scenario(lease_rate_usd_per_kw_month=0.0)
    model = build_site_model(site, scenario)
    assert model.lease_rate_usd_per_kw_month == 0.0
    inputs = wait_inputs(model, _paths(scenario, RiskDrivers(), 128, seed=2))
    rep = option_to_wait(**inputs.arguments())
    np.testing.assert_array_equal(rep.converted_by_year, 0.0)
    assert rep.value_usd == pytest.approx(rep.never_convert_usd, rel=1e-12)
    # the regression never converts: a tie with never converting, said as never converting
    assert rep.policy == "never" and rep.regression_value_usd == rep.never_convert_usd
    assert rep.rule.startswith("never convert")
    assert rep.decision().startswith(
        "never convert: the regression takes this decision on every path (in words: never convert"
    )


def test_paths_of_another_horizon_are_refused(site) -> None:
    scenario = Scenario()
    model = build_site_model(site, scenario)
    short = dataclasses.replace(scenario, horizon_months=120)
    with pytest.raises(WaitOptionError, match="paths have 120 months"):
        wait_inputs(model, _paths(short, RiskDrivers.deterministic(), 4))


def test_site_wait_option_same_seed_same_report(site) -> None:
    from valuation.wait_option import site_wait_option

    a = site_wait_option(site, n_paths=64, seed=5)
    b = site_wait_option(site, n_paths=64, seed=5)
    c = site_wait_option(site, n_paths=64, seed=6)
    assert a.value_usd == b.value_usd and a.rule == b.rule
    assert c.value_usd != a.value_usd
    assert a.converted_by_year.size == 14 and a.n_paths == 64
    with pytest.raises(WaitOptionError, match="n_paths is 1"):
        site_wait_option(site, n_paths=1)
