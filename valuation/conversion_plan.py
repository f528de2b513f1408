"""The portfolio plan from the sites themselves: each site's value by start year, the capex each
start spends by year, its critical IT MW, then :func:`valuation.portfolio.plan_conversions`.

A start year ``y`` is the plan year (months ``12 y .. 12 y + 11`` from the valuation date) in
which the site starts looking for a tenant: the decision months of ``mine_then_convert`` (row 0
is ``convert``, now). For each site and start year:

- ``value_usd``: the incremental value of converting then over the site's best path that does
  not convert, ``NPV(mine_then_convert starting then) - max(NPV(keep_mining),
  NPV(mining_with_dr), NPV(sell_site))``, USD at the valuation date, the tenant expectation
  applied (``valuation.strategies.evaluate``). By default the deterministic values (exactly
  ``valuation.decision.compare(site).start_grid`` less the best non-converting NPV); a
  ``values`` source replaces them (the Monte Carlo means of ``valuation.risk`` when it lands):
  a callable ``(site, scenario, starts) -> (starts,)`` or a DataFrame indexed by site id with
  one column per start year (int), nan where that start is not possible.
- ``capex_usd``: the retrofit capex the start commits (contingency included, at the scenario
  capex), nominal USD. The full amount, not weighted by the signing probability: a budget must
  be able to fund the build if the tenant signs.
- ``capex_schedule``: the share of it spent in the start year and each year after, from the
  row's own schedule (construction starts at signing, each hall on the S-curve of
  ``valuation.hosting.construction_spend_usd`` from its construction start to ready for
  service, delay included), so a start whose signing waits for power spends later.
- ``critical_it_mw``: the site's critical IT MW (the retrofit's halls), what the tenants take.

Where several decision months fall in one plan year (a step under 12 months) the year keeps
its best start.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from valuation.errors import ValuationError
from valuation.formatting import usd
from valuation.hosting import construction_spend_usd
from valuation.portfolio import (
    DEFAULT_LOAN_TO_COST,
    DEFAULT_TENANT_PREPAYMENT_USD,
    PortfolioPlan,
    plan_conversions,
)
from valuation.scenario import Scenario
from valuation.strategies import NOT_CONVERTING, SiteModel, build_site_model, evaluate

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from sites.schema import Site
    from valuation.power import PriceSeries

__all__ = [
    "INTERACTIVE_TIME_LIMIT_S",
    "ConversionPlanError",
    "SiteStarts",
    "StartTable",
    "ValueSource",
    "site_starts",
    "starts_from_model",
    "start_table",
    "ConversionPlan",
    "plan_portfolio",
    "shadow_price_sentence",
]

ValueSource = Callable[["Site", Scenario, "SiteStarts"], Any]

# The app's limit per solve (and the benchmark's for it): with a budget the plan and its +$100M
# re-solve each take it, and each may search SEARCH_SHARE of it more; a board waits for the plan.
INTERACTIVE_TIME_LIMIT_S = 5.0


class ConversionPlanError(ValuationError, ValueError):
    """A conversion-plan input has the wrong shape or value."""


@dataclass(frozen=True)
class SiteStarts:
    """One site's conversion starts (see the module docstring), one entry per start year.

    ``start_year`` (starts,) plan years, increasing; ``decision_month`` the month the search
    for a tenant starts; ``npv_usd`` the mine-then-convert NPV of that start (USD at the
    valuation date, tenant expectation applied); ``value_usd`` = ``npv_usd`` minus
    ``best_not_converting_npv_usd``; ``capex_usd`` (starts,) nominal USD; ``capex_by_year_usd``
    (starts, k) its spend in plan years ``start_year + j``.
    """

    site_id: str
    name: str
    start_year: np.ndarray
    decision_month: np.ndarray
    npv_usd: np.ndarray
    value_usd: np.ndarray
    best_not_converting: str
    best_not_converting_npv_usd: float
    capex_usd: np.ndarray
    capex_by_year_usd: np.ndarray
    critical_it_mw: float

    @property
    def capex_schedule(self) -> np.ndarray:
        """(starts, k) the share of each start's capex spent in each year from its start."""
        total = self.capex_by_year_usd.sum(axis=1, keepdims=True)
        k = self.capex_by_year_usd.shape[1]
        first = np.zeros(k)
        first[0] = 1.0  # a start with no capex: nothing to spread
        return np.where(total > 0, self.capex_by_year_usd / np.where(total > 0, total, 1.0), first)


def starts_from_model(model: SiteModel, name: str = "") -> SiteStarts:
    """:class:`SiteStarts` of a built site model (deterministic values)."""
    plan = model.plan
    npv = evaluate(model).npv_usd
    non = {k: float(npv[plan.groups[k]].max()) for k in NOT_CONVERTING}
    best_non = max(NOT_CONVERTING, key=lambda k: (non[k], -NOT_CONVERTING.index(k)))
    rows = plan.groups["mine_then_convert"][:-1]  # convert (month 0), later starts; not "never"
    months = np.clip(plan.detail[rows], 0, None)
    months[0] = 0
    shift = plan.shift_index[rows]
    hb = model.hosting
    start = hb.construction_start_month[shift]  # (starts, H)
    ready = hb.ready_for_service_month[shift]  # delay included
    crit = model.critical_it_mw_by_hall
    hall_capex = model.retrofit_capex_total_usd * crit / crit.sum()
    n_ext = int(ready.max()) + 13
    spend = construction_spend_usd(hall_capex, start, ready, n_ext).sum(axis=1)  # (starts, n_ext)
    year = months // 12
    k = int(n_ext // 12 + 1 - year.min())
    by_year = np.zeros((rows.size, k + 1))
    rel = np.arange(n_ext)[None, :] // 12 - year[:, None]  # spend month's year from the start
    np.add.at(by_year, (np.repeat(np.arange(rows.size), n_ext), np.clip(rel, 0, k).ravel()),
              spend.ravel())  # fmt: skip
    last = int(np.flatnonzero(by_year.any(axis=0)).max(initial=0))
    by_year = by_year[:, : last + 1]
    value = npv[rows] - non[best_non]
    # the best start of each plan year (a step under 12 months puts several in one year)
    keep = np.ones(rows.size, dtype=bool)
    for y in np.unique(year):  # a loop over the few years of one site
        same = np.flatnonzero(year == y)
        keep[same] = False
        keep[same[int(np.argmax(value[same]))]] = True
    return SiteStarts(
        site_id=model.site_id,
        name=name or model.site_id,
        start_year=year[keep].astype(np.int64),
        decision_month=months[keep].astype(np.int64),
        npv_usd=npv[rows][keep],
        value_usd=value[keep],
        best_not_converting=best_non,
        best_not_converting_npv_usd=non[best_non],
        capex_usd=by_year[keep].sum(axis=1),
        capex_by_year_usd=by_year[keep],
        critical_it_mw=model.critical_it_mw,
    )


def site_starts(
    site: Site,
    scenario: Scenario | None = None,
    *,
    retrofit: RetrofitEstimate | None = None,
    price_history: PriceSeries | None = None,
) -> SiteStarts:
    """:class:`SiteStarts` of ``site`` under ``scenario`` (base when None), deterministic, on
    the site's ``price_history`` in the months it covers; the site is checked with the
    inventory's rules first, as ``compare`` does."""
    from models import estimate_retrofit
    from sites.validation import check_site

    scenario = scenario or Scenario()
    check_site(site, today=scenario.market.as_of)
    retrofit = retrofit or estimate_retrofit(site, as_of=scenario.market.as_of)
    model = build_site_model(site, scenario, retrofit, price_history=price_history)
    return starts_from_model(model, site.name)


@dataclass(frozen=True)
class StartTable:
    """Every site's starts on one grid of plan years, what :func:`plan_portfolio` solves.

    ``value_usd`` and ``capex_usd`` (sites, years), nan value where a start is not possible;
    ``capex_schedule`` (sites, years, k); ``critical_it_mw`` (sites,); ``source`` says where
    the values come from; ``starts`` each site's :class:`SiteStarts` (deterministic capex and
    schedule); ``errors`` the sites left out, by id, with the package's message.
    """

    site_ids: tuple[str, ...]
    names: tuple[str, ...]
    value_usd: np.ndarray
    capex_usd: np.ndarray
    capex_schedule: np.ndarray
    critical_it_mw: np.ndarray
    source: str
    starts: tuple[SiteStarts, ...]
    errors: dict[str, str]

    @property
    def n_years(self) -> int:
        return int(self.value_usd.shape[1])

    def frame(self) -> pd.DataFrame:
        """The values as a DataFrame: one row per site (index site_id), one column per year."""
        return pd.DataFrame(
            self.value_usd, index=pd.Index(self.site_ids, name="site_id"),
            columns=pd.RangeIndex(self.n_years, name="start_year"),
        )  # fmt: skip


def _supplied_values(
    values: ValueSource | pd.DataFrame, site: Site, scenario: Scenario, starts: SiteStarts
) -> np.ndarray:
    """The supplied values of ``site``'s start years (nan where the source has none)."""
    if isinstance(values, pd.DataFrame):
        if site.id not in values.index:
            raise ConversionPlanError(
                f"values has no row for site {site.id!r}; allowed a DataFrame indexed by site id "
                "with one column per start year"
            )
        row = values.loc[site.id]
        try:
            cols = {int(c): c for c in row.index}
        except (TypeError, ValueError):
            raise ConversionPlanError(
                f"values has columns {list(row.index)!r}; allowed start years (integers)"
            ) from None
        got = [row[cols[y]] if y in cols else math.nan for y in starts.start_year.tolist()]
    else:
        got = values(site, scenario, starts)
    try:
        arr = np.asarray(got, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ConversionPlanError(
            f"values for site {site.id!r} are not numbers; allowed one number per start year"
        ) from None
    if arr.shape != starts.start_year.shape or np.isinf(arr).any():
        raise ConversionPlanError(
            f"values for site {site.id!r} have shape {arr.shape} (or an infinity); allowed "
            f"{starts.start_year.shape} finite numbers or nan, one per start year "
            f"{starts.start_year.tolist()}"
        )
    return arr


def start_table(
    sites: Sequence[Site],
    scenario: Scenario | None = None,
    *,
    values: ValueSource | pd.DataFrame | None = None,
    starts: Sequence[SiteStarts] | None = None,
    price_histories: Mapping[str, PriceSeries] | None = None,
) -> StartTable:
    """Each site's starts (:func:`site_starts`, on its price history by site id in
    ``price_histories``) on one year grid; ``values`` replaces the deterministic values (module
    docstring). Sites that cannot be valued are left out with their message in ``errors``.
    ``starts`` reuses :class:`SiteStarts` already computed (one per site, same order)."""
    from models import ModelsError
    from sites.errors import SitesError

    scenario = scenario or Scenario()
    sites = list(sites)
    if starts is not None and len(starts) != len(sites):
        raise ConversionPlanError(f"starts has {len(starts)} entries; allowed {len(sites)}")
    got: list[tuple[Site, SiteStarts, np.ndarray]] = []
    errors: dict[str, str] = {}
    histories = price_histories or {}
    for i, site in enumerate(sites):  # one valuation per site
        try:
            if starts is not None:
                st = starts[i]
            else:
                st = site_starts(site, scenario, price_history=histories.get(site.id))
            v = st.value_usd if values is None else _supplied_values(values, site, scenario, st)
        except ConversionPlanError:
            raise
        except (ValuationError, ModelsError, SitesError) as exc:
            errors[site.id] = str(exc)
            continue
        got.append((site, st, v))
    if not got:
        raise ConversionPlanError(
            "no site could be valued: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
            if errors
            else "sites is empty; allowed one or more sites"
        )
    n_years = max(int(st.start_year.max()) + 1 for _, st, _ in got)
    k = max(st.capex_by_year_usd.shape[1] for _, st, _ in got)
    n = len(got)
    value = np.full((n, n_years), np.nan)
    capex = np.zeros((n, n_years))
    sched = np.zeros((n, n_years, k))
    sched[:, :, 0] = 1.0  # impossible starts: any valid schedule, never chosen
    for i, (_, st, v) in enumerate(got):
        y = st.start_year
        value[i, y] = v
        capex[i, y] = st.capex_usd
        s = st.capex_schedule
        sched[i, y, :] = 0.0
        sched[i, y, : s.shape[1]] = s
    return StartTable(
        site_ids=tuple(s.id for s, _, _ in got),
        names=tuple(s.name for s, _, _ in got),
        value_usd=value,
        capex_usd=capex,
        capex_schedule=sched,
        critical_it_mw=np.array([st.critical_it_mw for _, st, _ in got]),
        source="deterministic" if values is None else "supplied",
        starts=tuple(st for _, st, _ in got),
        errors=errors,
    )


@dataclass(frozen=True)
class ConversionPlan:
    """The plan (:class:`valuation.portfolio.PortfolioPlan`) with the table it was solved on.

    ``timeline`` adds each converting site's name, decision month and the calendar year of its
    start; ``funding`` adds the calendar year; ``shadow_sentence`` says what another
    ``budget_increment_usd`` of equity is worth; ``left_out`` the sites it does not convert and
    why.
    """

    plan: PortfolioPlan
    table: StartTable
    timeline: pd.DataFrame
    funding: pd.DataFrame
    first_year: int
    shadow_sentence: str

    @property
    def value_usd(self) -> float:
        return self.plan.value_usd

    @property
    def left_out(self) -> pd.DataFrame:
        """The sites the plan does not convert, with their names (``PortfolioPlan.left_out``:
        site_id, name, best_value_usd, reason), the most valuable first."""
        out = self.plan.left_out.copy()
        name_of = dict(zip(self.table.site_ids, self.table.names, strict=True))
        out.insert(1, "name", [name_of[s] for s in out["site_id"]])
        return out.sort_values("best_value_usd", ascending=False, na_position="last").reset_index(
            drop=True
        )


def shadow_price_sentence(
    plan: PortfolioPlan,
    *,
    total_budget: bool = False,
    unlimited_value_usd: float | None = None,
    mw_capped: bool = False,
) -> str:
    """ "Another $100M of equity budget is worth $X", from the plan's re-solve; ``total_budget``
    says the re-solve added it to the total budget (else to every budgeted year's, and the
    value per dollar is over all the years' extra). An estimate when a solve was not proven.
    ``unlimited_value_usd``: the plan's value with no budget and no MW cap (each site at its best
    start, where worth converting); when the plan reaches it nothing binds, else the sentence
    does not say so (a $100M step too small to fund another start is worth nothing, yet the
    budget or the cap binds); ``mw_capped`` says an MW cap is set."""
    inc = usd(plan.budget_increment_usd)
    held_back = unlimited_value_usd is not None and plan.value_usd < unlimited_value_usd - 0.5
    if plan.shadow_value_usd is None:
        if held_back and mw_capped:
            return (
                "No equity budget is set, so more money changes nothing: the cap on the MW "
                "tenants take each year is what holds starts back."
            )
        if held_back:  # no limit set, yet short of the best: a solve stopped at its time limit
            return "No equity budget is set, so more money changes nothing."
        return (
            "No equity budget is set, so more money changes nothing: every start worth "
            "converting fits."
        )
    what, added_usd = "in total", plan.budget_increment_usd
    if not total_budget:  # the re-solve added the increment to every budgeted year's limit
        n_years = int(np.isfinite(plan.funding["equity_budget_usd"]).sum())
        added_usd *= n_years
        what = f"in every budgeted year: {usd(added_usd)} over {n_years} years"
    gain = plan.shadow_value_usd
    proven = plan.optimal and plan.shadow_optimal
    if gain <= 0.5:
        if not proven:  # why nothing was gained is not known: say only what was found
            return (
                f"Another {inc} of equity budget ({what}) adds nothing to the plans found "
                "(a solve stopped at its time limit: an estimate)."
            )
        if held_back:
            return (
                f"Another {inc} of equity budget ({what}) adds nothing: it is too little to "
                "fund another conversion or start one sooner"
                + (", or the MW cap holds starts back." if mw_capped else ".")
            )
        return (
            f"Another {inc} of equity budget ({what}) is worth nothing: the budget does not bind."
        )
    return (
        f"Another {inc} of equity budget ({what}) is worth {usd(gain)} "
        f"({gain / added_usd:.2f} per dollar), by re-solving the plan"
        + ("." if proven else " (a solve stopped at its time limit: an estimate).")
    )


def plan_portfolio(
    table: StartTable,
    *,
    equity_budget_usd_per_year: Any = None,
    equity_budget_usd_total: float | None = None,
    mw_cap_per_year: Any = None,
    loan_to_cost: float = DEFAULT_LOAN_TO_COST,
    tenant_prepayment_usd: Any = DEFAULT_TENANT_PREPAYMENT_USD,
    budget_increment_usd: float = 100e6,
    first_year: int | None = None,
    time_limit_s: float = 10.0,
) -> ConversionPlan:
    """Solve the plan on ``table`` (:func:`valuation.portfolio.plan_conversions`, exact):
    budgets are equity (capex less project debt at ``loan_to_cost``, less tenant prepayments),
    per funding year and/or in total, None for none; ``mw_cap_per_year`` caps the critical IT
    MW starting each plan year (None: no cap). ``first_year`` is the calendar year in which plan
    year 0 starts (the market's as-of year; None keeps plan years from 0)."""
    plan = plan_conversions(
        table.value_usd,
        table.capex_usd,
        table.capex_schedule,
        equity_budget_usd_per_year=equity_budget_usd_per_year,
        equity_budget_usd_total=equity_budget_usd_total,
        critical_it_mw=None if mw_cap_per_year is None else table.critical_it_mw,
        mw_cap_per_year=mw_cap_per_year,
        loan_to_cost=loan_to_cost,
        tenant_prepayment_usd=tenant_prepayment_usd,
        site_ids=table.site_ids,
        budget_increment_usd=budget_increment_usd,
        time_limit_s=time_limit_s,
    )
    y0 = 0 if first_year is None else int(first_year)
    name_of = dict(zip(table.site_ids, table.names, strict=True))
    month_of = {
        (st.site_id, int(y)): int(m)
        for st in table.starts
        for y, m in zip(st.start_year, st.decision_month, strict=True)
    }
    timeline = plan.timeline.copy()
    timeline.insert(1, "name", [name_of[s] for s in timeline["site_id"]])
    timeline["critical_it_mw"] = [
        float(table.critical_it_mw[table.site_ids.index(s)]) for s in timeline["site_id"]
    ]
    timeline["decision_month"] = [
        month_of.get((s, int(y)), 12 * int(y))
        for s, y in zip(timeline["site_id"], timeline["start_year"], strict=True)
    ]
    timeline["calendar_year"] = timeline["start_year"] + y0
    funding = plan.funding.copy()
    # The MW started each year whether or not a cap limits it (the solver sees MW only with one).
    funding["critical_it_mw_started"] = np.bincount(
        timeline["start_year"].to_numpy(dtype=int),
        weights=timeline["critical_it_mw"].to_numpy(dtype=float),
        minlength=len(funding),
    )[: len(funding)]
    funding["calendar_year"] = funding["year"] + y0
    return ConversionPlan(
        plan=plan,
        table=table,
        timeline=timeline,
        funding=funding,
        first_year=y0,
        shadow_sentence=shadow_price_sentence(
            plan,
            total_budget=equity_budget_usd_total is not None
            and math.isfinite(float(equity_budget_usd_total)),
            # with no limit each site starts at its best year, where that is worth converting
            mw_capped=mw_cap_per_year is not None,
            unlimited_value_usd=float(
                np.where(np.isfinite(table.value_usd), table.value_usd, 0.0)
                .max(axis=1, initial=0.0)
                .sum()
            ),
        ),
    )
