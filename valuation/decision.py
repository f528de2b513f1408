"""The site decision: each strategy's cash flows and metrics, the winner, by how much and why.

``compare(site, scenario)`` values keep mining, mining with a DR partnership, convert and the best
hybrid (whole halls) on the monthly grid through the finance engine; the value of converting is the
convert NPV minus the best mining NPV. Break-evens come from batched root finding (each batch is one
vectorised evaluation of every strategy over a grid of driver values, then linear interpolation
inside the bracketing cell, refined once). Reasons say how much each driver moves the gap when it
goes to a neutral value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from valuation.finance import CashFlowSummary, monthly_rate, summarize
from valuation.hosting import HostingError
from valuation.scenario import Scenario
from valuation.strategies import (
    STRATEGY_LABELS,
    SiteModel,
    build_site_model,
    evaluate,
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
    the searched range): year-1 lease rate, month-0 hashprice and BTC price (network hashrate
    held), and the highest retrofit capex per critical IT MW at which converting still wins."""

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
    retrofit: RetrofitEstimate
    waterfall: pd.DataFrame
    scenario: Scenario


def format_usd(value: float) -> str:
    """Executive money format: $412M, $1.2B, $850k, -$3.4M."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        return f"{sign}${v / 1e9:.1f}B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.0f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:,.0f}k"
    return f"{sign}${v:,.0f}"


def _gap(npv_rows: np.ndarray, h: int) -> np.ndarray:
    """Convert NPV minus the best mining NPV, over any leading axes of ``(..., H + 2)``."""
    return npv_rows[..., h] - np.maximum(npv_rows[..., 0], npv_rows[..., h + 1])


def _root(
    gap_of: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, points: int = 9
) -> float:
    """First sign change of a monotone ``gap_of`` on [lo, hi], by two batched grid passes and
    linear interpolation in the bracketing cell; nan when the gap keeps one sign."""
    for _ in range(2):
        x = np.linspace(lo, hi, points)
        g = gap_of(x)
        change = np.nonzero(np.sign(g[:-1]) != np.sign(g[1:]))[0]
        if g[0] == 0.0:
            return float(x[0])
        if change.size == 0:
            return math.nan
        i = int(change[0])
        lo, hi, glo, ghi = x[i], x[i + 1], g[i], g[i + 1]
        if ghi == 0.0:
            return float(hi)
        root = lo + (hi - lo) * glo / (glo - ghi)
    return float(root)


def _monthly_frame(flows: dict[str, np.ndarray], row: int, n: int) -> pd.DataFrame:
    frame = pd.DataFrame({c: np.asarray(flows[c][row], dtype=float) for c in MONTHLY_COLUMNS})
    frame.index = pd.RangeIndex(n, name="month")
    return frame


def compare(
    site: Site, scenario: Scenario | None = None, *, retrofit: RetrofitEstimate | None = None
) -> Decision:
    """Value every strategy for ``site`` under ``scenario`` (the base scenario when None)."""
    from models import estimate_retrofit

    scenario = scenario or Scenario()
    retrofit = retrofit or estimate_retrofit(site)
    model = build_site_model(site, scenario, retrofit)
    return _decide(model, retrofit)


def _decide(model: SiteModel, retrofit: RetrofitEstimate) -> Decision:
    s = model.scenario
    h, n = model.n_halls, model.n_months
    base = evaluate(model, full=True)
    npvs = base["npv_usd"]
    flows = {k: v for k, v in base.items() if k != "npv_usd"}

    # Hybrid grid: k whole halls converted, k = 0..H.
    shares = np.cumsum(np.r_[0.0, model.critical_it_mw_by_hall]) / model.critical_it_mw
    hybrid_grid = pd.DataFrame(
        {"halls_converted": np.arange(h + 1), "share_converted": shares, "npv_usd": npvs[: h + 1]}
    )
    best_k = int(np.argmax(npvs[: h + 1]))

    def result(key: str, row: int, label: str | None = None) -> StrategyResult:
        cf = np.asarray(flows["levered_fcf_usd"][row], dtype=float)
        return StrategyResult(
            key=key,
            label=label or STRATEGY_LABELS[key],
            monthly=_monthly_frame(flows, row, n),
            summary=summarize(cf, s.discount_rate_per_year),
        )

    strategies = {
        "keep_mining": result("keep_mining", 0),
        "mining_with_dr": result("mining_with_dr", h + 1),
        "convert": result("convert", h),
        "hybrid": result(
            "hybrid",
            best_k,
            f"Hybrid: convert {best_k} of {h} halls ({shares[best_k]:.0%} of IT MW)",
        ),
    }
    npv_by_key = {k: float(npvs[row_index(model, k, best_k)]) for k in strategies}
    best_mining_key = (
        "keep_mining"
        if npv_by_key["keep_mining"] >= npv_by_key["mining_with_dr"]
        else "mining_with_dr"
    )
    value_of_converting = npv_by_key["convert"] - npv_by_key[best_mining_key]

    # Best strategy; a hybrid at either end of the grid is keep mining or convert.
    best = max(npv_by_key, key=lambda k: npv_by_key[k])
    if best == "hybrid" and best_k in (0, h):
        best = "convert" if best_k == h else best_mining_key
        if best == "keep_mining" and npv_by_key["mining_with_dr"] > npv_by_key["keep_mining"]:
            best = "mining_with_dr"

    breakevens = _breakevens(model)
    reasons = _reasons(model, float(_gap(npvs, h)))
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
        retrofit=retrofit,
        waterfall=waterfall,
        scenario=s,
    )


def _breakevens(model: SiteModel) -> Breakevens:
    s = model.scenario
    hp0 = model.hashprice.hashprice_usd_per_ph_day

    rate = s.lease_rate_usd_per_kw_month
    # Lease: search 0..4x the scenario rate (or 0..$1,000 if the rate is 0), in units of the rate.
    top = 4.0 * rate if rate > 0 else 1000.0
    lease_scale_per_usd = 1.0 / rate if rate > 0 else None

    def gap_lease(x: np.ndarray) -> np.ndarray:
        if lease_scale_per_usd is None:
            m = replace(model, scenario=replace(s, lease_rate_usd_per_kw_month=1.0))
            return _gap(evaluate(m, lease_scale=x, ends_only=True)["npv_usd"], 1)
        return _gap(
            evaluate(model, lease_scale=x * lease_scale_per_usd, ends_only=True)["npv_usd"], 1
        )

    lease_be = _root(gap_lease, 0.0, top)

    def gap_capex(x: np.ndarray) -> np.ndarray:
        return _gap(evaluate(model, capex_scale=x, ends_only=True)["npv_usd"], 1)

    capex_factor = _root(gap_capex, 0.0, 5.0)
    max_capex = (
        capex_factor * model.capex_usd_per_critical_mw
        if model.capex_usd_per_critical_mw > 0
        else math.nan
    )

    def gap_hp(x: np.ndarray) -> np.ndarray:
        hp = hp0 * x[:, None]
        return _gap(evaluate(model, hashprice_usd_per_ph_day=hp, ends_only=True)["npv_usd"], 1)

    hp_factor = _root(gap_hp, 0.0, 20.0)
    return Breakevens(
        lease_rate_usd_per_kw_month=float(lease_be),
        hashprice_usd_per_ph_day=float(hp_factor * hp0[0]),
        # Hashprice in USD is proportional to the BTC price with network hashrate and fees held.
        btc_price_usd=float(hp_factor * model.hashprice.btc_price_usd[0]),
        max_capex_usd_per_mw=float(max_capex),
    )


def _halving_years(model: SiteModel) -> list[int]:
    sub = model.hashprice.subsidy_btc
    months = np.nonzero(sub[1:] < sub[:-1] * 0.75)[0] + 1
    # A month straddling a halving is split; report the month where the drop is completed.
    years = sorted({int(str(model.hashprice.month_start[m])[:4]) for m in months})
    return years


def _reasons(model: SiteModel, gap_base: float) -> list[Reason]:
    s = model.scenario
    path = model.hashprice
    hp = path.hashprice_usd_per_ph_day
    # Neutral hashprice paths: no halvings (subsidy held at month 0) and no network growth.
    reward = path.subsidy_btc + path.fees_btc_per_block
    hp_no_halving = hp * (path.subsidy_btc[0] + path.fees_btc_per_block) / reward
    hp_no_growth = hp * path.network_hashrate_eh_s / path.network_hashrate_eh_s[0]
    batch = evaluate(
        model,
        lease_scale=np.array([0.0, 1.0, 1.0, 1.0, 1.0]),
        capex_scale=np.array([1.0, 0.0, 1.0, 1.0, 1.0]),
        hashprice_usd_per_ph_day=np.stack([hp, hp, hp_no_halving, hp_no_growth, hp * 1.1]),
        ends_only=True,
    )
    gaps = _gap(batch["npv_usd"], 1)
    free_power = replace(model.contract, price_usd_per_mwh=0.0, adder_usd_per_mwh=0.0,
                         transmission_usd_per_mwh=0.0, other_charges_usd_per_mwh=0.0)  # fmt: skip
    zero_prices = (
        np.zeros_like(model.prices_usd_per_mwh) if model.prices_usd_per_mwh.shape[-1] else None
    )
    gap_free_power = float(
        _gap(evaluate(model, contract=free_power, prices=zero_prices, ends_only=True)["npv_usd"], 1)
    )
    years = _halving_years(model)
    power_price = model.contract.price_usd_per_mwh + model.contract.adder_usd_per_mwh
    halving_txt = (
        f"the {', '.join(str(y) for y in years)} halving{'s' if len(years) > 1 else ''}"
        if years
        else "the halvings (none in the horizon)"
    )
    items = [
        (f"the lease at ${s.lease_rate_usd_per_kw_month:,.0f}/kW-month", gap_base - gaps[0], False),
        (f"the retrofit capex of {format_usd(model.retrofit_capex_total_usd)}", gap_base - gaps[1],
         False),
        (halving_txt, gap_base - gaps[2], len(years) > 1),
        (f"network hashrate growth of {s.market.network_hashrate_growth_per_year:.0%} a year",
         gap_base - gaps[3], False),
        (f"power at ${power_price:,.0f}/MWh", gap_base - gap_free_power, False),
    ]  # fmt: skip
    reasons = []
    for what, impact, plural in items:
        verb = ("add" if plural else "adds") if impact >= 0 else ("take" if plural else "takes")
        tail = "to the case for converting" if impact >= 0 else "from the case for converting"
        text = f"{what[0].upper()}{what[1:]} {verb} {format_usd(abs(impact))} {tail}"
        reasons.append(Reason(text, float(impact)))
    btc_impact = float(gaps[4] - gap_base)
    reasons.append(Reason(
        f"A 10% higher BTC price would {'widen' if btc_impact >= 0 else 'narrow'} the gap by "
        f"{format_usd(abs(btc_impact))}",
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
        return (f"Convert the whole site: it is worth {format_usd(value)} more than the best mining "
                f"path ({format_usd(npv_by_key['convert'])} against {format_usd(mining_npv)}).")  # fmt: skip
    if best == "hybrid":
        return (f"Convert {best_k} of {h} halls and keep mining on the rest: worth "
                f"{format_usd(npv_by_key['hybrid'] - max(mining_npv, npv_by_key['convert']))} more "
                f"than the better of mining and full conversion.")  # fmt: skip
    what = (
        "Keep mining with a demand-response partnership"
        if best == "mining_with_dr"
        else "Keep mining"
    )
    return (f"{what}: converting would be worth {format_usd(-value)} less "
            f"({format_usd(npv_by_key['convert'])} against {format_usd(mining_npv)}).")  # fmt: skip


def compare_portfolio(sites: Iterable[Site], scenario: Scenario | None = None) -> pd.DataFrame:
    """One row per site, sorted by value of converting (descending): site_id, name, operator,
    power_mw, grid_region, latitude, longitude, best_strategy, keep_mining_npv_usd,
    convert_npv_usd, value_of_converting_usd (and error for sites that cannot be valued)."""
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
            model = build_site_model(site, scenario, estimate_retrofit(site))
            npvs = evaluate(model)["npv_usd"]
            h = model.n_halls
            order = {"keep_mining": npvs[0], "mining_with_dr": npvs[h + 1], "convert": npvs[h],
                     "hybrid": npvs[: h + 1].max()}  # fmt: skip
            best_k = int(np.argmax(npvs[: h + 1]))
            best = max(order, key=lambda k: order[k])
            if best == "hybrid" and best_k in (0, h):
                best = (
                    "convert"
                    if best_k == h
                    else max(("keep_mining", "mining_with_dr"), key=lambda k: order[k])
                )
            row.update(
                best_strategy=best,
                keep_mining_npv_usd=float(npvs[0]),
                convert_npv_usd=float(npvs[h]),
                value_of_converting_usd=float(_gap(npvs, h)),
                error="",
            )
        except (HostingError, ModelsError, ValueError) as exc:
            row.update(best_strategy="", keep_mining_npv_usd=math.nan, convert_npv_usd=math.nan,
                       value_of_converting_usd=math.nan, error=str(exc))  # fmt: skip
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(
        "value_of_converting_usd", ascending=False, na_position="last"
    ).reset_index(drop=True)
