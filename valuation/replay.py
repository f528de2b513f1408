"""Replay of dated price history: what a site's flexibility earned, month by month.

``replay`` takes a dated price series (5-, 15-, 30- or 60-minute, calendar hours: August has
744), a site's contract, MW, fleet efficiency and hashprice, and the grid programs it was in.
Interval by interval (``valuation.power.curtailment_by_month``) the flexible share stops when not
consuming is worth more than mining: it saves the energy it would have paid for (index
contracts), resells pre-purchased energy at the hub price (fixed contracts with resale rights) and
forgoes the mining revenue. Programs pay on calendar hours (see ``program_payments_by_month``).

``hourly_from_daily`` rebuilds an hourly month from daily mean/high/low statistics (used for the
Riot Rockdale August 2023 worked example, docs/replay_rockdale_2023.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from valuation.market import HOURS_PER_MONTH, MiningInputError
from valuation.mining import MWH_PER_PH_DAY_PER_J_PER_TH
from valuation.power import (
    DATA_DIR,
    DemandResponseProgram,
    PowerContract,
    PriceSeries,
    curtailment_by_month,
)

ROCKDALE_DAILY_FILE = DATA_DIR / "ercot_hub_daily_2023-08.csv"
REPLAY_COLUMNS: tuple[str, ...] = (
    "hours",
    "mean_price_usd_per_mwh",
    "hours_curtailed",
    "mwh_not_consumed",
    "avoided_energy_cost_usd",
    "resale_credits_usd",
    "program_payments_usd",
    "mining_revenue_forgone_usd",
    "net_benefit_usd",
)


def mining_value_usd_per_mwh(
    hashprice_usd_per_ph_day: float,
    efficiency_j_per_th: float,
    *,
    pool_fee: float = 0.0,
    mining_pue: float = 1.0,
) -> float:
    """Mining revenue per MWh at the meter: hashprice x (1 - fee) / (0.024 MWh per PH-day per J/TH
    x efficiency x PUE). Hand check: $68/PH/day at 28 J/TH -> 68 / 0.672 = $101.19/MWh."""
    for name, value, low in (("hashprice_usd_per_ph_day", hashprice_usd_per_ph_day, 0.0),
                             ("efficiency_j_per_th", efficiency_j_per_th, 1e-9),
                             ("mining_pue", mining_pue, 1.0)):  # fmt: skip
        if not (np.isfinite(value) and value >= low):
            raise MiningInputError(f"{name}={value!r} is not allowed; must be >= {low:g}")
    if not (np.isfinite(pool_fee) and 0 <= pool_fee < 1):
        raise MiningInputError(f"pool_fee={pool_fee!r} is not allowed; must be in [0, 1)")
    return (
        hashprice_usd_per_ph_day
        * (1.0 - pool_fee)
        / (MWH_PER_PH_DAY_PER_J_PER_TH * efficiency_j_per_th * mining_pue)
    )


def program_payments_by_month(
    hours: pd.Series,
    hours_curtailed: pd.Series,
    programs: tuple[DemandResponseProgram, ...],
    power_mw: float,
) -> pd.Series:
    """Program payments per calendar month, $ (index: the months of ``hours``).

    Per program, on the month's calendar hours ``h`` (those the series holds):
    capacity ``rate_usd_per_mw_hour x committed x MW x h`` in active months, times the running
    share ``1 - hours_curtailed / h`` when paid only while consuming; yearly credits and
    coincident-peak avoidance ``(annual credit + charge_usd_per_kw_year x 1,000 x catch rate) x
    committed x MW x h / 8,766`` (pro rata on hours, all months, as the forward model spreads them
    over twelve). Deployments are taken to fall inside hours already curtailed for price.
    """
    months = np.asarray([p.month for p in hours.index])
    h = hours.to_numpy(dtype=float)
    running = 1.0 - np.divide(
        hours_curtailed.to_numpy(dtype=float), h, out=np.zeros_like(h), where=h > 0
    )
    total = np.zeros_like(h)
    year_hours = HOURS_PER_MONTH * 12.0
    for prog in programs:  # a handful of programs
        active = np.isin(months, prog.months_active)
        share = running if prog.paid_only_while_running else 1.0
        total += (
            active
            * prog.capacity_payment_usd_per_mw_hour
            * prog.committed_share
            * power_mw
            * h
            * share
        )
        yearly = (
            prog.annual_credit_usd_per_mw_year
            + prog.transmission_charge_usd_per_kw_year * 1_000.0 * prog.peak_catch_rate
        )
        total += yearly * prog.committed_share * power_mw * h / year_hours
    return pd.Series(total, index=hours.index, name="program_payments_usd")


def replay(
    series: PriceSeries,
    contract: PowerContract,
    power_mw: float,
    efficiency_j_per_th: float,
    hashprice_usd_per_ph_day: float,
    *,
    programs: tuple[DemandResponseProgram, ...] = (),
    pool_fee: float = 0.0,
    mining_pue: float = 1.0,
) -> pd.DataFrame:
    """Monthly table of what the site's flexibility earned over a dated price series.

    Columns (``REPLAY_COLUMNS``): hours (calendar hours present), mean_price_usd_per_mwh,
    hours_curtailed (hours the flexible share was off), mwh_not_consumed, avoided_energy_cost_usd
    (index/tariff energy and wires not bought), resale_credits_usd (fixed contract with resale
    rights: energy resold at the hub price less the fee; 0 where the contract allows no resale),
    program_payments_usd, mining_revenue_forgone_usd, net_benefit_usd = avoided + resale +
    programs - forgone. Index: calendar month (period).
    """
    r = mining_value_usd_per_mwh(
        hashprice_usd_per_ph_day, efficiency_j_per_th, pool_fee=pool_fee, mining_pue=mining_pue
    )
    base = curtailment_by_month(series, r, contract, power_mw)
    pay = program_payments_by_month(base["hours"], base["curtailed_hours"], programs, power_mw)
    out = pd.DataFrame(
        {
            "hours": base["hours"],
            "mean_price_usd_per_mwh": base["mean_price_usd_per_mwh"],
            "hours_curtailed": base["curtailed_hours"],
            "mwh_not_consumed": base["curtailed_mwh"],
            "avoided_energy_cost_usd": base["avoided_cost_usd"],
            "resale_credits_usd": base["credit_usd"],
            "program_payments_usd": pay,
            "mining_revenue_forgone_usd": base["foregone_revenue_usd"],
        }
    )
    out["net_benefit_usd"] = (
        out["avoided_energy_cost_usd"]
        + out["resale_credits_usd"]
        + out["program_payments_usd"]
        - out["mining_revenue_forgone_usd"]
    )
    return out[list(REPLAY_COLUMNS)]


# --- rebuilding hours from daily statistics --------------------------------------------------------


def hourly_from_daily(
    days: pd.DatetimeIndex,
    mean_usd_per_mwh: np.ndarray,
    high_usd_per_mwh: np.ndarray,
    low_usd_per_mwh: np.ndarray,
    *,
    hub: str = "",
    source: str = "",
) -> PriceSeries:
    """An hourly series whose every day has the given mean, highest and lowest price.

    Each day's 24 hours, sorted, follow ``low + (high - low) x x^a`` with ``x`` running 1 -> 0
    in 24 equal steps, ``a`` solved (bisection in log space, vectorised over days) so the day's mean
    is matched: one high hour, one low hour and a convex duration curve between. Where a whole
    hour at the high would exceed the day's mean, the top hour is lowered to
    ``low + 0.95 x 24 x (mean - low)``. The source's
    high and low are 15-minute extremes, so a whole hour at the high overstates the spike tail
    (an upper bound on what curtailing the top hours earns). Hours are laid out highest at 17 h
    and descending away from it (the order does not change a monthly replay).
    """
    mean = np.asarray(mean_usd_per_mwh, dtype=float)
    high = np.asarray(high_usd_per_mwh, dtype=float)
    low = np.asarray(low_usd_per_mwh, dtype=float)
    if not (mean.shape == high.shape == low.shape == (len(days),)):
        raise MiningInputError("daily mean, high and low must each have one value per day")
    if not (np.all(low <= mean) and np.all(mean <= high)):
        bad = int(np.argmax(~((low <= mean) & (mean <= high))))
        raise MiningInputError(
            f"day {days[bad].date()}: mean {mean[bad]} must lie between low {low[bad]} and high {high[bad]}"
        )
    x = np.linspace(1.0, 0.0, 24)
    # One whole hour at a 15-minute high can exceed what the day's mean allows (the spike lasted
    # under an hour): lower the top hour to 95% of the level that alone would give the mean.
    high = np.minimum(high, low + 0.95 * 24.0 * (mean - low))
    span = high - low
    target = np.divide(mean - low, span, out=np.full_like(mean, 0.5), where=span > 0)
    lo_a, hi_a = np.full_like(mean, -20.0), np.full_like(mean, 20.0)  # a = exp(.)
    for _ in range(100):
        mid = 0.5 * (lo_a + hi_a)
        g = (x[None, :] ** np.exp(mid)[:, None]).mean(axis=1)
        lo_a, hi_a = np.where(g > target, mid, lo_a), np.where(g > target, hi_a, mid)
    sorted_desc = low[:, None] + span[:, None] * x[None, :] ** np.exp(0.5 * (lo_a + hi_a))[:, None]
    order = np.argsort(
        np.abs(np.arange(24) - 17), kind="stable"
    )  # hour slots by distance from 17 h
    day = np.empty_like(sorted_desc)
    day[:, order] = sorted_desc
    hours = pd.DatetimeIndex(
        (days.values[:, None] + np.arange(24)[None, :] * np.timedelta64(1, "h")).ravel()
    )
    return PriceSeries(hours, day.ravel(), 1.0, hub=hub, source=source)


def load_daily_statistics(path: Path = ROCKDALE_DAILY_FILE) -> pd.DataFrame:
    """The bundled daily statistics file (``#`` comment lines, then date, mean, high, low)."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame["date"] = pd.to_datetime(frame["date"])
    for c in ("mean_usd_per_mwh", "high_usd_per_mwh", "low_usd_per_mwh"):
        frame[c] = frame[c].astype(float)
    return frame


# --- the worked example: Riot Rockdale, August 2023 -------------------------------------------------


@dataclass(frozen=True)
class RockdaleInputs:
    """Inputs of the Rockdale August 2023 reconstruction (docs/replay_rockdale_2023.md).

    fixed_mw: 345 MW of fixed-price power under the Rockdale PPA, with the right to resell it
        (Riot 10-Q, Q3 2023, Note 8; sec.gov R14.htm).
    fixed_price_usd_per_mwh: not disclosed; $25/MWh is an assumption (Riot's all-in Rockdale power
        cost was 1.6 c/kWh in July 2023 after credits: Riot July 2024 update, plebbase.com).
    flexible_share: 0.95 ("curtailed its power usage by over 95% during peak demand", The Block
        2023-09-06).
    hashprice_usd_per_ph_day: about $68 (Hashrate Index: $72 on 2023-07-23, "dropped below
        $70/PH/day" in August, September average $61.71); an estimate.
    efficiency_j_per_th: 28 J/TH, an assumption (fleet of S19j Pro+/XP class machines: 10.7 EH/s
        from 95,904 miners, 112 TH each; Riot July 2023 update, stocktitan.net).
    committed_mw, ancillary_usd_per_mw_hour: ERCOT ancillary services: 100 MW committed is an
        assumption; $76.77/MW-h is ERCOT ECRS's 2023 average price (IMM 2024 State of the Market
        via RTO Insider, valuation/power.py), not an August figure.
    """

    fixed_mw: float = 345.0
    fixed_price_usd_per_mwh: float = 25.0
    flexible_share: float = 0.95
    hashprice_usd_per_ph_day: float = 68.0
    efficiency_j_per_th: float = 28.0
    committed_mw: float = 100.0
    ancillary_usd_per_mw_hour: float = 76.77
    reported_power_credits_usd: float = 24.2e6  # Riot 2023-09-06 release (btc-newswire, forklog)
    reported_dr_credits_usd: float = 7.4e6
    reported_total_usd: float = 31.7e6  # The Block 2023-09-06
    restated_power_credits_usd: float = 23.3e6  # Riot August 2024 update, August 2023 column
    restated_dr_credits_usd: float = 5.2e6


def rockdale_august_2023(inputs: RockdaleInputs = RockdaleInputs()) -> pd.DataFrame:
    """The Rockdale August 2023 replay on hours rebuilt from public ERCOT daily statistics."""
    daily = load_daily_statistics()
    series = hourly_from_daily(
        pd.DatetimeIndex(daily["date"]),
        daily["mean_usd_per_mwh"].to_numpy(),
        daily["high_usd_per_mwh"].to_numpy(),
        daily["low_usd_per_mwh"].to_numpy(),
        hub="ERCOT hub average (rebuilt hourly)",
        source=str(ROCKDALE_DAILY_FILE.name),
    )
    contract = PowerContract(
        contract_type="fixed_ppa",
        price_usd_per_mwh=inputs.fixed_price_usd_per_mwh,
        resale_rights=True,
        flexible_share=inputs.flexible_share,
        contracted_mw=inputs.fixed_mw,
    )
    ancillary = DemandResponseProgram(
        name="ERCOT ancillary services (ECRS/RRS), August 2023",
        capacity_payment_usd_per_mw_hour=inputs.ancillary_usd_per_mw_hour,
        committed_share=inputs.committed_mw / inputs.fixed_mw,
        paid_only_while_running=False,
        source="RockdaleInputs",
    )
    return replay(
        series,
        contract,
        inputs.fixed_mw,
        inputs.efficiency_j_per_th,
        inputs.hashprice_usd_per_ph_day,
        programs=(ancillary,),
    )
