"""The network hashprice floor (equilibrium) and the refresh-or-retire decision of a mining fleet."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.market import DEFAULT_MARKET, MarketState, MiningInputError
from valuation.mining import MiningAssumptions, PowerContract, hashprice_path, mining_cash_flows
from valuation.power import DemandResponseProgram

# --- hashprice floor --------------------------------------------------------------------------

# The instantaneous floor (no adjustment lag) from a January 2026 start, so each month can be
# worked by hand: no growth, no fees, floor constant.
INSTANT = replace(DEFAULT_MARKET, as_of=date(2026, 1, 12), hashrate_adjustment_months=0.0)
FLAT = replace(
    INSTANT,
    network_hashrate_eh_s=1_000.0,
    network_hashrate_growth_per_year=0.0,
    fees_btc_per_block=0.0,
    hashprice_floor_usd_per_ph_day=35.1,
    hashprice_floor_decline_per_year=0.0,
)


def test_floor_binds_in_a_low_price_month_and_not_in_a_high_one():
    # Jan and Feb 2026 are in the 3.125 BTC era (next halving ~March 2028).
    path = hashprice_path(FLAT, 2, btc_price_usd=np.array([100_000.0, 40_000.0]))
    np.testing.assert_allclose(path.subsidy_btc, 3.125)
    # Month 0, $100,000: 100,000 x 144 x 3.125 / (1,000 EH/s x 1,000) = $45.00 > $35.1: no bind,
    # the network keeps its 1,000 EH/s.
    assert path.network_hashrate_eh_s[0] == pytest.approx(1_000.0)
    assert path.hashprice_usd_per_ph_day[0] == pytest.approx(45.0)
    # Month 1, $40,000: 40,000 x 144 x 3.125 / 1e6 = $18.00 < $35.1: hashrate falls to the level
    # where hashprice is $35.1: 40,000 x 144 x 3.125 / (1,000 x 35.1) = 18,000,000 / 35,100
    # = 512.82 EH/s.
    assert path.network_hashrate_eh_s[1] == pytest.approx(18_000_000 / 35_100)
    assert path.network_hashrate_eh_s[1] == pytest.approx(512.82, abs=0.01)
    assert path.hashprice_usd_per_ph_day[1] == pytest.approx(35.1)
    np.testing.assert_allclose(path.hashprice_floor_usd_per_ph_day, 35.1)


def test_floor_declines_with_efficiency_and_sheds_hashrate_after_the_halving():
    m = replace(FLAT, hashprice_floor_decline_per_year=0.10)
    path = hashprice_path(m, 36, btc_price_usd=np.full(36, 40_000.0))
    # Month 12 is 2027-01: its midpoint is 365 + 15.5 days from 2026-01-01 -> 380.5 / 365.25 yr;
    # floor = 35.1 x 0.9^1.04175 = 35.1 x 0.89605 = $31.45.
    f12 = 35.1 * 0.9 ** (380.5 / 365.25)
    assert path.hashprice_floor_usd_per_ph_day[12] == pytest.approx(f12)
    assert f12 == pytest.approx(31.45, abs=0.01)
    assert path.hashprice_usd_per_ph_day[12] == pytest.approx(f12)
    assert path.network_hashrate_eh_s[12] == pytest.approx(40_000 * 144 * 3.125 / (1_000 * f12))
    # Across the 2028-03 halving the subsidy halves, so the hashrate at the floor roughly halves.
    i = [str(x)[:7] for x in path.month_start].index("2028-03")
    ratio = path.network_hashrate_eh_s[i + 1] / path.network_hashrate_eh_s[i - 1]
    floor_ratio = (
        path.hashprice_floor_usd_per_ph_day[i - 1] / path.hashprice_floor_usd_per_ph_day[i + 1]
    )
    assert ratio == pytest.approx(0.5 * floor_ratio)


def test_zero_floor_restores_the_unbounded_growth_path():
    off = replace(INSTANT, hashprice_floor_usd_per_ph_day=0.0)
    path = hashprice_path(off, 180)
    mid_years = (
        (path.month_start - path.month_start[0]).astype(float)
        + np.diff(np.append(path.month_start, np.datetime64("2041-01-01"))).astype(float) / 2
    ) / 365.25
    expected = DEFAULT_MARKET.network_hashrate_eh_s * 1.35**mid_years
    np.testing.assert_allclose(path.network_hashrate_eh_s, expected)
    np.testing.assert_allclose(path.hashprice_floor_usd_per_ph_day, 0.0)
    # with the default floor on, the base case stops falling at the floor instead (~90x lower)
    on = hashprice_path(INSTANT, 180)
    assert path.hashprice_usd_per_ph_day[-1] < 1.0
    assert on.hashprice_usd_per_ph_day[-1] == pytest.approx(on.hashprice_floor_usd_per_ph_day[-1])
    assert on.hashprice_floor_usd_per_ph_day[-1] > 35.1 * 0.9**15.1


@settings(max_examples=60, deadline=None)
@given(
    price=st.floats(1_000, 1_000_000),
    growth=st.floats(0.0, 1.0),
    floor=st.floats(1.0, 200.0),
    decline=st.floats(0.0, 0.3),
    vol=st.floats(0.0, 0.3),
    seed=st.integers(0, 2**16),
)
def test_hashprice_never_below_the_floor(price, growth, floor, decline, vol, seed):
    m = replace(
        INSTANT,
        btc_price_usd=price,
        network_hashrate_growth_per_year=growth,
        hashprice_floor_usd_per_ph_day=floor,
        hashprice_floor_decline_per_year=decline,
    )
    rng = np.random.default_rng(seed)
    prices = price * np.exp(np.cumsum(rng.normal(0, vol, size=(3, 120)), axis=1))
    path = hashprice_path(m, 120, btc_price_usd=prices)
    free = hashprice_path(replace(m, hashprice_floor_usd_per_ph_day=0.0), 120, btc_price_usd=prices)
    hp_floor = path.hashprice_floor_usd_per_ph_day
    assert np.all(path.hashprice_usd_per_ph_day >= hp_floor * (1 - 1e-12))
    # the floor only ever removes hashrate, and leaves months above it untouched
    assert np.all(path.network_hashrate_eh_s <= free.network_hashrate_eh_s * (1 + 1e-12))
    above = free.hashprice_usd_per_ph_day >= hp_floor
    np.testing.assert_allclose(
        path.hashprice_usd_per_ph_day[above], free.hashprice_usd_per_ph_day[above]
    )


def test_floor_fields_are_sourced_validated_and_saved():
    for name in ("hashprice_floor_usd_per_ph_day", "hashprice_floor_decline_per_year"):
        assert len(DEFAULT_MARKET.sources[name]) > 40, name
    assert "MARA" in DEFAULT_MARKET.sources["hashprice_floor_usd_per_ph_day"]
    assert "assumption" in DEFAULT_MARKET.sources["hashprice_floor_decline_per_year"]
    m = replace(DEFAULT_MARKET, hashprice_floor_usd_per_ph_day=20.0)
    assert MarketState.from_dict(m.to_dict()) == m
    with pytest.raises(MiningInputError, match="hashprice_floor_usd_per_ph_day=-1"):
        replace(DEFAULT_MARKET, hashprice_floor_usd_per_ph_day=-1.0)
    with pytest.raises(MiningInputError, match="hashprice_floor_decline_per_year=1.0"):
        replace(DEFAULT_MARKET, hashprice_floor_decline_per_year=1.0)


# --- refresh only when it pays ----------------------------------------------------------------

# 10 MW, 20 J/TH, PUE 1, no degradation: 500 PH/s = 500,000 TH. Fleet 4 years old of 5: it ages
# out at month 12. Hashprice $50/PH/day under a $50/MWh tariff:
#   revenue = 500 x 50 x 30.4375 = $760,937.50; power = 10 x 730.5 x 50 = $365,250; opex $50,000
#   margin M = $345,687.50 a month.
# The refresh here buys the same 20 J/TH machine, so M holds before and after it; the tests that
# buy a more efficient machine set refresh_efficiency_j_per_th themselves.
SIMPLE = MiningAssumptions(
    efficiency_j_per_th=20.0, uptime=1.0, pool_fee=0.0, mining_pue=1.0, degradation_per_year=0.0,
    opex_usd_per_mw_month=5_000.0, fleet_life_years=5.0, fleet_age_years=4.0,
    refresh_cost_usd_per_th=20.0, refresh_hurdle_rate_per_year=0.15,
    refresh_efficiency_j_per_th=20.0,
)  # fmt: skip
TARIFF = PowerContract(
    contract_type="utility_tariff",
    price_usd_per_mwh=50.0,
    adder_usd_per_mwh=0.0,
    flexible_share=1.0,
)
M = 760_937.5 - 365_250.0 - 50_000.0
V = 1.15 ** (-1 / 12)  # monthly discount factor at a 15%/yr hurdle: 0.988421


def annuity(k: int) -> float:
    """sum_{j<k} V^j: k months of $1 from the refresh month on."""
    return (1 - V**k) / (1 - V)


def test_refresh_threshold_hand_worked():
    # PV at month 12 of 60 months of M: 345,687.50 x (1 - 1.15^-5) / (1 - 1.15^(-1/12))
    #   = 345,687.50 x 0.502823 / 0.011579 = 345,687.50 x 43.43 = $15.01M.
    # Capex = 500,000 TH x $/TH, so the break-even refresh price is $15.01M / 500,000 = $30.02/TH.
    pv = M * annuity(60)
    assert annuity(60) == pytest.approx(43.43, abs=0.01)
    assert pv / 500_000 == pytest.approx(30.02, abs=0.01)
    hp = np.full(80, 50.0)
    buy = mining_cash_flows(
        10.0, hp, assumptions=replace(SIMPLE, refresh_cost_usd_per_th=29.0), contract=TARIFF
    )
    assert np.flatnonzero(buy.capex_usd).tolist() == [12, 72]
    assert buy.capex_usd[12] == pytest.approx(500_000 * 29.0)
    assert buy.running.all() and np.isnan(buy.retired_month)
    np.testing.assert_allclose(buy.revenue_usd, 760_937.5)
    stop = mining_cash_flows(
        10.0, hp, assumptions=replace(SIMPLE, refresh_cost_usd_per_th=31.0), contract=TARIFF
    )
    assert stop.retired_month == 12.0
    assert stop.running[:12].all() and not stop.running[12:].any()
    np.testing.assert_allclose(stop.capex_usd, 0.0)
    # before the end of life nothing changes; from month 12 on every flow is zero
    np.testing.assert_allclose(stop.net_cash_flow_usd[:12], M)
    for arr in (stop.revenue_usd, stop.power_cost_usd, stop.opex_usd, stop.hashrate_ph_s,
                stop.deployed_hashrate_ph_s, stop.energy_mwh, stop.net_cash_flow_usd):  # fmt: skip
        np.testing.assert_allclose(arr[12:], 0.0)


def test_refresh_weighs_the_new_machines_margin_against_its_capex():
    # The refresh buys 16 J/TH machines: 10 MW x 1e6 / 16 = 625,000 TH/s = 625 PH/s.
    #   new revenue = 625 x 50 x 30.4375 = $951,171.875; margin M' = 951,171.875 - 365,250
    #   - 50,000 = $535,921.875 a month; PV at month 12 = M' x 43.424 = $23.27M.
    # Capex = 625,000 TH x $/TH, so the break-even price is $23.27M / 625,000 = $37.24/TH.
    # At $35/TH ($21.875M) the refresh is bought, although the old fleet's margin (PV $15.01M,
    # see above) would not cover it; at $38/TH ($23.75M) the fleet retires at month 12.
    m_new = 625 * 50 * 30.4375 - 365_250.0 - 50_000.0
    assert m_new == pytest.approx(535_921.875)
    assert m_new * annuity(60) / 625_000 == pytest.approx(37.24, abs=0.01)
    assert M * annuity(60) < 35.0 * 625_000 < m_new * annuity(60) < 38.0 * 625_000
    a = replace(SIMPLE, refresh_efficiency_j_per_th=16.0)
    hp = np.full(80, 50.0)
    buy = mining_cash_flows(10.0, hp, assumptions=replace(a, refresh_cost_usd_per_th=35.0),
                            contract=TARIFF)  # fmt: skip
    assert buy.running.all() and np.flatnonzero(buy.capex_usd).tolist() == [12, 72]
    assert buy.capex_usd[12] == pytest.approx(21_875_000.0)
    np.testing.assert_allclose(buy.revenue_usd[:12], 760_937.5)
    np.testing.assert_allclose(buy.revenue_usd[12:], 951_171.875)
    stop = mining_cash_flows(10.0, hp, assumptions=replace(a, refresh_cost_usd_per_th=38.0),
                             contract=TARIFF)  # fmt: skip
    assert stop.retired_month == 12.0 and stop.capex_usd.sum() == 0.0
    np.testing.assert_allclose(stop.net_cash_flow_usd[:12], M)


def test_refresh_does_not_pay_when_hashprice_collapses_after_the_refresh():
    # Hashprice $50 to month 29, then $20: 20 / (0.024 x 20) = $41.67/MWh < $50, so the whole
    # (flexible) load curtails and the month's margin is -opex = -$50,000. Window months 12..71:
    #   PV = M x A(18) - 50,000 x (A(60) - A(18)), A(18) = (1 - 1.15^-1.5) / 0.011579 = 16.334
    #      = 345,687.50 x 16.334 - 50,000 x 27.10 = 5.646M - 1.355M = $4.291M.
    # $5/TH (capex $2.5M) is bought; $10/TH (capex $5M) is not.
    hp = np.where(np.arange(80) < 30, 50.0, 20.0)
    pv = M * annuity(18) - 50_000.0 * (annuity(60) - annuity(18))
    assert pv == pytest.approx(4.291e6, rel=1e-3)
    lo = mining_cash_flows(
        10.0, hp, assumptions=replace(SIMPLE, refresh_cost_usd_per_th=5.0), contract=TARIFF
    )
    assert lo.capex_usd[12] == pytest.approx(2.5e6)
    np.testing.assert_allclose(lo.opex_usd[30:72], 50_000.0)  # runs on, curtailed, to its end
    # at month 72 every margin ahead is -$50,000: the next refresh cannot pay, the site retires
    assert lo.retired_month == 72.0 and lo.capex_usd[72] == 0.0
    np.testing.assert_allclose(lo.opex_usd[72:], 0.0)
    hi = mining_cash_flows(
        10.0, hp, assumptions=replace(SIMPLE, refresh_cost_usd_per_th=10.0), contract=TARIFF
    )
    assert hi.retired_month == 12.0 and hi.capex_usd.sum() == 0.0
    # break-even $/TH lies between: PV / 500,000 = $8.58/TH
    assert 5.0 < pv / 500_000 < 10.0


def test_window_past_the_horizon_repeats_the_last_margin():
    # 40-month horizon: the window 12..71 runs 32 months past it; with a flat margin the decision
    # is the same as with an 80-month horizon (threshold $30.02/TH).
    for cost, retired in ((29.0, False), (31.0, True)):
        r = mining_cash_flows(
            10.0,
            np.full(40, 50.0),
            assumptions=replace(SIMPLE, refresh_cost_usd_per_th=cost),
            contract=TARIFF,
        )
        assert bool(~np.isnan(r.retired_month)) is retired


def test_aged_out_fleet_decides_at_month_zero_and_dr_stops_with_it():
    # fleet exactly 5 years old: the end of life is month 0. A $10/MW-h program on 50% of the
    # load and a 4CP credit would pay $36,525 + $50,000 a month, but a retired site cannot respond.
    prog = DemandResponseProgram("rrs", capacity_payment_usd_per_mw_hour=10.0, committed_share=0.5,
                                 expected_deployment_hours_per_year=0.0)  # fmt: skip
    cp = DemandResponseProgram("4cp", committed_share=1.0, expected_deployment_hours_per_year=0.0,
                               annual_credit_usd_per_mw_year=60_000.0,
                               paid_only_while_running=False)  # fmt: skip
    a = replace(SIMPLE, fleet_age_years=5.0, refresh_cost_usd_per_th=200.0)
    r = mining_cash_flows(
        10.0, np.full(24, 50.0), assumptions=a, contract=TARIFF, programs=(prog, cp)
    )
    assert r.retired_month == 0.0 and not r.running.any()
    np.testing.assert_allclose(r.dr_payment_usd, 0.0)
    np.testing.assert_allclose(r.four_cp_credit_usd, 0.0)
    np.testing.assert_allclose(r.net_cash_flow_usd, 0.0)
    # the same programs are paid when the refresh pays: margin M + 36,525 + 50,000 a month
    ok = mining_cash_flows(10.0, np.full(24, 50.0), assumptions=replace(a, refresh_cost_usd_per_th=20.0),
                           contract=TARIFF, programs=(prog, cp))  # fmt: skip
    assert ok.capex_usd[0] == pytest.approx(1e7)
    np.testing.assert_allclose(ok.dr_payment_usd, 36_525.0 + 50_000.0)


def test_paths_decide_independently_and_match_single_runs():
    hp = np.stack([np.full(80, 50.0), np.where(np.arange(80) < 30, 50.0, 20.0)])
    a = replace(SIMPLE, refresh_cost_usd_per_th=10.0)
    both = mining_cash_flows(10.0, hp, assumptions=a, contract=TARIFF)
    np.testing.assert_array_equal(both.retired_month, [np.nan, 12.0])
    for p in range(2):
        one = mining_cash_flows(10.0, hp[p], assumptions=a, contract=TARIFF)
        np.testing.assert_allclose(both.net_cash_flow_usd[p], one.net_cash_flow_usd)
        np.testing.assert_array_equal(both.running[p], one.running)
    frame = mining_cash_flows(10.0, hp[1], assumptions=a, contract=TARIFF).to_frame()
    assert frame["running"].tolist() == [True] * 12 + [False] * 68


@settings(max_examples=50, deadline=None)
@given(
    cost=st.floats(0.0, 60.0),
    bump=st.floats(0.0, 30.0),
    seed=st.integers(0, 2**16),
    age=st.floats(0.0, 6.0),
)
def test_dearer_machines_never_retire_later(cost, bump, seed, age):
    rng = np.random.default_rng(seed)
    hp = rng.uniform(15.0, 80.0, size=(4, 150))
    a = replace(SIMPLE, fleet_age_years=age, refresh_cost_usd_per_th=cost)
    lo = mining_cash_flows(10.0, hp, assumptions=a, contract=TARIFF, start=date(2026, 1, 1))
    hi = mining_cash_flows(
        10.0, hp, assumptions=replace(a, refresh_cost_usd_per_th=cost + bump), contract=TARIFF
    )
    never = 10_000.0
    assert np.all(
        np.nan_to_num(hi.retired_month, nan=never) <= np.nan_to_num(lo.retired_month, nan=never)
    )
    # a stopped site never restarts
    assert np.all(np.diff(hi.running.astype(int), axis=-1) <= 0)


@settings(max_examples=50, deadline=None)
@given(
    cost=st.floats(0.0, 60.0),
    eff=st.floats(8.0, 30.0),
    gain=st.floats(0.0, 0.6),
    opex=st.floats(0.0, 20_000.0),
    seed=st.integers(0, 2**16),
    age=st.floats(0.0, 6.0),
)
def test_more_efficient_refresh_machine_never_retires_earlier(cost, eff, gain, opex, seed, age):
    # Same $/TH, fewer J/TH: revenue per MW and capex per MW both scale with 1/(J/TH) while
    # power and opex do not, and the month's margin (best of running or curtailing each price
    # point) is convex in 1/(J/TH) and -opex at 0, so a refresh that pays keeps paying.
    rng = np.random.default_rng(seed)
    hp = rng.uniform(15.0, 80.0, size=(4, 150))
    pts = np.sort(rng.uniform(-20.0, 300.0, size=24))
    a = replace(SIMPLE, fleet_age_years=age, refresh_cost_usd_per_th=cost,
                opex_usd_per_mw_month=opex, refresh_efficiency_j_per_th=eff)  # fmt: skip
    better = replace(a, refresh_efficiency_j_per_th=eff * (1.0 - gain))
    kw = dict(contract=TARIFF, prices=pts, start=date(2026, 1, 1))
    lo = mining_cash_flows(10.0, hp, assumptions=a, **kw)
    hi = mining_cash_flows(10.0, hp, assumptions=better, **kw)
    never = 10_000.0
    assert np.all(
        np.nan_to_num(hi.retired_month, nan=never) >= np.nan_to_num(lo.retired_month, nan=never)
    )
    # before the first refresh nothing depends on the refresh machine
    first = int(np.ceil(max(0.0, 60.0 - age * 12.0)))
    np.testing.assert_allclose(hi.revenue_usd[:, :first], lo.revenue_usd[:, :first])


def test_hurdle_rate_is_validated():
    with pytest.raises(MiningInputError, match="refresh_hurdle_rate_per_year=-1.5"):
        MiningAssumptions(refresh_hurdle_rate_per_year=-1.5)
    assert MiningAssumptions().refresh_hurdle_rate_per_year == 0.15


# --- continuation value at the horizon ----------------------------------------------------------

W10 = 1.10 ** (-1 / 12)  # monthly discount factor at 10%/yr: 0.992089


def test_continuation_value_hand_worked():
    # SIMPLE fleet: ages out at month 12, refreshed there at $20/TH (threshold $30.02/TH), next
    # end of life month 72. Horizon 40 months: at the horizon the fleet has 72 - 40 = 32 months
    # left, each projected at the last month's margin M = $345,687.50. Stated at month 39:
    #   sum_{j=1..32} w^j = w (1 - w^32) / (1 - w), w = 1.1^(-1/12) = 0.992089, w^32 = 0.775567
    #                     = 0.992089 x 0.224433 / 0.007911 = 28.1451
    #   value = 345,687.50 x 28.1451 = $9,729,396
    hp = np.full(40, 50.0)
    r = mining_cash_flows(
        10.0, hp, assumptions=SIMPLE, contract=TARIFF, discount_rate_per_year=0.10
    )
    assert r.running.all() and r.capex_usd[12] > 0
    assert abs(W10**32 - 0.775567) < 1e-6
    assert abs(W10 * (1 - W10**32) / (1 - W10) - 28.1451) < 1e-4
    assert r.continuation_value_usd == pytest.approx(M * 28.145061, rel=1e-7)
    assert r.continuation_value_usd == pytest.approx(9_729_396, abs=1.0)
    # Without a rate the miner's own 15% hurdle discounts it: 32 months of M at V = 1.15^(-1/12)
    own = mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF)
    assert own.continuation_value_usd == pytest.approx(M * V * (1 - V**32) / (1 - V), rel=1e-12)
    # Power going to another use at month 50 leaves 10 months: M x w (1 - w^10) / (1 - w)
    #   = 345,687.50 x 9.575057 = $3,309,977
    cut = mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF,
                            discount_rate_per_year=0.10, power_end_month=50)  # fmt: skip
    assert cut.continuation_value_usd == pytest.approx(3_309_977.4, abs=1.0)
    # ... and at or before the horizon it leaves nothing
    gone = mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF,
                             discount_rate_per_year=0.10, power_end_month=40)  # fmt: skip
    assert gone.continuation_value_usd == 0.0


def test_continuation_value_is_zero_when_retired_at_end_of_life_or_losing():
    hp = np.full(40, 50.0)
    kw = dict(contract=TARIFF, discount_rate_per_year=0.10)
    # retired at month 12 ($31/TH does not pay): nothing runs at the horizon
    stop = mining_cash_flows(10.0, hp, assumptions=replace(SIMPLE, refresh_cost_usd_per_th=31.0),
                             **kw)  # fmt: skip
    assert stop.retired_month == 12.0 and stop.continuation_value_usd == 0.0
    # horizon 72 months ends exactly at the fleet's end of life: no months left
    at_eol = mining_cash_flows(10.0, np.full(72, 50.0), assumptions=SIMPLE, **kw)
    assert at_eol.running.all() and at_eol.continuation_value_usd == 0.0
    # one month more, and the refresh at 72 is inside: 59 months left, M x sum_{j=1..59} w^j
    after = mining_cash_flows(10.0, np.full(73, 50.0), assumptions=SIMPLE, **kw)
    assert after.capex_usd[72] > 0
    assert after.continuation_value_usd == pytest.approx(
        M * W10 * (1 - W10**59) / (1 - W10), rel=1e-12
    )
    # last month's hashprice $20 (curtailed all month, margin -opex = -$50,000): floored at 0.
    # A $1/TH refresh ($0.5M) still pays at month 12 (27 months of M before the loss months).
    cheap = replace(SIMPLE, refresh_cost_usd_per_th=1.0)
    low = mining_cash_flows(10.0, np.r_[np.full(39, 50.0), 20.0], assumptions=cheap, **kw)
    assert low.running.all() and low.net_cash_flow_usd[-1] == pytest.approx(-50_000.0)
    assert low.continuation_value_usd == 0.0
    # fractional ages: 4.05 years (48.6 months) ages out at month ceil(11.4) = 12 and next at
    # ceil(120 - 48.6) = 72, so 32 months are left at a 40-month horizon as above
    frac = mining_cash_flows(10.0, hp, assumptions=replace(SIMPLE, fleet_age_years=4.05), **kw)
    assert np.flatnonzero(frac.capex_usd).tolist() == [12]
    assert frac.continuation_value_usd == pytest.approx(M * 28.145061, rel=1e-7)


def test_power_end_month_cuts_the_refresh_window_past_the_horizon():
    # Horizon 14: the refresh at month 12 is judged on months 12, 13 (inside) and 58 more at M.
    # With the power gone from month 20 only 8 months count: M x A(8) = 345,687.50 x 7.68
    # = $2.66M < $10M of capex at $20/TH: retire. Without the cut the refresh is bought.
    hp = np.full(14, 50.0)
    assert M * annuity(8) < 500_000 * 20.0 < M * annuity(60)
    keep = mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF)
    assert keep.capex_usd[12] == pytest.approx(1e7)
    cut = mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF, power_end_month=20)
    assert cut.retired_month == 12.0 and cut.capex_usd.sum() == 0.0
    # broadcast per path: (2,) ends against (2, 14) paths
    both = mining_cash_flows(10.0, np.stack([hp, hp]), assumptions=SIMPLE, contract=TARIFF,
                             power_end_month=np.array([np.inf, 20.0]))  # fmt: skip
    np.testing.assert_array_equal(both.retired_month, [np.nan, 12.0])
    with pytest.raises(MiningInputError, match="power_end_month"):
        mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF, power_end_month=-1)
    with pytest.raises(MiningInputError, match="discount_rate_per_year"):
        mining_cash_flows(10.0, hp, assumptions=SIMPLE, contract=TARIFF,
                          discount_rate_per_year=-2.0)  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    age=st.floats(0.0, 6.0),
    scale=st.floats(1.0, 3.0),
    n=st.integers(12, 120),
)
def test_continuation_value_never_falls_with_hashprice(seed, age, scale, n):
    rng = np.random.default_rng(seed)
    hp = rng.uniform(15.0, 80.0, size=(3, n))
    a = replace(SIMPLE, fleet_age_years=age)
    kw = dict(assumptions=a, contract=TARIFF, discount_rate_per_year=0.10)
    lo = mining_cash_flows(10.0, hp, **kw)
    hi = mining_cash_flows(10.0, hp * scale, **kw)
    assert np.all(lo.continuation_value_usd >= 0.0)
    assert np.all(hi.continuation_value_usd >= lo.continuation_value_usd - 1e-6)


# --- the network's lagged response ------------------------------------------------------------


def test_lagged_floor_follows_a_first_order_recursion():
    # Hand recursion in log space: y0 = x0, y[m] = a x[m] + (1 - a) y[m - 1], a = 1 - e^(-1/T).
    from valuation.mining import lagged_log

    x = np.array([1_000.0, 500.0, 500.0, 800.0, 800.0])
    a = 1.0 - np.exp(-1.0 / 6.0)
    y = [np.log(x[0])]
    for v in np.log(x[1:]):
        y.append(a * v + (1.0 - a) * y[-1])
    np.testing.assert_allclose(lagged_log(x, 6.0), np.exp(y), rtol=1e-12)
    np.testing.assert_allclose(lagged_log(np.full(7, 640.0), 6.0), 640.0, rtol=1e-12)


def test_the_halving_shows_in_hashprice_before_the_network_adjusts():
    # With the default 6-month lag the March 2028 halving cuts hashprice below the floor for a
    # while (the network has not yet shed hashrate), then hashprice climbs back to the floor;
    # with no lag the network sheds at once and hashprice stays on the floor.
    lagged = hashprice_path(replace(FLAT, hashrate_adjustment_months=6.0), 48,
                            btc_price_usd=np.full(48, 40_000.0))  # fmt: skip
    instant = hashprice_path(FLAT, 48, btc_price_usd=np.full(48, 40_000.0))
    i = [str(x)[:7] for x in lagged.month_start].index("2028-03")
    gap_after = (
        lagged.hashprice_usd_per_ph_day[i + 1] / lagged.hashprice_floor_usd_per_ph_day[i + 1]
    )
    assert gap_after < 0.8  # visible: more than 20% under the floor the month after
    late = lagged.hashprice_usd_per_ph_day[-1] / lagged.hashprice_floor_usd_per_ph_day[-1]
    assert late == pytest.approx(1.0, abs=0.05)  # 20 months on, close to the floor again
    np.testing.assert_allclose(
        instant.hashprice_usd_per_ph_day[i + 1 :], instant.hashprice_floor_usd_per_ph_day[i + 1 :]
    )
    # the network never runs above its growth path
    free = hashprice_path(replace(FLAT, hashprice_floor_usd_per_ph_day=0.0), 48,
                          btc_price_usd=np.full(48, 40_000.0))  # fmt: skip
    assert np.all(lagged.network_hashrate_eh_s <= free.network_hashrate_eh_s * (1 + 1e-12))


def test_a_price_fall_in_month_0_shows_before_the_network_adjusts():
    # The lag starts from today's network: BTC at a quarter of today's price in month 0 leaves
    # hashprice below the floor in month 0 (the network has not shed hashrate yet); with no lag
    # the network sheds at once and hashprice sits on the floor.
    crash = np.full(3, DEFAULT_MARKET.btc_price_usd * 0.25)
    lagged = hashprice_path(DEFAULT_MARKET, 3, btc_price_usd=crash)
    instant = hashprice_path(replace(DEFAULT_MARKET, hashrate_adjustment_months=0.0), 3,
                             btc_price_usd=crash)  # fmt: skip
    assert lagged.hashprice_usd_per_ph_day[0] < 0.5 * lagged.hashprice_floor_usd_per_ph_day[0]
    assert DEFAULT_MARKET.network_hashrate_eh_s * 0.7 < lagged.network_hashrate_eh_s[0]
    np.testing.assert_allclose(
        instant.hashprice_usd_per_ph_day, instant.hashprice_floor_usd_per_ph_day
    )


@pytest.mark.parametrize("age_years", [5.0, 6.0])
def test_a_fleet_at_the_end_of_its_life_now_is_sold_now(age_years):
    """SIMPLE's fleet with 10% a year degradation: 500,000 TH/s new, 500,000 x 0.9^5 =
    295,245 TH/s at its 5-year life, at $13.50/TH (the 15-20 J/TH band) x 50 / 43.33 (hashprice
    over the band prices' $43.33) = $15.578/TH: $4,599,362.45. At 5
    years old (or past: its age is its life) its refresh-or-retire month is month 0: retired
    ($200/TH does not pay) it is sold then, as at 4.95 years old (59.4 months) it retires and is
    sold in month 1 (at its health in month 0, 0.9^4.95); refreshed ($20/TH pays) the outgoing
    fleet is sold in month 0 beside the $10M of new machines (500,000 TH/s x $20)."""
    a = replace(SIMPLE, degradation_per_year=0.1, refresh_cost_usd_per_th=200.0)
    hp = np.full(24, 50.0)
    sale = 500_000 * 0.9**5 * 13.50 * 50 / 43.33
    assert sale == pytest.approx(4_599_362.45)
    now = mining_cash_flows(10.0, hp, assumptions=replace(a, fleet_age_years=age_years),
                            contract=TARIFF, salvage=True)  # fmt: skip
    assert now.retired_month == 0.0
    assert now.salvage_usd[0] == pytest.approx(sale) and now.salvage_usd[1:].sum() == 0.0
    younger = mining_cash_flows(10.0, hp, assumptions=replace(a, fleet_age_years=4.95),
                                contract=TARIFF, salvage=True)  # fmt: skip
    assert younger.retired_month == 1.0
    # sold with the month before's health: 59.4 months old in month 0
    assert younger.salvage_usd[1] == pytest.approx(500_000 * 0.9**4.95 * 13.50 * 50 / 43.33)
    refreshed = mining_cash_flows(10.0, hp, contract=TARIFF, salvage=True,
                                  assumptions=replace(a, fleet_age_years=age_years,
                                                      refresh_cost_usd_per_th=20.0))  # fmt: skip
    assert refreshed.running.all() and refreshed.capex_usd[0] == pytest.approx(10e6)
    assert refreshed.salvage_usd[0] == pytest.approx(sale) and refreshed.salvage_usd[1:].sum() == 0
