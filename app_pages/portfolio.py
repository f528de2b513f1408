"""Portfolio: every site on a map coloured by its recommended path, the portfolio's key figures, and
the sites ranked by the value of converting them to AI hosting."""

from __future__ import annotations

import pydeck as pdk
import streamlit as st

from app_support import loaders
from app_support.display import STRATEGY_COLORS_RGB, STRATEGY_LABELS, hex_color
from app_support.safe_text import md_escape, safe_message
from sites.geo import us_states_geojson
from valuation import formatting as fmt

st.title("Portfolio")

try:
    all_sites = loaders.sites()
except Exception as exc:  # the store is the user's database: say what failed, in words
    st.error(f"The site inventory could not be read: {safe_message(exc)}")
    st.stop()

if not all_sites:
    st.info("The inventory is empty. Add sites or upload a file on the Inventory page.")
    st.page_link("app_pages/inventory.py", label="Open the inventory", icon=":material/table_view:")
    st.stop()

scenario = loaders.base_scenario()
try:
    table = loaders.portfolio(tuple(all_sites), scenario)
except Exception as exc:
    st.error(f"The portfolio could not be valued: {safe_message(exc)}")
    st.stop()

if "error" in table.columns:
    failed = table[table["error"].fillna("").astype(bool)]
    if not failed.empty:
        st.warning(
            f"{len(failed)} site{'s' if len(failed) != 1 else ''} could not be valued and "
            "are left out: "
            + "; ".join(f"{md_escape(r.name)}: {md_escape(r.error)}" for r in failed.itertuples())
        )
    table = table.drop(index=failed.index).reset_index(drop=True)
if table.empty:
    st.error("No site of the inventory could be valued; see the messages above.")
    st.stop()

st.caption(
    f"{len(table)} sites valued under the base scenario: market as of "
    f"{scenario.market.as_of:%d %b %Y}, discount rate {fmt.pct(scenario.discount_rate_per_year)} "
    f"a year, {scenario.horizon_months // 12}-year horizon. Values are net present values today."
)

# --- Key figures ---------------------------------------------------------------------------------
convert_wins = table["value_of_converting_usd"] > 0
k1, k2, k3, k4 = st.columns(4)
k1.metric(
    "Sites",
    f"{len(table)}",
    help="Sites in the inventory that could be valued.",
    border=True,
)
k2.metric(
    "Power rights",
    fmt.power(table["power_mw"].sum()),
    help="Sum of the sites' power rights, gross MW at the meter.",
    border=True,
)
k3.metric(
    "Sites better converted",
    f"{int(convert_wins.sum())} of {len(table)}",
    help="Sites where converting to AI hosting is worth more than the best mining path (NPV).",
    border=True,
)
k4.metric(
    "Value of converting them",
    fmt.usd(table.loc[convert_wins, "value_of_converting_usd"].sum()),
    help="Sum over the sites better converted of the convert NPV minus the best mining NPV, USD.",
    border=True,
)

# --- Map ----------------------------------------------------------------------------------------
points = table.assign(
    path=table["best_strategy"].map(STRATEGY_LABELS).fillna(table["best_strategy"]),
    color=table["best_strategy"].map(lambda k: list(STRATEGY_COLORS_RGB.get(k, (128, 128, 128)))),
    # Area proportional to MW: radius in metres grows with the square root of MW.
    radius_m=table["power_mw"].clip(lower=1.0) ** 0.5 * 4_000.0,
    power_text=table["power_mw"].map(fmt.power),
    value_text=table["value_of_converting_usd"].map(fmt.usd),
)
points = points[
    [
        "name",
        "operator",
        "grid_region",
        "latitude",
        "longitude",
        "path",
        "color",
        "radius_m",
        "power_text",
        "value_text",
    ]
]

deck = pdk.Deck(
    layers=[
        pdk.Layer(
            "GeoJsonLayer",
            us_states_geojson(),
            stroked=True,
            filled=True,
            get_fill_color=[241, 243, 246],
            get_line_color=[150, 155, 165],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            points,
            get_position=["longitude", "latitude"],
            get_radius="radius_m",
            get_fill_color="color",
            get_line_color=[255, 255, 255],
            line_width_min_pixels=1,
            stroked=True,
            opacity=0.85,
            pickable=True,
        ),
    ],
    # No basemap: a bundled outline of the states instead, so the map works offline. map_style is
    # deliberately left out (passing None makes Streamlit fetch a CARTO style).
    map_provider=None,
    initial_view_state=pdk.ViewState(latitude=37.5, longitude=-96.5, zoom=3.3),
    # A TEXT tooltip, not an HTML template: deck.gl sets it as the tooltip's text, so a site name
    # holding markup is shown as written whatever the installed Streamlit does to HTML tooltip
    # values (only recent releases escape them).
    tooltip={
        "text": "{name}\n{operator}\n{power_text} · {grid_region}\n"
        "Best path: {path}\nValue of converting: {value_text}",
        "style": {"fontSize": "13px", "whiteSpace": "pre-line"},
    },
)

map_col, legend_col = st.columns([3, 1])
with map_col:
    st.pydeck_chart(deck, height=480)
with legend_col:
    st.markdown("**Recommended path**")
    counts = table["best_strategy"].value_counts()
    for key, label in STRATEGY_LABELS.items():
        st.markdown(
            f"<span style='color:{hex_color(key)};font-size:1.3em'>●</span> {label}: "
            f"**{int(counts.get(key, 0))}**",
            unsafe_allow_html=True,
        )
    st.caption("Circle area is proportional to the site's power rights (gross MW).")
    st.metric(
        "Best-path value of the portfolio",
        fmt.usd(table["best_npv_usd"].sum()),
        help="Sum over sites of the NPV of each site's recommended path (keep mining, mining "
        "with demand response, convert or a hybrid), USD.",
    )

# --- Ranking --------------------------------------------------------------------------------------
st.subheader("Sites ranked by the value of converting")
shown = table.assign(
    best_strategy=table["best_strategy"].map(STRATEGY_LABELS).fillna(table["best_strategy"]),
    keep_mining_npv_busd=table["keep_mining_npv_usd"] / 1e9,
    convert_npv_busd=table["convert_npv_usd"] / 1e9,
    value_of_converting_busd=table["value_of_converting_usd"] / 1e9,
)[
    [
        "name",
        "operator",
        "power_mw",
        "grid_region",
        "best_strategy",
        "keep_mining_npv_busd",
        "convert_npv_busd",
        "value_of_converting_busd",
    ]
]
money = "%.2f"  # USD billions; a "$" prefix would print "$-2.66"
selection = st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="portfolio_table",
    column_config={
        "name": st.column_config.TextColumn("Site"),
        "operator": st.column_config.TextColumn("Operator"),
        "power_mw": st.column_config.NumberColumn(
            "Power (MW)", format="%.0f", help="Power rights, gross MW at the meter"
        ),
        "grid_region": st.column_config.TextColumn("Grid region"),
        "best_strategy": st.column_config.TextColumn("Recommended path"),
        "keep_mining_npv_busd": st.column_config.NumberColumn(
            "Keep mining NPV ($B)",
            format=money,
            help="Net present value of keeping mining, USD billions",
        ),
        "convert_npv_busd": st.column_config.NumberColumn(
            "Convert NPV ($B)", format=money, help="Net present value of converting, USD billions"
        ),
        "value_of_converting_busd": st.column_config.NumberColumn(
            "Value of converting ($B)",
            format=money,
            help="Convert NPV minus the best mining NPV, USD billions",
        ),
    },
)
st.caption("Select a row to open its site decision.")


def _open_site(site_id: str) -> None:
    st.session_state[loaders.SELECTED_SITE_KEY] = site_id
    st.switch_page("app_pages/site.py")


rows = selection.selection.rows if selection is not None else []
if rows:
    _open_site(str(table.iloc[rows[0]]["site_id"]))

pick_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
names = dict(zip(table["site_id"], table["name"], strict=True))
picked = pick_col.selectbox(
    "Open a site", list(names), format_func=names.get, key="portfolio_open_site"
)
if button_col.button("Open site decision", type="primary"):
    _open_site(picked)
