"""Contracts, economic curtailment with known spikes, DR defaults, price files and the sample."""

import io
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.errors import PowerError
from valuation.market import MiningInputError
from valuation.mining import MiningAssumptions, mining_cash_flows
from valuation.power import (
    ERCOT_2024_MONTHLY_MEAN_USD_PER_MWH,
    ERCOT_2024_SPIKE_DAYS,
    ERCOT_PROGRAMS,
    SAMPLE_PRICE_FILE,
    PowerContract,
    PriceDurationCurve,
    PriceFileError,
    ScaledPricePoints,
    bin_means,
    curtailment_by_month,
    economic_curtailment,
    ercot_sample_curve,
    load_price_file,
    sample_price_series,
    synthetic_hourly_prices,
)

SIMPLE = MiningAssumptions(
    efficiency_j_per_th=20.0, uptime=1.0, pool_fee=0.0, mining_pue=1.0, degradation_per_year=0.0,
    opex_usd_per_mw_month=0.0, fleet_age_years=0.0,
)  # fmt: skip
# hashprice $50/PH/day at 20 J/TH: mining value R = 50 / (0.024 x 20) = $104.17 per MWh
R = 50.0 / (0.024 * 20.0)


def spike_month_points() -> np.ndarray:
    """A grid month as 2,922 15-minute points (730.5 h): $30 base, 40 points (10 h) at $500,
    16 points (4 h) at $2,000, 8 points (2 h) at -$10."""
    pts = np.full(2_922, 30.0)
    pts[:40] = 500.0
    pts[40:56] = 2_000.0
    pts[56:64] = -10.0
    return np.sort(pts)


def test_fixed_ppa_resale_in_a_spike_month_hand_computed():
    # Curtail the 56 points above R = $104.17: 56 x 0.25 h = 14 h.
    # Resale credit on 10 MW: 10 x 0.25 x (40 x 500 + 16 x 2,000) = 2.5 x 52,000 = $130,000.
    # Take-or-pay power cost: 10 MW x 730.5 h x $40 = $292,200.
    # Foregone revenue: 500 PH/s x $50 x 14/24 day = $14,583.33 (= R x 140 MWh).
    contract = PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=40.0, flexible_share=1.0)
    r = mining_cash_flows(
        10.0, np.array([50.0]), assumptions=SIMPLE, contract=contract, prices=spike_month_points()
    )
    assert r.curtailed_hours[0] == pytest.approx(14.0)
    assert r.curtailed_mwh[0] == pytest.approx(140.0)
    assert r.curtailment_credit_usd[0] == pytest.approx(130_000.0)
    assert r.power_cost_usd[0] == pytest.approx(292_200.0)
    assert r.foregone_revenue_usd[0] == pytest.approx(500 * 50 * 14 / 24)
    assert r.foregone_revenue_usd[0] == pytest.approx(R * 140)
    assert r.revenue_usd[0] == pytest.approx(500 * 50 * 30.4375 - 500 * 50 * 14 / 24)


def test_index_contract_in_the_same_month_saves_the_spikes():
    # Index + $5 adder: curtail where price + 5 > 104.17, the same 56 points; no credit.
    # Power cost = 10 MW x 0.25 h x sum over running points of (price + 5)
    #            = 2.5 x (2,858 x 35 + 8 x (-5)) = 2.5 x 99,990 = $249,975.
    contract = PowerContract(
        contract_type="index_plus_adder", adder_usd_per_mwh=5.0, flexible_share=1.0
    )
    r = mining_cash_flows(
        10.0, np.array([50.0]), assumptions=SIMPLE, contract=contract, prices=spike_month_points()
    )
    assert r.curtailed_hours[0] == pytest.approx(14.0)
    assert r.curtailment_credit_usd[0] == 0.0
    assert r.power_cost_usd[0] == pytest.approx(249_975.0)
    # avoided: 2.5 x (40 x 505 + 16 x 2,005) = 2.5 x 52,280 = $130,700
    assert r.avoided_power_cost_usd[0] == pytest.approx(130_700.0)


def test_partial_flexibility_scales_credit_not_hours():
    contract = PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=40.0, flexible_share=0.5)
    r = mining_cash_flows(
        10.0, np.array([50.0]), assumptions=SIMPLE, contract=contract, prices=spike_month_points()
    )
    assert r.curtailed_hours[0] == pytest.approx(14.0)
    assert r.curtailment_credit_usd[0] == pytest.approx(65_000.0)


def june_2024_with_spikes() -> str:
    lines = ["timestamp,price"]
    for i in range(720):
        day, hour = divmod(i, 24)
        price = 30.0
        if hour == 19 and day < 10:
            price = 500.0
        if hour == 20 and day < 4:
            price = 2_000.0
        if hour == 3 and day < 2:
            price = -10.0
        lines.append(f"2024-06-{day + 1:02d} {hour:02d}:00,{price}")
    return "\n".join(lines) + "\n"


def test_price_file_month_hand_computed():
    # June 2024, 720 hours: 10 h at $500, 4 h at $2,000, 2 h at -$10, the rest $30. Fixed PPA $40
    # with a $2 resale fee: curtail when price - 2 > 104.17 -> 14 h on 10 MW = 140 MWh;
    # credit = 10 x (10 x 498 + 4 x 1,998) = $129,720; gross power cost 10 x 720 x 40 = $288,000.
    series = load_price_file(io.StringIO(june_2024_with_spikes()))
    assert series.interval_hours == 1.0
    contract = PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=40.0, resale_fee_usd_per_mwh=2.0,
                             flexible_share=1.0)  # fmt: skip
    out = curtailment_by_month(series, R, contract, power_mw=10.0)
    row = out.iloc[0]
    assert len(out) == 1 and row["hours"] == 720
    assert row["curtailed_hours"] == 14 and row["curtailed_mwh"] == 140
    assert row["credit_usd"] == pytest.approx(129_720.0)
    assert row["power_cost_usd"] == pytest.approx(288_000.0)
    assert row["foregone_revenue_usd"] == pytest.approx(140 * R)
    # the vectorised core agrees once hours per point match (720 points x 730.5/720 h each)
    r = mining_cash_flows(10.0, np.array([50.0]), assumptions=SIMPLE, contract=contract,
                          prices=series.prices_usd_per_mwh)  # fmt: skip
    assert r.curtailment_credit_usd[0] == pytest.approx(129_720.0 * 730.5 / 720)


def _bad(text: str):
    with pytest.raises(PriceFileError) as info:
        load_price_file(io.StringIO(text))
    return info.value


def test_price_file_errors_name_row_and_column():
    head = "timestamp,price\n"
    e = _bad(head + "2024-01-01 00:00,10\n2024-01-01 01:00,abc\n2024-01-01 02:00,12\n")
    assert e.row == 3 and e.column == "price" and "'abc' is not a number" in str(e)
    e = _bad(head + "2024-01-01 00:00,10\n2024-01-01 01:00,11\n2024-01-01 01:00,12\n")
    assert e.row == 4 and "duplicates" in str(e)
    e = _bad(head + "2024-01-01 00:00,10\n2024-01-01 02:00,11\n2024-01-01 01:00,12\n")
    assert e.row == 4 and "earlier" in str(e)
    e = _bad(
        head + "2024-01-01 00:00,10\n2024-01-01 01:00,11\n2024-01-01 04:00,12\n2024-01-01 05:00,1\n"
    )
    assert e.row == 4 and "gap of 180 minutes" in str(e)
    e = _bad(head + "2024-01-01 00:00,10\nnot a time,11\n2024-01-01 02:00,12\n")
    assert e.row == 3 and e.column == "timestamp"
    e = _bad(head + "2024-01-01 00:00,10\n2024-01-01 01:00,nan\n2024-01-01 02:00,12\n")
    assert e.row == 3 and "finite" in str(e)
    e = _bad("when,what,who\n2024-01-01 00:00,1,a\n2024-01-01 01:00,2,b\n")
    assert e.row == 1 and "header" in str(e)


def test_price_file_fifteen_minutes_and_positional_columns():
    text = "Interval Start,SPP\n" + "".join(f"2024-03-01 00:{m:02d},{m}\n" for m in (0, 15, 30, 45))
    s = load_price_file(io.StringIO(text))
    assert s.interval_hours == 0.25 and s.prices_usd_per_mwh.tolist() == [0, 15, 30, 45]
    s2 = load_price_file(io.StringIO("a,b\n2024-03-01 00:00,1\n2024-03-01 01:00,2\n"))
    assert s2.prices_usd_per_mwh.tolist() == [1, 2]


def test_shipped_sample_is_the_seeded_regeneration_and_matches_2024_statistics():
    assert SAMPLE_PRICE_FILE.stat().st_size < 300_000
    shipped = sample_price_series()
    fresh = synthetic_hourly_prices()
    assert len(shipped.prices_usd_per_mwh) == 8_784  # 2024 is a leap year
    np.testing.assert_allclose(shipped.prices_usd_per_mwh, fresh.prices_usd_per_mwh, atol=0.0051)
    frame = shipped.to_frame().set_index("timestamp")["price_usd_per_mwh"]
    means = frame.groupby(frame.index.month).mean().to_numpy()
    np.testing.assert_allclose(means, ERCOT_2024_MONTHLY_MEAN_USD_PER_MWH, atol=0.01)
    assert frame.max() == pytest.approx(max(h for _, _, h in ERCOT_2024_SPIKE_DAYS), abs=0.01)
    daily_max = frame.groupby(frame.index.date).max()
    assert (daily_max >= 1_000).sum() == len(ERCOT_2024_SPIKE_DAYS)


def test_sample_curve_shape_and_means():
    curve = ercot_sample_curve()
    assert curve.prices_usd_per_mwh.shape == (12, 744)
    assert np.all(np.diff(curve.prices_usd_per_mwh, axis=1) >= 0)
    # bin means keep each month's mean exactly, whatever the month's hour count
    np.testing.assert_allclose(
        curve.mean_usd_per_mwh, ERCOT_2024_MONTHLY_MEAN_USD_PER_MWH, atol=0.01
    )
    # the top bin of a 744-point January is its single highest hour (the $1,175.56 spike)
    assert curve.prices_usd_per_mwh[0, -1] == pytest.approx(1_175.56)
    with pytest.raises(Exception, match="lacks calendar months"):
        PriceDurationCurve.from_series(load_price_file(io.StringIO(june_2024_with_spikes())))


def test_bin_means_hand_worked():
    # [1, 2, 3] in 2 bins of mass 1/2: bin 0 = 1 (mass 1/3) + half of 2 (mass 1/6)
    # -> (1/3 + 2/6) / (1/2) = 4/3; bin 1 = (2/6 + 3/3) / (1/2) = 8/3.
    np.testing.assert_allclose(bin_means([3.0, 1.0, 2.0], 2), [4 / 3, 8 / 3])
    np.testing.assert_allclose(bin_means([1.0, 2.0, 3.0, 4.0], 2), [1.5, 3.5])
    # more bins than values: each value repeated K / n times
    np.testing.assert_allclose(bin_means([1.0, 2.0], 4), [1.0, 1.0, 2.0, 2.0])
    # one bin is the mean; a spike survives in the top bin: 9 x $20 and one $1,000 hour in 5 bins
    np.testing.assert_allclose(bin_means([10.0, 20.0, 60.0], 1), [30.0])
    np.testing.assert_allclose(bin_means([20.0] * 9 + [1_000.0], 5), [20, 20, 20, 20, 510])
    with pytest.raises(MiningInputError, match="empty"):
        bin_means([], 3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-100, 5_000, allow_nan=False), min_size=1, max_size=60),
    st.integers(1, 90),
)
def test_bin_means_keep_the_mean_and_order(values, k):
    pts = bin_means(values, k)
    assert pts.shape == (k,)
    assert np.all(np.diff(pts) >= -1e-9 * (1 + np.abs(pts[1:])))
    assert pts.mean() == pytest.approx(np.mean(values), rel=1e-9, abs=1e-9)
    assert pts.min() >= min(values) - 1e-9 and pts.max() <= max(values) + 1e-9


@pytest.mark.parametrize("k", [12, 48, 200, 744])
def test_curve_mean_equals_the_hourly_mean_at_any_k(k):
    # Finding: 48 Hazen quantiles gave $22.84/MWh against $26.83 hourly (the spikes were lost).
    series = sample_price_series()
    months = series.timestamps.month.to_numpy()
    hours = np.bincount(months, minlength=13)[1:]
    hourly_means = np.array([series.prices_usd_per_mwh[months == m].mean() for m in range(1, 13)])
    curve = PriceDurationCurve.from_series(series, k)
    np.testing.assert_allclose(curve.mean_usd_per_mwh, hourly_means, rtol=1e-9)
    # weighted by each month's hours, the curve gives back the year's hourly mean ($26.83)
    year = np.average(curve.mean_usd_per_mwh, weights=hours)
    assert year == pytest.approx(series.prices_usd_per_mwh.mean(), rel=1e-9)
    assert year == pytest.approx(26.83, abs=0.005)


def test_curtailment_on_bins_converges_to_the_hourly_result():
    # Value of curtailing per MWh of flexible load, mean(max(v - R, 0)) with v the resale price of
    # a fixed PPA, from the K-point curve against the exact hour-by-hour result. Bin means are
    # conditional means and the payoff is convex, so the curve never overstates it (Jensen), the
    # error shrinks as K grows, and K = 744 is exact for the 31-day months (one point per hour).
    series = sample_price_series()
    contract = PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=40.0, flexible_share=1.0)
    exact = curtailment_by_month(series, R, contract)
    gain_exact = ((exact.avoided_cost_usd + exact.credit_usd - exact.foregone_revenue_usd)
                  / exact.hours).to_numpy()  # fmt: skip
    errors = []
    for k in (12, 48, 200, 744):
        res = economic_curtailment(
            np.full(12, R), PriceDurationCurve.from_series(series, k).prices_usd_per_mwh, contract
        )
        gain = res.avoided_cost_per_mwh_mean + res.credit_per_mwh_mean - R * res.fraction_curtailed
        assert np.all(gain <= gain_exact + 1e-9)
        errors.append(np.max(gain_exact - gain))
        if k == 744:
            long_months = exact.hours.to_numpy() == 744
            np.testing.assert_allclose(gain[long_months], gain_exact[long_months], rtol=1e-9)
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] < 0.1 < errors[0]  # $/MWh: 6.3 at K = 12, 0.07 at K = 744


def test_default_programs_are_sourced():
    names = {p.name for p in ERCOT_PROGRAMS}
    assert {"ERCOT ERS", "ERCOT ECRS", "ERCOT 4CP transmission avoidance"} <= names
    assert all(len(p.source) > 40 for p in ERCOT_PROGRAMS)
    ecrs = next(p for p in ERCOT_PROGRAMS if p.name == "ERCOT ECRS")
    assert ecrs.capacity_payment_usd_per_mw_hour == 9.62  # IMM 2024 SOM


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 30),
    st.floats(-50, 500),
    st.sampled_from(["fixed_ppa", "index_plus_adder", "utility_tariff"]),
    st.integers(0, 2**31),
)
def test_vectorised_curtailment_equals_brute_force(paths, months, k, shift, kind, seed):
    rng = np.random.default_rng(seed)
    pts = np.sort(np.round(rng.normal(40, 80, size=(months, k)), 1), axis=-1)
    value = rng.uniform(-20, 300, size=(paths, months)) + shift
    contract = PowerContract(contract_type=kind, price_usd_per_mwh=35.0, adder_usd_per_mwh=4.0,
                             transmission_usd_per_mwh=2.0, resale_fee_usd_per_mwh=1.0)  # fmt: skip
    res = economic_curtailment(value, pts, contract)
    (a_av, b_av), (a_cr, b_cr), _ = contract._coefficients(True)
    v = (a_av + a_cr) * pts[None] + (b_av + b_cr)
    off = v > value[..., None]
    np.testing.assert_allclose(res.fraction_curtailed, off.mean(axis=-1))
    np.testing.assert_allclose(
        res.credit_per_mwh_mean, (off * (a_cr * pts + b_cr)).mean(axis=-1), atol=1e-9
    )
    np.testing.assert_allclose(
        res.avoided_cost_per_mwh_mean, (off * (a_av * pts + b_av)).mean(axis=-1), atol=1e-9
    )


def test_contract_from_site_reads_power_rights():
    from sites.schema import PowerRights, Site

    site = Site(id="x", name="X", power=PowerRights(contracted_mw=100, contract_type="fixed_ppa",
                                                    contract_price_usd_per_mwh=31.0, interruptible_share=0.2))  # fmt: skip
    c = PowerContract.from_site(site)
    assert (c.contract_type, c.price_usd_per_mwh, c.contracted_mw) == ("fixed_ppa", 31.0, 100)
    idx = PowerContract.from_site(
        replace(site, power=replace(site.power, contract_type="index_plus_adder"))
    )
    assert idx.adder_usd_per_mwh == 31.0 and idx.price_usd_per_mwh == 26.83


# --- a curve times a level per path and month (the Monte Carlo's power prices) -------------------


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    contract_type=st.sampled_from(["fixed_ppa", "index_plus_adder", "utility_tariff"]),
    resale=st.booleans(),
)
def test_scaled_points_equal_the_multiplied_points(seed: int, contract_type: str, resale: bool):
    """economic_curtailment on ScaledPricePoints(curve, scale) equals it on the products
    scale x curve, for every contract type, away from exact ties (a point within 1e-9 of the
    threshold may fall on either side after rounding)."""
    rng = np.random.default_rng(seed)
    n, k, paths = 7, 12, 5
    curve = np.sort(rng.gamma(2.0, 20.0, (n, k)) - 10.0, axis=-1)
    scale = rng.lognormal(0.0, 0.4, (paths, n))
    value = rng.uniform(-20.0, 120.0, (paths, n))
    contract = PowerContract(contract_type=contract_type, resale_rights=resale,
                             adder_usd_per_mwh=3.0, price_usd_per_mwh=30.0)  # fmt: skip
    want = economic_curtailment(value, scale[..., None] * curve, contract)
    got = economic_curtailment(value, ScaledPricePoints(curve, scale), contract)
    (_, b_avoid), (_, b_credit), _ = contract._coefficients(True)
    threshold = value - (b_avoid + b_credit)  # points above it are curtailed
    far = (np.abs(scale[..., None] * curve - threshold[..., None]) > 1e-6).all(axis=-1)
    assert far.mean() > 0.5  # the comparison covers most cells
    for name in ("fraction_curtailed", "avoided_cost_per_mwh_mean", "credit_per_mwh_mean",
                 "running_avoided_cost_usd_per_mwh", "running_credit_usd_per_mwh",
                 "base_rate_usd_per_mwh"):  # fmt: skip
        a, b = getattr(got, name), getattr(want, name)
        np.testing.assert_allclose(a[far], b[far], rtol=1e-12, atol=1e-9, err_msg=name)


def test_scaled_points_at_scale_one_are_the_curve_bit_for_bit() -> None:
    """At a level of exactly 1 the scaled points give the curve's own numbers exactly (what
    makes a zero-volatility Monte Carlo equal the deterministic valuation)."""
    rng = np.random.default_rng(1)
    curve = np.sort(rng.gamma(2.0, 20.0, (6, 10)), axis=-1)
    value = rng.uniform(0.0, 90.0, (3, 6))
    contract = PowerContract(contract_type="index_plus_adder", adder_usd_per_mwh=2.0)
    want = economic_curtailment(value, curve, contract)
    got = economic_curtailment(value, ScaledPricePoints(curve, np.ones((3, 6))), contract)
    for name in ("fraction_curtailed", "avoided_cost_per_mwh_mean", "base_rate_usd_per_mwh"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name


@pytest.mark.parametrize(
    ("points", "scale", "field"),
    [
        (np.ones(4), np.ones((2, 4)), "points_usd_per_mwh"),
        (np.array([[2.0, 1.0]]), np.ones((3, 1)), "ascending"),
        (np.ones((3, 2)), np.ones((2, 4)), "scale"),
        (np.ones((3, 2)), np.zeros((2, 3)), "scale"),
        (np.full((3, 2), np.nan), np.ones((2, 3)), "points_usd_per_mwh"),
    ],
)
def test_scaled_points_refuse_bad_shapes_and_values(points, scale, field) -> None:  # noqa: ANN001
    with pytest.raises(PowerError, match=field):
        ScaledPricePoints(points, scale)
