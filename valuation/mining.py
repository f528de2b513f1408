"""Mining economics: hashprice, machines and fleets, breakeven power prices, and a site's monthly
mining cash flows with economic curtailment and demand-response credits.

Hashprice (Luxor's definition, docs.luxor.tech/hashrateindex/hashprice): the expected revenue of
1 PH/s for one day, ``(subsidy + fees) x 144 blocks/day x (1 PH/s / network hashrate)``, times the
BTC price for the USD version. Breakeven and hashcost use the identity 1 J/TH for one PH/s-day is
0.024 MWh (1,000 TH x 86,400 s / 3.6e9 J/MWh).

One block time, two roles. ``market.mean_block_time_s`` (585 s) places block heights in time, so
halvings land when blocks actually arrive. BTC earned keeps the 144 blocks/day of the hashprice
index because every network hashrate here (``MarketState.network_hashrate_eh_s`` and its
projection) is the difficulty-implied ``H_D = D x 2^32 / 600 s``. One hash wins a block with
probability ``1 / (D x 2^32)`` whatever the block time, so 1 PH/s earns ``86,400 x 1e15 x reward /
(D x 2^32) = 144 x reward / H_D`` BTC a day (Foundry's FPPS pays exactly this: 0.0058619 BTC per
PH-day at D = 21,448,277,761,059 and 6.25 BTC). Blocks come every 585 s rather than 600 s because
the actual hashrate runs ahead of difficulty, ``H_actual = H_D x 600 / 585``; the realised count
``86,400 / 585`` against ``H_actual`` gives the same BTC. Using 86,400 / 585 blocks a day against
``H_D`` would count that 2.6% twice.

Arrays are shaped ``(..., n_months)``; every function broadcasts and none loops over months or paths.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from valuation.checks import as_float_array, check_fields, number, require, scalar_or_array
from valuation.errors import MiningError
from valuation.market import (
    BLOCKS_PER_DAY,
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    DEFAULT_MARKET,
    HOURS_PER_MONTH,
    SNAPSHOT_HASHPRICE_USD_PER_PH_DAY,
    MarketState,
    height_at,
    mean_subsidy_btc,
    month_starts,
)
from valuation.power import (
    CurtailmentResult,
    DemandResponseProgram,
    PowerContract,
    PriceDurationCurve,
    ScaledPricePoints,
    economic_curtailment,
)

__all__ = [
    "MACHINES",
    "MACHINES_FILE",
    "MWH_PER_PH_DAY_PER_J_PER_TH",
    "FleetSummary",
    "HashpricePath",
    "Machine",
    "MiningAssumptions",
    "MiningCashFlows",
    "MiningMonthEconomics",
    "PowerContract",
    "REFRESH_MACHINE",
    "USED_ASIC_BAND_UPPER_J_PER_TH",
    "USED_ASIC_USD_PER_TH",
    "breakeven_power_price_usd_per_mwh",
    "fleet_from_counts",
    "fleet_from_power",
    "get_machine",
    "hashcost_usd_per_ph_day",
    "hashprice_btc_per_ph_day",
    "hashprice_path",
    "hashprice_usd_per_ph_day",
    "lagged_log",
    "machines_frame",
    "mining_cash_flows",
    "mining_month_economics",
    "revenue_usd_per_mwh",
    "used_asic_usd_per_th",
    "used_asic_sale_usd_per_th",
    "USED_ASIC_HASHPRICE_USD_PER_PH_DAY",
]

# 1 J/TH over one PH/s-day: 1e3 TH/s x 86,400 s x 1 J / 3.6e9 J per MWh = 0.024 MWh.
MWH_PER_PH_DAY_PER_J_PER_TH = 1_000.0 * 86_400.0 / 3.6e9


# --- hashprice ----------------------------------------------------------------------------------


def _positive(value: object, name: str, *, allow_zero: bool = False) -> np.ndarray:
    arr = as_float_array(value, name, MiningError)
    ok = np.isfinite(arr) & ((arr >= 0) if allow_zero else (arr > 0))
    require(arr, ok, name, "must be finite and " + (">= 0" if allow_zero else "> 0"), MiningError)
    return arr


def _fraction(value: object, name: str, *, upper_open: bool = False) -> np.ndarray:
    arr = as_float_array(value, name, MiningError)
    ok = np.isfinite(arr) & (arr >= 0) & ((arr < 1) if upper_open else (arr <= 1))
    require(
        arr, ok, name, "must be a fraction in [0, 1" + (")" if upper_open else "]"), MiningError
    )
    return arr


def hashprice_btc_per_ph_day(
    network_hashrate_eh_s: object, fees_btc_per_block: object, subsidy_btc: object
) -> np.ndarray | float:
    """Expected BTC earned by 1 PH/s in one day: ``144 x (subsidy + fees) / network hashrate in PH/s``.

    ``network_hashrate_eh_s`` is the difficulty-implied hashrate ``D x 2^32 / 600 s``, so this is
    ``86,400 x 1e15 x (subsidy + fees) / (D x 2^32)`` whatever the realised block time (see the
    module docstring). Source: Luxor hashprice definition; Foundry FPPS methodology (CleanSpark
    SEC exhibit, 2023-05-07) uses the same expected value. Vectorised over all arguments.
    """
    h = _positive(network_hashrate_eh_s, "network_hashrate_eh_s")
    fees = _positive(fees_btc_per_block, "fees_btc_per_block", allow_zero=True)
    subsidy = _positive(subsidy_btc, "subsidy_btc", allow_zero=True)
    return scalar_or_array(BLOCKS_PER_DAY * (subsidy + fees) / (h * 1_000.0))


def hashprice_usd_per_ph_day(
    btc_price_usd: object,
    network_hashrate_eh_s: object,
    fees_btc_per_block: object,
    subsidy_btc: object,
) -> np.ndarray | float:
    """Expected USD earned by 1 PH/s in one day (the hashprice index), before pool fees.

    ``btc_price_usd x 144 x (subsidy + fees) / (network_hashrate_eh_s x 1000)``; vectorised over
    all arguments.

    Parameters
    ----------
    btc_price_usd : float or array_like
        BTC price in USD, > 0.
    network_hashrate_eh_s : float or array_like
        Difficulty-implied network hashrate in EH/s (``D x 2^32 / 600 s``), > 0.
    fees_btc_per_block : float or array_like
        Mean transaction fees per block in BTC, >= 0.
    subsidy_btc : float or array_like
        Block subsidy in BTC, >= 0 (:func:`valuation.market.block_subsidy_btc`).

    Returns
    -------
    float or numpy.ndarray
        Hashprice in USD per PH/s per day, the broadcast shape of the arguments.

    References
    ----------
    .. [1] Luxor, Hashrate Index: hashprice definition (docs.luxor.tech/hashrateindex/hashprice).
    .. [2] Hashrate Index, hashprice of 2024-12-23: $55.21 per PH/s per day.

    Examples
    --------
    2024-12-23: $93,450, 108.52 T difficulty (776.8 EH/s), 0.0931 BTC fees, 3.125 BTC subsidy;
    Hashrate Index published $55.21:

    >>> from valuation.mining import hashprice_usd_per_ph_day
    >>> round(hashprice_usd_per_ph_day(93_450, 776.8, 0.0931, 3.125), 2)
    55.75
    """
    price = _positive(btc_price_usd, "btc_price_usd")
    btc = np.asarray(
        hashprice_btc_per_ph_day(network_hashrate_eh_s, fees_btc_per_block, subsidy_btc)
    )
    return scalar_or_array(price * btc)


def breakeven_power_price_usd_per_mwh(
    hashprice_usd_per_ph_day: object, efficiency_j_per_th: object, pool_fee: object = 0.0
) -> np.ndarray | float:
    """Power price at which a machine's revenue net of pool fee equals its power cost.

    ``hashprice x (1 - pool_fee) / (0.024 x J/TH)``: 1 J/TH running 1 PH/s for a day draws 0.024
    MWh.

    Parameters
    ----------
    hashprice_usd_per_ph_day : float or array_like
        Hashprice in USD per PH/s per day.
    efficiency_j_per_th : float or array_like
        Machine efficiency in J/TH, > 0.
    pool_fee : float or array_like, default 0.0
        Pool fee, a fraction in [0, 1).

    Returns
    -------
    float or numpy.ndarray
        Breakeven power price in USD per MWh at the machine (divide by the site's PUE for the
        price at the meter).

    References
    ----------
    .. [1] Hashrate Index, 2024-04-01: an S21 at $54.3 per PH/s per day breaks even at $0.13/kWh.

    Examples
    --------
    An Antminer S21 (17.5 J/TH) at $54.3 per PH/s per day, without and with a 2% pool fee:

    >>> from valuation.mining import breakeven_power_price_usd_per_mwh
    >>> round(breakeven_power_price_usd_per_mwh(54.3, 17.5), 1)
    129.3
    >>> round(breakeven_power_price_usd_per_mwh(54.3, 17.5, pool_fee=0.02), 1)
    126.7
    """
    hp = as_float_array(hashprice_usd_per_ph_day, "hashprice_usd_per_ph_day", MiningError)
    require(hp, np.isfinite(hp), "hashprice_usd_per_ph_day", "must be finite", MiningError)
    eff = _positive(efficiency_j_per_th, "efficiency_j_per_th")
    fee = _fraction(pool_fee, "pool_fee", upper_open=True)
    return scalar_or_array(hp * (1.0 - fee) / (MWH_PER_PH_DAY_PER_J_PER_TH * eff))


def hashcost_usd_per_ph_day(
    power_price_usd_per_mwh: object, efficiency_j_per_th: object
) -> np.ndarray | float:
    """Power cost of running 1 PH/s for a day: ``0.024 x J/TH x $/MWh``."""
    price = as_float_array(power_price_usd_per_mwh, "power_price_usd_per_mwh", MiningError)
    require(price, np.isfinite(price), "power_price_usd_per_mwh", "must be finite", MiningError)
    eff = _positive(efficiency_j_per_th, "efficiency_j_per_th")
    return scalar_or_array(MWH_PER_PH_DAY_PER_J_PER_TH * eff * price)


def revenue_usd_per_mwh(
    hashprice_usd_per_ph_day: object,
    efficiency_j_per_th: object,
    pool_fee: object = 0.0,
    mining_pue: object = 1.0,
) -> np.ndarray | float:
    """Mining revenue per MWh drawn at the meter: breakeven price divided by the site's mining PUE."""
    pue = as_float_array(mining_pue, "mining_pue", MiningError)
    require(pue, np.isfinite(pue) & (pue >= 1), "mining_pue", "must be >= 1", MiningError)
    be = np.asarray(
        breakeven_power_price_usd_per_mwh(hashprice_usd_per_ph_day, efficiency_j_per_th, pool_fee)
    )
    return scalar_or_array(be / pue)


# --- machines and fleets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """An ASIC model's nameplate: TH/s, watts at the wall, J/TH, cooling type and source."""

    name: str
    hashrate_th_s: float
    power_w: float
    efficiency_j_per_th: float
    cooling: str  # "air" | "hydro" | "immersion" (sites.schema.COOLING_TYPES)
    source: str


MACHINES_FILE = "machines.csv"


def _load_machines() -> tuple[Machine, ...]:
    """The bundled machine table, ``valuation/data/machines.csv``: nameplate TH/s and watts at
    the wall from the fact sheet section 3 (compiled 2026-11-29), the cooling and each row's
    source; J/TH = W / (TH/s). Read once, at import."""
    with resources.files("valuation").joinpath("data", MACHINES_FILE).open("r") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        Machine(
            name=r["name"],
            hashrate_th_s=float(r["hashrate_th_s"]),
            power_w=float(r["power_w"]),
            efficiency_j_per_th=float(r["power_w"]) / float(r["hashrate_th_s"]),
            cooling=r["cooling"],
            source=r["source"],
        )
        for r in rows
    )


_MACHINE_LIST: tuple[Machine, ...] = _load_machines()

MACHINES: Mapping[str, Machine] = {m.name: m for m in _MACHINE_LIST}

# The machine a fleet refresh buys: ``MiningAssumptions.refresh_cost_usd_per_th`` ($25.70/TH) is
# the S21 XP's price (Hashrate Index ASIC roundup 2025-11-03), so the refreshed fleet runs at its
# 13.5 J/TH (3,645 W / 270 TH/s).
REFRESH_MACHINE: Machine = MACHINES["Antminer S21 XP"]


# Used-ASIC prices by efficiency, USD per TH/s, for the salvage value of a fleet that is retired,
# replaced or moved out for a conversion (Hashrate Index's ASIC Price Index groups machines by
# J/TH bands and notes that ASIC prices track hashprice closely). Dated 2025-11-03 (the market
# snapshot's day): <= 15 J/TH $25.70 (S21 XP on the Luxor ASIC desk, Hashrate Index roundup
# 2025-11-03); 15-20 J/TH $13.50 (Antminer S21 listings at $2,699 / 200 TH, asicmarketplace.com
# via the project's mining fact sheet, undated); 20-25 J/TH $8.00 and 25-38 J/TH $4.00 and above
# 38 J/TH $1.00: ASSUMPTIONS (no dated published band price found), set so a machine's price
# falls with its power cost per TH. Upper band edges in J/TH, then the price of each band.
USED_ASIC_BAND_UPPER_J_PER_TH: tuple[float, ...] = (15.0, 20.0, 25.0, 38.0, float("inf"))
USED_ASIC_USD_PER_TH: tuple[float, ...] = (25.70, 13.50, 8.00, 4.00, 1.00)
# The USD hashprice on the band prices' date, 2025-11-03: "$43.33 per PH/s/Day" (Hashrate Index,
# the market snapshot's published figure). A fleet sold when hashprice is h fetches the band price
# x h / 43.33 (ASIC prices track hashprice): a lower BTC price, today or on a path, sells it for
# less. The refresh's purchase price ($25.70/TH, new machines) is not scaled: an assumption (new
# machines are priced by the maker, used ones by the market); at twice today's hashprice a used
# 15-20 J/TH machine would resell for $27/TH, above a new S21 XP's price.
USED_ASIC_HASHPRICE_USD_PER_PH_DAY = SNAPSHOT_HASHPRICE_USD_PER_PH_DAY


def used_asic_usd_per_th(efficiency_j_per_th: object) -> np.ndarray | float:
    """Used-ASIC price (USD per TH/s) of a machine of ``efficiency_j_per_th`` on the snapshot date
    (2025-11-03), from the band table :data:`USED_ASIC_USD_PER_TH`; vectorised."""
    eff = _positive(efficiency_j_per_th, "efficiency_j_per_th")
    band = np.searchsorted(np.asarray(USED_ASIC_BAND_UPPER_J_PER_TH), eff, side="left")
    return scalar_or_array(np.asarray(USED_ASIC_USD_PER_TH)[band])


def used_asic_sale_usd_per_th(
    efficiency_j_per_th: object, hashprice_usd_per_ph_day: object
) -> np.ndarray:
    """What a used machine of ``efficiency_j_per_th`` sells for (USD per TH/s) when hashprice is
    ``hashprice_usd_per_ph_day``: its band price (:func:`used_asic_usd_per_th`) x hashprice /
    :data:`USED_ASIC_HASHPRICE_USD_PER_PH_DAY` (the hashprice on the band prices' date);
    broadcast over both."""
    hp = np.asarray(hashprice_usd_per_ph_day, dtype=float)
    return np.asarray(used_asic_usd_per_th(efficiency_j_per_th)) * (
        hp / USED_ASIC_HASHPRICE_USD_PER_PH_DAY
    )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_MACHINE_KEYS: dict[str, Machine] = {}
for _mach in _MACHINE_LIST:
    _MACHINE_KEYS[_key(_mach.name)] = _mach
    _MACHINE_KEYS[_key(_mach.name.split(" ", 1)[1])] = _mach  # "S21 XP" without the brand


def get_machine(name: str) -> Machine:
    """Look a machine up by name, ignoring case, spaces, hyphens and the brand ("s21-xp" works)."""
    found = _MACHINE_KEYS.get(_key(str(name)))
    if found is None:
        raise MiningError(
            f"machine={name!r} is not a known model; known models: {', '.join(MACHINES)}"
        )
    return found


def machines_frame() -> pd.DataFrame:
    """The machine table as a DataFrame with units in the column names."""
    return pd.DataFrame(
        {
            "name": [m.name for m in _MACHINE_LIST],
            "hashrate_th_s": [m.hashrate_th_s for m in _MACHINE_LIST],
            "power_w": [m.power_w for m in _MACHINE_LIST],
            "efficiency_j_per_th": [m.efficiency_j_per_th for m in _MACHINE_LIST],
            "cooling": [m.cooling for m in _MACHINE_LIST],
            "source": [m.source for m in _MACHINE_LIST],
        }
    )


@dataclass(frozen=True)
class FleetSummary:
    """A fleet's totals: TH/s, watts at the wall (machines only) and the weighted J/TH."""

    hashrate_th_s: float
    power_w: float
    efficiency_j_per_th: float
    unit_count: int


def fleet_from_counts(counts: Iterable[tuple[str, int]] | Mapping[str, int]) -> FleetSummary:
    """Totals of a fleet given as ``(machine name, unit count)`` rows (as in ``Site.facility.fleet``).

    The fleet's efficiency is total watts over total TH/s. Errors name the row and the field.
    """
    rows: Sequence[tuple[str, int]] = list(
        counts.items() if isinstance(counts, Mapping) else counts
    )
    if not rows:
        raise MiningError("fleet is empty; give at least one (machine name, unit count) row")
    th = w = 0.0
    units = 0
    for i, row in enumerate(rows):
        try:
            name, count = row
        except (TypeError, ValueError) as exc:
            raise MiningError(
                f"fleet row {i}: {row!r} is not a (machine name, unit count) pair"
            ) from exc
        try:
            machine = get_machine(name)
        except MiningError as exc:
            raise MiningError(f"fleet row {i}: {exc}") from None
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
            raise MiningError(
                f"fleet row {i}: unit count={count!r} for {name!r} is not allowed; must be an integer >= 0"
            )
        th += machine.hashrate_th_s * int(count)
        w += machine.power_w * int(count)
        units += int(count)
    if th <= 0:
        raise MiningError("fleet has no units; at least one row needs a unit count > 0")
    return FleetSummary(th, w, w / th, units)


def fleet_from_power(
    power_mw: float, efficiency_j_per_th: float, mining_pue: float = 1.0
) -> FleetSummary:
    """A fleet sized to fill ``power_mw`` gross at the meter at an average J/TH and a mining PUE."""
    p = float(_positive(power_mw, "power_mw", allow_zero=True))
    e = float(_positive(efficiency_j_per_th, "efficiency_j_per_th"))
    pue = float(as_float_array(mining_pue, "mining_pue", MiningError))
    if not (np.isfinite(pue) and pue >= 1):
        raise MiningError(f"mining_pue={pue!r} is not allowed; must be >= 1")
    machines_w = p * 1e6 / pue
    return FleetSummary(machines_w / e, machines_w, e, 0)


# --- hashprice path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HashpricePath:
    """Monthly market path, arrays broadcast to a common ``(..., n_months)`` shape.

    ``subsidy_btc`` is the mean subsidy of the blocks projected in each grid month (a month that
    straddles a halving is split in proportion); ``month_start`` holds the first day of each month.
    """

    month_start: np.ndarray  # datetime64[D], (n_months,)
    btc_price_usd: np.ndarray
    network_hashrate_eh_s: np.ndarray
    subsidy_btc: np.ndarray
    fees_btc_per_block: np.ndarray
    hashprice_btc_per_ph_day: np.ndarray
    hashprice_usd_per_ph_day: np.ndarray
    hashprice_floor_usd_per_ph_day: np.ndarray  # (n_months,); 0 where the floor is off

    @property
    def n_months(self) -> int:
        return int(self.hashprice_usd_per_ph_day.shape[-1])

    def to_frame(self) -> pd.DataFrame:
        """One path (the arrays must be 1-D) as a DataFrame indexed by month start."""
        if self.hashprice_usd_per_ph_day.ndim != 1:
            raise MiningError("to_frame needs a single path; index a path out of the arrays first")
        return pd.DataFrame(
            {
                "btc_price_usd": self.btc_price_usd,
                "network_hashrate_eh_s": self.network_hashrate_eh_s,
                "subsidy_btc": self.subsidy_btc,
                "fees_btc_per_block": self.fees_btc_per_block,
                "hashprice_btc_per_ph_day": self.hashprice_btc_per_ph_day,
                "hashprice_usd_per_ph_day": self.hashprice_usd_per_ph_day,
                "hashprice_floor_usd_per_ph_day": self.hashprice_floor_usd_per_ph_day,
            },
            index=pd.DatetimeIndex(self.month_start, name="month_start"),
        )


def _path_arg(value: object, name: str, n_months: int) -> np.ndarray:
    arr = _positive(value, name)
    if arr.ndim == 0 or arr.shape[-1] != n_months:
        raise MiningError(f"{name} has shape {arr.shape}; expected (..., {n_months}) months")
    return arr


def lagged_log(
    target: np.ndarray, time_constant_months: float, initial: float | None = None
) -> np.ndarray:
    """First-order lag of a positive monthly series in log space along the last axis:
    ``log y[m] = a log x[m] + (1 - a) log y[m - 1]`` with ``a = 1 - exp(-1 / T)``, from
    ``y[-1] = initial`` (the level before month 0; ``x[0]`` when None), as a linear filter so
    scipy's ``lfilter`` runs it without a loop."""
    # A floor near 0 puts the floor's hashrate past float range: cap it far above any network
    # (1e300 EH/s), so the logs stay finite and the cap never binds.
    log_x = np.log(np.minimum(np.asarray(target, dtype=float), 1e300))
    a = 1.0 - np.exp(-1.0 / time_constant_months)
    start = log_x[..., :1] if initial is None else np.full(log_x[..., :1].shape, np.log(initial))
    zi = (1.0 - a) * start
    out, _ = lfilter([a], [1.0, -(1.0 - a)], log_x, axis=-1, zi=zi)
    return np.exp(out)


def _hashrate_at_floor_eh_s(
    market: MarketState, price: np.ndarray, reward_btc: np.ndarray, floor: np.ndarray
) -> np.ndarray:
    """EH/s at which ``price x 144 x reward / (EH/s x 1000)`` equals the floor ($/PH/day),
    followed with the network's first-order lag of ``market.hashrate_adjustment_months``."""
    hashrate_at_floor = price * BLOCKS_PER_DAY * reward_btc / (1_000.0 * floor)
    if market.hashrate_adjustment_months > 0:
        # From today's network, so a price fall in month 0 shows before the network adjusts.
        hashrate_at_floor = lagged_log(
            hashrate_at_floor, market.hashrate_adjustment_months, market.network_hashrate_eh_s
        )
    return hashrate_at_floor


def hashprice_path(
    market: MarketState = DEFAULT_MARKET,
    n_months: int = 180,
    *,
    btc_price_usd: object | None = None,
    network_hashrate_eh_s: object | None = None,
    start: date | None = None,
    subsidy_btc: object | None = None,
) -> HashpricePath:
    """Monthly hashprice path from ``start`` (default ``market.as_of``) over ``n_months``.

    BTC price and network hashrate grow at their yearly rates from ``market`` (compounded to each
    month's midpoint) unless paths shaped ``(..., n_months)`` are passed (e.g. Monte Carlo paths).
    ``subsidy_btc`` (scalar or ``(n_months,)``) replaces the schedule's subsidy: a what-if with
    no halvings holds it at today's value.
    Fees per block stay at ``market.fees_btc_per_block``. The subsidy is the mean over the blocks
    projected for each calendar month with ``market.mean_block_time_s``, so halvings land in the
    month they would. Hashrates are difficulty-implied (``D x 2^32 / 600 s``), so BTC per PH/s-day
    uses 144 blocks a day while heights advance at the realised block time (module docstring).
    Limitation: the block time is held at ``market.mean_block_time_s`` even where the floor stops
    growth (blocks would then slow towards 600 s and later halvings come a little later).

    Equilibrium floor: miners whose cash cost exceeds hashprice switch off, so the network stops
    growing (and sheds hashrate, e.g. after a halving or a price fall) once USD hashprice reaches
    the marginal miner's cash cost ``F_m = market.hashprice_floor_usd_per_ph_day x (1 -
    market.hashprice_floor_decline_per_year)^t`` (t in years to the month's midpoint). The network
    hashrate used is ``min(growth or given path, H_floor)`` with ``H_floor = price x 144 x
    (subsidy + fees) / (1000 x F_m)`` EH/s, the hashrate at which USD hashprice equals ``F_m``;
    so hashprice never falls below ``F_m``. A floor of 0 turns this off. The network does not
    meet the floor at once: ``H_floor`` is followed with a first-order lag of
    ``market.hashrate_adjustment_months`` (in log space, :func:`lagged_log`), so a halving or a price
    fall first lowers hashprice, below ``F_m`` for a while, and hashrate then adjusts; 0 months
    is the instantaneous floor above.
    """
    if not isinstance(n_months, (int, np.integer)) or n_months < 1:
        raise MiningError(f"n_months={n_months!r} is not allowed; must be an integer >= 1")
    starts = month_starts(start or market.as_of, int(n_months))
    heights = np.asarray(
        height_at(starts, market.anchor_height, market.anchor_time, market.mean_block_time_s)
    )
    subsidy = np.asarray(
        mean_subsidy_btc(np.maximum(heights[:-1], 0.0), np.maximum(heights[1:], 1.0))
        if subsidy_btc is None
        else np.broadcast_to(_positive(subsidy_btc, "subsidy_btc", allow_zero=True), (n_months,))
    )
    mid_years = (
        (starts[:-1] - starts[0]).astype(float) + (starts[1:] - starts[:-1]).astype(float) / 2
    ) / DAYS_PER_YEAR
    if btc_price_usd is None:
        price = market.btc_price_usd * (1.0 + market.btc_price_growth_per_year) ** mid_years
    else:
        price = _path_arg(btc_price_usd, "btc_price_usd", n_months)
    if network_hashrate_eh_s is None:
        hashrate = (
            market.network_hashrate_eh_s
            * (1.0 + market.network_hashrate_growth_per_year) ** mid_years
        )
    else:
        hashrate = _path_arg(network_hashrate_eh_s, "network_hashrate_eh_s", n_months)
    fees = np.full(n_months, market.fees_btc_per_block)
    floor = (
        market.hashprice_floor_usd_per_ph_day
        * (1.0 - market.hashprice_floor_decline_per_year) ** mid_years
    )
    if market.hashprice_floor_usd_per_ph_day > 0:
        hashrate = np.minimum(
            hashrate, _hashrate_at_floor_eh_s(market, price, subsidy + fees, floor)
        )
    price, hashrate, subsidy, fees = np.broadcast_arrays(price, hashrate, subsidy, fees)
    hp_btc = np.asarray(hashprice_btc_per_ph_day(hashrate, fees, subsidy))
    return HashpricePath(
        month_start=starts[:-1],
        btc_price_usd=price,
        network_hashrate_eh_s=hashrate,
        subsidy_btc=subsidy,
        fees_btc_per_block=fees,
        hashprice_btc_per_ph_day=hp_btc,
        hashprice_usd_per_ph_day=price * hp_btc,
        hashprice_floor_usd_per_ph_day=floor,
    )


# --- site cash flows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MiningAssumptions:
    """Fleet and site operating assumptions (fractions are 0-1; money in USD).

    Defaults, with sources (fact sheet compiled 2026-11-29 unless noted):
    - efficiency_j_per_th 17.5: Antminer S21 class; fleets reported 16.7 J/TH (CleanSpark FY2025
      10-K) and ~17.6 J/TH (Cipher Odessa, Q4-2024).
    - uptime 0.95: assumption below TeraWulf's record 98% utilization (April 2024).
    - pool_fee 0.02: institutional FPPS 1-2.5% (spark.money pool comparison, early 2026; Braiins 2%).
    - mining_pue 1.05: well-designed mining sites approach PUE 1.05 (d-central.tech glossary,
      hosting fact sheet).
    - degradation_per_year 0.01: assumption (no public figure found); hashrate lost per year of age.
    - opex_usd_per_mw_month 6,000: assumption (no public per-MW figure found; ~$8/MWh at full load)
      for staff, repairs, insurance and site costs other than power.
    - fleet_life_years 5: assumption, matching the 5-year MACRS class of mining equipment.
    - fleet_age_years 2.0: assumption, age of the fleet at the valuation date.
    - refresh_cost_usd_per_th 25.70: S21 XP on the Luxor ASIC desk (Hashrate Index 2025-11-03).
    - refresh_efficiency_j_per_th 13.5: the machine that price buys, the Antminer S21 XP of
      ``MACHINES`` (3,645 W / 270 TH/s; btcminermarketplace.com, fact sheet 2026-11-29). From
      each refresh on, the fleet runs at this J/TH: PH/s per MW, mining value per MWh and the
      TH/s bought (so the refresh capex) all use it, and the refresh-or-retire test weighs the
      new fleet's margin against its capex.
    - refresh_hurdle_rate_per_year 0.15: assumption (no public figure found), the return a miner
      asks of new machines; the fleet is refreshed only if its projected operating margin over the
      next fleet life, discounted at this rate, covers the refresh capex (see
      ``mining_cash_flows``).
    """

    efficiency_j_per_th: float = 17.5
    uptime: float = 0.95
    pool_fee: float = 0.02
    mining_pue: float = 1.05
    degradation_per_year: float = 0.01
    opex_usd_per_mw_month: float = 6_000.0
    fleet_life_years: float = 5.0
    fleet_age_years: float = 2.0
    refresh_cost_usd_per_th: float = 25.70
    refresh_hurdle_rate_per_year: float = 0.15
    refresh_efficiency_j_per_th: float = REFRESH_MACHINE.efficiency_j_per_th

    def __post_init__(self) -> None:
        positive, at_least_0 = number(0, low_open=True), number(0)
        rules = {
            "efficiency_j_per_th": positive,
            "uptime": number(0, 1),
            "pool_fee": number(0, 1, high_open=True),
            "mining_pue": number(1),
            "degradation_per_year": number(0, 1, high_open=True),
            "opex_usd_per_mw_month": at_least_0,
            "fleet_life_years": positive,
            "fleet_age_years": at_least_0,
            "refresh_cost_usd_per_th": at_least_0,
            "refresh_efficiency_j_per_th": positive,
            "refresh_hurdle_rate_per_year": number(-1, low_open=True, note="a fraction per year"),
        }
        check_fields(self, rules, MiningError)

    @property
    def start_age_months(self) -> float:
        """The fleet's age at the valuation date in months, at most its life: a fleet past its
        life is at its end of life now (a refresh-or-retire decision in month 0), not a new one
        that kept the old machines' J/TH."""
        return min(self.fleet_age_years, self.fleet_life_years) * 12.0


@dataclass(frozen=True)
class MiningCashFlows:
    """Monthly results, each ``(..., n_months)``; money in USD per month, signs all positive.

    Net operating cash = revenue + curtailment credit + DR payments - power cost - opex - capex.
    ``running`` is False from the month the fleet is retired (a refresh that did not pay); every
    flow is zero from then on.
    """

    deployed_hashrate_ph_s: np.ndarray  # installed, after degradation
    hashrate_ph_s: np.ndarray  # average operating over the month (uptime, curtailment, DR)
    btc_mined: np.ndarray  # net of pool fee; nan when no BTC price was given
    revenue_usd: np.ndarray  # net of pool fee
    energy_mwh: np.ndarray  # drawn at the meter
    power_cost_usd: np.ndarray  # gross of credits, after costs avoided by curtailing
    curtailment_credit_usd: np.ndarray  # energy resold while curtailed (fixed PPA with resale)
    dr_payment_usd: np.ndarray  # program payments incl. 4CP transmission avoided
    four_cp_credit_usd: (
        np.ndarray
    )  # the 4CP part of dr_payment_usd (charge avoided, yearly credits)
    four_cp_charge_usd: np.ndarray  # coincident-peak transmission charge, part of power_cost_usd
    opex_usd: np.ndarray
    capex_usd: np.ndarray  # fleet refresh
    curtailed_hours: np.ndarray  # hours the flexible load was off for price (economic)
    dr_hours: np.ndarray  # extra hours off for program deployments beyond economic curtailment
    curtailed_mwh: np.ndarray
    foregone_revenue_usd: np.ndarray  # revenue lost to curtailment and deployments
    avoided_power_cost_usd: np.ndarray  # power cost not incurred because of curtailment
    revenue_usd_per_mwh: np.ndarray  # the curtailment threshold's mining value
    cost_to_mine_usd_per_btc: np.ndarray  # (power - credits - DR + opex) / BTC; excl. capex
    running: np.ndarray  # bool: the site still mines (False from the retirement month on)
    # Fleets sold: the old fleet at each refresh, the fleet at retirement or when the power goes to
    # another use (``power_end_month``), at the used-ASIC price (0 unless ``salvage=True``).
    salvage_usd: np.ndarray
    # bool: the fleet stood idle this month for economic shutdown (its margin was negative).
    idle: np.ndarray
    # (...): the running fleet's value at the horizon (stated at the last month), see
    # ``mining_cash_flows``; 0 for a retired fleet or one with no life left.
    continuation_value_usd: np.ndarray

    @property
    def retired_month(self) -> np.ndarray | float:
        """Month index ``(...)`` at which the fleet was retired instead of refreshed; nan if never."""
        stopped = ~np.asarray(self.running, dtype=bool)
        out = np.where(stopped.any(axis=-1), np.argmax(stopped, axis=-1), np.nan)
        return scalar_or_array(np.asarray(out, dtype=float))

    @property
    def net_cash_flow_usd(self) -> np.ndarray:
        return (
            self.revenue_usd
            + self.curtailment_credit_usd
            + self.dr_payment_usd
            + self.salvage_usd
            - self.power_cost_usd
            - self.opex_usd
            - self.capex_usd
        )

    def to_frame(self) -> pd.DataFrame:
        """One path (1-D arrays) as a DataFrame with one column per monthly field, months as
        rows (``continuation_value_usd``, one number per path, is not a column)."""
        cols = {k: np.asarray(v) for k, v in self.__dict__.items() if k != "continuation_value_usd"}
        if any(v.ndim != 1 for v in cols.values()):
            raise MiningError("to_frame needs a single path; index a path out of the arrays first")
        frame = pd.DataFrame(cols)
        frame["net_cash_flow_usd"] = self.net_cash_flow_usd
        frame.index.name = "month"
        return frame


def mining_cash_flows(
    power_mw: object,
    hashprice_usd_per_ph_day: object | HashpricePath,
    *,
    assumptions: MiningAssumptions = MiningAssumptions(),  # noqa: B008 (frozen, immutable)
    contract: PowerContract = PowerContract(),  # noqa: B008
    prices: object | PriceDurationCurve | None = None,
    programs: Sequence[DemandResponseProgram] = (),
    btc_price_usd: object | None = None,
    start: date | None = None,
    discount_rate_per_year: float | None = None,
    power_end_month: object | None = None,
    economic_shutdown: bool = False,
    salvage: bool = False,
) -> MiningCashFlows:
    """Monthly mining cash flows for a site, vectorised over ``(..., n_months)``.

    power_mw: gross MW at the meter given to mining, broadcastable to ``(..., n_months)`` (a
        per-month profile as halls are converted).
    hashprice_usd_per_ph_day: ``(..., n_months)`` array, or a ``HashpricePath`` (then its BTC
        price gives ``btc_mined`` and its month starts give the calendar months).
    prices: intra-month price-duration curve for curtailment: ``None`` (flat contract price), an
        array ``(..., n_months, n_points)`` or ``(n_points,)`` of equal-weight prices in $/MWh,
        or a ``PriceDurationCurve`` by calendar month (tiled from ``start``).
    programs: demand-response programs; a program with a coincident-peak charge (``ERCOT_4CP``)
        adds that charge to power cost and credits the avoided share (``valuation.power``).
    btc_price_usd: ``(..., n_months)`` BTC price for ``btc_mined`` when hashprice is an array.
    start: first grid month (calendar month of ``start``); defaults to the path's first month
        or ``DEFAULT_MARKET.as_of``.
    discount_rate_per_year: the rate (compounded monthly) of the continuation value; None uses
        ``assumptions.refresh_hurdle_rate_per_year`` (the miner's own rate). A valuation passes
        its discount rate.
    power_end_month: ``(...)`` month index (from the grid start, may lie past the horizon, ``inf``
        = never) from which the power goes to another use for good, e.g. a hall's construction
        start when it converts. Inside the horizon ``power_mw`` already says so (zero from
        then); past the horizon it stops the projected margin there, in the refresh test and in
        the continuation value. None: never.
    economic_shutdown: a fleet whose month's operating margin (revenue + credits + DR payments -
        power cost - opex) is negative stands idle that month: every flow of that month is zero
        (its opex and its inflexible load stop with it) and it restarts when the margin turns
        positive; the refresh test and the continuation value then count a month at
        ``max(margin, 0)``. An idle month still ages the fleet.
    salvage: sell each fleet that leaves service at the used-ASIC price
        (:func:`used_asic_sale_usd_per_th`: the band price of its J/TH scaled by the month's
        hashprice over the $43.33 of the band prices' date: ASIC prices track hashprice,
        Hashrate Index ASIC Price Index notes; an assumption for the path ahead), times its
        degraded TH/s: the old fleet in each refresh month, the fleet at retirement, and the
        fleet when the power goes to another use inside the horizon.

    Formulas (per month m, gross MW P, hours H = 730.5, days D = 30.4375; J/TH is
    ``efficiency_j_per_th`` before the first refresh and ``refresh_efficiency_j_per_th`` from it
    on; age counts from the last refresh):
      deployed PH/s = P x 1000 / (J/TH x PUE) x (1 - degradation)^age
      mining value R ($/MWh) = hashprice x (1 - pool fee) / (0.024 x J/TH_aged x PUE)
      economic curtailment: the flexible share is off in the price-curve points whose marginal
        value of not consuming (``PowerContract.marginal_value_usd_per_mwh``) exceeds R
      revenue = deployed PH/s x operating fraction x hashprice x D x (1 - pool fee)
      power cost = base energy x base rate - avoided cost + coincident-peak (4CP) charge;
        credits = resale of curtailed energy; the 4CP charge (only with a program that sets
        ``transmission_charge_usd_per_kw_year``, e.g. ``ERCOT_4CP``) is $/kW-yr x 1000 x P x
        uptime / 12 a month, and ``dr_payment_usd`` credits back its avoided share
        ``committed_share x peak_catch_rate``
      refresh capex = P x 1e6 / (refresh J/TH x PUE) TH/s x $/TH in the months the fleet reaches
        its life, if it pays

    Refresh only when it pays (abandonment option): in each month r the fleet reaches its life,
    the replacement is bought only if the new fleet's operating margin (at the refresh J/TH,
    degradation restarted; revenue net of pool fee + curtailment
    credit + DR payments - power cost - opex, after economic curtailment) of months r .. r+L-1
    (L = fleet life in whole months), discounted to r at ``refresh_hurdle_rate_per_year``
    (compounded monthly), is at least the refresh capex. Otherwise the fleet is retired at r and
    mining stops for good on that path: hashrate, energy, power cost, credits, DR payments, opex
    and capex are zero from r on (``running`` False, ``retired_month`` r). Foresight: the decision
    uses the path's own projected margins (perfect foresight along each path, as a miner deciding
    on its own forecast); months of the window beyond the horizon repeat the last month's margin.
    Before its first end of life a running fleet keeps operating (curtailing when unprofitable).

    Continuation value (``continuation_value_usd``, shape ``(...)``): at the horizon a running
    fleet is worth its projected margin over the rest of its life, on the refresh test's
    projection (the last month's margin M repeated), discounted at ``discount_rate_per_year``
    and stated at the last month (like every terminal value here):
    ``max(0, M) x sum_{j=1..R} v^j`` with ``v = (1 + rate)^(-1/12)`` and R the months from the
    horizon to the fleet's next end of life (the month the refresh rule would next decide),
    cut at ``power_end_month``; 0 for a retired fleet. Floored at 0: the miner can stop. A
    refresh past the horizon is not valued (it would be a new decision with its own capex).
    """
    hp, btc_price_usd, start = _hashprice_array(hashprice_usd_per_ph_day, btc_price_usd, start)
    n_months = hp.shape[-1]
    p_mw = _positive(power_mw, "power_mw", allow_zero=True)
    shape = _paths_shape(p_mw, hp)
    a = assumptions
    power_end = _power_end_months(power_end_month, shape[:-1])
    rate_year = _continuation_rate_per_year(discount_rate_per_year, a)
    month_idx = np.arange(n_months)
    start = start or DEFAULT_MARKET.as_of
    cal_month = (start.month - 1 + month_idx) % 12  # 0 = January
    fleet = _fleet_age(a, n_months)
    ph_per_mw_new = 1_000.0 / (fleet.efficiency_j_per_th * a.mining_pue)
    deployed_ph = p_mw * ph_per_mw_new * fleet.health  # (..., n_months)
    value_r = (
        hp
        * (1.0 - a.pool_fee)
        * fleet.health
        / (MWH_PER_PH_DAY_PER_J_PER_TH * fleet.efficiency_j_per_th * a.mining_pue)
    )
    # Economic curtailment against the price-duration curve.
    pdc = _price_points(prices, contract, n_months, cal_month)
    curt = economic_curtailment(value_r, pdc, contract)
    frac_off = contract.flexible_share * curt.fraction_curtailed  # (..., n_months)
    _check_capacity_commitments(programs, contract)
    dr = _demand_response(programs, cal_month, curt, p_mw, a, shape, frac_off)
    flows = _monthly_flows(p_mw, hp, deployed_ph, frac_off, dr, curt, contract, a)
    refresh_capex = _refresh_capex_usd(p_mw, a)
    # Refresh or retire: the first end of life whose refresh does not pay stops mining for good.
    margin = flows.margin_usd()
    idle = np.zeros(shape, dtype=bool)
    if economic_shutdown:
        idle = np.broadcast_to(margin < 0.0, shape)
        margin = np.maximum(margin, 0.0)
    margin_last = np.broadcast_to(margin, shape)[..., -1]  # the projection past the horizon
    stop_month = _first_retirement_month(
        margin,
        np.broadcast_to(refresh_capex, shape),
        refresh_months=np.flatnonzero(fleet.refresh),
        life_months=max(1, int(round(fleet.life_months))),
        hurdle_rate_per_year=a.refresh_hurdle_rate_per_year,
        power_end_month=power_end,
    )
    running = month_idx < stop_month[..., None]  # (..., n_months)
    salvage_usd = (
        _salvage_usd(p_mw, hp, fleet, running, stop_month, power_end, a, shape)
        if salvage
        else np.zeros(shape)
    )
    if economic_shutdown and idle.any():
        flows.stop_while_idle(~idle)  # installed machines stay installed (deployed) while idle
    months_left = _months_to_next_end_of_life(a, fleet.life_months, n_months, power_end)
    continuation = (
        np.maximum(margin_last, 0.0)
        * _annuity_after_horizon(rate_year, months_left)
        * (stop_month >= n_months)
    )
    capex = np.where(fleet.refresh & running, refresh_capex, 0.0)
    if not running.all():
        flows.stop_after_retirement(running, shape)
    extras = {"capex": capex, "salvage_usd": salvage_usd, "continuation_value_usd": continuation}
    return _mining_result(
        flows, hp, value_r, curt, contract, a, (running, idle, shape), btc_price_usd, p_mw, **extras
    )


def _refresh_capex_usd(p_mw: np.ndarray, a: MiningAssumptions) -> np.ndarray:
    """Cost (USD) of refilling ``p_mw`` with new machines: TH/s bought = MW x 1e6 W / (PUE x
    J/TH of the new machine); capex = TH/s x $/TH."""
    return p_mw * 1e6 / (a.refresh_efficiency_j_per_th * a.mining_pue) * a.refresh_cost_usd_per_th


def _hashprice_array(
    hashprice_usd_per_ph_day: object | HashpricePath,
    btc_price_usd: object | None,
    start: date | None,
) -> tuple[np.ndarray, object | None, date | None]:
    """Hashprice ($/PH/day, ``(..., n_months)``), and the BTC price ($) and first month that a
    ``HashpricePath`` supplies where the caller gave none."""
    if isinstance(hashprice_usd_per_ph_day, HashpricePath):
        path = hashprice_usd_per_ph_day
        hp = path.hashprice_usd_per_ph_day
        if btc_price_usd is None:
            btc_price_usd = path.btc_price_usd
        if start is None:
            start = pd.Timestamp(path.month_start[0]).date()
    else:
        hp = as_float_array(hashprice_usd_per_ph_day, "hashprice_usd_per_ph_day", MiningError)
    require(hp, np.isfinite(hp), "hashprice_usd_per_ph_day", "must be finite", MiningError)
    if hp.ndim == 0:
        raise MiningError("hashprice_usd_per_ph_day must have a months axis: shape (..., n_months)")
    return hp, btc_price_usd, start


def _paths_shape(p_mw: np.ndarray, hp: np.ndarray) -> tuple[int, ...]:
    """The common ``(..., n_months)`` shape of power (MW) and hashprice; the months axis is
    hashprice's."""
    n_months = hp.shape[-1]
    try:
        shape = np.broadcast_shapes(p_mw.shape, hp.shape)
    except ValueError:
        raise MiningError(
            f"power_mw shape {p_mw.shape} does not broadcast with hashprice shape {hp.shape}"
        ) from None
    if shape[-1] != n_months:
        raise MiningError(f"power_mw shape {p_mw.shape} changes the months axis ({n_months})")
    return shape


def _power_end_months(power_end_month: object | None, paths_shape: tuple[int, ...]) -> np.ndarray:
    """``power_end_month`` (a month index, inf = never) broadcast to the paths' shape ``(...)``."""
    if power_end_month is None:
        return np.full(paths_shape, np.inf)
    power_end = as_float_array(power_end_month, "power_end_month", MiningError)
    require(
        power_end,
        power_end >= 0,
        "power_end_month",
        "must be a month index >= 0 or inf",
        MiningError,
    )
    try:
        return np.broadcast_to(power_end, paths_shape)
    except ValueError:
        raise MiningError(
            f"power_end_month shape {power_end.shape} does not broadcast with the paths "
            f"{paths_shape}"
        ) from None


def _continuation_rate_per_year(
    discount_rate_per_year: float | None, a: MiningAssumptions
) -> float:
    """The continuation value's discount rate (a fraction per year): the caller's, else the
    miner's own refresh hurdle."""
    rate_year = (
        a.refresh_hurdle_rate_per_year
        if discount_rate_per_year is None
        else (float(discount_rate_per_year))
    )
    if not (np.isfinite(rate_year) and rate_year > -1):
        raise MiningError(
            f"discount_rate_per_year={discount_rate_per_year!r} is not allowed; must be > -1 "
            "(a fraction per year)"
        )
    return rate_year


class _FleetAge(NamedTuple):
    """The fleet in service by month: life (months), refresh months, health and J/TH."""

    life_months: float
    refresh: np.ndarray  # bool (n_months,): the fleet reaches its life and may be replaced
    health: np.ndarray  # (n_months,): hashrate share left after degradation
    efficiency_j_per_th: np.ndarray  # (n_months,): J/TH of the machines in service


def _fleet_age(a: MiningAssumptions, n_months: int) -> _FleetAge:
    """Fleet age and degradation by month: the fleet is replaced whenever its age reaches the
    life, and its age (so its degradation) restarts at each refresh. The fleet in service runs
    at ``efficiency_j_per_th`` until the first refresh in the horizon, then at the refresh
    machine's J/TH (the machine the $/TH buys)."""
    month_idx = np.arange(n_months)
    life_m = a.fleet_life_years * 12.0
    age_total_m = a.start_age_months + month_idx
    age_m = np.mod(age_total_m, life_m)
    refresh = (np.floor(age_total_m / life_m) > np.floor((age_total_m - 1) / life_m)) & (
        age_total_m >= life_m
    )
    health = (1.0 - a.degradation_per_year) ** (age_m / 12.0)
    eff_j_per_th = np.where(
        np.cumsum(refresh) > 0, a.refresh_efficiency_j_per_th, a.efficiency_j_per_th
    )
    return _FleetAge(life_m, refresh, health, eff_j_per_th)


def _check_capacity_commitments(
    programs: Sequence[DemandResponseProgram], contract: PowerContract
) -> None:
    """Capacity programs active in the same calendar month may not commit more than the flexible
    share (seasonal programs, e.g. MISO's four PRA seasons, do not overlap)."""
    committed_by_month = np.zeros(12)
    for p in programs:
        if p.capacity_payment_usd_per_mw_hour > 0:
            committed_by_month[np.asarray(p.months_active) - 1] += p.committed_share
    committed_total = float(committed_by_month.max())
    if committed_total > contract.flexible_share + 1e-12:
        raise MiningError(
            f"capacity programs commit {committed_total:.3f} of the load in calendar month "
            f"{int(committed_by_month.argmax()) + 1}; must not exceed "
            f"PowerContract.flexible_share={contract.flexible_share}"
        )


class _DemandResponse(NamedTuple):
    """Demand-response flows by month, ``(..., n_months)``."""

    payment_usd: np.ndarray  # capacity payments, annual credits and the avoided 4CP share
    four_cp_credit_usd: np.ndarray  # annual credits and the avoided coincident-peak charge
    four_cp_charge_usd: np.ndarray  # coincident-peak (4CP) demand charge on the running load
    extra_off_share: np.ndarray  # load share off in deployments beyond economic curtailment


def _demand_response(
    programs: Sequence[DemandResponseProgram],
    cal_month: np.ndarray,
    curt: CurtailmentResult,
    p_mw: np.ndarray,
    a: MiningAssumptions,
    shape: tuple[int, ...],
    frac_off: np.ndarray,
) -> _DemandResponse:
    """Demand-response programs: payments, deployments beyond economic curtailment, 4CP."""
    dr_pay = np.zeros(shape)
    four_cp = np.zeros(shape)
    cp_charge = np.zeros(shape)
    dr_frac_extra = np.zeros(shape)
    econ_hours = curt.fraction_curtailed * HOURS_PER_MONTH
    for prog in programs:  # a handful of programs, not months or paths
        active = np.isin(cal_month, np.asarray(prog.months_active) - 1)
        deploy_h = np.where(
            active, prog.expected_deployment_hours_per_year / len(prog.months_active), 0.0
        )
        extra_h = np.maximum(deploy_h - econ_hours, 0.0)
        dr_frac_extra = dr_frac_extra + prog.committed_share * extra_h / HOURS_PER_MONTH
        running_share = (
            a.uptime * (1.0 - curt.fraction_curtailed) if prog.paid_only_while_running else 1.0
        )
        pay_hours = np.where(active, HOURS_PER_MONTH, 0.0) * running_share
        dr_pay = (
            dr_pay + prog.capacity_payment_usd_per_mw_hour * prog.committed_share * p_mw * pay_hours
        )
        credit = prog.annual_credit_usd_per_mw_year * prog.committed_share * p_mw / 12.0
        # Coincident-peak demand charge on the running load, and the share avoided at the peaks.
        charge = prog.transmission_charge_usd_per_kw_year * 1_000.0 * p_mw * a.uptime / 12.0
        cp_charge = cp_charge + charge
        credit = credit + charge * prog.committed_share * prog.peak_catch_rate
        four_cp = four_cp + credit
        dr_pay = dr_pay + credit
    dr_frac_extra = np.minimum(dr_frac_extra, 1.0 - frac_off)
    return _DemandResponse(dr_pay, four_cp, cp_charge, dr_frac_extra)


@dataclass
class _MonthlyFlows:
    """A site's monthly mining flows while they are built (USD, MWh, PH/s, shares), each
    broadcastable to ``(..., n_months)``; zeroed in idle months and after retirement."""

    deployed_ph: np.ndarray
    operating: np.ndarray  # share of the month the deployed hashrate runs
    frac_off: np.ndarray  # share off in economic curtailment
    dr_frac_extra: np.ndarray  # share off in DR deployments beyond it
    base_mwh: np.ndarray
    revenue: np.ndarray
    avoided: np.ndarray
    credit: np.ndarray
    dr_pay: np.ndarray
    four_cp: np.ndarray
    cp_charge: np.ndarray
    power_cost: np.ndarray
    opex: np.ndarray

    def margin_usd(self) -> np.ndarray:
        """Operating margin: revenue + credits + DR payments - power cost - opex."""
        return self.revenue + self.credit + self.dr_pay - self.power_cost - self.opex

    def stop_while_idle(self, busy: np.ndarray) -> None:
        """Zero every flow of the idle months (``busy`` False); the machines stay deployed."""
        self.revenue, self.credit, self.dr_pay, self.power_cost = (
            x * busy for x in (self.revenue, self.credit, self.dr_pay, self.power_cost)
        )
        self.four_cp, self.cp_charge, self.avoided = (
            x * busy for x in (self.four_cp, self.cp_charge, self.avoided)
        )
        self.opex, self.base_mwh = self.opex * busy, self.base_mwh * busy
        self.dr_frac_extra = self.dr_frac_extra * busy
        self.operating = self.operating * busy
        self.frac_off = self.frac_off * busy

    def stop_after_retirement(self, running: np.ndarray, shape: tuple[int, ...]) -> None:
        """Zero the flows from the retirement month on (``running`` False)."""

        def cut(x: np.ndarray | float) -> np.ndarray:
            arr = np.asarray(x)
            if arr.shape == shape and arr.flags.owndata and arr.flags.writeable:
                return np.multiply(arr, running, out=arr)  # fresh array: mask in place
            return arr * running

        self.deployed_ph, self.base_mwh, self.revenue, self.credit = map(
            cut, (self.deployed_ph, self.base_mwh, self.revenue, self.credit)
        )
        self.power_cost, self.dr_pay, self.four_cp, self.avoided = map(
            cut, (self.power_cost, self.dr_pay, self.four_cp, self.avoided)
        )
        self.cp_charge = cut(self.cp_charge)
        self.opex, self.dr_frac_extra = cut(self.opex), cut(self.dr_frac_extra)


def _monthly_flows(
    p_mw: np.ndarray,
    hp: np.ndarray,
    deployed_ph: np.ndarray,
    frac_off: np.ndarray,
    dr: _DemandResponse,
    curt: CurtailmentResult,
    contract: PowerContract,
    a: MiningAssumptions,
) -> _MonthlyFlows:
    """Revenue, energy, power cost, credits and opex of each month before any stop."""
    dr_frac_extra = dr.extra_off_share
    operating = a.uptime * (1.0 - frac_off - dr_frac_extra)
    base_mwh = p_mw * HOURS_PER_MONTH * a.uptime
    flex_mwh = base_mwh * contract.flexible_share
    revenue = deployed_ph * operating * hp * (DAYS_PER_MONTH * (1.0 - a.pool_fee))
    # Energy not drawn during DR deployments is valued at the mean of the points still running.
    dr_mwh = base_mwh * dr_frac_extra
    avoided = (
        flex_mwh * curt.avoided_cost_per_mwh_mean + dr_mwh * curt.running_avoided_cost_usd_per_mwh
    )
    credit = flex_mwh * curt.credit_per_mwh_mean + dr_mwh * curt.running_credit_usd_per_mwh
    power_cost = base_mwh * curt.base_rate_usd_per_mwh - avoided + dr.four_cp_charge_usd
    opex = p_mw * a.opex_usd_per_mw_month
    return _MonthlyFlows(
        deployed_ph=deployed_ph,
        operating=operating,
        frac_off=frac_off,
        dr_frac_extra=dr_frac_extra,
        base_mwh=base_mwh,
        revenue=revenue,
        avoided=avoided,
        credit=credit,
        dr_pay=dr.payment_usd,
        four_cp=dr.four_cp_credit_usd,
        cp_charge=dr.four_cp_charge_usd,
        power_cost=power_cost,
        opex=opex,
    )


def _months_to_next_end_of_life(
    a: MiningAssumptions, life_m: float, n_months: int, power_end: np.ndarray
) -> np.ndarray:
    """Months ``(...)`` from the horizon to the fleet's next end of life (or the power's other
    use): the first month m >= n whose total age A + m reaches the next multiple k x life past
    A + n - 1 (k >= 1), as the refresh months are marked."""
    age_n = a.start_age_months + n_months
    next_eol_age = max(np.floor((age_n - 1.0) / life_m) + 1.0, 1.0) * life_m
    next_eol_month = max(float(n_months), float(np.ceil(next_eol_age - a.start_age_months)))
    return np.clip(np.minimum(next_eol_month, power_end) - n_months, 0.0, None)


def _annuity_after_horizon(rate_per_year: float, months_left: np.ndarray) -> np.ndarray:
    """``sum_{j=1..R} v^j`` with ``v = (1 + rate)^(-1/12)``: month n is one period after the
    last month n - 1."""
    v = (1.0 + rate_per_year) ** (-1.0 / 12.0)
    return months_left if v == 1.0 else v * (1.0 - v**months_left) / (1.0 - v)


def _mining_result(
    flows: _MonthlyFlows,
    hp: np.ndarray,
    value_r: np.ndarray,
    curt: CurtailmentResult,
    contract: PowerContract,
    a: MiningAssumptions,
    running_idle_shape: tuple[np.ndarray, np.ndarray, tuple[int, ...]],
    btc_price_usd: object | None,
    p_mw: np.ndarray,
    *,
    capex: np.ndarray,
    salvage_usd: np.ndarray,
    continuation_value_usd: np.ndarray,
) -> MiningCashFlows:
    """The final flows, every field broadcast to ``shape``, with the derived ones (BTC mined,
    energy, curtailed hours and MWh, foregone revenue, cost to mine a BTC)."""
    f = flows
    running, idle, shape = running_idle_shape
    on_flex = (contract.flexible_share > 0) * (p_mw > 0) * running * ~idle
    curtailed_share = f.frac_off + f.dr_frac_extra
    energy_mwh = f.base_mwh * (1.0 - curtailed_share)
    full_revenue = f.deployed_ph * hp * (a.uptime * DAYS_PER_MONTH * (1.0 - a.pool_fee))
    if btc_price_usd is None:
        btc = np.full(shape, np.nan)
    else:
        price = _positive(btc_price_usd, "btc_price_usd")
        btc = f.revenue / price
    net_cost = f.power_cost - f.credit - f.dr_pay + f.opex
    with np.errstate(divide="ignore", invalid="ignore"):
        cost_to_mine = np.where(btc > 0, net_cost / btc, np.nan)

    def full(x: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), shape)

    return MiningCashFlows(
        deployed_hashrate_ph_s=full(f.deployed_ph),
        hashrate_ph_s=full(f.deployed_ph * f.operating),
        btc_mined=full(btc),
        revenue_usd=full(f.revenue),
        energy_mwh=full(energy_mwh),
        power_cost_usd=full(f.power_cost),
        curtailment_credit_usd=full(f.credit),
        dr_payment_usd=full(f.dr_pay),
        four_cp_credit_usd=full(f.four_cp),
        four_cp_charge_usd=full(f.cp_charge),
        opex_usd=full(f.opex),
        capex_usd=full(capex),
        curtailed_hours=full(curt.fraction_curtailed * HOURS_PER_MONTH * on_flex),
        dr_hours=full(f.dr_frac_extra * HOURS_PER_MONTH),
        curtailed_mwh=full(f.base_mwh * curtailed_share),
        foregone_revenue_usd=full(full_revenue - f.revenue),
        avoided_power_cost_usd=full(f.avoided),
        revenue_usd_per_mwh=full(value_r),
        cost_to_mine_usd_per_btc=full(cost_to_mine),
        running=np.broadcast_to(running, shape),
        salvage_usd=full(salvage_usd),
        idle=np.broadcast_to(idle & running, shape),
        continuation_value_usd=np.asarray(continuation_value_usd, dtype=float),
    )


def _salvage_usd(
    p_mw: np.ndarray,
    hp: np.ndarray,
    fleet: _FleetAge,
    running: np.ndarray,
    stop_month: np.ndarray,
    power_end: np.ndarray,
    a: MiningAssumptions,
    shape: tuple[int, ...],
) -> np.ndarray:
    """Proceeds (USD, ``shape``) of selling fleets as they leave service (see ``salvage`` in
    :func:`mining_cash_flows`): in a refresh month the outgoing fleet (the J/TH and health of the
    month before), and in the first month without mining for good (retirement, or the power's
    other use inside the horizon) the fleet that ran the month before. In month 0 that is the
    fleet in service on the valuation date (its J/TH, its health at ``start_age_months``, on
    month 0's MW), so a fleet at the end of its life now is sold in month 0, as one a month
    younger is sold in month 1."""
    health, eff_j_per_th, refresh = fleet.health, fleet.efficiency_j_per_th, fleet.refresh
    n = shape[-1]
    hp_b = np.broadcast_to(hp, shape)
    eff_prev, health_prev = _outgoing_fleet(health, eff_j_per_th, a)
    mw_b = np.broadcast_to(p_mw, shape)
    mw_prev = mw_b[..., np.r_[0, np.arange(n - 1)]]  # the month before (month 0: itself)
    th_prev = mw_prev * 1e6 / (eff_prev * a.mining_pue) * health_prev  # TH/s of the month before
    price = used_asic_sale_usd_per_th(eff_prev, hp_b)  # USD per TH/s, (..., n)
    sold_at_refresh = refresh & running
    # First month of no mining for good: retirement, or the power's other use.
    gone = np.minimum(stop_month.astype(float), np.floor(power_end))
    sold_at_end = np.arange(n) == gone[..., None]
    return np.where(sold_at_refresh | sold_at_end, th_prev * price, 0.0)


def _outgoing_fleet(
    health: np.ndarray, efficiency_j_per_th: np.ndarray, a: MiningAssumptions
) -> tuple[np.ndarray, np.ndarray]:
    """J/TH and health ``(n_months,)`` of the fleet that leaves service in each month if it is
    sold then: the month before's fleet, and in month 0 the fleet on the valuation date (the
    month-0 entries of ``health`` are already the new fleet's after a refresh in month 0)."""
    prev = np.r_[0, np.arange(health.size - 1)]
    first = np.arange(health.size) == 0
    eff = np.where(first, a.efficiency_j_per_th, efficiency_j_per_th[prev])
    age_years = a.start_age_months / 12.0
    return eff, np.where(first, (1.0 - a.degradation_per_year) ** age_years, health[prev])


def _first_retirement_month(
    margin_usd: np.ndarray,
    refresh_capex_usd: np.ndarray,
    *,
    refresh_months: np.ndarray,
    life_months: int,
    hurdle_rate_per_year: float,
    power_end_month: np.ndarray | None = None,
) -> np.ndarray:
    """First end-of-life month ``(...)`` whose refresh does not pay; ``n_months`` if none.

    A refresh in month r pays when ``PV_r = sum_{j<L} margin[r+j] v^j >= capex_r`` with
    ``v = (1 + hurdle)^(-1/12)``. All windows come from one cumulative sum of ``margin[m] v^m``
    (window difference divided by ``v^r``); months past the horizon repeat the last month's
    margin: ``margin[n-1] x sum_{j=n-r}^{J-1} v^j`` with ``J = min(L, power_end_month - r)`` (no
    margin once the power goes to another use; ``power_end_month`` ``(...)``, inf = never).
    """
    n = margin_usd.shape[-1]
    lead = margin_usd.shape[:-1]
    if refresh_months.size == 0:
        return np.full(lead, n, dtype=np.int64)
    r = refresh_months
    v = (1.0 + hurdle_rate_per_year) ** (-1.0 / 12.0)
    disc = v ** np.arange(n)
    cum = np.cumsum(margin_usd * disc, axis=-1)
    end = np.minimum(r + life_months, n)
    before = np.where(r > 0, cum[..., np.maximum(r - 1, 0)], 0.0)
    inside = (cum[..., end - 1] - before) / disc[r]

    def annuity(k: np.ndarray) -> np.ndarray:  # sum_{j<k} v^j
        return k.astype(float) if v == 1.0 else (1.0 - v**k) / (1.0 - v)

    stop = np.inf if power_end_month is None else np.asarray(power_end_month)[..., None]
    last_j = np.clip(np.minimum(life_months, stop - r), end - r, life_months)  # (..., n_refresh)
    beyond = margin_usd[..., -1:] * (annuity(last_j) - annuity(end - r))
    retire = inside + beyond < refresh_capex_usd[..., r]  # (..., n_refresh)
    return np.where(retire, r, n).min(axis=-1)


def _price_points(
    prices: object | PriceDurationCurve | None,
    contract: PowerContract,
    n_months: int,
    cal_month: np.ndarray,
) -> np.ndarray | ScaledPricePoints:
    """The price-duration points ``(..., n_months, K)`` (or ``(K,)``) sorted ascending; scaled
    points (a curve times a level) as they are."""
    if prices is None:
        return np.array([contract.price_usd_per_mwh], dtype=float)
    if isinstance(prices, PriceDurationCurve):
        return prices.prices_usd_per_mwh[cal_month]
    if isinstance(prices, ScaledPricePoints):
        if prices.n_months != n_months:
            raise MiningError(f"prices has {prices.n_months} months of points; expected {n_months}")
        return prices
    pts = as_float_array(prices, "prices", MiningError)
    require(
        pts, np.isfinite(pts), "prices", "price-duration points must be finite $/MWh", MiningError
    )
    if pts.ndim == 0:
        raise MiningError(
            "prices must have a points axis: shape (n_points,) or (..., n_months, n_points)"
        )
    if pts.ndim >= 2 and pts.shape[-2] != n_months:
        raise MiningError(f"prices has shape {pts.shape}; expected (..., {n_months}, n_points)")
    if (pts[..., 1:] >= pts[..., :-1]).all():  # already ascending (a scaled curve): as is
        return pts
    return np.sort(pts, axis=-1)


# --- per-MW monthly economics, shared by stop rules ----------------------------------------------


@dataclass(frozen=True)
class MiningMonthEconomics:
    """One gross MW of mining, month by month, before any stop decision (no retirement, no power
    going to another use, no demand-response programs): the flows :func:`mining_cash_flows`
    computes for ``power_mw=1`` and ``programs=()`` up to its refresh-or-retire step. Money in
    USD per MW per month, arrays ``(..., n_months)`` unless noted.
    """

    revenue_usd: np.ndarray  # revenue net of pool fee + curtailment credit; 0 while idle
    cost_usd: np.ndarray  # power cost (after costs avoided by curtailing) + opex; 0 while idle
    # revenue - cost before idling, floored at 0 under economic shutdown: the refresh test's
    # and the continuation value's margin
    margin_usd: np.ndarray
    idle: np.ndarray  # bool: the month's margin was negative under economic shutdown
    refresh: np.ndarray  # bool (n_months,): the fleet reaches its life (a refresh-or-retire month)
    health: np.ndarray  # (n_months,): hashrate share left after degradation
    efficiency_j_per_th: np.ndarray  # (n_months,): J/TH of the machines in service
    life_months: float  # fleet life in months
    refresh_capex_usd: float  # the new fleet's cost per MW (TH/s bought x $/TH)


def mining_month_economics(
    hashprice_usd_per_ph_day: np.ndarray,
    *,
    assumptions: MiningAssumptions,
    contract: PowerContract,
    prices: object | PriceDurationCurve | None,
    start: date | None,
    economic_shutdown: bool,
) -> MiningMonthEconomics:
    """Per-MW monthly economics of :func:`mining_cash_flows` (same formulas and arguments, one
    gross MW, no programs) before its stop decisions, for callers that apply their own stop
    months to many power profiles at once (``valuation.mining_profiles``): each operation runs
    once on ``(..., n_months)`` instead of once per profile.
    """
    hp = as_float_array(hashprice_usd_per_ph_day, "hashprice_usd_per_ph_day", MiningError)
    require(hp, np.isfinite(hp), "hashprice_usd_per_ph_day", "must be finite", MiningError)
    if hp.ndim == 0:
        raise MiningError("hashprice_usd_per_ph_day must have a months axis: shape (..., n_months)")
    n_months = hp.shape[-1]
    a = assumptions
    month_idx = np.arange(n_months)
    start = start or DEFAULT_MARKET.as_of
    cal_month = (start.month - 1 + month_idx) % 12  # 0 = January
    # Fleet age, refreshes, degradation and J/TH exactly as in mining_cash_flows.
    life_m, refresh, health, eff_j_per_th = _fleet_age(a, n_months)
    p_mw = 1.0
    deployed_ph = p_mw * (1_000.0 / (eff_j_per_th * a.mining_pue)) * health
    value_r = (
        hp
        * (1.0 - a.pool_fee)
        * health
        / (MWH_PER_PH_DAY_PER_J_PER_TH * eff_j_per_th * a.mining_pue)
    )
    pdc = _price_points(prices, contract, n_months, cal_month)
    curt = economic_curtailment(value_r, pdc, contract)
    frac_off = contract.flexible_share * curt.fraction_curtailed
    operating = a.uptime * (1.0 - frac_off)  # no DR deployments
    base_mwh = p_mw * HOURS_PER_MONTH * a.uptime
    flex_mwh = base_mwh * contract.flexible_share
    revenue = deployed_ph * operating * hp * (DAYS_PER_MONTH * (1.0 - a.pool_fee))
    avoided = flex_mwh * curt.avoided_cost_per_mwh_mean
    credit = flex_mwh * curt.credit_per_mwh_mean
    power_cost = base_mwh * curt.base_rate_usd_per_mwh - avoided
    opex = p_mw * a.opex_usd_per_mw_month
    refresh_capex = p_mw * 1e6 / (a.refresh_efficiency_j_per_th * a.mining_pue)
    margin = revenue + credit - power_cost - opex
    idle = np.zeros(margin.shape, dtype=bool)
    if economic_shutdown:
        idle = margin < 0.0
        margin = np.maximum(margin, 0.0)
        busy = ~idle
        revenue, credit, power_cost, opex = (x * busy for x in (revenue, credit, power_cost, opex))
    return MiningMonthEconomics(
        revenue_usd=np.asarray(revenue + credit, dtype=float),
        cost_usd=np.asarray(power_cost + opex, dtype=float),
        margin_usd=np.asarray(margin, dtype=float),
        idle=idle,
        refresh=refresh,
        health=health,
        efficiency_j_per_th=eff_j_per_th,
        life_months=float(life_m),
        refresh_capex_usd=float(refresh_capex * a.refresh_cost_usd_per_th),
    )
