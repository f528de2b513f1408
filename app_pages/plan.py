"""Portfolio plan: which sites convert in which year under an equity budget and a cap on the
critical IT MW tenants take a year, as a timeline with the funding curve, and what another $100M
of budget is worth. Every number comes from ``valuation.conversion_plan`` (an exact integer
program, ``valuation.portfolio``)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_support import assumptions, loaders
from app_support.kept import kept_value
from app_support.safe_text import md_escape, safe_message
from reports.pack import site_labels
from valuation import formatting as fmt
from valuation.conversion_plan import INTERACTIVE_TIME_LIMIT_S
from valuation.portfolio import DEFAULT_LOAN_TO_COST, SEARCH_SHARE

st.title("Portfolio plan")

all_sites = loaders.sites_or_stop(
    empty_text="The inventory is empty. Add sites or upload a file on the Inventory page."
)

scenario = assumptions.sidebar()  # the session's assumptions, the same controls as every page
try:
    table, table_key = loaders.start_table_and_key(tuple(all_sites), scenario)
except Exception as exc:
    st.error(f"The sites' conversion starts could not be valued: {safe_message(exc)}")
    st.stop()
if table.errors:
    st.warning(
        f"{len(table.errors)} site{'s' if len(table.errors) != 1 else ''} could not be valued "
        "and are left out: "
        + "; ".join(f"{md_escape(k)}: {md_escape(v)}" for k, v in table.errors.items())
    )

st.caption(
    f"Each site's value of converting in each start year is its mine-then-convert NPV for "
    f"that start less its best path that does not convert (market as of "
    f"{scenario.market.as_of:%d %b %Y}, deterministic values). The budget is equity: capex less "
    "project debt at the loan-to-cost. Leave a limit empty for none."
)

c1, c2, c3, c4 = st.columns(4)
budget_year_musd = c1.number_input(
    "Equity budget per year (USD M)", min_value=0.0, max_value=1e6, step=100.0,
    **kept_value("plan_budget_year", None),
    help="What the company can fund from equity each year.",
)  # fmt: skip
budget_total_musd = c2.number_input(
    "Equity budget in total (USD M)", min_value=0.0, max_value=1e7, step=500.0,
    **kept_value("plan_budget_total", None),
    help="What the company can fund from equity over the plan.",
)  # fmt: skip
mw_cap = c3.number_input(
    "Critical IT MW tenants take a year", min_value=0.0, max_value=1e5, step=50.0,
    **kept_value("plan_mw_cap", None),
    help="The MW of leases that can start each plan year.",
)  # fmt: skip
ltc = c4.slider(
    "Loan-to-cost", 0.0, 0.95, step=0.05, **kept_value("plan_ltc", DEFAULT_LOAN_TO_COST),
    help="Project debt share of capex (80%: Galaxy Helios' project loan, Aug 2025).",
)  # fmt: skip

# a solve, and up to SEARCH_SHARE of it more searching; with a budget, the re-solve as much again
PLAN_WAIT_S = 2 * INTERACTIVE_TIME_LIMIT_S * (1 + SEARCH_SHARE)
try:
    # Budgets per year can take the solver to its time limit, twice: say so while it works.
    with st.spinner(
        f"Solving the plan (an exact integer program; up to {PLAN_WAIT_S:.0f} s with a budget)…"
    ):
        result = loaders.plan(
            table,
            table_key,
            equity_budget_usd_per_year=None if budget_year_musd is None else budget_year_musd * 1e6,
            equity_budget_usd_total=None if budget_total_musd is None else budget_total_musd * 1e6,
            mw_cap_per_year=mw_cap,
            loan_to_cost=ltc,
            first_year=scenario.market.as_of.year,
            time_limit_s=INTERACTIVE_TIME_LIMIT_S,
        )
except Exception as exc:
    st.error(f"The plan could not be solved: {safe_message(exc)}")
    st.stop()
loaders.keep_for_pack(loaders.LAST_PLAN_KEY, result, scenario)  # the Board pack includes it

label_of = site_labels(all_sites)  # two Rockdales told apart by their operators
plan = result.plan
timeline = result.timeline
funding = result.funding
k1, k2, k3, k4 = st.columns(4)
k1.metric("Plan value", fmt.usd(plan.value_usd), border=True,
          help="Sum over the converting sites of the value of converting in their start year.")  # fmt: skip
k2.metric("Sites converting", f"{len(timeline)} of {len(table.site_ids)}", border=True)
k3.metric("Capex committed", fmt.usd(float(timeline["capex_usd"].sum())), border=True)
k4.metric("Peak equity in a year", fmt.usd(float(funding["equity_usd"].max())), border=True)
st.text(result.shadow_sentence)
if not plan.optimal:
    st.warning(
        f"The solver stopped at its time limit: this plan is {fmt.distance_to_best(plan.mip_gap)}."
    )

left_out = result.left_out
if not left_out.empty:
    with st.expander(
        f"Not converting under these limits: {len(left_out)} site"
        f"{'s' if len(left_out) != 1 else ''}, and why",
        expanded=timeline.empty or len(left_out) <= 6,
    ):
        st.dataframe(
            pd.DataFrame({
                "Site": left_out["site_id"].map(label_of),
                "Best start's value (USD M)": (left_out["best_value_usd"] / 1e6).round(0),
                "Why": left_out["reason"],
            }),
            column_config={"Best start's value (USD M)": st.column_config.NumberColumn(
                format="localized")},
            hide_index=True, width="stretch",
        )  # fmt: skip

if timeline.empty:
    st.info("No site converts under these limits.")
    st.stop()

# --- Timeline: which site converts when ---------------------------------------------------------
spend_years = [
    int((table.capex_schedule[table.site_ids.index(s), y] > 0).nonzero()[0].max()) + 1
    for s, y in zip(timeline["site_id"], timeline["start_year"], strict=True)
]
labels = timeline["site_id"].map(label_of)
bars = pd.DataFrame({
    "site": labels,
    "start": timeline["calendar_year"].astype(int),
    "end": timeline["calendar_year"].astype(int) + pd.Series(spend_years) ,
    "value_musd": timeline["value_usd"] / 1e6,
    "capex_musd": timeline["capex_usd"] / 1e6,
    "critical_it_mw": timeline["critical_it_mw"],
})  # fmt: skip
order = bars.sort_values(["start", "site"])["site"].tolist()
st.markdown("**Which site converts when** (from the search for a tenant to the last capex)")
st.altair_chart(
    alt.Chart(bars)
    .mark_bar(cornerRadius=3)
    .encode(
        x=alt.X("start:Q", title="Year", scale=alt.Scale(zero=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        x2="end:Q",
        y=alt.Y("site:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        color=alt.Color("value_musd:Q", title="Value (USD M)",
                        scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("site:N", title="Site"), alt.Tooltip("start:Q", title="Start"),
                 alt.Tooltip("value_musd:Q", title="Value (USD M)", format=",.0f"),
                 alt.Tooltip("capex_musd:Q", title="Capex (USD M)", format=",.0f"),
                 alt.Tooltip("critical_it_mw:Q", title="Critical IT MW", format=",.0f")],
    )
    .properties(height=max(160, 26 * len(bars))),
    width="stretch",
)  # fmt: skip

# --- Funding curve by year ----------------------------------------------------------------------
used = funding[funding["capex_usd"] > 0]
curve = pd.concat([
    pd.DataFrame({"year": used["calendar_year"], "part": "Equity", "stack": 0,
                  "musd": used["equity_usd"] / 1e6}),
    pd.DataFrame({"year": used["calendar_year"], "part": "Project debt", "stack": 1,
                  "musd": used["debt_usd"] / 1e6}),
], ignore_index=True)  # fmt: skip
st.markdown(
    "**Funding by year** (USD M: equity, at the bottom, and project debt make the capex; the "
    "dashed line is the equity budget per year)"
)
layers = alt.Chart(curve).mark_bar().encode(
    x=alt.X("year:O", title="Year"),
    y=alt.Y("musd:Q", title="USD M", stack=True),
    color=alt.Color("part:N", title=None, scale=alt.Scale(domain=["Equity", "Project debt"],
                    range=["#1f4e79", "#9ecae1"]), legend=alt.Legend(orient="bottom")),
    order=alt.Order("stack:Q", sort="ascending"),  # equity at the bottom, against the budget
    tooltip=["year:O", "part:N", alt.Tooltip("musd:Q", format=",.0f")],
)  # fmt: skip
if budget_year_musd is not None:
    rule = alt.Chart(pd.DataFrame({"budget": [budget_year_musd]})).mark_rule(
        strokeDash=[6, 3], color="#c0392b"
    ).encode(y="budget:Q")  # fmt: skip
    layers = layers + rule
st.altair_chart(layers.properties(height=260), width="stretch")

table_view = pd.DataFrame({
    "Site": timeline["name"].astype(str), "Id": timeline["site_id"].astype(str),
    "Start year": timeline["calendar_year"].astype(int),
    "Search for a tenant from month": timeline["decision_month"].astype(int),
    "Value (USD M)": timeline["value_usd"] / 1e6, "Capex (USD M)": timeline["capex_usd"] / 1e6,
    "Equity (USD M)": timeline["equity_usd"] / 1e6,
    "Critical IT MW": timeline["critical_it_mw"],
})  # fmt: skip
st.dataframe(
    table_view,
    hide_index=True,
    width="stretch",
    column_config={
        c: st.column_config.NumberColumn(format="%,.0f")
        for c in ("Value (USD M)", "Capex (USD M)", "Equity (USD M)", "Critical IT MW")
    },
)
