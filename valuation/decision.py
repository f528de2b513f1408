"""The site decision: every strategy by name, the winner, by how much, how sure, and why.

``compare(site, scenario)`` values every row of the site's :class:`~valuation.strategies.RowPlan`
in one batched evaluation; each strategy's value is its best row (a hybrid's best hall count, the
best month to start converting later). The value of converting is the best converting path
(``convert``, ``hybrid``, ``mine_then_convert``) minus the best path that does not convert
(``keep_mining``, ``mining_with_dr``, ``sell_site``). Ties within $1 (or 1e-9 relative) go to the
first strategy in ``STRATEGY_ORDER``. Paths that come out identical (the best split is the whole
site, the best start is now or never, a partnership with no program in the region) are shown once.

Reasons say how much each driver moves that gap when it goes to a neutral value; break-evens
(lease rate, hashprice, BTC price, capex) are the driver values at which the gap is zero. Both
are valued on the rows the base case chose (keep mining, the DR partnership, the sale, convert,
the best hybrid and the best later start), as extra rows of one batched evaluation per step:
the first sign change over a few points of each driver brackets the root, which regula falsi
(Illinois) refines in batched steps. Market variants go through ``hashprice_path`` itself (its
equilibrium floor and the network's lagged response), so no variant pushes hashprice below a
floor the base case respects.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from valuation.errors import DecisionError, ValuationError
from valuation.finance import (
    CashFlowSummary,
    discounted_payback_month,
    monthly_rate,
    operating_flows_usd,
    payback_month,
    peak_funding_usd,
    summarize_rows,
)
from valuation.formatting import usd
from valuation.mining import hashprice_path
from valuation.power import PriceSeries, economic_curtailment
from valuation.scenario import Scenario
from valuation.strategies import (
    CONVERTING,
    NOT_CONVERTING,
    STRATEGY_LABELS,
    STRATEGY_ORDER,
    RowValues,
    SiteModel,
    blocks_on_rows,
    build_site_model,
    evaluate,
    mining_blocks,
    on_rows,
)
from valuation.threads import map_in_threads

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from sites.schema import Site

MONTHLY_COLUMNS = (
    "revenue_usd", "opex_usd", "ebitda_usd", "capex_usd", "depreciation_usd", "interest_usd",
    "tax_usd", "terminal_value_usd", "terminal_tax_usd", "unlevered_fcf_usd", "levered_fcf_usd",
)  # fmt: skip
# terminal_tax_usd: the tax on the sale at the horizon (in tax_usd too), so a chart can leave the
# terminal value and its tax out together (reports.tables.cumulative_before_terminal_usd).
TIE_USD = 1.0
TIE_RELATIVE = 1e-9


@dataclass(frozen=True)
class StrategyResult:
    """One strategy: monthly cash flows (DataFrame, USD, index month; the tenant expectation
    applied), its summary metrics (``npv_usd`` by kind of cash flow, the rest on the levered
    flows at the base rate; payback of the operations, before the value at the horizon), and the
    share of its NPV that is value at the horizon after the tax on that sale."""

    key: str
    label: str
    monthly: pd.DataFrame
    summary: CashFlowSummary
    terminal_value_share: float


@dataclass(frozen=True)
class Reason:
    """One driver of the gap between converting and not converting, in plain words, and its USD
    impact (positive: favours converting)."""

    text: str
    impact_usd: float


@dataclass(frozen=True)
class Breakevens:
    """Values at which the best converting path and the best path that does not convert are
    worth the same (nan where none in the searched range).

    * ``lease_rate_usd_per_kw_month``: year-1 rent, USD per critical IT kW-month.
    * ``hashprice_usd_per_ph_day``: month-0 hashprice of the model's whole hashprice path (its
      floor included) scaled by one factor; a what-if on hashprice itself.
    * ``btc_price_usd``: BTC price on the market's as-of date; the network responds as
      ``valuation.mining.hashprice_path`` says.
    * ``max_capex_usd_per_mw``: the highest retrofit capex per critical IT MW at which
      converting still wins.

    The ``*_today_*`` fields are not break-evens: each is the value today of the assumption a
    break-even moves, the figure to set beside it (:attr:`today`), as the valuation used it:
    the site's achievable lease rate (the scenario's rate moved by the site's readiness), the
    month-0 hashprice the hashprice break-even scales (the month's, so a little off the market
    snapshot's instant figure), the snapshot's BTC price and the capex per critical MW the
    valuation charged (the site's estimate or the scenario's figure, contingency included).
    """

    lease_rate_usd_per_kw_month: float
    hashprice_usd_per_ph_day: float
    btc_price_usd: float
    max_capex_usd_per_mw: float
    hashprice_today_usd_per_ph_day: float = math.nan
    lease_rate_today_usd_per_kw_month: float = math.nan
    btc_price_today_usd: float = math.nan
    capex_today_usd_per_mw: float = math.nan

    @property
    def today(self) -> dict[str, float]:
        """Today's value beside each break-even, keyed by the break-even's field name."""
        return {
            "lease_rate_usd_per_kw_month": self.lease_rate_today_usd_per_kw_month,
            "hashprice_usd_per_ph_day": self.hashprice_today_usd_per_ph_day,
            "btc_price_usd": self.btc_price_today_usd,
            "max_capex_usd_per_mw": self.capex_today_usd_per_mw,
        }

    @property
    def values(self) -> dict[str, float]:
        """The four break-evens alone, keyed by field name (no "today" figure among them)."""
        return {k: getattr(self, k) for k in self.today}


@dataclass(frozen=True)
class Decision:
    """Everything the app shows for one site under one scenario.

    ``strategies`` holds each distinct path; ``identical_to`` maps a path left out to the one it
    equals. ``strategy_npv_usd`` has every strategy's value, shown or not.
    ``conversion_start_month`` is the month mine-then-convert starts looking for a tenant (nan
    unless it is a distinct path). ``tenant`` has the site's lease rate, signing probability,
    readiness score and months to power; ``fleet_note`` says which fleet mining uses.
    """

    site_id: str
    strategies: dict[str, StrategyResult]
    strategy_npv_usd: dict[str, float]
    identical_to: dict[str, str]
    best_strategy: str
    best_converting: str
    best_not_converting: str
    value_of_converting_usd: float
    recommendation: str
    reasons: list[Reason]
    breakevens: Breakevens
    hybrid_grid: pd.DataFrame
    best_hybrid_share: float
    start_grid: pd.DataFrame
    conversion_start_month: float
    # The incremental flows of the best converting path over the best path that does not
    # convert: its NPV (at the base rate) and IRR are the return on what converting adds.
    conversion: CashFlowSummary
    retrofit: RetrofitEstimate
    waterfall: pd.DataFrame
    tenant: dict[str, float]
    fleet_note: str
    scenario: Scenario
    # Keys of the policy levers switched on in the site's region (``Scenario.policy_levers``),
    # and one sentence on the power terms: the contract, its expiry, the user's price history.
    levers_on: tuple[str, ...] = ()
    power_note: str = ""


def compare(
    site: Site,
    scenario: Scenario | None = None,
    *,
    retrofit: RetrofitEstimate | None = None,
    price_history: PriceSeries | None = None,
) -> Decision:
    """Value every strategy for ``site`` under ``scenario`` (the base scenario when None).

    Every strategy of ``STRATEGY_ORDER`` is valued on the site's model
    (``valuation.strategies.build_site_model``); the value of converting is the best of
    ``CONVERTING`` minus the best of ``NOT_CONVERTING``. The site is checked first with
    ``sites.validation.check_site``.

    Parameters
    ----------
    site : Site
        An inventory site.
    scenario : Scenario, optional
        Market, discount rates, lease rate, tenant prospects and horizon; default ``Scenario()``.
    retrofit : RetrofitEstimate, optional
        The conversion estimate; default ``models.estimate_retrofit(site, as_of=...)``.
    price_history : PriceSeries, optional
        Prices the calendar months it covers in place of the region's shape.

    Returns
    -------
    Decision
        ``strategy_npv_usd`` (every strategy's NPV, USD), ``strategies`` (distinct paths: monthly
        cash flows and metrics), ``best_strategy``, ``best_converting``, ``best_not_converting``,
        ``value_of_converting_usd``, ``recommendation`` and ``reasons``, ``breakevens``
        (lease rate USD per kW-month, hashprice USD per PH/s-day, BTC price USD, capex USD per MW).

    Raises
    ------
    SiteValidationError
        For a site that breaks the inventory rules.

    Examples
    --------
    >>> from sites import load_example_portfolio
    >>> from valuation.decision import compare
    >>> decision = compare(load_example_portfolio()[0])
    >>> sorted(decision.strategy_npv_usd)
    ['convert', 'hybrid', 'keep_mining', 'mine_then_convert', 'mining_with_dr', 'sell_site']
    >>> decision.best_strategy, decision.best_not_converting
    ('convert', 'mining_with_dr')
    >>> round(decision.value_of_converting_usd / 1e9, 1)  # USD billions
    3.4
    """
    from models import estimate_retrofit
    from sites.schema import Site as SiteType
    from sites.validation import check_site

    if not isinstance(site, SiteType):
        raise DecisionError(
            f"site={reprlib.repr(site)} ({type(site).__name__}) is not allowed: a "
            "sites.schema.Site is required (sites.schema.from_record builds one from a row)"
        )
    scenario = scenario or Scenario()
    # The inventory's own rules (sites.validation), so a site that could not be saved (a million
    # halls, latitude 200, region "Mars") is refused with SiteValidationError, not valued.
    check_site(site, today=scenario.market.as_of)
    retrofit = retrofit or estimate_retrofit(site, as_of=scenario.market.as_of)
    model = build_site_model(site, scenario, retrofit, price_history=price_history)
    return _decide(model, retrofit)


def choose(values: dict[str, float], keys: Iterable[str] = STRATEGY_ORDER) -> str:
    """The best of ``values`` among ``keys``; ties within $1 or 1e-9 relative go to the first
    key in ``STRATEGY_ORDER``."""
    keys = [k for k in STRATEGY_ORDER if k in set(keys) and k in values]
    top = max(values[k] for k in keys)
    tol = max(TIE_USD, TIE_RELATIVE * abs(top))
    return next(k for k in keys if values[k] >= top - tol)


@dataclass(frozen=True)
class _Ranking:
    """Each strategy's best row and value, the distinct paths and the winners."""

    row_of: dict[str, int]
    npv_by_key: dict[str, float]
    identical_to: dict[str, str]
    best: str
    best_converting: str
    best_not_converting: str
    # Each converting strategy's best row among the rows that convert (mine-then-convert's
    # "never" is keep mining, not a conversion) and its NPV: what the value of converting uses.
    converting_row_of: dict[str, int]
    converting_npv: dict[str, float]

    @property
    def conv_row(self) -> int:
        """The best converting path's row (it converts)."""
        return self.converting_row_of[self.best_converting]

    @property
    def non_row(self) -> int:
        """The best path that does not convert."""
        return self.row_of[self.best_not_converting]

    @property
    def value_of_converting_usd(self) -> float:
        """Best converting NPV minus the best NPV of the paths that do not convert."""
        return self.converting_npv[self.best_converting] - self.npv_by_key[self.best_not_converting]

    @classmethod
    def of(cls, model: SiteModel, npv: np.ndarray) -> _Ranking:
        plan = model.plan
        row_of = {key: _best_row(npv, plan.groups[key]) for key in STRATEGY_ORDER}
        signed = plan.signed
        converting_row_of = {
            key: _best_row(npv, plan.groups[key][signed[plan.groups[key]]]) for key in CONVERTING
        }
        converting_npv = {k: float(npv[r]) for k, r in converting_row_of.items()}
        npv_by_key = {k: float(npv[r]) for k, r in row_of.items()}
        identical: dict[str, str] = {}
        for key in STRATEGY_ORDER:
            same = [k for k in STRATEGY_ORDER[: STRATEGY_ORDER.index(key)]
                    if k not in identical and row_of[k] == row_of[key]]  # fmt: skip
            if same:
                identical[key] = same[0]
        if not model.dr_programs:  # no program in the region: the partnership is plain mining
            identical["mining_with_dr"] = "keep_mining"
        best = choose(npv_by_key)
        return cls(row_of, npv_by_key, identical, identical.get(best, best),
                   choose(converting_npv, CONVERTING), choose(npv_by_key, NOT_CONVERTING),
                   converting_row_of, converting_npv)  # fmt: skip


def _best_row(npv: np.ndarray, group: np.ndarray) -> int:
    """The best of ``group``'s rows; ties go to the earliest row (convert before a later start,
    keep mining last): the simplest path that reaches the value."""
    vals = npv[group]
    top = vals.max()
    tol = max(TIE_USD, TIE_RELATIVE * abs(top))
    return int(group[np.flatnonzero(vals >= top - tol)[0]])


def _decide(model: SiteModel, retrofit: RetrofitEstimate) -> Decision:
    s = model.scenario
    plan, h = model.plan, model.n_halls
    base_blocks = mining_blocks(model)
    base = evaluate(model, blocks=base_blocks, full=True)
    assert base.flows is not None and base.pv_usd is not None and base.parts is not None
    rank = _Ranking.of(model, base.npv_usd)
    value = rank.value_of_converting_usd
    # the value at the horizon after its sale tax, once: the paths' shares, a reason, the bridge
    terminal_pv = _terminal_pv_after_tax(model, base)
    strategies, conversion = _strategy_results(model, rank, base, terminal_pv)
    hybrid_rows = np.r_[plan.keep_row, plan.groups["hybrid"]]
    shares = np.cumsum(np.r_[0.0, model.critical_it_mw_by_hall]) / model.critical_it_mw
    hybrid_grid = pd.DataFrame({"halls_converted": np.arange(h + 1), "share_converted": shares,
                                "npv_usd": base.npv_usd[hybrid_rows]})  # fmt: skip
    mtc = plan.groups["mine_then_convert"][:-1]  # without "never"
    start_grid = pd.DataFrame({"decision_month": plan.detail[mtc].clip(0),
                               "npv_usd": base.npv_usd[mtc]})  # fmt: skip
    start_grid.loc[0, "decision_month"] = 0
    mtc_month = (
        float(plan.detail[rank.row_of["mine_then_convert"]])
        if "mine_then_convert" not in rank.identical_to
        else math.nan
    )
    best_k = int(plan.detail[rank.row_of["hybrid"]])

    sub = _decision_rows(model, rank)
    gap_base = float(value)
    sub_blocks = blocks_on_rows(base_blocks, sub)
    variants = _variant_gaps(sub, gap_base, sub_blocks)
    breakevens = _breakevens(sub, variants, gap_base, sub_blocks)
    reasons = _reasons(sub, variants, gap_base, base, rank, terminal_pv)
    waterfall = _waterfall(base, rank, terminal_pv)
    tenant = {
        "lease_rate_usd_per_kw_month": model.lease_rate_usd_per_kw_month,
        "signing_probability": model.signing_probability,
        "lease_up_months": float(s.lease_up_months),
        "readiness_score": model.readiness_score,
        "months_to_power": float(model.months_to_power),
    }
    return Decision(
        site_id=model.site_id,
        strategies=strategies,
        strategy_npv_usd=rank.npv_by_key,
        identical_to=rank.identical_to,
        best_strategy=rank.best,
        best_converting=rank.best_converting,
        best_not_converting=rank.best_not_converting,
        value_of_converting_usd=float(value),
        recommendation=_recommendation(model, rank, value, mtc_month, best_k),
        reasons=reasons,
        breakevens=breakevens,
        hybrid_grid=hybrid_grid,
        best_hybrid_share=float(shares[best_k]),
        start_grid=start_grid,
        conversion_start_month=mtc_month,
        conversion=conversion,
        retrofit=retrofit,
        waterfall=waterfall,
        tenant=tenant,
        fleet_note=model.fleet.note,
        scenario=s,
        levers_on=model.levers_on,
        power_note=_power_note(model),
    )


def _power_note(model: SiteModel) -> str:
    """One sentence for the page: the region, the contract and what changes it (an expiry inside
    the horizon, the user's price history, policy levers switched on)."""
    c = model.contract
    terms = {
        "fixed_ppa": f"a fixed price of ${c.price_usd_per_mwh:,.2f}/MWh",
        "index_plus_adder": f"the {model.grid_region} index plus ${c.adder_usd_per_mwh:,.2f}/MWh",
        "utility_tariff": f"a tariff of ${c.price_usd_per_mwh:,.2f}/MWh",
    }[c.contract_type]
    parts = [f"Power in {model.grid_region} on {terms}"]
    after, month = model.contract_after_expiry, model.contract_expiry_month
    if after is not None and month is not None:
        start = pd.Timestamp(model.hashprice.month_start[month])
        new = (
            f"a renewal at ${after.price_usd_per_mwh:,.2f}/MWh"
            if after.contract_type == "fixed_ppa"
            else f"the {model.grid_region} index plus ${after.adder_usd_per_mwh:,.2f}/MWh"
        )
        parts.append(f"until the contract expires ({start:%b %Y}), then {new}")
    if model.history_months:
        months = ", ".join(f"{pd.Timestamp(2024, m, 1):%b}" for m in model.history_months)
        parts.append(f"; your price history prices {months}")
    if model.levers_on:
        parts.append(f"; policy levers on: {', '.join(model.levers_on)}")
    return " ".join(parts).replace(" ;", ";") + "."


def _strategy_results(
    model: SiteModel, rank: _Ranking, base: RowValues, terminal_pv: np.ndarray
) -> tuple[dict[str, StrategyResult], CashFlowSummary]:
    """Each distinct path's monthly flows and metrics (NPV by kind of cash flow, the rest on the
    levered flows at the base rate, the share of NPV that is ``terminal_pv``, each row's value
    at the horizon after its sale tax), and the metrics of the flows converting adds over the
    best path that does not convert."""
    assert base.flows is not None and base.pv_usd is not None
    flows = base.flows.as_dict()
    fcf = np.asarray(flows["levered_fcf_usd"], dtype=float)
    shown = [k for k in STRATEGY_ORDER if k not in rank.identical_to]
    rows = [rank.row_of[k] for k in shown]
    conv_row, non_row = rank.conv_row, rank.non_row
    rate = model.scenario.discount_rate_per_year
    *summaries, conversion = summarize_rows(
        np.vstack([fcf[rows], fcf[conv_row] - fcf[non_row]]), rate
    )
    # Payback is of the operations: the cumulative flow before the value at the horizon (and
    # the tax on that sale), as the cumulative chart draws it. With the exit in, a path that
    # never earns its outlay back paid back in the horizon's last month.
    ops = operating_flows_usd(fcf, flows["terminal_value_usd"], flows["terminal_tax_usd"])
    ops_rows = np.vstack([ops[rows], ops[conv_row] - ops[non_row]])
    paybacks = np.atleast_1d(payback_month(ops_rows))
    discounted = np.atleast_1d(discounted_payback_month(monthly_rate(rate), ops_rows))
    # Peak funding is the money a path needs if it goes ahead: a converting path's on its flows
    # as if the tenant signed (at the tenant's odds it would be about capex x odds, not a sum
    # anyone raises); the other paths' flows need no tenant.
    signed = np.asarray(base.levered_fcf_signed_usd, dtype=float)
    peak = peak_funding_usd(
        np.vstack([signed[rows], signed[conv_row] - signed[non_row]])
    )  # fmt: skip
    *summaries, conversion = (
        replace(s, payback_month=float(p), discounted_payback_month=float(dp),
                peak_funding_usd=float(f))
        for s, p, dp, f in zip([*summaries, conversion], paybacks, discounted,
                               np.atleast_1d(peak), strict=True)
    )  # fmt: skip
    labels = _labels(model, rank)
    strategies = {}
    for key, row, summary in zip(shown, rows, summaries, strict=True):
        npv_row = float(base.npv_usd[row])
        share = float(terminal_pv[row] / npv_row) if npv_row > 0 else math.nan
        strategies[key] = StrategyResult(
            key, labels[key], _monthly_frame(flows, row, model.n_months),
            replace(summary, npv_usd=npv_row), share,
        )  # fmt: skip
    return strategies, conversion


def _terminal_pv_after_tax(model: SiteModel, base: RowValues) -> np.ndarray:
    """Each row's value at the horizon net of the tax on that sale (what the charts' legend
    names), discounted as the NPV discounts each part, USD ``(R,)``: its share of a row's NPV
    is the paths table's "value at the horizon" and the reasons'."""
    assert base.flows is not None and base.pv_usd is not None
    disc = model.rates.factors(model.n_months)["base"]
    sale_tax_pv = np.asarray(base.flows.as_dict()["terminal_tax_usd"], dtype=float) @ disc
    return base.pv_usd["terminal_lease_usd"] + base.pv_usd["terminal_mining_usd"] - sale_tax_pv


def _labels(model: SiteModel, rank: _Ranking) -> dict[str, str]:
    labels = dict(STRATEGY_LABELS)
    h = model.n_halls
    k = int(model.plan.detail[rank.row_of["hybrid"]])
    share = float(model.critical_it_mw_by_hall[:k].sum() / model.critical_it_mw)
    labels["hybrid"] = f"Hybrid: convert {k} of {h} halls ({share:.0%} of IT MW)"
    start = int(model.plan.detail[rank.row_of["mine_then_convert"]])
    labels["mine_then_convert"] = f"Mine now, look for a tenant from {_month_name(model, start)}"
    return labels


def _month_name(model: SiteModel, month: int) -> str:
    """Calendar month of grid month ``month`` ("March 2028")."""
    first = pd.Timestamp(model.hashprice.month_start[0])
    return (first + pd.DateOffset(months=max(0, month))).strftime("%B %Y")


def _monthly_frame(flows: dict[str, np.ndarray], row: int, n: int) -> pd.DataFrame:
    # One 2-D float block: far cheaper than a frame built column by column.
    values = np.stack([flows[c][row] for c in MONTHLY_COLUMNS], axis=1).astype(float)
    return pd.DataFrame(values, columns=list(MONTHLY_COLUMNS), index=pd.RangeIndex(n, name="month"))


def _decision_rows(model: SiteModel, rank: _Ranking) -> SiteModel:
    """The model on the rows the base case chose (keep, DR, sale, convert, the best hybrid and
    the best later start): what reasons and break-evens re-value."""
    plan = model.plan
    rows = sorted({plan.keep_row, plan.dr_row, plan.sale_row, rank.row_of["convert"],
                   rank.converting_row_of["hybrid"],
                   rank.converting_row_of["mine_then_convert"]})  # fmt: skip
    return on_rows(model, np.array(rows))


def gap_usd(model: SiteModel, npv: np.ndarray) -> np.ndarray:
    """Best converting NPV minus best non-converting NPV over rows ``(..., R)`` of the model's
    plan: rows that need a tenant convert; keep mining, the DR partnership and the sale do not."""
    plan = model.plan
    signed = plan.signed
    others = np.array([plan.keep_row, plan.dr_row, plan.sale_row])
    return npv[..., signed].max(axis=-1) - npv[..., others].max(axis=-1)


_HP_GRID_FACTORS = np.array([0.0, 2.5, 5.0, 10.0, 20.0])  # hashprice break-even: 0..20x
# BTC break-even searched at these multiples of today's price (1 and 1.1 are the base and the
# reason's rows).
_BTC_GRID_FACTORS = np.array([0.25, 0.5, 2.0, 4.0, 8.0, 16.0, 32.0])


@dataclass(frozen=True)
class _Variants:
    """Gap (best converting NPV minus best non-converting NPV, USD) under each driver variant."""

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
    new_fleet_gap: float
    tenant_certain_gap: float


def _lease_top(rate: float) -> float:
    """Lease break-even search range: 0..4x the site's rate (0..$1,000 if the rate is 0)."""
    return 4.0 * rate if rate > 0 else 1000.0


def _btc_paths(model: SiteModel, factors: np.ndarray) -> np.ndarray:
    """Hashprice paths ``(K, n)`` with the BTC price path times each factor; the network
    responds through ``hashprice_path`` (its floor and lag)."""
    path = model.hashprice
    price = np.asarray(factors, dtype=float)[:, None] * path.btc_price_usd
    return hashprice_path(model.scenario.market, model.n_months,
                          btc_price_usd=price).hashprice_usd_per_ph_day  # fmt: skip


def _variant_gaps(
    model: SiteModel,
    gap_base: float,
    blocks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> _Variants:
    """Every reason and break-even variant, batched: driver rows in one call, market rows in
    another, and one call each for free power and a new fleet."""
    s = model.scenario
    market, path = s.market, model.hashprice
    hp = path.hashprice_usd_per_ph_day
    rate = model.lease_rate_usd_per_kw_month
    top = _lease_top(rate)
    drivers = evaluate(
        model,
        lease_rate_usd_per_kw_month=np.array([0.0, top, rate, rate, rate]),
        capex_scale=np.array([1.0, 1.0, 0.0, 5.0, 1.0]),
        blocks=blocks,
    )
    driver_gaps = gap_usd(model, drivers.npv_usd)
    tenant_certain_gap = gap_usd(model, drivers.npv_signed_usd[-1])
    hp_rows = np.vstack([
        hashprice_path(market, model.n_months, subsidy_btc=path.subsidy_btc[0])
        .hashprice_usd_per_ph_day,
        hashprice_path(replace(market, network_hashrate_growth_per_year=0.0), model.n_months)
        .hashprice_usd_per_ph_day,
        _btc_paths(model, np.r_[1.1, _BTC_GRID_FACTORS]),
        hp * _HP_GRID_FACTORS[:, None],
    ])  # fmt: skip
    market_gaps = gap_usd(model, evaluate(model, hashprice_usd_per_ph_day=hp_rows).npv_usd)
    free_power = replace(model.contract, price_usd_per_mwh=0.0, adder_usd_per_mwh=0.0,
                         transmission_usd_per_mwh=0.0, other_charges_usd_per_mwh=0.0)  # fmt: skip
    zero_prices = (
        np.zeros_like(model.prices_usd_per_mwh) if model.prices_usd_per_mwh.shape[-1] else None
    )
    free = evaluate(model, contract=free_power, prices=zero_prices)
    new_fleet = evaluate(model, assumptions=replace(model.mining, fleet_age_years=0.0))
    n_btc = _BTC_GRID_FACTORS.size
    return _Variants(
        lease_usd=np.array([0.0, top]),
        lease_gap=driver_gaps[:2],
        capex_scale=np.array([0.0, 5.0]),
        capex_gap=driver_gaps[2:4],
        hp_scale=_HP_GRID_FACTORS,
        hp_gap=market_gaps[3 + n_btc :],
        btc_scale=_BTC_GRID_FACTORS,
        btc_gap=market_gaps[3 : 3 + n_btc],
        no_halving_gap=float(market_gaps[0]),
        no_growth_gap=float(market_gaps[1]),
        btc_up_10pct_gap=float(market_gaps[2]),
        free_power_gap=float(gap_usd(model, free.npv_usd)),
        new_fleet_gap=float(gap_usd(model, new_fleet.npv_usd)),
        tenant_certain_gap=float(tenant_certain_gap),
    )


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


def _breakevens(
    model: SiteModel,
    v: _Variants,
    gap_base: float,
    blocks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> Breakevens:
    s = model.scenario
    hp0 = model.hashprice.hashprice_usd_per_ph_day
    rate = model.lease_rate_usd_per_kw_month
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
        lease = np.array([trial[k] if k == "lease" else rate for k in keys])
        capex = np.array([trial[k] if k == "capex" else 1.0 for k in keys])
        if not {"hp", "btc"} & set(keys):  # only rent and capex move: the base mining serves
            got = evaluate(model, lease_rate_usd_per_kw_month=lease, capex_scale=capex,
                           blocks=blocks)  # fmt: skip
            return dict(zip(keys, gap_usd(model, got.npv_usd).tolist(), strict=True))
        hp_rows = np.vstack([
            hp0 * trial[k] if k == "hp"
            else _btc_paths(model, np.array([trial[k]]))[0] if k == "btc"
            else hp0
            for k in keys
        ])  # fmt: skip
        got = evaluate(model, lease_rate_usd_per_kw_month=lease, capex_scale=capex,
                       hashprice_usd_per_ph_day=hp_rows)  # fmt: skip
        return dict(zip(keys, gap_usd(model, got.npv_usd).tolist(), strict=True))

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
        btc_price_usd=float(roots["btc"] * s.market.btc_price_usd),
        max_capex_usd_per_mw=float(max_capex),
        hashprice_today_usd_per_ph_day=float(hp0[0]),
        lease_rate_today_usd_per_kw_month=float(rate),
        btc_price_today_usd=float(s.market.btc_price_usd),
        capex_today_usd_per_mw=float(model.capex_usd_per_critical_mw),
    )


_FLOOR_NOTE = (
    ": hashprice returns to the miners' cash-cost floor after each, so the network, not this "
    "site, absorbs most of the lower subsidy"
)


def _halving_years(model: SiteModel) -> list[int]:
    sub = model.hashprice.subsidy_btc
    months = np.nonzero(sub[1:] < sub[:-1] * 0.75)[0] + 1
    # A month straddling a halving is split; report the month where the drop is completed.
    return sorted({int(str(model.hashprice.month_start[m])[:4]) for m in months})


def _base_power_rate_usd_per_mwh(model: SiteModel) -> float:
    """Mean power cost per MWh drawn with no curtailment over the horizon (hub curve mean plus
    adder and wires for an index contract; the fixed price or tariff plus wires otherwise)."""
    c = model.contract
    if model.prices_usd_per_mwh.shape[-1] == 0:
        adder = c.adder_usd_per_mwh if c.contract_type == "index_plus_adder" else 0.0
        return float(c.price_usd_per_mwh + adder + c.transmission_usd_per_mwh
                     + c.other_charges_usd_per_mwh)  # fmt: skip
    # The base rate is linear in the curve's points, so the horizon's mean curve gives its mean.
    mean_curve = model.prices_usd_per_mwh.mean(axis=0)
    return float(economic_curtailment(0.0, mean_curve, c).base_rate_usd_per_mwh)


def _reasons(
    model: SiteModel,
    v: _Variants,
    gap_base: float,
    base: RowValues,
    rank: _Ranking,
    terminal_pv: np.ndarray,
) -> list[Reason]:
    """Each driver's impact on the gap; a reason that rounds to $0 is not listed."""
    s = model.scenario
    years = _halving_years(model)
    power_txt = f"${_base_power_rate_usd_per_mwh(model):,.2f}/MWh"
    if model.contract.contract_type == "index_plus_adder":
        power_txt += " on average (hub index plus adder)"
    halving_txt = (
        f"the {', '.join(str(y) for y in years)} halving{'s' if len(years) > 1 else ''}"
        if years
        else "the halvings (none in the horizon)"
    )
    a = model.mining
    p = model.signing_probability
    items = [
        (f"the lease at ${model.lease_rate_usd_per_kw_month:,.0f}/kW-month",
         gap_base - v.lease_gap[0], False, ""),
        (f"the retrofit capex of {usd(model.retrofit_capex_total_usd)}", gap_base - v.capex_gap[0],
         False, ""),
        (halving_txt, gap_base - v.no_halving_gap, len(years) > 1,
         _FLOOR_NOTE if years and s.market.hashprice_floor_usd_per_ph_day > 0 else ""),
        (f"network hashrate growth of {s.market.network_hashrate_growth_per_year:.0%} a year",
         gap_base - v.no_growth_gap, False, ""),
        (f"power at {power_txt}", gap_base - v.free_power_gap, False, ""),
        (f"tenant odds of {p:.0%} that a lease signs within {s.lease_up_months} months "
         f"(readiness {model.readiness_score:.0f}/100)", gap_base - v.tenant_certain_gap, True, ""),
        (f"the fleet's age of {a.fleet_age_years:.1f} years at {a.efficiency_j_per_th:.1f} J/TH "
         f"({'the site' if model.fleet.source == 'site' else 'the scenario'}'s fleet)",
         gap_base - v.new_fleet_gap, False, ""),
    ]  # fmt: skip
    reasons = []
    for what, impact, plural, why in items:
        if usd(abs(impact)) == usd(0.0):
            continue  # rounds to nothing at display precision: not a reason
        what = f"{what[0].upper()}{what[1:]}"
        verb = ("add" if plural else "adds") if impact >= 0 else ("take" if plural else "takes")
        tail = "to the case for converting" if impact >= 0 else "from the case for converting"
        reasons.append(Reason(f"{what} {verb} {usd(abs(impact))} {tail}{why}", float(impact)))
    btc_impact = float(v.btc_up_10pct_gap - gap_base)
    if usd(abs(btc_impact)) != usd(0.0):
        reasons.append(Reason(
            f"A 10% higher BTC price would {'widen' if btc_impact >= 0 else 'narrow'} the gap by "
            f"{usd(abs(btc_impact))}", btc_impact))  # fmt: skip
    conv_row, non_row = rank.conv_row, rank.non_row
    tv_gap = float(terminal_pv[conv_row] - terminal_pv[non_row])
    conv_npv = float(base.npv_usd[conv_row])
    if usd(abs(tv_gap)) != usd(0.0) and conv_npv > 0:
        reasons.append(Reason(
            f"Value at the horizon (exit cap {s.terminal.exit_cap_rate:.1%}) is "
            f"{float(terminal_pv[conv_row]) / conv_npv:.0%} of converting's NPV and adds "
            f"{usd(tv_gap)} over not converting" if tv_gap >= 0 else
            f"Value at the horizon favours not converting by {usd(-tv_gap)}", tv_gap))  # fmt: skip
    return sorted(reasons, key=lambda r: -abs(r.impact_usd))


_WATERFALL_STEPS = (
    ("Mining and fleet", ("mining_net_usd",)),
    ("Rent", ("rent_usd",)),
    ("Landlord operating costs", ("landlord_usd",)),
    ("Retrofit capex", ("retrofit_capex_usd",)),
    ("Site sale", ("sale_usd",)),
    ("Value at the horizon, after its sale tax", ("terminal_after_tax_usd",)),
    ("Income tax", ("income_tax_usd",)),
)


def _waterfall(base: RowValues, rank: _Ranking, terminal_pv: np.ndarray) -> pd.DataFrame:
    """Steps from the best non-converting NPV to the best converting NPV: the difference in the
    present value of each kind of cash flow (each at its own rate, the tenant expectation
    applied), so the steps add up exactly. The value at the horizon is after the tax on its
    sale, as the reasons and the paths table give it; the income tax step is the rest."""
    assert base.pv_usd is not None
    conv, non = rank.conv_row, rank.non_row
    gross = base.pv_usd["terminal_lease_usd"] + base.pv_usd["terminal_mining_usd"]
    pv = {**base.pv_usd, "terminal_after_tax_usd": terminal_pv,
          "income_tax_usd": base.pv_usd["tax_usd"] + (gross - terminal_pv)}  # fmt: skip
    steps = [(f"{STRATEGY_LABELS[rank.best_not_converting].split(' (')[0]} NPV",
              float(base.npv_usd[non]))]  # fmt: skip
    for label, keys in _WATERFALL_STEPS:
        delta = sum(float(pv[k][conv] - pv[k][non]) for k in keys)
        if delta != 0.0:
            steps.append((label, delta))
    steps.append((f"{STRATEGY_LABELS[rank.best_converting].split(':')[0]} NPV",
                  float(base.npv_usd[conv])))  # fmt: skip
    return pd.DataFrame(steps, columns=["step", "value_usd"])


def _recommendation(
    model: SiteModel, rank: _Ranking, value: float, mtc_month: float, best_k: int
) -> str:
    npv = rank.npv_by_key
    best = rank.best
    conv, non = rank.converting_npv[rank.best_converting], npv[rank.best_not_converting]
    against = f"({usd(max(conv, non))} against {usd(min(conv, non))})"
    p = model.signing_probability
    if best in CONVERTING:
        if best == "convert":
            what = "Convert the whole site once a tenant signs"
        elif best == "hybrid":
            what = f"Convert {best_k} of {model.n_halls} halls and keep mining on the rest"
        else:
            month = int(mtc_month)
            what = (f"Keep mining now and look for a tenant from {_month_name(model, month)} "
                    f"(month {month})")  # fmt: skip
        other = STRATEGY_LABELS[rank.best_not_converting].split(" (")[0].lower()
        return (f"{what}: worth {usd(value)} more than the best path that does not convert "
                f"({other}) {against}, with {p:.0%} odds that a tenant signs.")  # fmt: skip
    what = {
        "keep_mining": "Keep mining",
        "mining_with_dr": "Keep mining with a demand-response partnership",
        "sell_site": "Sell the powered site",
    }[best]
    path = STRATEGY_LABELS[rank.best_converting].split(":")[0].lower()
    return f"{what}: the best converting path ({path}) would be worth {usd(-value)} less {against}."


def compare_portfolio(
    sites: Iterable[Site],
    scenario: Scenario | None = None,
    *,
    price_histories: Mapping[str, PriceSeries] | None = None,
) -> pd.DataFrame:
    """One row per site, sorted by value of converting (descending): site_id, name, operator,
    power_mw, grid_region, latitude, longitude, best_strategy, best_npv_usd (the recommended
    path's NPV), best_converting, best_not_converting (and their NPVs,
    best_converting_npv_usd and best_not_converting_npv_usd: the value of converting is their
    difference), keep_mining_npv_usd, convert_npv_usd, value_of_converting_usd,
    conversion_start_month (and error for sites that cannot be valued, with the package's own
    error message). ``price_histories``: a site's price
    history by site id, used in the months it covers as :func:`compare` uses one."""
    histories = price_histories or {}
    from models import ModelsError, estimate_retrofit
    from sites.errors import SitesError
    from sites.validation import check_site

    scenario = scenario or Scenario()

    def site_row(site: Site) -> dict[str, object]:  # each site's own retrofit and halls
        row: dict[str, object] = {
            "site_id": site.id, "name": site.name, "operator": site.operator,
            "power_mw": site.power.contracted_mw, "grid_region": site.grid_region,
            "latitude": site.latitude, "longitude": site.longitude,
        }  # fmt: skip
        try:
            check_site(site, today=scenario.market.as_of)
            retrofit = estimate_retrofit(site, as_of=scenario.market.as_of)
            model = build_site_model(site, scenario, retrofit,
                                     price_history=histories.get(site.id))  # fmt: skip
            rank = _Ranking.of(model, evaluate(model).npv_usd)
            npv = rank.npv_by_key
            mtc_row = rank.row_of["mine_then_convert"]
            row.update(
                best_strategy=rank.best,
                best_npv_usd=npv[rank.best],
                best_converting=rank.best_converting,
                best_not_converting=rank.best_not_converting,
                best_converting_npv_usd=npv[rank.best_converting],
                best_not_converting_npv_usd=npv[rank.best_not_converting],
                keep_mining_npv_usd=npv["keep_mining"],
                convert_npv_usd=npv["convert"],
                value_of_converting_usd=rank.value_of_converting_usd,
                conversion_start_month=(
                    float(model.plan.detail[mtc_row])
                    if rank.best == "mine_then_convert" else math.nan
                ),
                error="",
            )  # fmt: skip
        except (ValuationError, ModelsError, SitesError) as exc:
            row.update(best_strategy="", best_npv_usd=math.nan, best_converting="",
                       best_not_converting="", best_converting_npv_usd=math.nan,
                       best_not_converting_npv_usd=math.nan, keep_mining_npv_usd=math.nan,
                       convert_npv_usd=math.nan, value_of_converting_usd=math.nan,
                       conversion_start_month=math.nan, error=str(exc))  # fmt: skip
        return row

    # One row per site, the sites on the cores' threads (numpy releases the GIL), in order.
    frame = pd.DataFrame(list(map_in_threads(site_row, list(sites))))
    return frame.sort_values(
        "value_of_converting_usd", ascending=False, na_position="last"
    ).reset_index(drop=True)
