"""Monte Carlo drivers: zero volatility is the deterministic path bit for bit, seeds reproduce,
chunking changes nothing, correlations have their sign, the hashprice floor holds on every path,
and the closed forms equal their recursions."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.drivers import (
    BLOCK_SIZE_PATHS,
    DEFAULT_CORRELATION,
    PRESETS,
    BasePaths,
    DriverError,
    DriverPaths,
    RiskDrivers,
    _ar1,
    _lagged_moving_mean,
    as_hashprice_path,
    block_ranges,
    generate_blocks,
    generate_paths,
)
from valuation.errors import ValuationError
from valuation.market import DEFAULT_MARKET
from valuation.mining import hashprice_path, hashprice_usd_per_ph_day

N_MONTHS = 60
BASE = BasePaths.from_market(DEFAULT_MARKET, N_MONTHS)
MONTHLY = (
    "btc_price_usd",
    "network_hashrate_eh_s",
    "fees_btc_per_block",
    "hashprice_usd_per_ph_day",
    "power_price_scale",
    "lease_rate_scale",
)
PER_PATH = ("signing_month", "default_month", "capex_scale", "delay_months")


def _assert_same(a: DriverPaths, b: DriverPaths) -> None:
    assert a.first_path == b.first_path
    for name in MONTHLY + PER_PATH:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


# --- zero volatility -------------------------------------------------------------------------


@pytest.mark.parametrize("n_months", [12, 180])
def test_zero_volatility_equals_the_deterministic_path_exactly(n_months: int) -> None:
    base = BasePaths.from_market(DEFAULT_MARKET, n_months)
    det = hashprice_path(DEFAULT_MARKET, n_months)
    paths = generate_paths(base, RiskDrivers.deterministic(), seed=7, n_paths=1500)
    for name in MONTHLY[:4]:
        expected = np.broadcast_to(getattr(det, name), (1500, n_months))
        assert np.array_equal(getattr(paths, name), expected), name
    assert np.array_equal(paths.power_price_scale, np.ones((1500, n_months)))
    assert np.array_equal(paths.lease_rate_scale, np.ones((1500, n_months)))
    assert np.array_equal(paths.signing_month, np.zeros(1500, dtype=np.int64))
    assert np.array_equal(paths.default_month, np.full(1500, -1))
    assert np.array_equal(paths.capex_scale, np.ones(1500))
    assert np.array_equal(paths.delay_months, np.zeros(1500, dtype=np.int64))


@settings(max_examples=12, deadline=None)
@given(
    btc_growth=st.floats(-0.5, 1.0),
    hash_growth=st.floats(-0.3, 1.0),
    floor=st.floats(0.0, 80.0),
    decline=st.floats(0.0, 0.3),
    n_months=st.integers(1, 120),
    seed=st.integers(0, 2**32),
)
def test_zero_volatility_is_exact_for_any_market(
    btc_growth: float, hash_growth: float, floor: float, decline: float, n_months: int, seed: int
) -> None:
    market = replace(
        DEFAULT_MARKET,
        btc_price_growth_per_year=btc_growth,
        network_hashrate_growth_per_year=hash_growth,
        hashprice_floor_usd_per_ph_day=floor,
        hashprice_floor_decline_per_year=decline,
    )
    det = hashprice_path(market, n_months)
    p = generate_blocks(
        BasePaths.from_market(market, n_months), RiskDrivers.deterministic(), seed, 0, 1
    )
    for name in MONTHLY[:4]:
        assert np.array_equal(
            getattr(p, name), np.broadcast_to(getattr(det, name), p.btc_price_usd.shape)
        )


def test_as_hashprice_path_is_the_deterministic_path_at_zero_volatility() -> None:
    det = hashprice_path(DEFAULT_MARKET, 180)
    p = generate_paths(BASE_180, RiskDrivers.deterministic(), seed=1, n_paths=20)
    hp = as_hashprice_path(p, det)
    for name in (
        "btc_price_usd",
        "network_hashrate_eh_s",
        "subsidy_btc",
        "fees_btc_per_block",
        "hashprice_btc_per_ph_day",
        "hashprice_usd_per_ph_day",
    ):
        assert np.array_equal(getattr(hp, name), np.broadcast_to(getattr(det, name), (20, 180)))
    assert hp.n_months == 180 and np.array_equal(hp.month_start, det.month_start)
    noisy = as_hashprice_path(generate_paths(BASE_180, RiskDrivers(), 1, 20), det)
    np.testing.assert_allclose(
        noisy.hashprice_usd_per_ph_day, noisy.btc_price_usd * noisy.hashprice_btc_per_ph_day
    )
    with pytest.raises(DriverError, match="one path of the driver paths' 180 months"):
        as_hashprice_path(p, hashprice_path(DEFAULT_MARKET, 12))


def test_the_floor_binds_in_the_base_case_so_the_zero_volatility_test_covers_it() -> None:
    det = hashprice_path(DEFAULT_MARKET, 180)
    assert np.any(det.network_hashrate_eh_s < BASE_180.network_hashrate_eh_s)
    assert np.array_equal(BASE_180.floored_hashrate_eh_s, det.network_hashrate_eh_s)


BASE_180 = BasePaths.from_market(DEFAULT_MARKET, 180)


def test_signing_probability_zero_means_no_tenant_and_lease_up_sets_the_month() -> None:
    never = generate_paths(BASE, RiskDrivers.deterministic(signing_probability=0.0), 1, 100)
    assert np.all(never.signing_month == -1) and np.all(never.default_month == -1)
    later = generate_paths(BASE, RiskDrivers.deterministic(lease_up_months=9), 1, 100)
    assert np.all(later.signing_month == 9)
    beyond = generate_paths(BASE, RiskDrivers.deterministic(lease_up_months=N_MONTHS), 1, 100)
    assert np.all(beyond.signing_month == -1)


# --- seeding and chunking -------------------------------------------------------------------


def test_the_seed_reproduces_exactly_and_another_seed_differs() -> None:
    a = generate_paths(BASE, RiskDrivers(), seed=11, n_paths=300)
    _assert_same(a, generate_paths(BASE, RiskDrivers(), seed=11, n_paths=300))
    b = generate_paths(BASE, RiskDrivers(), seed=12, n_paths=300)
    assert not np.array_equal(a.btc_price_usd, b.btc_price_usd)


@pytest.mark.parametrize("blocks_per_chunk", [1, 2, 3])
def test_chunking_changes_no_number(blocks_per_chunk: int) -> None:
    n = 3 * BLOCK_SIZE_PATHS + 100
    whole = generate_paths(BASE, PRESETS["bear"], seed=3, n_paths=n)
    parts = [
        generate_blocks(BASE, PRESETS["bear"], 3, first, last)
        for first, last in block_ranges(n, blocks_per_chunk)
    ]
    _assert_same(whole, DriverPaths.concatenate(parts).take(0, n))


def test_a_path_does_not_depend_on_how_many_paths_are_asked_for() -> None:
    few = generate_paths(BASE, RiskDrivers(), seed=5, n_paths=10)
    many = generate_paths(BASE, RiskDrivers(), seed=5, n_paths=2 * BLOCK_SIZE_PATHS)
    _assert_same(few, many.take(0, 10))
    block1 = generate_blocks(BASE, RiskDrivers(), 5, 1, 2)
    assert block1.first_path == BLOCK_SIZE_PATHS
    _assert_same(block1, many.take(BLOCK_SIZE_PATHS, 2 * BLOCK_SIZE_PATHS))


def test_block_child_seed_is_the_spawned_child() -> None:
    # the docstring's claim: SeedSequence(seed, spawn_key=(b,)) is SeedSequence(seed).spawn(..)[b]
    spawned = np.random.SeedSequence(42).spawn(3)[2]
    direct = np.random.SeedSequence(42, spawn_key=(2,))
    assert np.array_equal(spawned.generate_state(4), direct.generate_state(4))


def test_block_ranges_cover_the_paths_in_order() -> None:
    assert block_ranges(1, 4) == [(0, 1)]
    assert block_ranges(5 * BLOCK_SIZE_PATHS + 1, 2) == [(0, 2), (2, 4), (4, 6)]


# --- statistics -----------------------------------------------------------------------------

STAT = generate_paths(BASE_180, RiskDrivers(), seed=2024, n_paths=6000)


def test_btc_mean_path_equals_the_deterministic_path_within_monte_carlo_error() -> None:
    ratio = STAT.btc_price_usd / BASE_180.btc_price_usd
    for m in (0, 59, 179):
        se = ratio[:, m].std() / np.sqrt(ratio.shape[0])
        assert abs(ratio[:, m].mean() - 1.0) < 4 * se


def test_btc_log_volatility_matches_the_parameter() -> None:
    x = np.log(STAT.btc_price_usd / BASE_180.btc_price_usd)
    steps = np.diff(x, axis=1)[:, 1:]  # whole months
    sd = steps.std()
    # the sd of 6000 x 178 normal draws is within ~1% of its value; allow 3%
    assert abs(sd - 0.50 / np.sqrt(12)) < 0.03 * 0.50 / np.sqrt(12)


def test_correlation_signs_btc_with_fees_and_hashrate_with_btc() -> None:
    x_btc = np.diff(np.log(STAT.btc_price_usd / BASE_180.btc_price_usd), axis=1)[:, 1:].ravel()
    x_fee = np.diff(np.log(STAT.fees_btc_per_block), axis=1)[:, 1:].ravel()
    rho = np.corrcoef(x_btc, x_fee)[0, 1]
    assert rho > 0.1  # a positive correlation set at 0.3; with ~1e6 pairs the noise is ~0.001
    # hashrate follows BTC: the path-level correlation of the horizon means is positive
    h = np.log(STAT.network_hashrate_eh_s / BASE_180.network_hashrate_eh_s).mean(axis=1)
    b = np.log(STAT.btc_price_usd / BASE_180.btc_price_usd).mean(axis=1)
    assert np.corrcoef(h, b)[0, 1] > 0.3
    neg = replace(RiskDrivers(), correlation=_corr(btc_fees=-0.5))
    p = generate_paths(BASE_180, neg, seed=1, n_paths=2000)
    y_btc = np.diff(np.log(p.btc_price_usd / BASE_180.btc_price_usd), axis=1)[:, 1:].ravel()
    y_fee = np.diff(np.log(p.fees_btc_per_block), axis=1)[:, 1:].ravel()
    assert np.corrcoef(y_btc, y_fee)[0, 1] < -0.1


def _corr(btc_fees: float) -> tuple[tuple[float, ...], ...]:
    c = np.array(DEFAULT_CORRELATION)
    c[0, 2] = c[2, 0] = btc_fees
    return tuple(map(tuple, c))


def test_per_path_risks_have_their_stated_rates() -> None:
    d = replace(
        RiskDrivers(), signing_probability=0.7, lease_up_months=12, lease_up_spread_months=6
    )
    p = generate_paths(BASE_180, d, seed=9, n_paths=8000)
    signed = p.signing_month >= 0
    assert abs(signed.mean() - 0.7) < 4 * np.sqrt(0.21 / 8000)
    assert p.signing_month[signed].min() >= 6 and p.signing_month[signed].max() <= 18
    # constant hazard of 1%/yr from signing: P(default within 24 months) = 1 - 0.99^2
    within_24 = (p.default_month >= 0) & (p.default_month - p.signing_month < 24)
    rate = within_24[signed].mean()
    assert abs(rate - (1 - 0.99**2)) < 4 * np.sqrt(0.02 / signed.sum())
    assert np.all(p.default_month[~signed] == -1)
    late = p.delay_months > 0
    assert abs(late.mean() - 0.9) < 4 * np.sqrt(0.09 / 8000)
    mean_delay = p.delay_months[late].mean()
    assert abs(mean_delay - 8.0) < 4 * p.delay_months[late].std() / np.sqrt(late.sum())
    log_capex = np.log(p.capex_scale)
    assert abs(np.median(p.capex_scale) - 1.10) < 0.02
    assert abs(log_capex.std() - 0.20) < 0.01
    # capex and delay share causes: their rank correlation among late paths is positive
    assert np.corrcoef(log_capex[late], p.delay_months[late])[0, 1] > 0.2


def test_power_and_lease_scales_are_mean_one() -> None:
    for name in ("power_price_scale", "lease_rate_scale"):
        x = getattr(STAT, name)[:, -1]
        assert abs(x.mean() - 1.0) < 4 * x.std() / np.sqrt(x.size), name


# --- invariants -----------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    vol=st.floats(0.0, 1.5),
    drift=st.floats(-1.0, 1.0),
    floor=st.floats(0.0, 120.0),
)
def test_hashprice_never_falls_below_the_floor_and_is_recomputed(
    seed: int, vol: float, drift: float, floor: float
) -> None:
    # The instantaneous floor (no adjustment lag: with one, hashprice may dip below the floor
    # after a price fall or a halving until the network adjusts, as hashprice_path says).
    market = replace(
        DEFAULT_MARKET, hashprice_floor_usd_per_ph_day=floor, hashrate_adjustment_months=0.0
    )
    base = BasePaths.from_market(market, 36)
    d = replace(RiskDrivers(), btc_volatility_per_year=vol, btc_excess_drift_per_year=drift)
    p = generate_blocks(base, d, seed, 0, 1)
    assert np.all(p.hashprice_usd_per_ph_day >= base.hashprice_floor_usd_per_ph_day * (1 - 1e-12))
    again = hashprice_usd_per_ph_day(
        p.btc_price_usd, p.network_hashrate_eh_s, p.fees_btc_per_block, base.subsidy_btc
    )
    assert np.array_equal(p.hashprice_usd_per_ph_day, again)
    assert np.all(p.network_hashrate_eh_s <= base.network_hashrate_eh_s * np.exp(10))
    assert np.all(p.power_price_scale > 0) and np.all(p.lease_rate_scale > 0)
    assert np.all(p.capex_scale > 0)
    assert np.all((p.delay_months >= 0) & (p.signing_month >= -1) & (p.signing_month < 36))


@settings(max_examples=30, deadline=None)
@given(
    u=st.lists(st.floats(-10, 10), min_size=1, max_size=40),
    phi=st.sampled_from([0.5, 0.7, 0.9, 0.95, 1.0]),
)
def test_ar1_closed_form_equals_the_recursion(u: list[float], phi: float) -> None:
    x, prev = [], 0.0
    for v in u:
        prev = phi * prev + v
        x.append(prev)
    np.testing.assert_allclose(_ar1(np.array(u), phi), x, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    r=st.lists(st.floats(-5, 5), min_size=1, max_size=30),
    lag=st.integers(0, 4),
    window=st.integers(1, 5),
)
def test_lagged_moving_mean_equals_the_definition(r: list[float], lag: int, window: int) -> None:
    padded = [0.0] * (lag + window) + r
    expected = [np.mean(padded[t + 1 : t + window + 1]) for t in range(len(r))]
    np.testing.assert_allclose(_lagged_moving_mean(np.array(r), lag, window), expected, atol=1e-9)


def test_long_horizon_strong_mean_reversion_stays_finite_and_mean_one() -> None:
    base = BasePaths.from_market(DEFAULT_MARKET, 600)
    d = RiskDrivers(power_persistence_per_month=0.5, fees_persistence_per_month=0.5)
    p = generate_blocks(base, d, 4, 0, 2)
    assert np.all(np.isfinite(p.power_price_scale)) and np.all(np.isfinite(p.fees_btc_per_block))
    # stationary: the log sd at the end is power_log_sd, and the mean scale is 1
    last = p.power_price_scale[:, -1]
    assert abs(np.log(last).std() - 0.43) < 0.03
    assert abs(last.mean() - 1.0) < 4 * last.std() / np.sqrt(last.size)


def test_hand_worked_lagged_response() -> None:
    # r = [3, 0, 0, 6], lag 1, window 2: m = [0, (0+3)/2, (3+0)/2, (0+0)/2]
    np.testing.assert_allclose(
        _lagged_moving_mean(np.array([3.0, 0, 0, 6]), 1, 2), [0, 1.5, 1.5, 0]
    )


# --- inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("btc_volatility_per_year", -0.1, "volatility in [0, 3]"),
        ("signing_probability", 1.5, "probability in [0, 1]"),
        ("lease_up_months", 2.5, "whole number of months"),
        ("fees_persistence_per_month", 0.2, "AR(1) coefficient"),
        ("tenant_default_probability_per_year", 1.0, "[0, 1)"),
        ("capex_overrun_median", 0.0, "multiplier"),
        ("correlation", ((1.0, 0.2), (0.2, 1.0)), "5 x 5"),
    ],
)
def test_bad_driver_fields_name_field_value_and_rule(
    field: str, value: object, needle: str
) -> None:
    with pytest.raises(DriverError) as info:
        RiskDrivers(**{field: value})
    assert needle in str(info.value) and isinstance(info.value, ValuationError)
    if field != "correlation":
        assert field in str(info.value) and repr(value) in str(info.value)


def test_a_non_positive_definite_correlation_is_refused() -> None:
    c = np.eye(5)
    c[0, 1] = c[1, 0] = c[0, 2] = c[2, 0] = 0.9
    c[1, 2] = c[2, 1] = -0.9
    with pytest.raises(DriverError, match="positive definite"):
        RiskDrivers(correlation=tuple(map(tuple, c)))


def test_bad_seed_and_block_range_are_refused() -> None:
    with pytest.raises(DriverError, match="seed=-1"):
        generate_blocks(BASE, RiskDrivers(), -1, 0, 1)
    with pytest.raises(DriverError, match="last_block=2 is not allowed"):
        generate_blocks(BASE, RiskDrivers(), 1, 2, 2)
    with pytest.raises(DriverError, match="n_paths=0"):
        generate_paths(BASE, RiskDrivers(), 1, 0)


def test_presets_round_trip_and_differ_in_the_stated_direction() -> None:
    for name, d in PRESETS.items():
        assert RiskDrivers.from_dict(d.to_dict()) == d, name
    assert PRESETS["bear"].btc_excess_drift_per_year < 0 < PRESETS["bull"].btc_excess_drift_per_year
    assert (
        PRESETS["bear"].capex_overrun_median
        > PRESETS["base"].capex_overrun_median
        > PRESETS["bull"].capex_overrun_median
    )
    with pytest.raises(DriverError, match="unknown fields"):
        RiskDrivers.from_dict({"btc_vol": 1})
    assert set(RiskDrivers().sources) >= {"btc_volatility_per_year", "delay_probability"}
