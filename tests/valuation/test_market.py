"""Bitcoin schedule, height/time projection, difficulty/hashrate and the dated market defaults."""

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.market import (
    BLOCKS_PER_DAY,
    DEFAULT_MARKET,
    HALVING_INTERVAL_BLOCKS,
    RETARGET_INTERVAL_BLOCKS,
    SNAPSHOT_HASHPRICE_USD_PER_PH_DAY,
    TARGET_BLOCK_TIME_S,
    MarketState,
    MiningInputError,
    block_subsidy_btc,
    cumulative_subsidy_btc,
    difficulty_from_hashrate_eh_s,
    hashrate_eh_s_from_difficulty,
    height_at,
    mean_subsidy_btc,
    month_starts,
    time_at_height,
)
from valuation.mining import hashprice_path


def test_protocol_constants():
    assert HALVING_INTERVAL_BLOCKS == 210_000
    assert TARGET_BLOCK_TIME_S == 600
    assert BLOCKS_PER_DAY == 86_400 // 600
    assert RETARGET_INTERVAL_BLOCKS == 2016


@pytest.mark.parametrize(
    ("height", "subsidy"),
    [
        (0, 50.0),
        (209_999, 50.0),
        (210_000, 25.0),
        (420_000, 12.5),
        (630_000, 6.25),
        (839_999, 6.25),  # last 6.25 BTC block (mined by SBI Crypto)
        (840_000, 3.125),
        (1_050_000, 1.5625),
        (33 * 210_000, 50 * 1e8 / 2**33 // 1 / 1e8),  # integer satoshi: 0.00000058 BTC
        (63 * 210_000, 0.0),  # 5e9 sat >> 63 = 0
        (64 * 210_000, 0.0),
        (10**9, 0.0),
    ],
)
def test_block_subsidy_each_era(height, subsidy):
    assert block_subsidy_btc(height) == pytest.approx(subsidy, abs=0.0)


def test_block_subsidy_is_vectorised_and_total_supply_is_just_under_21m():
    heights = np.array([[0, 210_000], [840_000, 1_050_000]])
    np.testing.assert_array_equal(block_subsidy_btc(heights), [[50, 25], [3.125, 1.5625]])
    # Known total issuance: 20,999,999.9769 BTC (integer-satoshi rounding below 21M).
    assert cumulative_subsidy_btc(64 * 210_000) == pytest.approx(20_999_999.9769, abs=1e-4)
    assert cumulative_subsidy_btc(210_000) == 50 * 210_000


def test_mean_subsidy_splits_a_month_across_a_halving():
    # 1,000 blocks at 3.125 and 1,000 at 1.5625 -> 2.34375
    assert mean_subsidy_btc(1_049_000, 1_051_000) == pytest.approx((3.125 + 1.5625) / 2)


def test_negative_height_names_the_field():
    with pytest.raises(MiningInputError, match="height"):
        block_subsidy_btc(-1)
    with pytest.raises(MiningInputError, match="height"):
        block_subsidy_btc([0, np.nan])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 70 * 210_000), st.integers(0, 70 * 210_000))
def test_subsidy_never_rises(h1, h2):
    lo, hi = sorted((h1, h2))
    assert block_subsidy_btc(hi) <= block_subsidy_btc(lo)


def test_fifth_halving_date_at_ten_minute_and_observed_block_times():
    anchor = datetime(2024, 4, 20, 0, 9, tzinfo=UTC)
    # 210,000 x 600 s = 1,458.33 days after 2024-04-20 00:09 -> 2028-04-17 08:09 UTC (fact sheet 1.2)
    assert time_at_height(1_050_000, 840_000, anchor, 600) == datetime(
        2028, 4, 17, 8, 9, tzinfo=UTC
    )
    # at 585 s: 210,000 x 585 s = 1,421.875 days -> 2028-03-11 21:09 UTC, inside the sheet's
    # 2028-03-04 .. 2028-03-19 range for 9.7-9.8 minute blocks
    t = time_at_height(1_050_000, 840_000, anchor, DEFAULT_MARKET.mean_block_time_s)
    assert t == datetime(2028, 3, 11, 21, 9, tzinfo=UTC)


@settings(max_examples=50, deadline=None)
@given(st.floats(0, 3e6), st.floats(400, 800))
def test_height_time_round_trip(height, block_s):
    anchor = datetime(2024, 4, 20, 0, 9, tzinfo=UTC)
    t = time_at_height(height, 840_000, anchor, block_s)
    assert height_at(t, 840_000, anchor, block_s) == pytest.approx(height, abs=1e-3)


def test_height_at_accepts_dates_and_arrays():
    anchor = datetime(2024, 4, 20, 0, 9, tzinfo=UTC)
    one_day_later = datetime(2024, 4, 21, 0, 9)
    assert height_at(one_day_later, 840_000, anchor, 600) == pytest.approx(840_144)
    arr = np.array(["2024-04-20T00:09", "2024-04-21T00:09"], dtype="datetime64[s]")
    np.testing.assert_allclose(height_at(arr, 840_000, anchor, 600), [840_000, 840_144])
    with pytest.raises(MiningInputError, match="mean_block_time_s"):
        height_at(date(2025, 1, 1), 840_000, anchor, 0)


def test_hashrate_from_difficulty_matches_the_worked_check():
    # 148.26e12 x 2^32 / 600 = 1.0613e21 H/s = 1,061 EH/s (fact sheet 1.3)
    assert hashrate_eh_s_from_difficulty(148.26e12) == pytest.approx(148.26e12 * 2**32 / 600 / 1e18)
    assert hashrate_eh_s_from_difficulty(148.26e12) == pytest.approx(1061.29, abs=0.01)
    with pytest.raises(MiningInputError, match="difficulty"):
        hashrate_eh_s_from_difficulty(0)
    with pytest.raises(MiningInputError, match="network_hashrate_eh_s"):
        difficulty_from_hashrate_eh_s(-5)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e3, 1e16))
def test_difficulty_hashrate_round_trip(d):
    assert difficulty_from_hashrate_eh_s(hashrate_eh_s_from_difficulty(d)) == pytest.approx(d)


def test_default_market_is_one_dated_snapshot():
    m = DEFAULT_MARKET
    # Every figure from the Hashrate Index roundup of 2025-11-03.
    assert m.as_of == date(2025, 11, 3)
    assert m.btc_price_usd == 106_935.0
    # fee share 0.62% of the block reward: 3.125 x 0.0062 / 0.9938
    assert m.fees_btc_per_block == pytest.approx(0.019496, abs=1e-6)
    # difficulty implied by the published BTC hashprice 0.00040577 BTC/PH/day:
    # H_D = 144 x 3.144496 / 0.00040577 PH/s = 1,115.9 EH/s; D = H_D x 600 / 2^32 = 155.9 T
    # (btcpizza.com: "all-time high of 156 Trillion" the same week).
    assert m.network_hashrate_eh_s == pytest.approx(1_115.92, abs=0.01)
    assert m.difficulty == pytest.approx(155.9e12, rel=1e-3)
    # month 0's hashprice is the published $43.33/PH/day to within 2% (the model's month 0 is
    # the month's average, grown to its midpoint)
    hp0 = hashprice_path(m, 1).hashprice_usd_per_ph_day[0]
    assert hp0 == pytest.approx(SNAPSHOT_HASHPRICE_USD_PER_PH_DAY, rel=0.02)
    for name in ("as_of", "btc_price_usd", "network_hashrate_eh_s", "fees_btc_per_block",
                 "anchor_height", "mean_block_time_s", "network_hashrate_growth_per_year",
                 "hashrate_adjustment_months"):  # fmt: skip
        assert len(m.sources[name]) > 20, name
        assert "2025-11-03" in m.sources[name] or name not in (
            "as_of",
            "btc_price_usd",
            "network_hashrate_eh_s",
            "fees_btc_per_block",
        ), name
    # Dec 2025 the sheet cites height ~929,606 "120,000 blocks away" from the halving
    assert 918_000 < m.height_as_of < 930_000


def test_market_state_override_round_trip_and_bad_input():
    m = replace(DEFAULT_MARKET, btc_price_usd=80_000.0)
    assert (
        m.btc_price_usd == 80_000.0
        and m.network_hashrate_eh_s == DEFAULT_MARKET.network_hashrate_eh_s
    )
    assert MarketState.from_dict(m.to_dict()) == m
    with pytest.raises(MiningInputError, match="btc_price_usd=-1"):
        replace(DEFAULT_MARKET, btc_price_usd=-1.0)
    with pytest.raises(MiningInputError, match="network_hashrate_eh_s"):
        MarketState(network_hashrate_eh_s=-3.0)


def test_month_starts_are_calendar_months():
    s = month_starts(date(2026, 11, 15), 3)
    assert [str(x) for x in s] == ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"]


def test_market_state_pickles_with_its_own_sources() -> None:
    """The app caches valuations with st.cache_data, which pickles them (MarketState included)."""
    import pickle
    from dataclasses import replace

    from valuation.market import DEFAULT_MARKET

    again = pickle.loads(pickle.dumps(DEFAULT_MARKET))
    assert again == DEFAULT_MARKET
    assert again.sources == DEFAULT_MARKET.sources
    other = replace(DEFAULT_MARKET, btc_price_usd=50_000.0)
    assert other.sources is not DEFAULT_MARKET.sources  # no instance shares the mapping
