"""Market & comparables: the dated market defaults every valuation uses, with their sources; the
public AI-hosting deals with the rents they imply; and where the user's own offer sits among them."""

from __future__ import annotations

import os

import altair as alt
import pandas as pd
import streamlit as st

from app_support import charts, loaders
from app_support.kept import kept_value
from app_support.market_view import lease_and_other_deals, market_rows, offer_scenario
from app_support.safe_text import md_escape, plain_message, safe_message
from app_support.site_view import conversion_return
from sites.redact import url_secrets
from valuation import formatting as fmt
from valuation.hosting import HOSTING_DEALS
from valuation.market import block_subsidy_btc
from valuation.mining import hashprice_usd_per_ph_day

st.title("Market & comparables")

scenario = loaders.base_scenario()
market = scenario.market

# --- Market defaults -----------------------------------------------------------------------------
st.subheader(f"Market defaults as of {market.as_of:%d %B %Y}")
st.caption(
    "Hashpivot works offline on these dated figures. Each one is what the valuations use unless a "
    "page's sliders change it; the source says where it comes from."
)
live_col, reset_col, live_note = st.columns([1, 1, 3], vertical_alignment="center")
if live_col.button(
    "Fetch live market data",
    help="Asks the mempool.space API (5 s timeout) for today's BTC price, difficulty and fees. "
    "Only on this click: Hashpivot never goes online by itself.",
):
    from dataclasses import replace

    from valuation.live import API_URL_ENV_VAR, fetch_market_state

    secrets = url_secrets(os.environ.get(API_URL_ENV_VAR, ""))
    try:
        live = fetch_market_state(scenario.market)
    except Exception as exc:  # never a traceback (nor the URL's credentials)
        live_note.warning(f"Live data unavailable: {safe_message(exc, secrets)}")
        st.stop()
    if live.is_live:
        st.session_state[loaders.SCENARIO_KEY] = replace(scenario, market=live.market)
        st.session_state["market_live_note"] = md_escape(live.message, secrets)
        st.rerun()
    live_note.warning(md_escape(live.message, secrets))  # credentials masked, Markdown made literal
if loaders.SCENARIO_KEY in st.session_state and reset_col.button(
    "Back to the offline defaults", help="Drop the fetched figures for this session."
):
    st.session_state.pop(loaders.SCENARIO_KEY)
    st.session_state.pop("market_live_note", None)
    st.rerun()
if "market_live_note" in st.session_state:
    live_note.success(st.session_state["market_live_note"] + " Every page now values with them.")
rows = market_rows(market)
by_field = {row["field"]: row for row in rows}
subsidy_btc = float(block_subsidy_btc(market.height_as_of))
hashprice_today = hashprice_usd_per_ph_day(
    market.btc_price_usd, market.network_hashrate_eh_s, market.fees_btc_per_block, subsidy_btc
)
m1, m2, m3, m4 = st.columns(4)
for col, name in (
    (m1, "btc_price_usd"),
    (m2, "network_hashrate_eh_s"),
    (m4, "network_hashrate_growth_per_year"),
):
    row = by_field[name]
    col.metric(
        row["label"], row["value"], help=f"{row['unit']}. Source: {row['source']}", border=True
    )
m3.metric(
    "Hashprice (USD per PH/day)",
    f"${float(hashprice_today):,.2f}",
    help="Revenue of one PH/s of hashrate for a day, USD, from the price, hashrate and fees "
    f"above with a block subsidy of {subsidy_btc:g} BTC (valuation.mining).",
    border=True,
)
st.dataframe(
    pd.DataFrame(rows)[["label", "value", "unit", "source"]],
    hide_index=True,
    width="stretch",
    column_config={
        "label": st.column_config.TextColumn("Assumption"),
        "value": st.column_config.TextColumn("Value"),
        "unit": st.column_config.TextColumn("Unit"),
        "source": st.column_config.TextColumn("Source", width="large"),
    },
)

# --- Deals ---------------------------------------------------------------------------------------
st.subheader("Public AI-hosting deals")
st.caption(
    "Announced leases and the rent they imply per kW of critical IT load per month: the flat "
    "average over the term, and year one with the escalator (3% a year assumed where not "
    "disclosed). Contracts that are not leases are listed apart, below."
)
deals = HOSTING_DEALS.copy()
leases, others = lease_and_other_deals(deals)
st.dataframe(
    leases,
    hide_index=True,
    width="stretch",
    column_config={
        "announced": st.column_config.DateColumn("Announced", format="MMM YYYY"),
        "operator": "Operator",
        "tenant": "Tenant",
        "site": "Site",
        "critical_it_mw": st.column_config.NumberColumn("Critical IT (MW)", format="%.0f"),
        "term_years": st.column_config.NumberColumn("Term (years)", format="%d"),
        "contract_value": st.column_config.TextColumn(
            "Contract value", help="Announced total rent over the base term"
        ),
        "implied_year1_rate_usd_per_kw_month": st.column_config.NumberColumn(
            "Year-one rent", format="$%.0f", help="Implied year-one rent, USD per critical kW-month"
        ),
        "implied_average_rate_usd_per_kw_month": st.column_config.NumberColumn(
            "Average rent",
            format="$%.0f",
            help="Implied flat average rent, USD per critical kW-month",
        ),
        "credit_support": "Credit support",
        "source": st.column_config.LinkColumn("Source", display_text="link"),
    },
)
if not others.empty:
    st.markdown("**Not leases**: their value includes more than rent, so no rent per kW is shown")
    # A static table: the long "what it is" wraps instead of hiding behind a scroll.
    st.table(
        others.assign(announced=others["announced"].map(lambda d: f"{d:%b %Y}")).rename(
            columns={
                "announced": "Announced",
                "operator": "Operator",
                "tenant": "Tenant",
                "critical_it_mw": "Critical IT (MW)",
                "term_years": "Term (years)",
                "contract_value": "Contract value",
                "what_it_is": "What it is",
                "source": "Source",
            }
        ),
        hide_index=True,
        border="horizontal",
    )

# --- The user's offer ----------------------------------------------------------------------------
st.subheader("Your offer among them")
offer = st.number_input(
    "Your offer: year-one rent (USD per kW-month)",
    min_value=1.0,
    max_value=1_000.0,
    step=5.0,
    help="The year-one rent you are offered or plan to ask, USD per kW of critical IT per month.",
    **kept_value("market_offer", float(scenario.lease_rate_usd_per_kw_month)),
)
comparable = deals[deals["comparable"]].copy()
rates = comparable["implied_year1_rate_usd_per_kw_month"]
below = int((rates < offer).sum())
st.markdown(
    f"An offer of **{fmt.rate_usd_per_kw_month(offer)}** is above **{below} of {len(comparable)}** "
    f"comparable deals (their year-one rents run from {fmt.rate_usd_per_kw_month(round(rates.min()))} "
    f"to {fmt.rate_usd_per_kw_month(round(rates.max()))}, median "
    f"{fmt.rate_usd_per_kw_month(round(rates.median()))})."
)
comparable["deal"] = (
    comparable["operator"]
    + " / "
    + comparable["tenant"]
    + " ("
    + comparable["critical_it_mw"].astype(str)
    + " MW)"
)
comparable["announced_text"] = comparable["announced"].map(lambda d: f"{d:%b %Y}")
comparable["rate"] = rates.round(1)
bars = (
    alt.Chart(comparable)
    .mark_bar(color="#8fa3b3")
    .encode(
        y=alt.Y("deal:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("rate:Q", title="Implied year-one rent, USD per kW-month"),
        tooltip=[
            alt.Tooltip("deal:N", title="Deal"),
            alt.Tooltip("announced_text:N", title="Announced"),
            alt.Tooltip("rate:Q", title="USD/kW-month", format=",.0f"),
            alt.Tooltip("term_years:Q", title="Term, years"),
        ],
    )
)
rule = (
    alt.Chart(pd.DataFrame({"offer": [offer]}))
    .mark_rule(color="#d55e00", strokeWidth=3)
    .encode(x="offer:Q")
)
label = (
    alt.Chart(
        pd.DataFrame({"offer": [offer], "text": [f"Your offer {fmt.rate_usd_per_kw_month(offer)}"]})
    )
    .mark_text(color="#d55e00", align="left", dx=6, dy=-6, fontWeight="bold")
    .encode(x="offer:Q", y=alt.value(0), text="text:N")
)
st.altair_chart(
    (bars + rule + label).properties(height=max(240, 26 * len(comparable))), width="stretch"
)

# What the offer is worth on one of your sites: the site valued with this rent.
try:
    offer_sites = loaders.sites()
except Exception as exc:
    st.error(f"The site inventory could not be read: {safe_message(exc)}")
    offer_sites = []
if offer_sites:
    offer_site = loaders.site_picker(
        offer_sites, key="market_offer_site", label="Value the offer on a site"
    )
    try:
        at_offer = loaders.decision(offer_site, offer_scenario(scenario, offer))
        at_base = loaders.decision(offer_site, scenario)
    except Exception as exc:  # a site the valuation refuses: say why, never a traceback
        st.error(f"This site could not be valued at the offer: {safe_message(exc)}")
    else:
        change = at_offer.value_of_converting_usd - at_base.value_of_converting_usd
        base_rate = at_base.tenant["lease_rate_usd_per_kw_month"]
        with st.container(horizontal=True, gap="small"):
            st.metric(
                "Value of converting at your offer",
                fmt.usd(at_offer.value_of_converting_usd),
                # No arrow where the offer is the scenario's own rent for the site.
                delta=fmt.usd(change) if fmt.usd(abs(change)) != fmt.usd(0.0) else None,
                delta_description=f"against {fmt.rate_usd_per_kw_month(round(base_rate, 2))}",
                help="The best converting path's NPV minus the best NPV of a path that does not "
                "convert, with the offer as this site's year-one rent; the change is against the "
                "rent the scenario gives the site.",
                border=True,
                width="content",
            )
            st.metric(
                "Break-even rent for this site",
                fmt.rate_usd_per_kw_month(round(at_offer.breakevens.lease_rate_usd_per_kw_month)),
                help="The year-one rent at which converting and not converting are worth the "
                "same, rounded to the dollar.",
                border=True,
                width="content",
            )
            offer_return = conversion_return(at_offer)
            st.metric(
                "Return on converting at your offer",
                offer_return.value,
                help=offer_return.help,
                border=True,
                width="content",
            )
        st.caption("At your offer: " + md_escape(at_offer.recommendation))

# --- Grid regions, their programs, and a replay of your prices -------------------------------------
# Self-contained section (issue 12): everything it needs is imported here.
from datetime import date as _date  # noqa: E402

from app_support import regions_view  # noqa: E402
from valuation.power import PriceFileError  # noqa: E402
from valuation.regions import all_regions, region_for  # noqa: E402

st.subheader("Grid regions: price shapes and programs")
st.caption(
    "Each site is valued on its own market. Price shapes are generated from bundled statistics "
    "(valuation/data/region_price_stats.csv: annual and monthly means, scarcity and negative "
    "hours), each number marked published, derived or assumption with its source. ERCOT uses its "
    "2024 hub-average sample."
)
regions = all_regions()
region_name = st.selectbox(
    "Region", [r.name for r in regions], key="market_region",
    help="The grid region whose price shape, programs and policy levers are shown.",
)  # fmt: skip
region = region_for(region_name)
st.caption(f"{region.name}: {region.description} Price index: {region.hub}.")
curves = pd.concat([regions_view.duration_frame(r) for r in regions], ignore_index=True)
curves["selected"] = curves["region"] == region.name
duration = (
    alt.Chart(curves)
    .mark_line()
    .encode(
        x=alt.X("share_of_hours:Q", title="Share of the year's hours, highest price first (%)"),
        y=alt.Y(
            "price_usd_per_mwh:Q",
            title="Price, USD/MWh",
            scale=alt.Scale(type="symlog"),
            axis=alt.Axis(
                values=charts.price_ticks(
                    curves["price_usd_per_mwh"].min(), curves["price_usd_per_mwh"].max()
                ),
                format="$,.0f",
            ),
        ),
        color=alt.Color("region:N", title="Region"),
        strokeWidth=alt.condition("datum.selected", alt.value(3), alt.value(1)),
        tooltip=[
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("share_of_hours:Q", title="Share of hours, %", format=".1f"),
            alt.Tooltip("price_usd_per_mwh:Q", title="USD/MWh", format=",.2f"),
        ],
    )
    .properties(height=320)
)
st.altair_chart(duration, width="stretch")
monthly = (
    regions_view.monthly_frame(region).set_index("month").T
    .rename(index={"mean_price_usd_per_mwh": "Mean price, USD/MWh"})
)  # fmt: skip
st.dataframe(
    monthly, width="stretch",
    column_config={c: st.column_config.NumberColumn(format="%.2f") for c in monthly.columns},
)  # fmt: skip
as_of = _date.today()
st.markdown(f"**Programs in {region.name}** (rates in each market's own unit, and per MW-year)")
st.dataframe(
    regions_view.program_frame(region, as_of),
    hide_index=True,
    width="stretch",
    column_config={
        "program": st.column_config.TextColumn("Program"),
        "rate": st.column_config.NumberColumn("Rate", format="localized"),
        "unit": st.column_config.TextColumn("Unit"),
        "usd_per_mw_year": st.column_config.NumberColumn("USD per MW-year", format="localized"),
        "months_active": st.column_config.TextColumn("Months active"),
        "notice_h": st.column_config.NumberColumn("Notice, hours", format="%.2f"),
        "max_event_h": st.column_config.NumberColumn("Longest event, hours", format="%.1f"),
        "max_events_per_year": st.column_config.NumberColumn("Events a year, at most", format="%d"),
        "expected_h_per_year": st.column_config.NumberColumn(
            "Expected hours deployed a year", format="%.0f"
        ),
        "penalty": st.column_config.TextColumn("Penalty"),
        "large_flexible_load": st.column_config.TextColumn("Open to large flexible loads"),
        "eligibility": st.column_config.TextColumn("Eligibility"),
        "in_default_set": st.column_config.CheckboxColumn("Valued by default"),
        "status": st.column_config.TextColumn("Status"),
        "source": st.column_config.TextColumn("Source", width="large"),
    },
)
from dataclasses import replace as _replace  # noqa: E402

from valuation.regions import LEVER_KEYS  # noqa: E402


def _switch_levers() -> None:
    """Write the picked levers into the session's scenario (every page values with it)."""
    picked = tuple(k for k in LEVER_KEYS if k in st.session_state["market_levers"])
    st.session_state[loaders.SCENARIO_KEY] = _replace(loaders.base_scenario(), policy_levers=picked)


levers_on = loaders.base_scenario().policy_levers
levers = regions_view.lever_frame(region, levers_on)
if levers.empty:
    st.caption(f"No policy levers are listed for {region.name}.")
else:
    st.markdown(
        f"**Policy levers in {region.name}**: off in the valuations unless switched on below."
    )
    st.dataframe(
        levers, hide_index=True, width="stretch",
        column_config={
            "lever": st.column_config.TextColumn("Lever"),
            "path": st.column_config.TextColumn("Applies to"),
            "changes": st.column_config.TextColumn("What it changes", width="large"),
            "switched_on": st.column_config.CheckboxColumn("Switched on"),
            "status": st.column_config.TextColumn("Status"),
            "source": st.column_config.TextColumn("Source", width="large"),
        },
    )  # fmt: skip
st.multiselect(
    "Policy levers switched on (every region; each changes only its own region's sites)",
    list(LEVER_KEYS), default=list(levers_on), format_func=regions_view.lever_label,
    key="market_levers", on_change=_switch_levers,
    help="Switched on for this session's valuations on every page. A miner lever changes mining "
    "(unpaid curtailment, an energy rider); an AI lever changes converting (backup generation "
    "capex, study fees, months in the interconnection queue).",
)  # fmt: skip
if levers_on:
    st.caption("Switched on: " + ", ".join(regions_view.lever_label(k) for k in levers_on) + ".")
else:
    st.caption("No policy lever is switched on: the valuations use today's rules only.")

st.subheader("Replay your own prices")
st.caption(
    "Upload a CSV of timestamp and price (USD/MWh) at 5-, 15-, 30- or 60-minute intervals, at most "
    f"{regions_view.MAX_PRICE_FILE_BYTES // 1_000_000} MB and {regions_view.MAX_PRICE_FILE_ROWS:,} "
    "rows. The replay curtails interval by interval on calendar hours and pays the region's "
    "default programs."
)
upload = st.file_uploader("Price file (.csv)", type=["csv"], key="market_price_upload")
c1, c2, c3 = st.columns(3)
contract_type = c1.selectbox(
    "Contract", ["fixed_ppa", "index_plus_adder", "utility_tariff"], key="replay_contract",
    help="fixed_ppa: a fixed price with resale of unused energy; index_plus_adder: the file's "
    "price plus an adder; utility_tariff: a flat energy charge.",
)  # fmt: skip
contract_price = c1.number_input(
    "Fixed price, adder or tariff (USD/MWh)", 0.0, 1_000.0, 25.0, key="replay_price"
)
power_mw = c2.number_input("Site power (MW)", 0.1, 5_000.0, 100.0, key="replay_mw")
flexible = c2.slider("Flexible share of the load", 0.0, 1.0, 0.95, key="replay_flex")
efficiency = c3.number_input("Fleet efficiency (J/TH)", 5.0, 200.0, 25.0, key="replay_eff")
hashprice = c3.number_input(
    "Hashprice (USD per PH/day)", 0.0, 10_000.0, round(float(hashprice_today), 2), key="replay_hp"
)
with_programs = st.checkbox(f"Include {region.name}'s default programs", True, key="replay_prog")
if upload is not None:
    try:
        table = regions_view.replay_upload(
            upload.getvalue(), region, contract_type=contract_type,
            contract_price_usd_per_mwh=contract_price, power_mw=power_mw,
            flexible_share=flexible, efficiency_j_per_th=efficiency,
            hashprice_usd_per_ph_day=hashprice, with_programs=with_programs, as_of=as_of,
        )  # fmt: skip
    except (PriceFileError, ValueError) as exc:
        st.error("The price file could not be replayed. What was wrong:")
        st.text(plain_message(exc))
    else:
        shown = table.reset_index()
        shown["month"] = shown["month"].astype(str)
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(c.replace("_", " "), format="%.0f")
                for c in shown.columns
                if c.endswith("_usd") or c in ("mwh_not_consumed",)
            },
        )
        total = float(table["net_benefit_usd"].sum())
        st.metric("Net benefit of flexibility over the file", fmt.usd(total), border=True)

# --- A site's own price history, stored beside the site ----------------------------------------------
from app_support import auth  # noqa: E402
from sites.errors import SitesError  # noqa: E402
from valuation.errors import ValuationError  # noqa: E402

st.subheader("A site's own price history")
st.caption(
    "Store a price file beside a site: its valuations then use your prices in the calendar months "
    "the file covers completely, and the site's region shape in the others (the site page says "
    "which). Same file rules as the replay above; nothing is stored when anything is wrong."
)
try:
    history_sites = loaders.sites()
except Exception as exc:  # a store that cannot be read: words, never a traceback
    st.error(f"The site inventory could not be read: {safe_message(exc)}")
    history_sites = None
if history_sites == []:
    st.info("The inventory has no sites yet.")
elif history_sites:
    ids = [s.id for s in history_sites]
    history_id = st.selectbox("Site", ids, key="history_site")
    history_site = next(s for s in history_sites if s.id == history_id)
    st.text(f"{history_site.name} ({history_site.grid_region})")
    try:
        stored = loaders.store().price_history(history_site.id)
    except (SitesError, ValuationError) as exc:
        st.error("The stored price history could not be read.")
        st.text(plain_message(exc))
        stored = None
    if stored is None:
        st.caption("No price history is stored for this site: it is valued on its region's shape.")
    else:
        st.text(
            f"Stored {stored.updated_at:%Y-%m-%d %H:%M} UTC by {stored.user}: "
            f"{stored.prices_usd_per_mwh.size:,} prices at {stored.interval_minutes}-minute "
            f"intervals from {stored.timestamps[0]} ({stored.hub})"
        )
        st.dataframe(
            regions_view.price_history_frame(stored), hide_index=True, width="stretch",
            column_config={
                "month": st.column_config.TextColumn("Month"),
                "intervals": st.column_config.NumberColumn("Intervals", format="%d"),
                "mean_price_usd_per_mwh": st.column_config.NumberColumn(
                    "Mean price, USD/MWh", format="%.2f"
                ),
                "complete": st.column_config.CheckboxColumn("Complete month (used)"),
            },
        )  # fmt: skip
    history_access = auth.current()
    if not history_access.can_edit:
        st.caption("Your account may view, not change, stored price histories.")
    else:
        history_upload = st.file_uploader(
            "Price file for this site (.csv)", type=["csv"], key="history_upload"
        )
        store_col, delete_col = st.columns(2)
        if history_upload is not None and store_col.button(
            "Store it for this site", key="history_store", type="primary"
        ):
            try:
                note = regions_view.store_site_price_history(
                    loaders.store(), history_site, history_upload.getvalue(),
                    name=history_upload.name, user=history_access.user,
                )  # fmt: skip
            except (PriceFileError, SitesError, ValuationError, ValueError) as exc:
                st.error("The price history was not stored. What was wrong:")
                st.text(plain_message(exc))
            else:
                st.success("Price history stored.")
                st.text(note)
        if stored is not None and delete_col.button(
            "Delete the stored history", key="history_delete"
        ):
            try:
                loaders.store().delete_price_history(history_site.id)
            except SitesError as exc:
                st.error("The price history could not be deleted.")
                st.text(plain_message(exc))
            else:
                st.rerun()
