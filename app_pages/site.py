"""Site decision: one site's facts, the recommendation and its reasons, every strategy's metrics and
cash flows, the waterfall from mining value to converted value, the retrofit and its schedule, the
break-evens, and sliders for the main assumptions that revalue at once."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_support import assumptions, loaders
from app_support.display import STRATEGY_LABELS, hex_color
from app_support.safe_text import md_escape, safe_message
from valuation import formatting as fmt
from valuation.market import block_subsidy_btc
from valuation.mining import hashprice_usd_per_ph_day

st.title("Site decision")

try:
    all_sites = loaders.sites()
except Exception as exc:
    st.error(f"The site inventory could not be read: {safe_message(exc)}")
    st.stop()
if not all_sites:
    st.info("The inventory is empty. Add sites on the Inventory page.")
    st.stop()

by_id = {s.id: s for s in all_sites}
wanted = st.query_params.get("site") or st.session_state.get(loaders.SELECTED_SITE_KEY)
ids = list(by_id)
site_id = st.selectbox(
    "Site",
    ids,
    index=ids.index(wanted) if wanted in by_id else 0,
    format_func=lambda i: (
        f"{by_id[i].name} ({by_id[i].operator})" if by_id[i].operator else by_id[i].name
    ),
    key="site_select",
)
st.session_state[loaders.SELECTED_SITE_KEY] = site_id
site = by_id[site_id]

# --- Assumptions (sidebar) ------------------------------------------------------------------------
# The session's assumptions (app_support.assumptions): the capex slider starts at this site's own
# estimate, and the address names the site.
scenario = assumptions.sidebar(site=site)
lease = scenario.lease_rate_usd_per_kw_month
try:
    decision = loaders.decision(site, scenario)
    estimate_per_mw = decision.retrofit.capex_per_critical_mw_usd
except Exception as exc:  # a site the valuation refuses: say why, never a traceback
    st.error(f"This site could not be valued with these assumptions: {safe_message(exc)}")
    st.stop()

# --- Facts ---------------------------------------------------------------------------------------
place = ", ".join(p for p in (site.county, site.state) if p)
# User text (operator, county): shown as text, never as Markdown.
st.text(
    f"{site.operator or 'Operator unknown'} · {place or 'location unknown'} · {site.grid_region} · "
    f"{site.status.replace('_', ' ')}" + (" · figures partly estimated" if site.approximate else "")
)
f1, f2, f3, f4, f5 = st.columns(5)
f1.metric(
    "Power rights", fmt.power(site.power.contracted_mw), help="Contracted MW, gross at the meter."
)
f2.metric(
    "Firm power", fmt.power(site.firm_mw), help="Contracted MW that is not interruptible, gross."
)
f3.metric(
    "Substation",
    "On site" if site.substation.on_site else f"{site.substation.distance_km:.0f} km away",
    help=f"{site.substation.capacity_mva:.0f} MVA at {site.substation.high_side_voltage_kv:.0f} kV, "
    f"owned by the {site.substation.owner}.",
)
f4.metric(
    "Land",
    f"{site.land.acres_owned + site.land.acres_leased:,.0f} acres",
    help=f"Owned {site.land.acres_owned:,.0f}, leased {site.land.acres_leased:,.0f}, "
    f"expansion {site.land.acres_expansion:,.0f} acres.",
)
f5.metric(
    "Fiber",
    f"{site.connectivity.fiber_distance_km:.0f} km",
    help=f"Distance to long-haul fiber, km; {site.connectivity.carrier_count} carriers; "
    f"{site.connectivity.metro_distance_km:.0f} km to the nearest metro.",
)

# --- Recommendation ------------------------------------------------------------------------------
best = decision.best_strategy
rec_col, value_col = st.columns([3, 1])
with rec_col:
    st.subheader("Recommendation")
    box = st.success if best in ("convert", "hybrid") else st.info
    # The recommendation and reasons name the site: user text, made literal.
    box(md_escape(decision.recommendation), icon=":material/lightbulb:")
    for reason in decision.reasons[:5]:
        st.markdown(f"- {md_escape(reason.text)}")
with value_col:
    st.metric(
        "Value of converting",
        fmt.usd(decision.value_of_converting_usd),
        help="Convert NPV minus the best mining NPV, USD. Positive: converting creates value.",
        border=True,
    )
    st.metric(
        "Return on converting",
        fmt.irr_text(
            decision.conversion.irr_per_year,
            decision.conversion.irr_kind,
            decision.conversion.mirr_per_year,
        ),
        help="IRR of what converting adds over the best mining path, month by month: the "
        "retrofit capex and the mining given up against the rent. Above the discount rate "
        "exactly when the value of converting is positive.",
        border=True,
    )
    st.metric(
        "Best share to convert",
        fmt.pct(decision.best_hybrid_share, digits=0),
        help="Share of the site's halls converted that gives the highest NPV of the split site.",
        border=True,
    )

# --- Metrics per strategy ------------------------------------------------------------------------
st.subheader("Strategies")
cols = st.columns(len(decision.strategies))
for col, (key, result) in zip(cols, decision.strategies.items(), strict=True):
    s = result.summary
    with col.container(border=True):
        st.markdown(
            f"<span style='color:{hex_color(key)};font-size:1.2em'>●</span> **{result.label}**"
            + ("  ·  recommended" if key == best else ""),
            unsafe_allow_html=True,
        )
        st.metric("NPV", fmt.usd(s.npv_usd), help="Net present value at the discount rate, USD.")
        st.markdown(
            f"IRR **{fmt.irr_text(s.irr_per_year, s.irr_kind, s.mirr_per_year)}**  \n"
            f"Payback **{fmt.years_months(s.payback_month) if s.peak_funding_usd > 0 else 'no outlay'}**  \n"
            f"Peak funding **{fmt.usd(s.peak_funding_usd)}**",
            help="IRR: the yearly rate at which the after-tax cash flows' NPV is zero, shown only "
            "where exactly one such rate exists on an investment; otherwise MIRR (reinvested and "
            "financed at the discount rate) or none. Payback: years from today until cumulative "
            "cash flow, undiscounted, is back to zero. Peak funding: the deepest the cumulative "
            "cash flow goes below zero, USD: the money the path needs before it pays for itself.",
        )

# --- Cumulative cash flows and waterfall ---------------------------------------------------------
chart_col, fall_col = st.columns(2)
lines = pd.concat(
    [
        pd.DataFrame(
            {
                "month": range(len(r.monthly)),
                "strategy": STRATEGY_LABELS.get(r.key, r.label),
                "cumulative_musd": r.monthly["unlevered_fcf_usd"].cumsum().to_numpy() / 1e6,
            }
        )
        for r in decision.strategies.values()
    ],
    ignore_index=True,
)
lines["year"] = lines["month"] / 12.0
color_scale = alt.Scale(
    domain=[STRATEGY_LABELS.get(k, r.label) for k, r in decision.strategies.items()],
    range=[hex_color(k) for k in decision.strategies],
)
with chart_col:
    st.markdown("**Cumulative cash flow** (USD M, before financing)")
    st.altair_chart(
        alt.Chart(lines)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("year:Q", title="Years from today"),
            y=alt.Y("cumulative_musd:Q", title="USD M"),
            color=alt.Color(
                "strategy:N",
                scale=color_scale,
                legend=alt.Legend(orient="bottom", title=None, columns=2, labelLimit=240),
            ),
            tooltip=[
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("year:Q", title="Year", format=".1f"),
                alt.Tooltip("cumulative_musd:Q", title="USD M", format=",.0f"),
            ],
        )
        .properties(height=330),
        width="stretch",
    )

steps = decision.waterfall.reset_index(drop=True)
values = steps["value_usd"].to_numpy() / 1e6
is_total = [i == 0 or i == len(steps) - 1 for i in range(len(steps))]
ends = []
running = 0.0
for total, value in zip(is_total, values, strict=True):
    running = value if total else running + value
    ends.append(running)
starts = [
    0.0 if total else end - value for total, end, value in zip(is_total, ends, values, strict=True)
]
fall = pd.DataFrame(
    {
        "order": range(len(steps)),
        "step": steps["step"],
        "start": starts,
        "end": ends,
        "label": [fmt.usd(v * 1e6) for v in values],
        "kind": [
            "total" if t else ("up" if v >= 0 else "down")
            for t, v in zip(is_total, values, strict=True)
        ],
    }
)
with fall_col:
    st.markdown("**From mining value to converted value** (NPV, USD M)")
    order = list(fall["step"])
    bars = (
        alt.Chart(fall)
        .mark_bar(size=24)
        .encode(
            y=alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("start:Q", title="USD M"),
            x2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["total", "up", "down"], range=["#5b6770", "#009e73", "#d55e00"]
                ),
                legend=None,
            ),
            tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("label:N", title="Value")],
        )
    )
    text = (
        alt.Chart(fall)
        .mark_text(align="left", dx=4, fontSize=12)
        .encode(y=alt.Y("step:N", sort=order), x=alt.X("max_x:Q"), text="label:N")
        .transform_calculate(max_x="max(datum.start, datum.end)")
    )
    st.altair_chart((bars + text).properties(height=300), width="stretch")

# --- Break-evens ---------------------------------------------------------------------------------
st.subheader("Break-evens against today's assumptions")
be = decision.breakevens
market_now = scenario.market
hashprice_today = float(
    hashprice_usd_per_ph_day(
        market_now.btc_price_usd,
        market_now.network_hashrate_eh_s,
        market_now.fees_btc_per_block,
        block_subsidy_btc(market_now.height_as_of),
    )
)
st.markdown(
    "| Break-even | Where the paths are worth the same | Today |\n|---|---|---|\n"
    f"| Lease rate | {fmt.rate_usd_per_kw_month(be.lease_rate_usd_per_kw_month)} "
    f"| {fmt.rate_usd_per_kw_month(lease)} |\n"
    f"| Hashprice | {fmt.hashprice(be.hashprice_usd_per_ph_day)} "
    f"| {fmt.hashprice(hashprice_today)} |\n"
    f"| Bitcoin price | {fmt.usd_exact(be.btc_price_usd)} | {fmt.usd_exact(scenario.market.btc_price_usd)} |\n"
    f"| Retrofit capex per critical MW (most converting can bear) "
    f"| {fmt.usd_per_mw(be.max_capex_usd_per_mw)} "
    f"| {fmt.usd_per_mw(scenario.capex_usd_per_critical_mw or estimate_per_mw)} |"
)
st.caption(
    "Each break-even moves one assumption alone until converting and the best mining path have "
    "the same NPV; a dash means no value in range does it."
)

# --- Retrofit ------------------------------------------------------------------------------------
retrofit = decision.retrofit
st.subheader("Retrofit to AI hosting")
st.caption(
    f"{fmt.power(retrofit.critical_it_mw)} of critical IT load at a design PUE of "
    f"{retrofit.design_pue:.2f}: {fmt.usd(retrofit.total_base_usd)} base case "
    f"({fmt.usd(retrofit.total_low_usd)} to {fmt.usd(retrofit.total_high_usd)}), "
    f"{fmt.usd_per_mw(retrofit.capex_per_critical_mw_usd)} of critical IT. "
    f"Critical path: {retrofit.critical_path}."
)
cost_col, sched_col = st.columns(2)
groups = (
    retrofit.line_items.groupby("group", as_index=False)[["low_usd", "base_usd", "high_usd"]]
    .sum()
    .sort_values("base_usd", ascending=False)
)
groups[["low_musd", "base_musd", "high_musd"]] = groups[["low_usd", "base_usd", "high_usd"]] / 1e6
with cost_col:
    st.markdown("**Cost by group** (USD M, base with low-high range)")
    base_bars = (
        alt.Chart(groups)
        .mark_bar(color="#0072b2")
        .encode(
            y=alt.Y("group:N", sort="-x", title=None),
            x=alt.X("base_musd:Q", title="USD M"),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("low_musd:Q", title="Low, USD M", format=",.1f"),
                alt.Tooltip("base_musd:Q", title="Base, USD M", format=",.1f"),
                alt.Tooltip("high_musd:Q", title="High, USD M", format=",.1f"),
            ],
        )
    )
    ranges = (
        alt.Chart(groups)
        .mark_rule(color="#333", strokeWidth=1.5)
        .encode(y=alt.Y("group:N", sort="-x"), x="low_musd:Q", x2="high_musd:Q")
    )
    st.altair_chart((base_bars + ranges).properties(height=260), width="stretch")
halls = pd.DataFrame(
    [
        {
            "hall": h.hall,
            "start": h.construction_start_month,
            "ready": h.ready_for_service_month,
            "critical_it_mw": h.critical_it_mw,
            "capex": fmt.usd(h.capex_base_usd),
        }
        for h in retrofit.halls
    ]
)
with sched_col:
    st.markdown("**Schedule** (months from the decision to ready for service)")
    st.altair_chart(
        alt.Chart(halls)
        .mark_bar(color="#009e73", cornerRadius=3)
        .encode(
            y=alt.Y("hall:N", title=None, sort=list(halls["hall"])),
            x=alt.X("start:Q", title="Month"),
            x2="ready:Q",
            tooltip=[
                alt.Tooltip("hall:N", title="Hall"),
                alt.Tooltip("start:Q", title="Construction starts, month"),
                alt.Tooltip("ready:Q", title="Ready for service, month"),
                alt.Tooltip("critical_it_mw:Q", title="Critical IT MW", format=",.1f"),
                alt.Tooltip("capex:N", title="Capex"),
            ],
        )
        .properties(height=260),
        width="stretch",
    )
with st.expander("Retrofit line items"):
    st.dataframe(
        retrofit.line_items,
        hide_index=True,
        width="stretch",
        column_config={
            "low_usd": st.column_config.NumberColumn("Low (USD)", format="dollar"),
            "base_usd": st.column_config.NumberColumn("Base (USD)", format="dollar"),
            "high_usd": st.column_config.NumberColumn("High (USD)", format="dollar"),
            "tax_class": st.column_config.NumberColumn("MACRS class (years)"),
        },
    )
