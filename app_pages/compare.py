"""Compare sites: two to four sites side by side under the session's assumptions: the
recommendation, each path's NPV (a chart), the break-evens, the retrofit and its schedule."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from app_support import assumptions, loaders
from app_support.display import STRATEGY_LABELS
from app_support.kept import keep, kept_choices, set_kept
from app_support.portfolio_view import UNKNOWN, money, path_label, site_label
from app_support.safe_text import md_escape, safe_message
from reports.pack import site_labels
from sites.schema import Site
from valuation import formatting as fmt

SITES_KEY = "compare_sites"
SITES_PARAM = "sites"
MAX_SITES = 4

st.title("Compare sites")

all_sites = loaders.sites_or_stop(
    at_least=2,
    empty_text="Comparing needs at least two sites in the inventory (see the Inventory page).",
)

by_id = {s.id: s for s in all_sites}
ids = list(by_id)


def _linked_ids(known: dict[str, Site]) -> list[str]:
    """The sites a link names: one ``sites`` parameter per site (an id may hold a comma); a
    value that is not an id but holds commas is an older link's list."""
    named: list[str] = []
    for value in st.query_params.get_all(SITES_PARAM):
        if value in known or "," not in value:
            named.append(value)
        else:
            named.extend(i for i in value.split(",") if i)
    return [i for i in named if i]


if (
    SITES_KEY not in st.session_state
):  # a new visit: the address, else the site in view and one more
    named = _linked_ids(by_id)
    if unknown := [i for i in named if i not in by_id]:
        st.warning(loaders.unknown_sites_note(unknown[:4]), icon=":material/link_off:")
    # the link's sites, else those compared on the last visit
    asked = [i for i in named if i in by_id] or kept_choices(SITES_KEY, ids)
    if len(asked) < 2:  # the named site, else the site in view, and enough others to compare
        first = st.session_state.get(loaders.SELECTED_SITE_KEY)
        start = asked or ([first] if first in by_id else [])
        asked = start + [i for i in ids if i not in start][: 2 - len(start)]
    st.session_state[SITES_KEY] = list(dict.fromkeys(asked))[:MAX_SITES]
    set_kept(SITES_KEY, st.session_state[SITES_KEY])  # a visit from a link is remembered too
chosen_ids = st.multiselect(
    "Sites (two to four)",
    ids,
    format_func=lambda i: site_label(by_id[i].name, by_id[i].operator),
    max_selections=MAX_SITES,
    key=SITES_KEY,
    on_change=keep(SITES_KEY),
)
scenario = assumptions.sidebar()
if chosen_ids:
    st.query_params[SITES_PARAM] = list(chosen_ids)  # one parameter per site
if len(chosen_ids) < 2:
    st.info("Choose at least two sites to compare.")
    st.stop()

sites = [by_id[i] for i in chosen_ids]
decisions = {}
for site in sites:
    try:
        decisions[site.id] = loaders.decision(site, scenario)
    except Exception as exc:
        st.warning(
            f"{md_escape(site_label(site.name, site.operator))} could not be valued: "
            f"{safe_message(exc)}"
        )
sites = [s for s in sites if s.id in decisions]
if len(sites) < 2:
    st.stop()
labels = site_labels(sites, with_operator=True)  # they name the tables' rows
st.caption(
    f"Under the {md_escape(assumptions.scenario_label())} scenario (market as of "
    f"{scenario.market.as_of:%d %b %Y}). NPVs are net present values today."
)

# --- Recommendation, side by side ------------------------------------------------------------------
for col, site in zip(st.columns(len(sites)), sites, strict=True):
    d = decisions[site.id]
    with col.container(border=True):
        st.markdown(f"**{md_escape(labels[site.id])}**")
        st.text(
            f"{fmt.power(site.power.contracted_mw)} · {site.grid_region} · "
            f"{site.status.replace('_', ' ')}"
        )
        st.markdown(f"Recommended: **{path_label(d.best_strategy)}**")
        st.metric(
            "Value of converting",
            money(d.value_of_converting_usd),
            help="Best converting NPV minus the best NPV not converting, USD.",
        )
        st.caption(md_escape(d.recommendation))

# --- Each path's NPV -------------------------------------------------------------------------------
st.subheader("Each path's value")
npv_rows = [
    {
        "site": labels[s.id],
        "path": STRATEGY_LABELS.get(k, k),
        "key": k,
        "npv_busd": v / 1e9,
        "npv_text": money(v),
        "recommended": "recommended" if k == decisions[s.id].best_strategy else "",
    }
    for s in sites
    for k, v in decisions[s.id].strategy_npv_usd.items()
    if v is not None and math.isfinite(v)
]
npv = pd.DataFrame(npv_rows)
site_order = [labels[s.id] for s in sites]
path_order = [STRATEGY_LABELS.get(k, k) for k in decisions[sites[0].id].strategy_npv_usd]
st.altair_chart(
    alt.Chart(npv)
    .mark_bar()
    .encode(
        y=alt.Y("path:N", sort=path_order, title=None, axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("site:N", sort=site_order),
        x=alt.X(
            "npv_busd:Q",
            title="NPV today",
            # three significant digits: ticks 0.05 apart read $0.05B, $0.1B (not $0.1B twice)
            axis=alt.Axis(labelExpr="'$' + format(datum.value, ',.3~g') + 'B'", tickCount=8),
        ),
        color=alt.Color(
            "site:N",
            sort=site_order,
            scale=alt.Scale(range=["#0072b2", "#e69f00", "#009e73", "#cc79a7"]),
            # one site a line: a row of four names is cut at narrow widths
            legend=alt.Legend(orient="bottom", title=None, labelLimit=320, columns=1),
        ),
        tooltip=[
            alt.Tooltip("site:N", title="Site"),
            alt.Tooltip("path:N", title="Path"),
            alt.Tooltip("npv_text:N", title="NPV"),
            alt.Tooltip("recommended:N", title=" "),
        ],
    )
    .properties(height=60 + 22 * len(path_order) * len(sites)),
    width="stretch",
)
st.caption(
    "Paths that work out identical for a site (e.g. no demand-response program in its region) "
    "show the same value."
)

# --- Break-evens ----------------------------------------------------------------------------------
st.subheader("Break-evens")


def _with_today(field: str, shown) -> list[str]:  # noqa: ANN001 - a formatter
    """Each site's break-even ``field`` and, beside it, today's value as that site's valuation
    used it."""
    out = []
    for s in sites:
        be = decisions[s.id].breakevens
        value = shown(getattr(be, field))
        value = "none in range" if value == fmt.MISSING else value
        out.append(f"{value} (today {shown(be.today[field])})")
    return out


be_rows = {
    "Lease rate (USD per kW-month)": _with_today(
        "lease_rate_usd_per_kw_month", fmt.rate_usd_per_kw_month
    ),
    "Hashprice (USD per PH/s a day)": _with_today("hashprice_usd_per_ph_day", fmt.hashprice),
    "Bitcoin price": _with_today("btc_price_usd", fmt.usd_exact),
    "Most retrofit capex converting can bear (per critical MW)": _with_today(
        "max_capex_usd_per_mw", fmt.usd_per_mw
    ),
}
# One row per site: four sites side by side as columns ran off the page.
st.dataframe(pd.DataFrame(be_rows, index=site_order), width="stretch")
st.caption(
    "Each break-even moves one assumption alone until converting and the best path that does not "
    "convert are worth the same. Beside it, today's value as the site's valuation uses it: the "
    "site's achievable lease rate and the capex it is charged (contingency included) differ by "
    "site."
)

# --- Retrofit and schedule ------------------------------------------------------------------------
st.subheader("Retrofit and schedule")
# The table full width, the schedule below it.
retrofit_rows = {}
for s in sites:
    r = decisions[s.id].retrofit
    retrofit_rows[labels[s.id]] = {
        "Critical IT load": fmt.power(r.critical_it_mw),
        "Capex, base case": money(r.total_base_usd),
        "Capex range": f"{money(r.total_low_usd)} to {money(r.total_high_usd)}",
        "Per critical MW, base case": fmt.usd_per_mw(r.capex_per_critical_mw_usd),
        # what the valuation charges: the scenario's capex case or figure, with contingency
        "Per critical MW, valued": fmt.usd_per_mw(
            decisions[s.id].breakevens.capex_today_usd_per_mw
        ),
        "Design PUE": f"{r.design_pue:.2f}" if math.isfinite(r.design_pue) else UNKNOWN,
        "First hall ready (from its start)": fmt.years_months(r.first_ready_month),
    }
# One row per site; each critical path, a sentence, in full below the table.
st.dataframe(pd.DataFrame.from_dict(retrofit_rows, orient="index"), width="stretch")
st.markdown("**Critical path**")
st.text("\n".join(f"{labels[s.id]}: {decisions[s.id].retrofit.critical_path}" for s in sites))
# One row per site: from the first construction start to the first hall ready (dark) and on to
# the last (light). A bar per hall stacked in one row overlapped; a lane per hall left a
# four-hall site 28 lanes wide beside a 28-hall one.
spans = pd.DataFrame(
    [
        {
            "site": labels[s.id],
            "start": min(h.construction_start_month for h in r.halls),
            "first_ready": min(h.ready_for_service_month for h in r.halls),
            "last_ready": max(h.ready_for_service_month for h in r.halls),
            "halls": len(r.halls),
            "mw": float(sum(h.critical_it_mw for h in r.halls)),
        }
        for s in sites
        if (r := decisions[s.id].retrofit).halls
    ]
)
st.markdown(
    "**From the retrofit's start to the first hall ready (dark) and the last (light)** (months)"
)
span_base = alt.Chart(spans).encode(
    y=alt.Y("site:N", sort=site_order, title=None, axis=alt.Axis(labelLimit=220)),
    color=alt.Color("site:N", sort=site_order, legend=None,
                    scale=alt.Scale(range=["#0072b2", "#e69f00", "#009e73", "#cc79a7"])),
    tooltip=[
        alt.Tooltip("site:N", title="Site"),
        alt.Tooltip("halls:Q", title="Halls"),
        alt.Tooltip("mw:Q", title="Critical IT MW", format=",.0f"),
        alt.Tooltip("start:Q", title="First construction start, month"),
        alt.Tooltip("first_ready:Q", title="First hall ready, month"),
        alt.Tooltip("last_ready:Q", title="Last hall ready, month"),
    ],
)  # fmt: skip
st.altair_chart(
    alt.layer(
        span_base.mark_bar(cornerRadius=2, opacity=0.35).encode(
            x=alt.X("start:Q", title="Months from the retrofit's start"), x2="last_ready:Q"
        ),
        span_base.mark_bar(cornerRadius=2).encode(x="start:Q", x2="first_ready:Q"),
    ).properties(height=40 + 36 * len(spans)),
    width="stretch",
)

st.caption(
    "The valuation starts each retrofit when a tenant signs (after the lease-up, "
    f"{scenario.lease_up_months:g} months in this scenario), no earlier than the site has power; "
    "each site's page gives its months in the valuation."
)

link_columns = st.columns(2)  # two a row: four in one row cut their names short
for i, site in enumerate(sites):
    link_columns[i % 2].page_link(
        "app_pages/site.py",
        label=md_escape(f"Open {labels[site.id]}"),  # a page link's label is Markdown
        icon=":material/fact_check:",
        query_params={assumptions.SITE_PARAM: site.id},
    )
