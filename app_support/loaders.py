"""Cached calls into the library for the app's pages.

Valuations are cached with ``st.cache_data`` keyed on their inputs: the site's full record and the
scenario's ``to_dict()``, so moving a slider back to a value already seen redraws at once and an
edited site is revalued because its key changed. Each call returns a copy, so a page cannot
change what another page reads.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import streamlit as st

from sites.schema import Site, to_record
from sites.store import SiteStore

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from valuation.conversion_plan import ConversionPlan, StartTable
    from valuation.decision import Decision
    from valuation.power import PriceSeries
    from valuation.scenario import Scenario

SELECTED_SITE_KEY = "selected_site_id"
SCENARIO_KEY = "scenario"  # the session's Scenario (app_support.assumptions writes it)
SCENARIO_NAME_KEY = "scenario_name"  # its name, as the board pack prints it


@st.cache_resource(show_spinner=False)
def store() -> SiteStore:
    """The inventory store: ``HASHPIVOT_DB_URL`` if set, else the SQLite file in the user's data
    folder (``SiteStore``'s own default)."""
    return SiteStore()


def sites() -> list[Site]:
    """Every site in the store, read fresh on each run (the inventory page edits it)."""
    return list(store().list())


# The last Monte Carlo run (valuation.risk.SiteRisk) and portfolio plan
# (valuation.conversion_plan.ConversionPlan) of the session: the board pack includes them.
LAST_RISK_KEY = "pack_last_risk"
LAST_PLAN_KEY = "pack_last_plan"
LAST_WAIT_KEY = "pack_last_wait"  # a WaitRun: the option to wait valued for the risk run


class WaitRun(NamedTuple):
    """The option to wait the risk page valued (``valuation.wait_option.WaitReport``), with
    what the pack's note names: the site's id, the seed and the scenario's name."""

    site_id: str
    report: Any
    seed: int
    scenario_name: str


# Each LAST_*_KEY's result -> the scenario_key of the assumptions it was made under.
PACK_MADE_UNDER_KEY = "pack_made_under"


def keep_for_pack(key: str, result: Any, made_under: Scenario) -> None:
    """Keep ``result`` (a run's) under ``key`` (one of the LAST_*_KEYs) for the Board pack, with
    the scenario it was made under: the pack includes it only under that scenario."""
    st.session_state[key] = result
    st.session_state.setdefault(PACK_MADE_UNDER_KEY, {})[key] = scenario_key(made_under)


def drop_from_pack(key: str) -> None:
    """Forget the result kept under ``key`` (its page's run has none)."""
    st.session_state.pop(key, None)
    st.session_state.get(PACK_MADE_UNDER_KEY, {}).pop(key, None)


def pack_sections(scenario: Scenario) -> tuple[list[Any], list[Any], list[Any], list[str]]:
    """The session's risk, option-to-wait and plan results made under ``scenario`` (the pack's)
    as board-pack sections (``reports.ReportSection``; empty when not run; typed loosely so the
    app's type check does not pull in reports): the risk run's summary table (scenario, paths
    and seed on every row), the option to wait last valued on the risk page, and the plan's
    timeline and funding curve, built by ``reports.sections`` as the command line's pack is.
    Last, the titles of the results left out because they were made under other assumptions
    (or under none recorded): a pack never mixes two scenarios."""
    from reports.sections import plan_sections, risk_sections, wait_sections

    made_under = st.session_state.get(PACK_MADE_UNDER_KEY, {})
    wanted = scenario_key(scenario)
    left_out: list[str] = []

    def made_here(key: str) -> Any:  # the result kept under ``key`` if made under ``scenario``
        result = st.session_state.get(key)
        if result is not None and made_under.get(key) != wanted:
            left_out.append(key)
            return None
        return result

    risk, plan = made_here(LAST_RISK_KEY), made_here(LAST_PLAN_KEY)
    wait: WaitRun | None = made_here(LAST_WAIT_KEY)
    waits = [] if wait is None else wait_sections(wait.site_id, wait.report, seed=wait.seed,
                                                  scenario_name=wait.scenario_name)  # fmt: skip
    titles = {LAST_RISK_KEY: "the Monte Carlo run", LAST_WAIT_KEY: "the option to wait",
              LAST_PLAN_KEY: "the portfolio plan"}  # fmt: skip
    return risk_sections(risk), waits, plan_sections(plan), [titles[k] for k in left_out]


def sites_or_stop(
    *,
    at_least: int = 1,
    empty_text: str = "The inventory is empty. Add sites on the Inventory page.",
) -> list[Site]:
    """Every site in the store for a page that needs ``at_least`` of them: a page that cannot
    read the store says so (the message masked) and stops, as it does with too few sites."""
    from app_support.safe_text import safe_message

    try:
        found = sites()
    except Exception as exc:  # a store that cannot be read: words, never a traceback
        st.error(f"The site inventory could not be read: {safe_message(exc)}")
        st.stop()
    if len(found) < at_least:
        st.info(empty_text)
        st.stop()
    return found


def site_picker(all_sites: list[Site], *, key: str, label: str = "Site") -> Site:
    """A site chosen by the reader (labelled with its operator: two sites may share a name),
    starting at the session's selected site; the choice becomes the session's selection."""
    by_id = {s.id: s for s in all_sites}
    ids = list(by_id)
    asked = st.query_params.get("site")
    selected = st.session_state.get(SELECTED_SITE_KEY)
    wanted = asked if asked in by_id else selected  # an unknown site: the one in view
    if asked and asked not in by_id:
        st.warning(unknown_sites_note([asked]), icon=":material/link_off:")
    site_id = st.selectbox(
        label,
        ids,
        index=ids.index(wanted) if wanted in by_id else 0,
        format_func=lambda i: (
            f"{by_id[i].name} ({by_id[i].operator})" if by_id[i].operator else by_id[i].name
        ),
        key=key,
    )
    st.session_state[SELECTED_SITE_KEY] = site_id
    return by_id[site_id]


def unknown_sites_note(site_ids: list[str]) -> str:
    """Words for an address naming sites the inventory does not have (user text, each cut to
    60 characters and made literal): the page shows another site instead."""
    from app_support.safe_text import md_escape

    shown = ", ".join(repr(i[:60] + ("…" if len(i) > 60 else "")) for i in site_ids)
    return md_escape(
        f"The address names a site the inventory does not have ({shown}): showing another "
        "site instead."
    )


def site_key(site: Site) -> str:
    """A stable text key of everything that describes a site."""
    return json.dumps(to_record(site), default=str, sort_keys=True)


def scenario_key(scenario: Scenario) -> str:
    """A stable text key of every assumption of a scenario."""
    return json.dumps(scenario.to_dict(), default=str, sort_keys=True)


@st.cache_data(show_spinner="Valuing the portfolio…", max_entries=16)
def _portfolio(
    _sites: tuple[Site, ...],
    _scenario: Scenario,
    key: str,
    _histories: dict[str, PriceSeries] | None = None,
) -> pd.DataFrame:
    from valuation.decision import compare_portfolio

    return compare_portfolio(list(_sites), _scenario, price_histories=_histories)


def price_histories(sites_: tuple[Site, ...]) -> dict[str, PriceSeries]:
    """Each of the sites' stored price histories (:func:`price_history`) by site id: the
    portfolio and the plan value a site on its history as the site page does. A history that
    cannot be read is left out (the site page names the problem)."""
    from valuation.regions import stored_price_histories

    found, _ = stored_price_histories(store(), (s.id for s in sites_))
    return found


def _sites_key(
    sites_: tuple[Site, ...], scenario: Scenario, histories: dict[str, PriceSeries]
) -> str:
    """The cache key of a valuation of several sites: the scenario, each site, each history."""
    return "|".join([scenario_key(scenario), *(site_key(s) for s in sites_),
                     *(f"{k}:{history_digest(v)}" for k, v in sorted(histories.items()))])  # fmt: skip


def portfolio(
    sites_: tuple[Site, ...],
    scenario: Scenario,
    histories: dict[str, PriceSeries] | None = None,
) -> pd.DataFrame:
    """``valuation.decision.compare_portfolio`` of the sites under a scenario, each on its
    stored price history (cached; a copy). ``histories``: :func:`price_histories` of the sites
    already read this run (a page valuing two scenarios reads the store once), else read."""
    if histories is None:
        histories = price_histories(sites_)
    return _portfolio(sites_, scenario, _sites_key(sites_, scenario, histories), histories)


@st.cache_data(show_spinner="Valuing the site…", max_entries=256)
def _decision(
    _site: Site, _scenario: Scenario, key: str, _history: PriceSeries | None = None
) -> Decision:
    from valuation.decision import compare

    # The estimate is the one the page's retrofit section shows (cached per site and market date).
    retrofit = retrofit_estimate(_site, _scenario)
    return compare(_site, _scenario, retrofit=retrofit, price_history=_history)


def decision(site: Site, scenario: Scenario, *, use_price_history: bool = True) -> Decision:
    """``valuation.decision.compare`` of one site under a scenario (cached; a copy, whose
    ``retrofit`` is the shared estimate of :func:`retrofit_estimate`: read only), on the site's
    stored price history (:func:`price_history`) in the months it covers unless
    ``use_price_history`` is False."""
    history = price_history(site.id) if use_price_history else None
    key = site_key(site) + "|" + scenario_key(scenario) + "|" + history_digest(history)
    return _decision(site, scenario, key, history)


def history_digest(history: PriceSeries | None) -> str:
    """A stable text key of a price history (its hours and prices); "" for none."""
    if history is None:
        return ""
    return hashlib.sha1(
        history.timestamps.asi8.tobytes() + history.prices_usd_per_mwh.tobytes()
    ).hexdigest()


def price_history(site_id: str) -> PriceSeries | None:
    """The site's price history stored beside it (``SiteStore.price_history``) as a
    ``valuation.power.PriceSeries``, or None when it has none (read fresh on each run: the
    Market page uploads and deletes it)."""
    stored = store().price_history(site_id)
    if stored is None:
        return None
    from valuation.regions import price_series_from_stored

    return price_series_from_stored(stored)


@st.cache_resource(show_spinner=False, max_entries=256)
def _estimate(_site: Site, as_of: str, key: str) -> RetrofitEstimate:
    from datetime import date

    from models import estimate_retrofit

    return estimate_retrofit(_site, as_of=date.fromisoformat(as_of))


def retrofit_estimate(site: Site, scenario: Scenario) -> RetrofitEstimate:
    """The site's retrofit estimate (``models.estimate_retrofit`` at the scenario's market date;
    cached, shared read-only). Raises the models' error for a site it cannot cost."""
    return _estimate(site, scenario.market.as_of.isoformat(), site_key(site))


def retrofit_estimate_usd_per_mw(site: Site, scenario: Scenario) -> float:
    """The site's own retrofit estimate (:func:`retrofit_estimate`) in the scenario's capex case
    (low, base or high), USD per critical IT MW before contingency: what the valuation charges
    when no capex figure is set, the scenario's contingency on top."""
    estimate = retrofit_estimate(site, scenario)
    case_usd = sum(estimate.capex_by_class_usd(scenario.capex_scenario).values())
    return float(case_usd / estimate.critical_it_mw)


def base_scenario() -> Scenario:
    """The scenario chosen for this session, or the base scenario ``Scenario()``."""
    from valuation.scenario import Scenario

    return st.session_state.get(SCENARIO_KEY) or Scenario()


@st.cache_data(show_spinner="Valuing each site's conversion starts…", max_entries=16)
def _start_table(  # noqa: ANN202
    _sites: tuple[Site, ...],
    _scenario: Scenario,
    key: str,
    _histories: dict[str, PriceSeries] | None = None,
):
    from valuation.conversion_plan import start_table

    return start_table(list(_sites), _scenario, price_histories=_histories)


def start_table(sites_: tuple[Site, ...], scenario: Scenario):  # noqa: ANN201
    """``valuation.conversion_plan.start_table`` of the sites under a scenario, each on its
    stored price history (cached): each site's value by start year, capex schedule and
    critical IT MW."""
    return start_table_and_key(sites_, scenario)[0]


def start_table_and_key(sites_: tuple[Site, ...], scenario: Scenario) -> tuple[StartTable, str]:
    """:func:`start_table` and the key it is cached on (the scenario, each site, each price
    history): :func:`plan` caches a plan on it, without reading the histories again."""
    histories = price_histories(sites_)
    key = _sites_key(sites_, scenario, histories)
    return _start_table(sites_, scenario, key, histories), key


@st.cache_data(show_spinner=False, max_entries=32)
def _plan(
    _table: StartTable,
    key: str,
    equity_budget_usd_per_year: float | None,
    equity_budget_usd_total: float | None,
    mw_cap_per_year: float | None,
    loan_to_cost: float,
    first_year: int,
    time_limit_s: float,
) -> ConversionPlan:
    from valuation.conversion_plan import plan_portfolio

    return plan_portfolio(
        _table,
        equity_budget_usd_per_year=equity_budget_usd_per_year,
        equity_budget_usd_total=equity_budget_usd_total,
        mw_cap_per_year=mw_cap_per_year,
        loan_to_cost=loan_to_cost,
        first_year=first_year,
        time_limit_s=time_limit_s,
    )


def plan(
    table: StartTable,
    table_key: str,
    *,
    equity_budget_usd_per_year: float | None,
    equity_budget_usd_total: float | None,
    mw_cap_per_year: float | None,
    loan_to_cost: float,
    first_year: int,
    time_limit_s: float,
) -> ConversionPlan:
    """``valuation.conversion_plan.plan_portfolio`` on a start table from
    :func:`start_table_and_key` (cached on its key and the limits): a budget per year can take
    the solver to its time limit, twice, so a board returning to limits it has tried sees that
    plan again at once, not a fresh wait (and not another plan from a solve stopped at its
    limit)."""
    return _plan(table, table_key, equity_budget_usd_per_year, equity_budget_usd_total,
                 mw_cap_per_year, loan_to_cost, first_year, time_limit_s)  # fmt: skip
