"""The site decision: each strategy's cash flows and metrics, the winner, by how much and why.

``compare(site, scenario)`` values keep mining, mining with a DR partnership, convert and the best
hybrid (whole halls) on the monthly grid through the finance engine; the value of converting is the
convert NPV minus the best mining NPV. Reasons say how much each driver moves the gap when it
goes to a neutral value. Every market variant (no halvings, no network growth, BTC +10%, the BTC
break-even) is built with the model's own equilibrium floor (``valuation.mining.hashprice_path``:
network hashrate stops where USD hashprice meets the marginal miner's cash cost), so a variant
never pushes hashprice below a floor the base case respects. Break-evens: the gap is known at a
few points of each driver (lease rate 0, scenario, 4x; capex 0, 1x, 5x; hashprice path 0..20x;
BTC price 0.5..32x), all valued with the reasons' variants as extra rows of one batched
evaluation of the three end rows (keep mining, convert, DR); the first sign change brackets the
root, which regula falsi (Illinois) refines in batched steps. Before tax NPV is linear in the
lease rate and in capex, so those two usually close on the first step.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from valuation.errors import DecisionError, ValuationError
from valuation.finance import CashFlowSummary, monthly_rate, summarize_rows
from valuation.formatting import usd
from valuation.market import MarketState
from valuation.mining import HashpricePath, hashprice_path, hashprice_usd_per_ph_day
from valuation.power import economic_curtailment
from valuation.scenario import Scenario
from valuation.strategies import (
    STRATEGY_LABELS,
    SiteModel,
    build_site_model,
    evaluate,
    evaluate_ends,
    mining_blocks,
    row_index,
)

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from sites.schema import Site

MONTHLY_COLUMNS = (
    "revenue_usd", "opex_usd", "ebitda_usd", "capex_usd", "depreciation_usd", "interest_usd",
    "tax_usd", "terminal_value_usd", "unlevered_fcf_usd", "levered_fcf_usd",
)  # fmt: skip


@dataclass(frozen=True)
class StrategyResult:
    """One strategy: monthly cash flows (DataFrame, USD, index month) and its summary metrics."""

    key: str
    label: str
    monthly: pd.DataFrame
    summary: CashFlowSummary


@dataclass(frozen=True)
class Reason:
    """One driver of the gap between converting and mining, in plain words, and its USD impact
    (positive: favours converting)."""

    text: str
    impact_usd: float


@dataclass(frozen=True)
class Breakevens:
    """Values at which converting and the best mining path are worth the same (nan where none in
    the searched range).

    * ``lease_rate_usd_per_kw_month``: year-1 rent, USD per critical IT kW-month.
    * ``hashprice_usd_per_ph_day``: month-0 hashprice of the model's whole hashprice path (its
      floor included) scaled by one factor; a what-if on hashprice itself, with no market behind
      it (the floor is scaled too).
    * ``btc_price_usd``: BTC price on the market's as-of date (``MarketState.btc_price_usd``;
      the path keeps the scenario's growth rate). Network hashrate responds as
      ``valuation.mining.hashprice_path`` says: it grows as assumed but stops where hashprice
      meets the floor, so a lower price cannot take hashprice below the floor and nan means no
      BTC price up to 32x today's closes the gap.
    * ``max_capex_usd_per_mw``: the highest retrofit capex per critical IT MW at which
      converting still wins.
    """

    lease_rate_usd_per_kw_month: float
    hashprice_usd_per_ph_day: float
    btc_price_usd: float
    max_capex_usd_per_mw: float


@dataclass(frozen=True)
class Decision:
    """Everything the app shows for one site under one scenario."""

    site_id: str
    strategies: dict[str, StrategyResult]
    best_strategy: str
    value_of_converting_usd: float
    recommendation: str
    reasons: list[Reason]
    breakevens: Breakevens
    hybrid_grid: pd.DataFrame
    best_hybrid_share: float
    # The incremental flows of converting over the best mining path: its NPV is
    # value_of_converting_usd; its IRR is the return on the capital the conversion adds.
    conversion: CashFlowSummary
    retrofit: RetrofitEstimate
    waterfall: pd.DataFrame
    scenario: Scenario


def _gap(npv_rows: np.ndarray, h: int) -> np.ndarray:
    """Convert NPV minus the best mining NPV, over any leading axes of ``(..., H + 2)``."""
    return npv_rows[..., h] - np.maximum(npv_rows[..., 0], npv_rows[..., h + 1])


def _first_bracket(x: np.ndarray, g: np.ndarray) -> tuple[float, float, float, float] | float:
    """First sign change of ``g`` over sorted points ``x``: the bracketing cell ``(lo, hi, glo,
    ghi)``, or the point itself where ``g`` is exactly 0 there, or nan when ``g`` keeps one sign."""
    order = np.argsort(x, kind="stable")
    x, g = x[order], g[order]
    if g[0] == 0.0:
        return float(x[0])
    change = np.nonzero(np.sign(g[:-1]) != np.sign(g[1:]))[0]
    if change.size == 0:
        return math.nan
    i = int(change[0])
    if g[i + 1] == 0.0:
        return float(x[i + 1])
    return float(x[i]), float(x[i + 1]), float(g[i]), float(g[i + 1])


def _refine(
    brackets: dict[str, tuple[float, float, float, float] | float],
    gap_at: Callable[[dict[str, float]], dict[str, float]],
    tol_usd: float,
    max_steps: int = 12,
) -> dict[str, float]:
    """Roots inside each bracket by regula falsi with the Illinois rule (halve the retained end's
    gap when one end stays twice), all drivers' trial points valued in one batch per step; stops
    when |gap| <= ``tol_usd`` or the bracket is at floating-point width."""
    roots = {k: v for k, v in brackets.items() if isinstance(v, float)}
    state = {k: [*v, 0] for k, v in brackets.items() if not isinstance(v, float)}
    for _ in range(max_steps):
        if not state:
            break
        trial = {
            k: lo + (hi - lo) * glo / (glo - ghi) for k, (lo, hi, glo, ghi, _) in state.items()
        }
        got = gap_at(trial)
        for k, x in trial.items():
            lo, hi, glo, ghi, side = state[k]
            g = got[k]
            if abs(g) <= tol_usd or hi - lo <= 4e-16 * max(abs(lo), abs(hi), 1.0):
                roots[k] = x
                del state[k]
            elif np.sign(g) == np.sign(glo):
                state[k] = [x, hi, g, ghi * 0.5 if side == -1 else ghi, -1]
            else:
                state[k] = [lo, x, glo * 0.5 if side == 1 else glo, g, 1]
    for k, (lo, hi, glo, ghi, _) in state.items():
        roots[k] = lo + (hi - lo) * glo / (glo - ghi)
    return roots


def _monthly_frame(flows: dict[str, np.ndarray], row: int, n: int) -> pd.DataFrame:
    # One 2-D float block: far cheaper than a frame built column by column.
    values = np.stack([flows[c][row] for c in MONTHLY_COLUMNS], axis=1).astype(float)
    return pd.DataFrame(values, columns=list(MONTHLY_COLUMNS), index=pd.RangeIndex(n, name="month"))


def compare(
    site: Site, scenario: Scenario | None = None, *, retrofit: RetrofitEstimate | None = None
) -> Decision:
    """Value every strategy for ``site`` under ``scenario`` (the base scenario when None)."""
    import sites.schema

    if not isinstance(site, sites.schema.Site):
        raise DecisionError(
            f"site={reprlib.repr(site)} ({type(site).__name__}) is not allowed: a "
            "sites.schema.Site is required (sites.schema.from_record builds one from a row)"
        )
    from models import estimate_retrofit

    scenario = scenario or Scenario()
    retrofit = retrofit or estimate_retrofit(site, as_of=scenario.market.as_of)
    model = build_site_model(site, scenario, retrofit)
    return _decide(model, retrofit)


@dataclass(frozen=True)
class _Ranking:
    """The strategies' NPVs from one row block of ``evaluate`` (rows 0..H hybrids, H+1 DR)."""

    npv_by_key: dict[str, float]
    best_k: int  # halls converted in the best hybrid
    best_mining_key: str
    best: str  # the recommended strategy; a hybrid at either end is named as that end

    @classmethod
    def of(cls, npvs: np.ndarray, h: int) -> _Ranking:
        best_k = int(np.argmax(npvs[: h + 1]))
        npv_by_key = {
            "keep_mining": float(npvs[0]),
            "mining_with_dr": float(npvs[h + 1]),
            "convert": float(npvs[h]),
            "hybrid": float(npvs[best_k]),
        }
        best_mining_key = max(("keep_mining", "mining_with_dr"), key=lambda k: npv_by_key[k])
        best = max(npv_by_key, key=lambda k: npv_by_key[k])
        if best == "hybrid" and best_k in (0, h):
            best = "convert" if best_k == h else best_mining_key
        return cls(npv_by_key, best_k, best_mining_key, best)


def _decide(model: SiteModel, retrofit: RetrofitEstimate) -> Decision:
    s = model.scenario
    h, n = model.n_halls, model.n_months
    variants = _variant_gaps(model)  # first: it also values the base mining blocks
    base = evaluate(model, full=True)
    npvs = base["npv_usd"]
    flows = {k: v for k, v in base.items() if k != "npv_usd"}

    # Hybrid grid: k whole halls converted, k = 0..H.
    shares = np.cumsum(np.r_[0.0, model.critical_it_mw_by_hall]) / model.critical_it_mw
    hybrid_grid = pd.DataFrame(
        {"halls_converted": np.arange(h + 1), "share_converted": shares, "npv_usd": npvs[: h + 1]}
    )
    ranking = _Ranking.of(npvs, h)
    best_k, npv_by_key = ranking.best_k, ranking.npv_by_key
    best_mining_key, best = ranking.best_mining_key, ranking.best

    rows = {"keep_mining": 0, "mining_with_dr": h + 1, "convert": h, "hybrid": best_k}
    labels = dict(STRATEGY_LABELS)
    labels["hybrid"] = f"Hybrid: convert {best_k} of {h} halls ({shares[best_k]:.0%} of IT MW)"
    value_of_converting = npv_by_key["convert"] - npv_by_key[best_mining_key]
    fcf = np.asarray(flows["levered_fcf_usd"], dtype=float)[list(rows.values())]
    # One more row: converting over the best mining path, the flows the conversion adds.
    incremental = fcf[2] - fcf[list(rows).index(best_mining_key)]
    *summaries, conversion = summarize_rows(np.vstack([fcf, incremental]), s.discount_rate_per_year)
    strategies = {
        key: StrategyResult(key, labels[key], _monthly_frame(flows, row, n), summary)
        for (key, row), summary in zip(rows.items(), summaries, strict=True)
    }

    # Best strategy; a hybrid at either end of the grid is keep mining or convert.

    gap_base = float(_gap(npvs, h))
    breakevens = _breakevens(model, variants, gap_base)
    reasons = _reasons(model, variants, gap_base)
    waterfall = _waterfall(model, base, best_mining_key)
    recommendation = _recommendation(site_name=model.site_id, best=best, npv_by_key=npv_by_key,
                                     best_k=best_k, h=h, value=value_of_converting,
                                     best_mining_key=best_mining_key)  # fmt: skip
    return Decision(
        site_id=model.site_id,
        strategies=strategies,
        best_strategy=best,
        value_of_converting_usd=float(value_of_converting),
        recommendation=recommendation,
        reasons=reasons,
        breakevens=breakevens,
        hybrid_grid=hybrid_grid,
        best_hybrid_share=float(shares[best_k]),
        conversion=conversion,
        retrofit=retrofit,
        waterfall=waterfall,
        scenario=s,
    )


_HP_GRID_FACTORS = np.array([0.0, 2.5, 5.0, 10.0, 20.0])  # hashprice break-even: 0..20x
# BTC break-even searched at these multiples of today's price (1 and 1.1 are the base and the
# reason's rows). One point below 1 is enough: with the default floor hashprice sits on it in
# every month for any multiple up to about 0.63 (floor / month-0 hashprice, $35.1 / $55.75; the
# ratio only rises later), so the gap is flat there.
_BTC_GRID_FACTORS = np.array([0.5, 2.0, 4.0, 8.0, 16.0, 32.0])


def _free_hashprice_path(market: MarketState, n_months: int) -> HashpricePath:
    """``valuation.mining.hashprice_path`` with the equilibrium floor off: network hashrate at its
    assumed growth, whatever hashprice that gives."""
    return hashprice_path(replace(market, hashprice_floor_usd_per_ph_day=0.0), n_months)


def _floored(hp_free: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``hashprice_path``'s floor rule on a floor-free hashprice: network hashrate ``H = min(
    H_growth, price x 144 x (subsidy + fees) / (1000 x F_m))`` makes USD hashprice ``max(
    hashprice at H_growth, F_m)`` (``F_m`` 0 where the floor is off)."""
    return np.maximum(hp_free, floor)


def _hashprice_with_subsidy(
    free: HashpricePath, floor: np.ndarray, subsidy_btc: np.ndarray | float
) -> np.ndarray:
    """USD/PH/day hashprice ``(n_months,)`` of ``valuation.mining.hashprice_path`` with the block
    subsidy replaced by ``subsidy_btc`` (held at today's value: no halvings), under the same
    equilibrium floor. ``free`` is the floor-off path (its price, hashrate and fees), ``floor`` the
    floored path's ``hashprice_floor_usd_per_ph_day``. ``hashprice_path`` takes no subsidy
    override, so its floor rule is applied here (:func:`_floored`); with the path's own subsidy
    this reproduces ``hashprice_path`` (tested)."""
    hp = hashprice_usd_per_ph_day(
        free.btc_price_usd, free.network_hashrate_eh_s, free.fees_btc_per_block, subsidy_btc
    )
    return _floored(np.asarray(hp, dtype=float), floor)


def _free_path(model: SiteModel) -> HashpricePath:
    """The model's floor-off hashprice path (cached on the model)."""
    free = model.cache.get("hashprice_free")
    if free is None:
        free = _free_hashprice_path(model.scenario.market, model.n_months)
        model.cache["hashprice_free"] = free
    return free


def _btc_scaled_hashprice(model: SiteModel, factors: np.ndarray) -> np.ndarray:
    """Hashprice paths ``(K, n_months)`` with the scenario's BTC price path times each factor;
    network hashrate responds through ``hashprice_path``'s floor.

    USD hashprice at the free (floor-off) hashrate is proportional to the price, so each path is
    ``max(factor x free hashprice, floor)``: the same numbers as ``hashprice_path(market,
    btc_price_usd=factor x price)`` without recomputing subsidies per trial (tested).
    """
    free = _free_path(model)
    floor = model.hashprice.hashprice_floor_usd_per_ph_day
    return _floored(
        np.asarray(factors, dtype=float)[:, None] * free.hashprice_usd_per_ph_day, floor
    )


def _base_power_rate_usd_per_mwh(model: SiteModel) -> float:
    """Mean power cost per MWh drawn with no curtailment over the horizon: the rate the mining
    costs start from (hub curve mean plus adder and wires for an index contract; the fixed
    price or tariff plus wires otherwise), from ``valuation.power.economic_curtailment``."""
    c = model.contract
    if model.prices_usd_per_mwh.shape[-1] == 0:
        # No curve: an index contract uses price_usd_per_mwh as the index level.
        adder = c.adder_usd_per_mwh if c.contract_type == "index_plus_adder" else 0.0
        return float(c.price_usd_per_mwh + adder + c.transmission_usd_per_mwh
                     + c.other_charges_usd_per_mwh)  # fmt: skip
    # The base rate is linear in the curve's points, so the horizon's mean curve gives its mean.
    mean_curve = model.prices_usd_per_mwh.mean(axis=0)
    return float(economic_curtailment(0.0, mean_curve, c).base_rate_usd_per_mwh)


@dataclass(frozen=True)
class _Variants:
    """Gap (convert NPV minus best mining NPV, USD) under each driver variant."""

    lease_usd: np.ndarray  # lease rates tried (USD/kW-month) and their gaps
    lease_gap: np.ndarray
    capex_scale: np.ndarray
    capex_gap: np.ndarray
    hp_scale: np.ndarray
    hp_gap: np.ndarray
    btc_scale: np.ndarray
    btc_gap: np.ndarray
    no_halving_gap: float
    no_growth_gap: float
    btc_up_10pct_gap: float
    free_power_gap: float


def _lease_top(rate: float) -> float:
    """Lease break-even search range: 0..4x the scenario rate (0..$1,000 if the rate is 0)."""
    return 4.0 * rate if rate > 0 else 1000.0


def _variant_gaps(model: SiteModel) -> _Variants:
    """Every reason and break-even variant as extra rows of one batched end-row evaluation."""
    s = model.scenario
    market = s.market
    path = model.hashprice
    hp = path.hashprice_usd_per_ph_day
    rate = s.lease_rate_usd_per_kw_month
    # Neutral markets, each through the model's floor: no halvings (subsidy held at month 0's),
    # no network growth, and the BTC rows (+10% for the reason, then the break-even grid).
    hp_no_halving = _hashprice_with_subsidy(
        _free_path(model), path.hashprice_floor_usd_per_ph_day, path.subsidy_btc[0]
    )
    hp_btc = _btc_scaled_hashprice(model, np.r_[1.1, _BTC_GRID_FACTORS])
    # No growth: hashrate held at today's; hashprice at the free hashrate scales as 1 / hashrate,
    # then the same floor (equal to hashprice_path with growth 0; tested against re-valuing).
    free = _free_path(model)
    hp_no_growth = _floored(
        free.hashprice_usd_per_ph_day * free.network_hashrate_eh_s / market.network_hashrate_eh_s,
        path.hashprice_floor_usd_per_ph_day,
    )
    hp_rows = np.vstack([hp_no_halving, hp_no_growth, hp_btc, hp * _HP_GRID_FACTORS[:, None]])
    free_power = replace(model.contract, price_usd_per_mwh=0.0, adder_usd_per_mwh=0.0,
                         transmission_usd_per_mwh=0.0, other_charges_usd_per_mwh=0.0)  # fmt: skip
    zero_prices = (
        np.zeros_like(model.prices_usd_per_mwh) if model.prices_usd_per_mwh.shape[-1] else None
    )
    if "base_mining" not in model.cache:
        # The base path rides along as one more row of the variants' mining call, then seeds the
        # model's cache for the full evaluation.
        unit, dr = mining_blocks(model, np.vstack([hp, hp_rows]))
        model.cache["base_mining"] = tuple({k: v[0] for k, v in b.items()} for b in (unit, dr))
        hp_blocks = tuple({k: v[1:] for k, v in b.items()} for b in (unit, dr))
    else:
        hp_blocks = mining_blocks(model, hp_rows)
    parts = [
        mining_blocks(model),
        hp_blocks,
        mining_blocks(model, contract=free_power, prices=zero_prices),
    ]
    # Rows: lease 0, lease top, capex 0, capex 5x (base market); hashprice rows; free power.
    n_hp = hp_rows.shape[0]
    base, hp_part, free_blocks = parts
    blocks = tuple(
        {
            key: np.concatenate([np.broadcast_to(base[j][key], (4, *base[j][key].shape)),
                                 hp_part[j][key],
                                 np.broadcast_to(free_blocks[j][key], (1, *free_blocks[j][key].shape))])
            for key in base[j]
        }
        for j in (0, 1)
    )  # fmt: skip
    top = _lease_top(rate)
    lease = np.r_[0.0, top, rate, rate, np.full(n_hp, rate), rate]
    capex = np.r_[1.0, 1.0, 0.0, 5.0, np.ones(n_hp), 1.0]
    gaps = _gap(
        evaluate_ends(model, lease_rate_usd_per_kw_month=lease, capex_scale=capex, blocks=blocks),
        1,
    )
    hp_gaps = gaps[4:-1]  # no halving, no growth, BTC +10%, BTC grid, hashprice grid
    n_btc = _BTC_GRID_FACTORS.size
    return _Variants(
        lease_usd=np.array([0.0, top]),
        lease_gap=gaps[:2],
        capex_scale=np.array([0.0, 5.0]),
        capex_gap=gaps[2:4],
        hp_scale=_HP_GRID_FACTORS,
        hp_gap=hp_gaps[3 + n_btc :],
        btc_scale=_BTC_GRID_FACTORS,
        btc_gap=hp_gaps[3 : 3 + n_btc],
        no_halving_gap=float(hp_gaps[0]),
        no_growth_gap=float(hp_gaps[1]),
        btc_up_10pct_gap=float(hp_gaps[2]),
        free_power_gap=float(gaps[-1]),
    )


def _breakevens(model: SiteModel, v: _Variants, gap_base: float) -> Breakevens:
    s = model.scenario
    hp0 = model.hashprice.hashprice_usd_per_ph_day
    rate = s.lease_rate_usd_per_kw_month
    brackets = {
        "lease": _first_bracket(np.r_[v.lease_usd, rate], np.r_[v.lease_gap, gap_base]),
        "capex": _first_bracket(np.r_[v.capex_scale, 1.0], np.r_[v.capex_gap, gap_base]),
        "hp": _first_bracket(np.r_[v.hp_scale, 1.0], np.r_[v.hp_gap, gap_base]),
        "btc": _first_bracket(
            np.r_[v.btc_scale, 1.0, 1.1], np.r_[v.btc_gap, gap_base, v.btc_up_10pct_gap]
        ),
    }

    def gap_at(trial: dict[str, float]) -> dict[str, float]:
        keys = list(trial)
        hp_rows = {k: hp0 * trial[k] for k in keys if k == "hp"}
        if "btc" in trial:
            hp_rows["btc"] = _btc_scaled_hashprice(model, np.array([trial["btc"]]))[0]
        base = mining_blocks(model)
        if hp_rows:  # the market trials in one mining call
            got = mining_blocks(model, np.vstack(list(hp_rows.values())))
            rows_of = {k: i for i, k in enumerate(hp_rows)}
        parts = [
            tuple({key: b[key][rows_of[k]] for key in b} for b in got) if k in hp_rows else base
            for k in keys
        ]
        blocks = tuple(
            {key: np.stack([p[j][key] for p in parts]) for key in parts[0][j]} for j in (0, 1)
        )
        lease = np.array([trial[k] if k == "lease" else rate for k in keys])
        capex = np.array([trial[k] if k == "capex" else 1.0 for k in keys])
        npvs = evaluate_ends(
            model, lease_rate_usd_per_kw_month=lease, capex_scale=capex, blocks=blocks
        )
        return dict(zip(keys, _gap(npvs, 1).tolist(), strict=True))

    roots = _refine(brackets, gap_at, tol_usd=1e-7 * max(abs(gap_base), 1.0))
    capex_factor = roots["capex"]
    max_capex = (
        capex_factor * model.capex_usd_per_critical_mw
        if model.capex_usd_per_critical_mw > 0
        else math.nan
    )
    return Breakevens(
        lease_rate_usd_per_kw_month=float(roots["lease"]),
        hashprice_usd_per_ph_day=float(roots["hp"] * hp0[0]),
        # The scenario's price path is today's price grown at its rate, so scaling the path by
        # the root is setting today's price to root x today's.
        btc_price_usd=float(roots["btc"] * s.market.btc_price_usd),
        max_capex_usd_per_mw=float(max_capex),
    )


_FLOOR_NOTE = (
    ": hashprice is on the miners' cash-cost floor by then, so the network, not this site, "
    "absorbs the lower subsidy"
)


def _halving_years(model: SiteModel) -> list[int]:
    sub = model.hashprice.subsidy_btc
    months = np.nonzero(sub[1:] < sub[:-1] * 0.75)[0] + 1
    # A month straddling a halving is split; report the month where the drop is completed.
    years = sorted({int(str(model.hashprice.month_start[m])[:4]) for m in months})
    return years


def _reasons(model: SiteModel, v: _Variants, gap_base: float) -> list[Reason]:
    s = model.scenario
    gaps = [
        v.lease_gap[0] if s.lease_rate_usd_per_kw_month > 0 else gap_base,
        v.capex_gap[0],
        v.no_halving_gap,
        v.no_growth_gap,
        v.btc_up_10pct_gap,
    ]
    gap_free_power = v.free_power_gap
    years = _halving_years(model)
    power_txt = f"${_base_power_rate_usd_per_mwh(model):,.2f}/MWh"
    if model.contract.contract_type == "index_plus_adder":
        power_txt += " on average (hub index plus adder)"
    halving_txt = (
        f"the {', '.join(str(y) for y in years)} halving{'s' if len(years) > 1 else ''}"
        if years
        else "the halvings (none in the horizon)"
    )
    items: list[tuple[Any, ...]] = [
        (f"the lease at ${s.lease_rate_usd_per_kw_month:,.0f}/kW-month", gap_base - gaps[0], False),
        (f"the retrofit capex of {usd(model.retrofit_capex_total_usd)}", gap_base - gaps[1],
         False),
        (halving_txt, gap_base - gaps[2], len(years) > 1,
         _FLOOR_NOTE if years and s.market.hashprice_floor_usd_per_ph_day > 0 else ""),
        (f"network hashrate growth of {s.market.network_hashrate_growth_per_year:.0%} a year",
         gap_base - gaps[3], False),
        (f"power at {power_txt}", gap_base - gap_free_power, False),
    ]  # fmt: skip
    reasons = []
    for what, impact, plural, *why in items:
        what = f"{what[0].upper()}{what[1:]}"
        if usd(abs(impact)) == usd(0.0):
            # Rounds to nothing: no direction to claim (the sign is numerical noise).
            verb = "change" if plural else "changes"
            text = f"{what} {verb} the case for converting by {usd(0.0)}{''.join(why)}"
        else:
            verb = ("add" if plural else "adds") if impact >= 0 else ("take" if plural else "takes")
            tail = "to the case for converting" if impact >= 0 else "from the case for converting"
            text = f"{what} {verb} {usd(abs(impact))} {tail}"
        reasons.append(Reason(text, float(impact)))
    btc_impact = float(gaps[4] - gap_base)
    reasons.append(Reason(
        f"A 10% higher BTC price would {'widen' if btc_impact >= 0 else 'narrow'} the gap by "
        f"{usd(abs(btc_impact))}",
        btc_impact,
    ))  # fmt: skip
    return sorted(reasons, key=lambda r: -abs(r.impact_usd))


def _waterfall(model: SiteModel, base: dict[str, np.ndarray], best_mining_key: str) -> pd.DataFrame:
    """Steps from the best mining NPV to the convert NPV; discounted pre-tax parts, then the
    difference in tax and terminal value, so the steps add up exactly."""
    s = model.scenario
    h = model.n_halls
    disc = (1.0 + float(monthly_rate(s.discount_rate_per_year))) ** -np.arange(model.n_months)
    m_row, c_row = row_index(model, best_mining_key), h

    def pv(key: str, row: int) -> float:
        return float(np.asarray(base[key][row]) @ disc)

    steps = [
        ("Mining NPV (" + best_mining_key.replace("_", " ") + ")", float(base["npv_usd"][m_row])),
        ("Mining given up", pv("mining_net_usd", c_row) - pv("mining_net_usd", m_row)),
        ("Rent", pv("rent_usd", c_row) - pv("rent_usd", m_row)),
        ("Landlord operating costs", -(pv("landlord_usd", c_row) - pv("landlord_usd", m_row))),
        ("Retrofit capex", -(pv("retrofit_capex_usd", c_row) - pv("retrofit_capex_usd", m_row))),
        ("Terminal value", pv("terminal_value_usd", c_row) - pv("terminal_value_usd", m_row)),
        ("Income tax", -(pv("tax_usd", c_row) - pv("tax_usd", m_row))),
        ("Convert NPV", float(base["npv_usd"][c_row])),
    ]
    return pd.DataFrame(steps, columns=["step", "value_usd"])


def _recommendation(
    *, site_name: str, best: str, npv_by_key: dict[str, float], best_k: int, h: int, value: float,
    best_mining_key: str,
) -> str:  # fmt: skip
    mining_npv = npv_by_key[best_mining_key]
    if best == "convert":
        return (f"Convert the whole site: it is worth {usd(value)} more than the best mining "
                f"path ({usd(npv_by_key['convert'])} against {usd(mining_npv)}).")  # fmt: skip
    if best == "hybrid":
        return (f"Convert {best_k} of {h} halls and keep mining on the rest: worth "
                f"{usd(npv_by_key['hybrid'] - max(mining_npv, npv_by_key['convert']))} more "
                f"than the better of mining and full conversion.")  # fmt: skip
    what = (
        "Keep mining with a demand-response partnership"
        if best == "mining_with_dr"
        else "Keep mining"
    )
    return (f"{what}: converting would be worth {usd(-value)} less "
            f"({usd(npv_by_key['convert'])} against {usd(mining_npv)}).")  # fmt: skip


def compare_portfolio(sites: Iterable[Site], scenario: Scenario | None = None) -> pd.DataFrame:
    """One row per site, sorted by value of converting (descending): site_id, name, operator,
    power_mw, grid_region, latitude, longitude, best_strategy, best_npv_usd (the recommended
    path's NPV), keep_mining_npv_usd, convert_npv_usd, value_of_converting_usd (and error for
    sites that cannot be valued)."""
    from models import ModelsError, estimate_retrofit

    scenario = scenario or Scenario()
    rows = []
    for site in sites:  # one row per site: each site's own retrofit and halls
        row = {
            "site_id": site.id, "name": site.name, "operator": site.operator,
            "power_mw": site.power.contracted_mw, "grid_region": site.grid_region,
            "latitude": site.latitude, "longitude": site.longitude,
        }  # fmt: skip
        try:
            retrofit = estimate_retrofit(site, as_of=scenario.market.as_of)
            model = build_site_model(site, scenario, retrofit)
            npvs = evaluate(model)["npv_usd"]
            h = model.n_halls
            ranking = _Ranking.of(npvs, h)
            row.update(
                best_strategy=ranking.best,
                best_npv_usd=ranking.npv_by_key[ranking.best],
                keep_mining_npv_usd=float(npvs[0]),
                convert_npv_usd=float(npvs[h]),
                value_of_converting_usd=float(_gap(npvs, h)),
                error="",
            )
        except (ValuationError, ModelsError) as exc:
            row.update(best_strategy="", best_npv_usd=math.nan, keep_mining_npv_usd=math.nan,
                       convert_npv_usd=math.nan, value_of_converting_usd=math.nan,
                       error=str(exc))  # fmt: skip
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(
        "value_of_converting_usd", ascending=False, na_position="last"
    ).reset_index(drop=True)
