"""Tornado, spider lines and break-evens of the value of converting, on one set of data.

The value of converting is ``compare``'s: the best converting NPV minus the best NPV that does
not convert (``valuation.decision.gap_usd``), valued on the rows the base case chose (keep
mining, the DR partnership, the sale, convert, the best hybrid, the best later start), exactly
as ``compare``'s reasons and break-evens are. Each driver moves alone, the others at the
scenario's values; variants are batched (rent and capex rows share one mining valuation; BTC and
hashprice rows go in one call; BTC variants go through ``hashprice_path`` so the network
responds and the floor holds). Break-evens are ``compare``'s (``Decision.breakevens``), so a
tornado bar that moves a driver toward its break-even narrows the gap toward zero.

Tornado ranges (assumptions of the chart, stated with it): lease rate x0.8 / x1.2, retrofit capex
x0.8 / x1.3 (skewed up like the capex overrun presets, ``valuation.drivers``), BTC price x0.7 /
x1.3, hashprice x0.8 / x1.2,
the region's power price level x0.7 / x1.3 (contracts priced on the curve), signing probability
-0.2 / +0.2, construction delay +0 / +12 months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from valuation.decision import (
    Breakevens,
    _btc_paths,
    _decision_rows,
    _Ranking,
    compare,
    gap_usd,
)
from valuation.risk import _blocks
from valuation.scenario import Scenario
from valuation.strategies import SiteModel, build_site_model, evaluate, mining_blocks, on_rows

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from sites.schema import Site
    from valuation.power import PriceSeries

__all__ = ["SPIDER_FACTORS", "TORNADO_RANGES", "Sensitivity", "sensitivity"]

# driver -> (low, high) multipliers (additive for signing probability and delay months)
TORNADO_RANGES: dict[str, tuple[float, float]] = {
    "lease_rate": (0.8, 1.2),
    "capex": (0.8, 1.3),
    "btc_price": (0.7, 1.3),
    "hashprice": (0.8, 1.2),
    "power_price": (0.7, 1.3),
    "signing_probability": (-0.2, 0.2),
    "construction_delay": (0.0, 12.0),
}
SPIDER_FACTORS = np.array([0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5])
_LABELS = {
    "lease_rate": ("Lease rate", "USD/kW-month"),
    "capex": ("Retrofit capex", "USD per critical IT MW"),
    "btc_price": ("BTC price today", "USD"),
    "hashprice": ("Hashprice (month 0)", "USD/PH/day"),
    "power_price": ("Power price level", "x region curve"),
    "signing_probability": ("Tenant signing probability", "probability"),
    "construction_delay": ("Construction delay", "months"),
}


@dataclass(frozen=True)
class Sensitivity:
    """``tornado``: one row per driver (sorted by swing, widest first): label, unit, base, low
    and high values, the value of converting's change at each (USD), the break-even (nan where
    none), ``swing_usd`` and ``toward_breakeven_narrows`` (the bar at the end toward the
    break-even narrows the gap; None without a break-even). ``spider``: driver, factor (x base), value, ``gap_usd``.
    ``gap_base_usd``: the base value of converting; ``scenario_name`` names the scenario."""

    site_id: str
    scenario_name: str
    gap_base_usd: float
    tornado: pd.DataFrame
    spider: pd.DataFrame
    breakevens: Breakevens


def _gaps(model: SiteModel, **kw: object) -> np.ndarray:
    return np.atleast_1d(gap_usd(model, evaluate(model, **kw).npv_usd))  # type: ignore[arg-type]


def _power_gaps(model: SiteModel, factors: np.ndarray) -> np.ndarray:
    """Gaps with the region curve scaled by each factor (tariff sites: no curve, no change)."""
    k = factors.size
    hp = np.broadcast_to(model.hashprice.hashprice_usd_per_ph_day, (k, model.n_months))
    scale = np.broadcast_to(factors[:, None], (k, model.n_months))
    blocks = _blocks(model, np.ascontiguousarray(hp), np.ascontiguousarray(scale))
    lease = np.full(k, model.lease_rate_usd_per_kw_month)
    return _gaps(model, lease_rate_usd_per_kw_month=lease, blocks=blocks)


# Mining blocks per gross MW and the DR row (``valuation.strategies.mining_blocks``).
_Blocks = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class _Moved:
    """One driver moved alone: its base value, its tornado low and high values (2,) and the
    value of converting at each (2,), USD; its break-even (nan where none); and the value of
    converting at each of ``SPIDER_FACTORS`` x base (None for drivers without spider lines)."""

    key: str
    base: float
    values: np.ndarray
    gaps_usd: np.ndarray
    breakeven: float
    spider_gaps_usd: np.ndarray | None = None


def sensitivity(
    site: Site,
    scenario: Scenario | None = None,
    *,
    scenario_name: str = "base",
    price_history: PriceSeries | None = None,
) -> Sensitivity:
    """Tornado, spider and break-evens of ``site``'s value of converting under ``scenario``, on
    the site's ``price_history`` in the months it covers (as ``compare``)."""
    scenario = scenario or Scenario()
    decision = compare(site, scenario, price_history=price_history)
    model = build_site_model(site, scenario, decision.retrofit, price_history=price_history)
    rank = _Ranking.of(model, evaluate(model).npv_usd)
    sub = _decision_rows(model, rank)
    blocks = mining_blocks(sub)
    gap0 = float(_gaps(sub, blocks=blocks)[0])
    be = decision.breakevens
    moved = [
        *_rent_and_capex(sub, blocks, be),
        *_btc_and_hashprice(sub, scenario.market.btc_price_usd, be),
        _power_price(sub),
        _signing_probability(sub, blocks),
        _construction_delay(site, scenario, decision.retrofit, model, rank, blocks, price_history),
    ]
    return Sensitivity(
        site_id=site.id,
        scenario_name=scenario_name,
        gap_base_usd=gap0,
        tornado=_tornado(moved, gap0),
        spider=_spider(moved),
        breakevens=be,
    )


def _rent_and_capex(sub: SiteModel, blocks: _Blocks, be: Breakevens) -> tuple[_Moved, _Moved]:
    """Lease rate and retrofit capex, in one call on the base mining."""
    rate = sub.lease_rate_usd_per_kw_month
    lease_f = np.r_[TORNADO_RANGES["lease_rate"], SPIDER_FACTORS]
    capex_f = np.r_[TORNADO_RANGES["capex"], SPIDER_FACTORS]
    n_l, n_c = lease_f.size, capex_f.size
    g_rc = _gaps(
        sub,
        lease_rate_usd_per_kw_month=np.r_[rate * lease_f, np.full(n_c, rate)],
        capex_scale=np.r_[np.ones(n_l), capex_f],
        blocks=blocks,
    )
    g_lease, g_capex = g_rc[:n_l], g_rc[n_l:]
    capex_mw = sub.capex_usd_per_critical_mw
    return (
        _Moved("lease_rate", rate, rate * lease_f[:2], g_lease[:2],
               be.lease_rate_usd_per_kw_month, g_lease[2:]),
        _Moved("capex", capex_mw, capex_mw * capex_f[:2], g_capex[:2], be.max_capex_usd_per_mw,
               g_capex[2:]),
    )  # fmt: skip


def _btc_and_hashprice(sub: SiteModel, btc0: float, be: Breakevens) -> tuple[_Moved, _Moved]:
    """BTC price today (through ``hashprice_path``) and hashprice, in one call."""
    btc_f = np.r_[TORNADO_RANGES["btc_price"], SPIDER_FACTORS]
    hp_f = np.r_[TORNADO_RANGES["hashprice"], SPIDER_FACTORS]
    hp0 = sub.hashprice.hashprice_usd_per_ph_day
    hp_rows = np.vstack([_btc_paths(sub, btc_f), hp0 * hp_f[:, None]])
    g_m = _gaps(sub, hashprice_usd_per_ph_day=hp_rows)
    g_btc, g_hp = g_m[: btc_f.size], g_m[btc_f.size :]
    return (
        _Moved("btc_price", btc0, btc0 * btc_f[:2], g_btc[:2], be.btc_price_usd, g_btc[2:]),
        _Moved("hashprice", hp0[0], hp0[0] * hp_f[:2], g_hp[:2], be.hashprice_usd_per_ph_day,
               g_hp[2:]),
    )  # fmt: skip


def _power_price(sub: SiteModel) -> _Moved:
    """The region's power price level (x the curve; no break-even)."""
    power_f = np.r_[TORNADO_RANGES["power_price"], SPIDER_FACTORS]
    g_power = _power_gaps(sub, power_f)
    return _Moved("power_price", 1.0, power_f[:2], g_power[:2], math.nan, g_power[2:])


def _signing_probability(sub: SiteModel, blocks: _Blocks) -> _Moved:
    """The tenant signing probability moved by the tornado's steps, kept in [0, 1]."""
    p0 = sub.signing_probability
    p_lo, p_hi = (min(1.0, max(0.0, p0 + d)) for d in TORNADO_RANGES["signing_probability"])
    g_p = np.array([float(_gaps(sub, blocks=blocks, signing_probability=p)[0])
                    for p in (p_lo, p_hi)])  # fmt: skip
    return _Moved("signing_probability", p0, np.array([p_lo, p_hi]), g_p, math.nan)


def _construction_delay(
    site: Site,
    scenario: Scenario,
    retrofit: RetrofitEstimate | None,
    model: SiteModel,
    rank: _Ranking,
    blocks: _Blocks,
    price_history: PriceSeries | None,
) -> _Moved:
    """The construction delay lengthened by the tornado's months (each a rebuilt model)."""
    d0 = scenario.construction_delay_months
    delays = [d0 + int(d) for d in TORNADO_RANGES["construction_delay"]]
    g_d = []
    for d in delays:
        m_d = build_site_model(site, replace(scenario, construction_delay_months=d), retrofit,
                               price_history=price_history)  # fmt: skip
        sub_d = on_rows(m_d, _rows(model, rank))
        g_d.append(float(_gaps(sub_d, blocks=blocks)[0]))
    return _Moved("construction_delay", float(d0), np.array(delays, float), np.array(g_d), math.nan)


# A driver whose low and high values both move the value of converting by less than this is
# said to have no effect (a site on a fixed tariff has no power price curve to move).
_NO_EFFECT_USD = 1.0


def _tornado(moved: list[_Moved], gap0: float) -> pd.DataFrame:
    """One row per driver, widest swing first (``Sensitivity.tornado``)."""
    records = []
    for m in moved:
        label, unit = _LABELS[m.key]
        change = np.asarray(m.gaps_usd, float) - gap0
        # The bar at the end toward the break-even: does it narrow the gap (sign opposite the
        # base gap)? True for drivers monotone in between (rent, capex); a driver whose effect
        # turns (hashprice when the sale is the best path that does not convert: more mining
        # value first lifts the converting rows' own mining) can point the other way locally.
        toward = 1 if m.breakeven > m.base else 0
        agrees = bool(change[toward] * gap0 < 0) if math.isfinite(m.breakeven) else None
        if np.all(np.abs(change) < _NO_EFFECT_USD):  # an empty bar would read as "no risk"
            label = f"{label} (no effect on this site)"
        records.append({
            "driver": m.key, "label": label, "unit": unit, "base_value": float(m.base),
            "low_value": float(m.values[0]), "high_value": float(m.values[1]),
            "low_change_usd": float(change[0]), "high_change_usd": float(change[1]),
            "breakeven_value": float(m.breakeven),
            "swing_usd": float(abs(change[1] - change[0])),
            "toward_breakeven_narrows": agrees,
        })  # fmt: skip
    tornado = pd.DataFrame(records).sort_values("swing_usd", ascending=False, kind="stable")
    return tornado.reset_index(drop=True)


def _spider(moved: list[_Moved]) -> pd.DataFrame:
    """The value of converting at each spider factor of each driver that has spider lines."""
    f = SPIDER_FACTORS
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "driver": m.key,
                    "label": _LABELS[m.key][0],
                    "factor": f,
                    "value": m.base * f,
                    "gap_usd": m.spider_gaps_usd,
                }
            )  # fmt: skip
            for m in moved
            if m.spider_gaps_usd is not None
        ],
        ignore_index=True,
    )


def _rows(model: SiteModel, rank: _Ranking) -> np.ndarray:
    plan = model.plan
    return np.array(sorted({plan.keep_row, plan.dr_row, plan.sale_row,
                            *rank.converting_row_of.values()}))  # fmt: skip
