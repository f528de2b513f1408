"""The Bitcoin schedule and dated market defaults.

Protocol constants come from Bitcoin Core (``src/kernel/chainparams.cpp``, ``validation.cpp``
``GetBlockSubsidy``, ``pow.cpp``); market defaults are the latest dated public figures in the
project's fact sheet compiled 2026-11-29 (newest hashprice/difficulty material: Hashrate Index,
2025-11-03). Every default names its source and date in ``MarketState.sources``.

Everything here is vectorised numpy; nothing touches the network.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import numpy as np

from valuation.checks import Rule, as_float_array, check_fields, number, require, whole
from valuation.errors import MarketError
from valuation.errors import (
    MiningInputError as MiningInputError,  # re-exported: the three modules' base
)

# --- protocol constants (Bitcoin Core chainparams.cpp, CMainParams) ---------------------------
HALVING_INTERVAL_BLOCKS = 210_000  # consensus.nSubsidyHalvingInterval
TARGET_BLOCK_TIME_S = 600  # consensus.nPowTargetSpacing = 10 * 60
# 86,400 s / 600 s: blocks a day at difficulty-implied hashrate, the hashprice index's basis
# (valuation.mining explains why BTC earned keeps it while heights use mean_block_time_s).
BLOCKS_PER_DAY = 144
RETARGET_INTERVAL_BLOCKS = 2016  # nPowTargetTimespan / nPowTargetSpacing
INITIAL_SUBSIDY_BTC = 50.0  # genesis reward 50 * COIN
MAX_HALVINGS = 64  # GetBlockSubsidy: "if (halvings >= 64) return 0"
SATOSHI_PER_BTC = 100_000_000  # COIN
_HASHES_PER_DIFFICULTY = 2.0**32  # expected hashes per block = D * 2^32

SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.25  # Julian year: the grid's month is a twelfth of it
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0  # 30.4375 days in a grid month
HOURS_PER_MONTH = DAYS_PER_MONTH * 24.0  # 730.5 hours in a grid month


# --- subsidy schedule ----------------------------------------------------------------------------


def _heights(height: object, name: str = "height") -> np.ndarray:
    h = as_float_array(height, name, MarketError)
    require(
        h, np.isfinite(h) & (h >= 0), name, "block heights must be finite and >= 0", MarketError
    )
    return np.floor(h).astype(np.int64)


def block_subsidy_btc(height: object) -> np.ndarray | float:
    """Block subsidy in BTC at block ``height`` (scalar or array), exact for every era.

    Bitcoin Core ``GetBlockSubsidy``: ``halvings = height / 210000``; 0 when ``halvings >= 64``;
    otherwise ``50 * COIN >> halvings`` satoshi. Computed in integer satoshi, then divided by 1e8.

    Parameters
    ----------
    height : int or array_like
        Block height(s), finite and >= 0 (fractions are floored).

    Returns
    -------
    float or numpy.ndarray
        Subsidy in BTC per block, the shape of ``height``.

    References
    ----------
    .. [1] Bitcoin Core, ``GetBlockSubsidy`` in src/validation.cpp (halving every 210,000 blocks,
       50 BTC at the genesis block).

    Examples
    --------
    The fourth halving (block 840,000, April 2024) set the subsidy to 3.125 BTC; the fifth is at
    block 1,050,000:

    >>> from valuation.market import block_subsidy_btc
    >>> block_subsidy_btc(840_000), block_subsidy_btc(1_049_999), block_subsidy_btc(1_050_000)
    (3.125, 3.125, 1.5625)
    >>> block_subsidy_btc([0, 210_000])
    array([50., 25.])
    """
    h = _heights(height)
    halvings = h // HALVING_INTERVAL_BLOCKS
    sat = np.where(
        halvings >= MAX_HALVINGS,
        0,
        np.right_shift(np.int64(50 * SATOSHI_PER_BTC), np.minimum(halvings, MAX_HALVINGS - 1)),
    )
    out = sat / SATOSHI_PER_BTC
    return float(out) if out.ndim == 0 else out


def cumulative_subsidy_btc(height: object) -> np.ndarray | float:
    """Total subsidy in BTC of blocks ``0 .. height-1`` (the issuance before block ``height``).

    Fractional heights interpolate linearly within a block, so the mean subsidy between two
    projected heights is ``(cumulative(h1) - cumulative(h0)) / (h1 - h0)``, which splits a month
    straddling a halving in proportion to the blocks on each side.
    """
    h = as_float_array(height, "height", MarketError)
    require(
        h, np.isfinite(h) & (h >= 0), "height", "block heights must be finite and >= 0", MarketError
    )
    eras = np.arange(MAX_HALVINGS)
    era_subsidy = np.right_shift(np.int64(50 * SATOSHI_PER_BTC), eras) / SATOSHI_PER_BTC
    era_start = eras * HALVING_INTERVAL_BLOCKS
    blocks_in_era = np.clip(h[..., None] - era_start, 0.0, HALVING_INTERVAL_BLOCKS)
    out = (blocks_in_era * era_subsidy).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def mean_subsidy_btc(height_start: object, height_end: object) -> np.ndarray | float:
    """Mean subsidy per block in BTC over blocks mined between two (fractional) heights."""
    h0 = as_float_array(height_start, "height_start", MarketError)
    h1 = as_float_array(height_end, "height_end", MarketError)
    require(
        h1,
        np.broadcast_to(h1 > h0, np.broadcast(h0, h1).shape),
        "height_end",
        "must exceed height_start",
        MarketError,
    )
    out = (np.asarray(cumulative_subsidy_btc(h1)) - np.asarray(cumulative_subsidy_btc(h0))) / (
        h1 - h0
    )
    return float(out) if np.ndim(out) == 0 else out


# --- height <-> time -----------------------------------------------------------------------------


def _utc(when: datetime | date) -> datetime:
    if isinstance(when, datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return datetime(when.year, when.month, when.day, tzinfo=UTC)


def _check_block_time(mean_block_time_s: float) -> None:
    if not (np.isfinite(mean_block_time_s) and mean_block_time_s > 0):
        raise MarketError(
            f"mean_block_time_s={mean_block_time_s!r} is not allowed; it must be a positive number of seconds"
        )


def height_at(
    when: datetime | date | np.ndarray,
    anchor_height: int,
    anchor_time: datetime,
    mean_block_time_s: float = TARGET_BLOCK_TIME_S,
) -> np.ndarray | float:
    """Projected (fractional) block height at ``when``: ``anchor + (when - anchor_time) / block time``.

    ``when`` may be a date/datetime (naive = UTC) or a ``datetime64`` array. Heights before the
    anchor are extrapolated backwards with the same mean block time.
    """
    _check_block_time(mean_block_time_s)
    anchor = np.datetime64(_utc(anchor_time).replace(tzinfo=None), "us")
    t: np.ndarray | np.datetime64
    if isinstance(when, (datetime, date)):
        t = np.datetime64(_utc(when).replace(tzinfo=None), "us")
    else:
        t = np.asarray(when).astype("datetime64[us]")
    seconds = (t - anchor).astype(np.float64) / 1e6
    out = anchor_height + seconds / mean_block_time_s
    return float(out) if np.ndim(out) == 0 else out


def time_at_height(
    height: float,
    anchor_height: int,
    anchor_time: datetime,
    mean_block_time_s: float = TARGET_BLOCK_TIME_S,
) -> datetime:
    """UTC time at which block ``height`` is projected, at ``mean_block_time_s`` per block."""
    _check_block_time(mean_block_time_s)
    seconds = (float(height) - anchor_height) * mean_block_time_s
    return _utc(anchor_time) + timedelta(seconds=seconds)


# --- difficulty <-> hashrate ---------------------------------------------------------------------


def hashrate_eh_s_from_difficulty(difficulty: object) -> np.ndarray | float:
    """Network hashrate in EH/s implied by difficulty: ``D * 2^32 / 600 s`` (hashes per second / 1e18).

    Source: expected hashes per block = D x 2^32 (Bitcoin Core ``GetBlockProof``); e.g. the
    JBaczuk gist ``hashpower = difficulty * 2**32 / secondsPerBlock``.
    """
    d = as_float_array(difficulty, "difficulty", MarketError)
    require(d, np.isfinite(d) & (d > 0), "difficulty", "must be a positive number", MarketError)
    out = d * _HASHES_PER_DIFFICULTY / TARGET_BLOCK_TIME_S / 1e18
    return float(out) if out.ndim == 0 else out


def difficulty_from_hashrate_eh_s(hashrate_eh_s: object) -> np.ndarray | float:
    """Difficulty at which ``hashrate_eh_s`` finds one block per 600 s: ``H * 600 / 2^32``."""
    h = as_float_array(hashrate_eh_s, "network_hashrate_eh_s", MarketError)
    require(
        h,
        np.isfinite(h) & (h > 0),
        "network_hashrate_eh_s",
        "must be a positive number",
        MarketError,
    )
    out = h * 1e18 * TARGET_BLOCK_TIME_S / _HASHES_PER_DIFFICULTY
    return float(out) if out.ndim == 0 else out


# --- dated market defaults -----------------------------------------------------------------------

# One dated snapshot, every figure from the same day: Hashrate Index roundup of 2025-11-03
# ("current price of ~$106,935"; USD hashprice "$43.33 per PH/s/Day"; BTC hashprice "0.00040577
# BTC per PH/s/Day"; "Transaction fees constituted 0.62% of block rewards").
SNAPSHOT_DATE = date(2025, 11, 3)
SNAPSHOT_HASHPRICE_USD_PER_PH_DAY = 43.33  # published; also the used-ASIC prices' reference
_SNAPSHOT_HASHPRICE_BTC_PER_PH_DAY = 0.00040577
# fee = 3.125 * s / (1 - s) BTC per block for a fee share s of block rewards.
_FEE_SHARE_2025_11_03 = 0.0062
_DEFAULT_FEES_BTC = 3.125 * _FEE_SHARE_2025_11_03 / (1.0 - _FEE_SHARE_2025_11_03)
# Difficulty implied by the published BTC hashprice: 1 PH/s earns 144 x reward / H_D BTC a day,
# so H_D = 144 x (3.125 + fees) / hashprice_btc PH/s and D = H_D x 600 / 2^32 = 155.9 T
# (btcpizza.com reported an all-time high of 156 T in the same days).
DEFAULT_DIFFICULTY = (
    (BLOCKS_PER_DAY * (3.125 + _DEFAULT_FEES_BTC) / _SNAPSHOT_HASHPRICE_BTC_PER_PH_DAY * 1e15)
    * TARGET_BLOCK_TIME_S
    / _HASHES_PER_DIFFICULTY
)

_DEFAULT_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "as_of": "2025-11-03: the newest day for which BTC price, BTC and USD hashprice and the "
        "fee share are all published together (Hashrate Index roundup of 2025-11-03).",
        "btc_price_usd": "$106,935: Hashrate Index roundup 2025-11-03 ('current price of "
        "~$106,935').",
        "network_hashrate_eh_s": "1,116 EH/s: the difficulty-implied hashrate of the published "
        "BTC hashprice 0.00040577 BTC/PH/day (difficulty 155.9 T; Hashrate Index 2025-11-03).",
        "fees_btc_per_block": "0.01950 BTC = 3.125 x 0.62% / (1 - 0.62%); fees were 0.62% of "
        "block rewards (Hashrate Index roundup 2025-11-03).",
        "btc_price_growth_per_year": "0%: no forecast; a flat price is the neutral base case "
        "(override it or pass a price path).",
        "network_hashrate_growth_per_year": "35%: difficulty rose about 35% over 2025 "
        "(btc-newswire.com; cryptocoinbizz.com 2025-12-27): the near-term growth while "
        "hashprice is above the marginal miner's cash cost.",
        "hashrate_adjustment_months": "6 months: ASSUMPTION. The network moves towards the "
        "hashrate the floor allows with a 6-month time constant rather than at once: after the "
        "April-2024 halving USD hashprice fell from $108.6 (2024-04-01) to about $53 "
        "(2024-05-29) and a $35 low (2024-08-05) while hashrate held near 620-660 EH/s "
        "(Hashrate Index roundups), so halvings show in hashprice before the network adjusts.",
        "anchor_height": "Block 840,000, the fourth halving (Forbes India 2024-04-22).",
        "anchor_time": "2024-04-20 00:09 UTC (Forbes India 2024-04-22: 'fourth halving at "
        "12:09 am UTC on April 20, 2024').",
        "mean_block_time_s": "585 s: the ~9.7-9.8 minute mean blocks seen in 2024-25 (fact sheet "
        "section 1.2), placing the fifth halving in mid-March 2028. Used for block heights "
        "(halving dates) only: BTC earned per PH/s follows difficulty (144 x reward / "
        "difficulty-implied hashrate), which already reflects blocks arriving early.",
        "hashprice_floor_usd_per_ph_day": "$35.1/PH/day: MARA's cash cost per PH/day in Q4-2024 "
        "(fintool Q4-2024 summary; Q3-2024 $37.1, Q4-2023 $42.3; fact sheet section 4), taken as "
        "the marginal large miner's cash cost: below it hashrate switches off.",
        "hashprice_floor_decline_per_year": "10%/yr: derived assumption, not a published figure. "
        "Fleet efficiency improves as S19-class machines (~29.5 J/TH) give way to S21-class "
        "(~17.5 J/TH) over about four to five years (fact sheet section 3), i.e. ~10-12% less "
        "power cost per PH/day a year; the lower end is used because non-power cash costs do "
        "not fall with efficiency.",
    }
)


# --- what a market input may be ------------------------------------------------------------------
# Sanity limits, not forecasts: each is far beyond any value the market has had or a what-if could
# mean, so that a typo (1e308, an extra row of zeros) is refused with the field's name instead of
# valued into a number of hundreds of digits, and no input can overflow the arrays built from it.

# USD per BTC: $10M is ~94x the snapshot's $106,935; 21M coins at $10M would be worth about
# $210 trillion, about twice a year of world GDP (roughly $110 trillion in 2024).
MAX_BTC_PRICE_USD = 10_000_000.0
# EH/s: 100,000 is ~90x the snapshot's 1,116 EH/s (the network took from 2009 to 2025 to reach it).
MAX_NETWORK_HASHRATE_EH_S = 100_000.0
# BTC per block, the MEAN fee of every block over the horizon (not one block's): 100 BTC is 32x
# today's 3.125 BTC subsidy and ~5,000x the snapshot's 0.0195 BTC; even single blocks of the
# busiest days (block 840,000, the 2024 halving, ~37.6 BTC) stayed well below it.
MAX_FEES_BTC_PER_BLOCK = 100.0
# A yearly change sustained over the whole horizon: at most +1,000% (tenfold every year), beyond
# any decade of Bitcoin's price or hashrate; down to (but not) -100%.
MAX_YEARLY_CHANGE = 10.0
# Block height: 10,000,000 is ~190 years of blocks at 144 a day (after 2200); the subsidy ends
# near block 6,930,000 (33 halvings of 210,000 blocks).
MAX_BLOCK_HEIGHT = 10_000_000
# Seconds per block: the protocol targets 600 s and retargets difficulty every 2,016 blocks (at
# most fourfold each way), so a mean over months stays near 600 s (585 s in 2024-25); a tenth to
# ten times the target is a sanity range (and keeps heights from dividing by ~0).
MEAN_BLOCK_TIME_RANGE_S = (60.0, 6_000.0)
# USD per PH/s-day: the cash-cost floor; $100,000 is ~2,800x its default $35.1, ~2,300x the
# snapshot's $43.33 hashprice and far above any hashprice ever seen (a few thousand dollars at the
# December-2017 peak).
MAX_HASHPRICE_USD_PER_PH_DAY = 100_000.0
# Dates (as_of, anchor_time): from Bitcoin's genesis block (2009-01-03) to 2100-12-31, past any
# valuation horizon (at most 50 years) of a snapshot taken this century.
GENESIS_DATE = date(2009, 1, 3)
LAST_MARKET_DATE = date(2100, 12, 31)
MAX_DATE_TEXT_LENGTH = 40  # an ISO date or date-time is at most ~32 characters


def _day(value: object) -> date | None:
    """The calendar day of a date or datetime (UTC), None for anything else."""
    if isinstance(value, datetime):
        return _utc(value).date()
    return value if isinstance(value, date) else None


def _dated(cls: type) -> Rule:
    """An instance of ``cls`` (date or datetime) on a day from GENESIS_DATE to LAST_MARKET_DATE."""

    def admits(v: object) -> bool:
        day = _day(v)
        return isinstance(v, cls) and day is not None and GENESIS_DATE <= day <= LAST_MARKET_DATE

    return Rule(admits, f"a {cls.__name__} from {GENESIS_DATE} to {LAST_MARKET_DATE}")


_YEARLY_CHANGE = number(-1, MAX_YEARLY_CHANGE, low_open=True, note="a fraction per year")
_MARKET_RULES: dict[str, Rule] = {
    "as_of": _dated(date),
    "anchor_time": _dated(datetime),
    "btc_price_usd": number(0, MAX_BTC_PRICE_USD, low_open=True, note="USD per BTC"),
    "network_hashrate_eh_s": number(0, MAX_NETWORK_HASHRATE_EH_S, low_open=True, note="EH/s"),
    "fees_btc_per_block": number(0, MAX_FEES_BTC_PER_BLOCK, note="mean BTC per block"),
    "btc_price_growth_per_year": _YEARLY_CHANGE,
    "network_hashrate_growth_per_year": _YEARLY_CHANGE,
    "mean_block_time_s": number(*MEAN_BLOCK_TIME_RANGE_S, note="seconds per block"),
    "anchor_height": whole(0, MAX_BLOCK_HEIGHT),
    "hashprice_floor_usd_per_ph_day": number(
        0, MAX_HASHPRICE_USD_PER_PH_DAY, note="USD per PH/day; 0 turns the floor off"
    ),
    "hashrate_adjustment_months": number(
        0, 120, note="months; 0: the network meets the floor at once"
    ),
    "hashprice_floor_decline_per_year": number(0, 1, high_open=True, note="a fraction per year"),
}


def _read_time(data: dict[str, object], key: str, parse: Callable[[str], object]) -> None:
    """``data[key]`` read from ISO text by ``parse``, if text; else a MarketError naming the field,
    the text (shortened) and what is allowed."""
    text = data.get(key)
    if not isinstance(text, str):
        return
    try:
        if len(text) > MAX_DATE_TEXT_LENGTH:
            raise ValueError
        data[key] = parse(text)
    except ValueError:
        raise MarketError(
            f"MarketState.{key}={reprlib.repr(text)} is not allowed: an ISO date (YYYY-MM-DD)"
            f"{' or date-time' if key == 'anchor_time' else ''} from {GENESIS_DATE} to "
            f"{LAST_MARKET_DATE}"
        ) from None


@dataclass(frozen=True)
class MarketState:
    """Bitcoin market inputs as of a date; override any field with ``dataclasses.replace``.

    Units: USD per BTC, EH/s, BTC per block, fractions per year, seconds per block, USD per
    PH/s-day. ``sources`` maps each field name to its citation.

    ``hashprice_floor_usd_per_ph_day`` (declining by ``hashprice_floor_decline_per_year``) is the
    marginal miner's cash cost: ``valuation.mining.hashprice_path`` caps network hashrate where
    USD hashprice would fall below it (miners whose cash cost exceeds hashprice switch off).
    """

    as_of: date = SNAPSHOT_DATE
    btc_price_usd: float = 106_935.0
    network_hashrate_eh_s: float = float(DEFAULT_DIFFICULTY * _HASHES_PER_DIFFICULTY / 600 / 1e18)
    fees_btc_per_block: float = _DEFAULT_FEES_BTC
    btc_price_growth_per_year: float = 0.0
    network_hashrate_growth_per_year: float = 0.35
    anchor_height: int = 840_000
    anchor_time: datetime = datetime(2024, 4, 20, 0, 9, tzinfo=UTC)
    mean_block_time_s: float = 585.0
    hashprice_floor_usd_per_ph_day: float = 35.1
    hashprice_floor_decline_per_year: float = 0.10
    hashrate_adjustment_months: float = 6.0
    sources: Mapping[str, str] = field(
        default_factory=lambda: dict(_DEFAULT_SOURCES), compare=False
    )

    def __post_init__(self) -> None:
        # A plain dict copy: picklable (st.cache_data, multiprocessing), and no instance shares it.
        object.__setattr__(self, "sources", dict(self.sources))
        check_fields(self, _MARKET_RULES, MarketError)

    @property
    def difficulty(self) -> float:
        """Network difficulty implied by ``network_hashrate_eh_s``."""
        return float(difficulty_from_hashrate_eh_s(self.network_hashrate_eh_s))

    @property
    def height_as_of(self) -> float:
        """Projected block height at ``as_of`` (00:00 UTC)."""
        return float(
            height_at(self.as_of, self.anchor_height, self.anchor_time, self.mean_block_time_s)
        )

    def to_dict(self) -> dict[str, object]:
        """Plain values (dates as ISO strings) for saving a scenario; ``sources`` left out."""
        return {
            "as_of": self.as_of.isoformat(),
            "btc_price_usd": self.btc_price_usd,
            "network_hashrate_eh_s": self.network_hashrate_eh_s,
            "fees_btc_per_block": self.fees_btc_per_block,
            "btc_price_growth_per_year": self.btc_price_growth_per_year,
            "network_hashrate_growth_per_year": self.network_hashrate_growth_per_year,
            "anchor_height": self.anchor_height,
            "anchor_time": _utc(self.anchor_time).isoformat(),
            "mean_block_time_s": self.mean_block_time_s,
            "hashprice_floor_usd_per_ph_day": self.hashprice_floor_usd_per_ph_day,
            "hashprice_floor_decline_per_year": self.hashprice_floor_decline_per_year,
            "hashrate_adjustment_months": self.hashrate_adjustment_months,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MarketState:
        """Inverse of ``to_dict``; missing keys take the defaults."""
        kwargs: dict[str, object] = dict(data)
        _read_time(kwargs, "as_of", date.fromisoformat)
        _read_time(kwargs, "anchor_time", datetime.fromisoformat)
        kwargs.pop("sources", None)
        return cls(**kwargs)  # type: ignore[arg-type]


DEFAULT_MARKET = MarketState()


def month_starts(start: date, n_months: int) -> np.ndarray:
    """``datetime64[D]`` first days of ``n_months + 1`` consecutive calendar months from ``start``'s month.

    Index ``m`` is the start of grid month ``m``; the extra last entry closes the final month.
    """
    if n_months < 0:
        raise MarketError(f"n_months={n_months!r} is not allowed; must be >= 0")
    first = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
    return (first + np.arange(n_months + 1)).astype("datetime64[D]")
