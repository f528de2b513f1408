"""Site decision: one site's facts (unknowns shown as unknown) and the market snapshot's age; the
recommendation, its key figures and reasons; every distinct path by name with its NPV, return and
terminal-value share (paths equal to another said once); cumulative cash flows, the value bridge,
when and how much to convert; the tenant prospects and the fleet; the grid region's price shape
and programs; the break-evens; the retrofit and its schedule. The page lays out: numbers come
from ``valuation`` and words from ``app_support.site_view``, charts from ``app_support.charts``.

A moved control reruns only what it moves (one fragment: the recommendation down to the
break-evens). The site's facts, its grid region and its retrofit depend on the site and on the
scenario the controls apply to (``assumptions.reference_scenario``: its market date, programs and
policy levers), not on a control, so they are drawn from that scenario outside the fragment, on
a full run of the page (another site, a reload), and again when one of those three changes."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app_support import assumptions, charts, loaders, regions_view, site_view
from app_support.safe_text import md_escape, safe_message
from app_support.unknowns import unknown_warning
from models import RetrofitEstimate
from sites.schema import Site
from valuation import formatting as fmt
from valuation.power import PriceSeries
from valuation.regions import region_for
from valuation.scenario import Scenario
from valuation.strategies import CONVERTING, SiteModel, build_site_model

st.title("Site decision")

all_sites = loaders.sites_or_stop()
site = loaders.site_picker(all_sites, key="site_select")

TOP_REASONS = 5


@st.cache_resource(show_spinner=False, max_entries=64)
def _site_model(
    _site: Site,
    _scenario: Scenario,
    _retrofit: RetrofitEstimate,
    _history: PriceSeries | None,
    key: str,
) -> SiteModel:
    """The site's model under the scenario (frozen, shared read-only): its region, the months a
    price history priced, today's hashprice and capex per MW as the break-evens use them."""
    return build_site_model(_site, _scenario, _retrofit, price_history=_history)


def _model(site: Site, scenario: Scenario, retrofit: RetrofitEstimate) -> SiteModel:
    history = loaders.price_history(site.id)
    return _site_model(
        site, scenario, retrofit, history,
        loaders.site_key(site) + "|" + loaders.scenario_key(scenario)
        + "|" + loaders.history_digest(history),
    )  # fmt: skip


def _outside_key(scenario: Scenario) -> str:
    """What the parts outside the fragment read of a scenario: its market date, policy levers and
    grid programs (no control moves any of them)."""
    return repr((scenario.market.as_of, scenario.policy_levers, scenario.dr_programs))


def _draw(chart: charts.VegaChart) -> None:
    st.vega_lite_chart(chart.data, chart.spec, width="stretch")


# A moved control reruns only this fragment (its controls are drawn inside it, in the sidebar): the
# recommendation down to the break-evens. ``outside_key`` is what the parts outside were drawn
# from; when a control here changed it (the scenario picker, a deleted scenario), the whole page
# is redrawn, before the sidebar so that its notes ("Deleted ...") are drawn once, by that run.
@st.fragment
def _assumption_driven(site: Site, outside_key: str) -> None:
    if _outside_key(assumptions.reference_scenario()) != outside_key:
        st.rerun()
    # --- Assumptions (sidebar) --------------------------------------------------------------------
    # The session's assumptions (app_support.assumptions): the capex slider starts at this site's
    # own estimate, and the address names the site.
    scenario = assumptions.sidebar(site=site)
    try:
        decision = loaders.decision(site, scenario)
    except Exception as exc:  # a site the valuation refuses: say why, never a traceback
        st.error(f"This site could not be valued with these assumptions: {safe_message(exc)}")
        st.stop()

    # --- Recommendation ---------------------------------------------------------------------------
    best = decision.best_strategy
    st.subheader("Recommendation")
    box = st.success if best in CONVERTING else st.info
    # The recommendation names the site's figures ($ would start Markdown math): made literal.
    box(md_escape(decision.recommendation), icon=":material/lightbulb:")
    best_result = decision.strategies[best]
    ret = site_view.conversion_return(decision)
    with st.container(horizontal=True, gap="small"):
        st.metric(
            "Value of converting",
            fmt.usd(decision.value_of_converting_usd),
            help="The best converting path's NPV minus the best NPV of a path that does not "
            "convert (keep mining, mine with demand response, or sell the site). Positive: "
            "converting creates value.",
            border=True,
            width="content",
        )
        st.metric(ret.label, ret.value, help=ret.help, border=True, width="content")
        st.metric(
            "Tenant signing odds",
            fmt.pct(decision.tenant["signing_probability"], digits=0),
            help="Probability that an AI tenant signs within the lease-up period; the converting "
            "paths' values are weighted by it (otherwise the site keeps mining).",
            border=True,
            width="content",
        )
        if best == "mine_then_convert":
            st.metric(
                "Start looking for a tenant",
                f"in {fmt.months(decision.conversion_start_month)}",
                help="Mine until then; the month that gives mine-then-convert its highest NPV on a "
                f"grid of {decision.scenario.mine_then_convert_step_months}-month steps.",
                border=True,
                width="content",
            )
        share = best_result.terminal_value_share
        st.metric(
            "Terminal value share",
            fmt.pct(share, digits=0),  # a dash where the NPV is not positive (no share to show)
            help="Share of the recommended path's NPV that is the value of the business at year "
            f"{decision.scenario.horizon_months / 12:g} (the terminal value, after the tax on its "
            "sale), discounted to today: the part of the case that rests on the exit.",
            border=True,
            width="content",
        )
    st.markdown("**Why**")
    st.markdown("\n".join(f"- {md_escape(r.text)}" for r in decision.reasons[:TOP_REASONS]))
    if len(decision.reasons) > TOP_REASONS:
        with st.expander(f"{len(decision.reasons) - TOP_REASONS} smaller reasons"):
            st.markdown("\n".join(f"- {md_escape(r.text)}" for r in decision.reasons[TOP_REASONS:]))

    # --- Paths ------------------------------------------------------------------------------------
    st.subheader("The paths compared")
    paths = site_view.paths_table(decision)
    # A static table: it wraps long path names at any width, where a grid would hide columns.
    st.table(
        paths.drop(columns="npv_usd").rename(columns=site_view.PATH_COLUMNS),
        hide_index=True,
        border="horizontal",
    )
    st.caption(
        "★ recommended. Return: the path's own yearly IRR where exactly one rate zeroes its "
        'NPV, else its MIRR; "does not pay back" where less comes out than goes in; no outlay '
        "where no money goes in before it comes out. (The return on converting above is on "
        "what converting adds over the best path that does not convert, so it differs from "
        "the converting path's own.) Payback: years until the undiscounted "
        "cumulative cash flow, before the value at the horizon (as the chart below), is back to "
        "zero, or not within the horizon. Peak funding: the deepest "
        "the cumulative cash flow goes below zero; for a converting path as if the tenant "
        "signs, the money the conversion needs (the NPV and payback weigh in the tenant's "
        "odds). Value at the horizon: the share of the NPV "
        "that is the business's value at the end of the horizon, after the tax on its sale."
    )
    waiting = site_view.waiting_line(decision)
    if waiting:
        st.markdown(md_escape(waiting))
    for line in site_view.identical_lines(decision):
        st.caption(md_escape(line))

    st.markdown("**Cumulative cash flow** of each path, before financing")
    _draw(charts.cumulative_chart(decision))
    st.caption(
        "The value at the horizon (the business's value in the last month, less the tax on its "
        "sale) is named in the legend, not drawn, and neither is that tax: it would dwarf fifteen "
        "years of operations."
    )
    conv_label = decision.strategies[decision.best_converting].label.split(":")[0]
    non_label = decision.strategies[decision.best_not_converting].label.split(" (")[0]
    st.markdown(f"**Value bridge**, NPV: {md_escape(non_label)} → {md_escape(conv_label)}")
    _draw(charts.waterfall_chart(decision))

    start_col, split_col = st.columns(2)
    with start_col:
        st.markdown("**When to convert**: NPV by the year the search for a tenant starts")
        _draw(charts.start_grid_chart(decision))
        st.caption("Year 0 is converting now; the diamond marks the best start.")
    with split_col:
        st.markdown("**How much to convert**: NPV by the share of the site converted")
        _draw(charts.hybrid_grid_chart(decision))
        st.caption(
            "0% is keep mining, 100% converts the whole site; the diamond marks the best split."
        )

    # --- Tenant and fleet -------------------------------------------------------------------------
    st.subheader("The tenant and the fleet")
    with st.container(horizontal=True, gap="small"):
        for fig in site_view.tenant_figures(decision):
            st.metric(fig.label, fig.value, help=fig.help, width="content")
    st.text(decision.fleet_note)  # names the inventory's machines: user text, shown as text

    # --- Break-evens ------------------------------------------------------------------------------
    st.subheader("Break-evens against today's assumptions")
    be = decision.breakevens
    st.table(
        [
            {"Break-even": "Lease rate",
             "Paths worth the same at": fmt.rate_usd_per_kw_month(be.lease_rate_usd_per_kw_month),
             "Today": fmt.rate_usd_per_kw_month(be.lease_rate_today_usd_per_kw_month)},
            {"Break-even": "Hashprice",
             "Paths worth the same at": fmt.hashprice(be.hashprice_usd_per_ph_day),
             "Today": fmt.hashprice(be.hashprice_today_usd_per_ph_day)},
            {"Break-even": "Bitcoin price",
             "Paths worth the same at": fmt.usd_exact(be.btc_price_usd),
             "Today": fmt.usd_exact(be.btc_price_today_usd)},
            {"Break-even": "Retrofit capex per critical MW (the most converting can bear)",
             "Paths worth the same at": fmt.usd_per_mw(be.max_capex_usd_per_mw),
             "Today": fmt.usd_per_mw(be.capex_today_usd_per_mw)},
        ],
        hide_index=True,
        border="horizontal",
    )  # fmt: skip
    st.caption(
        "Each break-even moves one assumption alone until the best converting path and the best "
        "path that does not convert have the same NPV; a dash means no value in range does it. "
        "The lease rate is this site's achievable rate; capex includes contingency."
    )


def _facts(site: Site, scenario: Scenario) -> None:
    """Who and where the site is, what the inventory does not know, the snapshot's age and the
    site's facts: the site's and the market date's, no control moves them."""
    region = region_for(site.grid_region)

    place = ", ".join(p for p in (site.county, site.state) if p)
    # User text (operator, county): shown as text, never as Markdown.
    st.text(
        f"{site.operator or 'Operator unknown'} · {place or 'location unknown'} · "
        f"{region.name} · {site.status.replace('_', ' ')}"
        + (" · figures partly estimated" if site.approximate else "")
    )
    # Facts the inventory does not know are valued on conservative assumptions: say which.
    if (unknown_text := unknown_warning(site)) is not None:
        st.warning(unknown_text, icon=":material/help:")
    age_days, age_text = site_view.snapshot_age(scenario.market.as_of, date.today())
    if age_days > site_view.STALE_SNAPSHOT_DAYS:
        st.warning(
            f"{age_text} Fetch today's figures on the Market page, or read every value as of "
            "that day.",
            icon=":material/schedule:",
        )
    else:
        st.caption(age_text)
    with st.container(horizontal=True, gap="small"):
        for fig in site_view.site_facts(site):
            st.metric(fig.label, fig.value, help=fig.help, width="content")


def _region_and_retrofit(site: Site, scenario: Scenario) -> None:
    """The grid region's price shape and programs, and the retrofit with its schedule: the site's
    and the scenario's (market date, programs, levers), no control moves them. Nothing when the
    site cannot be costed or modelled (the fragment above says why)."""
    try:
        retrofit = loaders.retrofit_estimate(site, scenario)
        model = _model(site, scenario, retrofit)
    except Exception:  # the fragment above shows the reason
        return
    region = region_for(model.grid_region)

    # --- Grid region ------------------------------------------------------------------------------
    st.subheader(f"Grid region: {region.name}")
    st.caption(md_escape(f"{region.description} Price index: {region.hub}."))
    st.caption(md_escape(site_view.price_source_text(region.name, model.history_months)))
    if model.levers_on:
        st.caption(md_escape("Policy levers switched on: " + ", ".join(model.levers_on) + "."))
    price_col, prog_col = st.columns([2, 3])
    with price_col:
        st.markdown("**Price shape**: a year of hourly prices, highest first")
        _draw(charts.price_duration_chart(region))
    with prog_col:
        paid = [p.name for p in model.dr_programs]
        st.markdown(f"**Grid programs in {region.name}**")
        programs = regions_view.program_frame(region, scenario.market.as_of)
        if programs.empty:
            st.caption(f"{region.name} lists no program a large flexible load can join.")
        else:
            st.table(
                programs[["program", "usd_per_mw_year", "large_flexible_load", "in_default_set"]]
                .assign(
                    usd_per_mw_year=programs["usd_per_mw_year"].map(fmt.usd),
                    in_default_set=programs["in_default_set"].map({True: "yes", False: "no"}),
                )
                .rename(
                    columns={
                        "program": "Program",
                        "usd_per_mw_year": "Per MW-year",
                        "large_flexible_load": "Miners can join",
                        "in_default_set": "Valued here",
                    }
                ),
                hide_index=True,
                border="horizontal",
            )
        st.caption(
            md_escape(
                "Mining with demand response is paid by: " + ", ".join(paid) + "."
                if paid
                else "No program pays this site: mining with demand response is plain mining here."
            )
            + " Each program's obligations, eligibility and source are on the Market page."
        )

    # --- Retrofit ---------------------------------------------------------------------------------
    st.subheader("Retrofit to AI hosting")
    st.caption(
        md_escape(
            f"{fmt.power(retrofit.critical_it_mw)} of critical IT load at a design PUE of "
            f"{retrofit.design_pue:.2f}: {fmt.usd(retrofit.total_base_usd)} base case "
            f"({fmt.usd(retrofit.total_low_usd)} to {fmt.usd(retrofit.total_high_usd)}), "
            f"{fmt.usd_per_mw(retrofit.capex_per_critical_mw_usd)} of critical IT. "
            f"Critical path: {retrofit.critical_path}. The valuation charges the scenario's "
            f"{scenario.capex_scenario} case or the capex set in the sidebar, with its "
            f'contingency ({fmt.pct(scenario.contingency, digits=0)}): the break-evens\' "Today".'
        )
    )
    cost_col, sched_col = st.columns(2)
    with cost_col:
        st.markdown("**Cost by group**, base with the low-high range")
        _draw(charts.retrofit_chart(retrofit))
    with sched_col:
        st.markdown("**Schedule**, months from the retrofit's start to ready for service")
        _draw(charts.schedule_chart(retrofit))
        st.caption(
            "The valuation starts this schedule when a tenant signs, no earlier than the site "
            "has power. Converting now, the first hall's construction starts in month "
            f"{int(model.construction_start_month.min())} of the valuation and it is ready in "
            f"month {int(model.ready_for_service_month.min())}."
        )
    with st.expander("Retrofit line items"):
        items = retrofit.line_items
        st.dataframe(
            items.assign(**{c: items[c].map(fmt.usd) for c in ("low_usd", "base_usd", "high_usd")}),
            hide_index=True,
            width="stretch",
            column_config={
                "group": st.column_config.TextColumn("Group"),
                "item": st.column_config.TextColumn("Item"),
                "low_usd": st.column_config.TextColumn("Low"),
                "base_usd": st.column_config.TextColumn("Base"),
                "high_usd": st.column_config.TextColumn("High"),
                "basis": st.column_config.TextColumn("Basis and source", width="large"),
                "tax_class": st.column_config.NumberColumn("MACRS class (years)"),
            },
        )


_outside = assumptions.reference_scenario()
_facts(site, _outside)
_assumption_driven(site, _outside_key(_outside))
_region_and_retrofit(site, _outside)
