"""Portfolio: every site on a map coloured by its recommended path, the portfolio's key figures, and
the sites ranked by the value of converting them to AI hosting, all under the session's
assumptions (the sidebar), with the sites whose recommended path flips against the named scenario.
A click on the map or the ranking opens the site's decision."""

from __future__ import annotations

import statistics

import pandas as pd
import pydeck as pdk
import streamlit as st

from app_support import assumptions, loaders
from app_support.display import STRATEGY_LABELS, hex_color
from app_support.kept import keep, kept_choices
from app_support.portfolio_view import (
    MAP_LAYER_ID,
    STATES_DATA,
    UNKNOWN,
    OutlineDeck,
    fit_view,
    flips,
    flips_sentence,
    map_points,
    money,
    path_label,
    site_from_selection,
    site_label,
)
from app_support.safe_text import md_escape, safe_message
from valuation import formatting as fmt

MAP_KEY = "portfolio_map"
OPEN_KEY = "portfolio_open_request"  # a site a click asked to open (set by the map's callback)

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


def _typical_capex_usd_per_mw() -> float | None:
    """The median of the sites' own retrofit estimates: where "one capex for every site" starts."""
    base = loaders.base_scenario()
    estimates = []
    for site in all_sites:
        try:
            estimates.append(loaders.retrofit_estimate_usd_per_mw(site, base))
        except Exception:  # a site the cost model refuses is left out of the median
            continue
    return statistics.median(estimates) if estimates else None


def _open_site(site_id: str) -> None:
    st.session_state[loaders.SELECTED_SITE_KEY] = site_id
    st.switch_page("app_pages/site.py", query_params=_site_params(site_id))


def _site_params(site_id: str) -> dict[str, str]:
    """The address of the site's page: the site and the session's assumptions."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k in assumptions.OWNED_PARAMS}
    return {**params, assumptions.SITE_PARAM: site_id}


def _map_clicked() -> None:
    site_id = site_from_selection(st.session_state[MAP_KEY].selection)
    if site_id:
        st.session_state[OPEN_KEY] = site_id


# Everything below depends on the assumptions: a fragment, so that moving a sidebar control (drawn
# inside it) reruns only this part, not the app's frame and the store read. The map, the table and
# the site picker are inside too: a click on them reruns the fragment, which opens the site.
@st.fragment
def _what_if() -> None:
    if OPEN_KEY in st.session_state:  # a map click in the previous run
        _open_site(st.session_state.pop(OPEN_KEY))

    scenario = assumptions.sidebar(typical_capex_usd_per_mw=_typical_capex_usd_per_mw())
    base_name, base_scenario = assumptions.reference()
    try:
        histories = loaders.price_histories(tuple(all_sites))  # read once for both scenarios
        table = loaders.portfolio(tuple(all_sites), scenario, histories)
        base_table = (
            table
            if scenario == base_scenario
            else loaders.portfolio(tuple(all_sites), base_scenario, histories)
        )
    except Exception as exc:
        st.error(f"The portfolio could not be valued: {safe_message(exc)}")
        st.stop()

    by_id = {s.id: s for s in all_sites}
    table = table.assign(
        status=table["site_id"].map(lambda i: by_id[i].status if i in by_id else UNKNOWN),
        label=[site_label(n, o) for n, o in zip(table["name"], table["operator"], strict=True)],
    )
    failed = (
        table[table["error"].fillna("").astype(bool)] if "error" in table.columns else table[:0]
    )
    if not failed.empty:
        st.warning(
            f"{len(failed)} site{'s' if len(failed) != 1 else ''} could not be valued and are left "
            "out: "
            + "; ".join(f"{md_escape(r.label)}: {md_escape(r.error)}" for r in failed.itertuples())
        )
    table = table.drop(index=failed.index).reset_index(drop=True)
    if table.empty:
        st.error("No site of the inventory could be valued; see the messages above.")
        st.stop()

    # --- Filters ----------------------------------------------------------------------------------
    f1, f2, f3 = st.columns(3)
    operators = sorted({str(o) for o in table["operator"].fillna("") if str(o)})
    regions = sorted({str(r) for r in table["grid_region"].fillna("") if str(r)})
    statuses = sorted({str(s) for s in table["status"]})
    pick_ops = f1.multiselect(
        "Operator", operators, kept_choices("filter_operator", operators),
        placeholder="All operators", key="filter_operator", on_change=keep("filter_operator"),
    )  # fmt: skip
    pick_regions = f2.multiselect(
        "Grid region", regions, kept_choices("filter_region", regions),
        placeholder="All regions", key="filter_region", on_change=keep("filter_region"),
    )  # fmt: skip
    pick_status = f3.multiselect(
        "Status", statuses, kept_choices("filter_status", statuses),
        format_func=lambda s: s.replace("_", " "), placeholder="All statuses",
        key="filter_status", on_change=keep("filter_status"),
    )  # fmt: skip
    shown = table
    if pick_ops:
        shown = shown[shown["operator"].isin(pick_ops)]
    if pick_regions:
        shown = shown[shown["grid_region"].isin(pick_regions)]
    if pick_status:
        shown = shown[shown["status"].isin(pick_status)]
    shown = shown.reset_index(drop=True)
    filtered = len(shown) < len(table)

    count = f"{len(shown)} of {len(table)} sites (filtered)" if filtered else f"{len(table)} sites"
    st.caption(
        f"{count} valued under the {md_escape(assumptions.scenario_label())} scenario: market "
        f"as of {scenario.market.as_of:%d %b %Y}, {scenario.horizon_months // 12}-year horizon. "
        "Values are net present values today."
    )
    if shown.empty:
        st.info("No site matches the filters.")
        st.stop()

    # --- What flips -------------------------------------------------------------------------------
    if scenario != base_scenario:
        flipped = flips(base_table, shown)
        sentence = flips_sentence(flipped, base_name)
        (st.warning if len(flipped) else st.info)(md_escape(sentence), icon=":material/swap_horiz:")

    # --- Key figures ------------------------------------------------------------------------------
    convert_wins = shown["value_of_converting_usd"] > 0
    base_wins = (
        base_table.set_index("site_id").reindex(shown["site_id"])["value_of_converting_usd"] > 0
    )
    # Fixed-width cards in a wrapping row: at 1280 or 800 px they move to a second line rather than
    # cutting their figures ("$5...").
    figures = st.container(horizontal=True, wrap=True, gap="small")
    figures.metric(
        "Sites",
        f"{len(shown)}",
        help="Sites valued (and matching the filters).",
        border=True,
        width=170,
    )
    figures.metric(
        "Power rights",
        fmt.power(shown["power_mw"].sum()),
        help="Sum of the sites' power rights, gross MW at the meter.",
        border=True,
        width=170,
    )
    wins_delta = int(convert_wins.sum()) - int(base_wins.sum())
    figures.metric(
        "Better converted",
        f"{int(convert_wins.sum())} of {len(shown)}",
        # a metric's delta is Markdown: the scenario's name (user text) made literal
        delta=f"{wins_delta:+d} vs {md_escape(base_name)}" if wins_delta else None,
        help="Sites where the best converting path is worth more than the best path that keeps "
        "the site as it is (NPV).",
        border=True,
        width=170,
    )
    figures.metric(
        "Value of converting",
        money(shown.loc[convert_wins, "value_of_converting_usd"].sum()),
        help="Sum over the sites better converted of the value of converting (best converting NPV "
        "minus the best NPV not converting), USD.",
        border=True,
        width=170,
    )
    figures.metric(
        "Portfolio value",
        money(shown["best_npv_usd"].sum()),
        help="Sum over sites of the NPV of each site's recommended path, USD.",
        border=True,
        width=170,
    )

    # --- Map --------------------------------------------------------------------------------------
    points = map_points(shown)[
        [
            "site_id",
            "label",
            "grid_region",
            "map_latitude",
            "map_longitude",
            "path",
            "color",
            "radius_m",
            "power_text",
            "value_text",
            "shared_note",
        ]
    ]
    deck = OutlineDeck(
        layers=[
            pdk.Layer(
                "GeoJsonLayer",
                STATES_DATA,  # the outlines, serialised once (OutlineDeck)
                id="states",
                stroked=True,
                filled=True,
                get_fill_color=[241, 243, 246],
                get_line_color=[150, 155, 165],
                line_width_min_pixels=1,
            ),
            pdk.Layer(
                "ScatterplotLayer",
                points,
                id=MAP_LAYER_ID,
                get_position=["map_longitude", "map_latitude"],
                get_radius="radius_m",
                radius_min_pixels=4,
                get_fill_color="color",
                get_line_color=[255, 255, 255],
                line_width_min_pixels=1,
                stroked=True,
                opacity=0.85,
                pickable=True,
                auto_highlight=True,
            ),
        ],
        # No basemap: a bundled outline of the states instead, so the map works offline.
        # map_style is deliberately left out (passing None makes Streamlit fetch a CARTO style).
        map_provider=None,
        # Every site shown, at the narrowest width the page draws the map (fit_view).
        initial_view_state=fit_view(points["map_longitude"], points["map_latitude"]),
        # A TEXT tooltip, not an HTML template: deck.gl sets it as the tooltip's text, so a site
        # name holding markup is shown as written.
        tooltip={
            "text": "{label}\n{power_text} · {grid_region}\nBest path: {path}\n"
            "Value of converting: {value_text}{shared_note}\nClick to open the site",
            "style": {"fontSize": "13px", "whiteSpace": "pre-line", "maxWidth": "280px"},
        },
    )
    # The tooltip is drawn inside the chart's frame: let it show past the frame's edge.
    st.html(
        "<style>[data-testid='stDeckGlJsonChart'], [data-testid='stDeckGlJsonChart'] *"
        "{overflow: visible !important;}</style>"
    )
    counts = shown["best_strategy"].value_counts()
    legend = " ".join(
        f"<span style='white-space:nowrap;margin-right:1.2em'>"
        f"<span style='color:{hex_color(key)};font-size:1.3em'>●</span> {label}: "
        f"<b>{int(counts.get(key, 0))}</b></span>"
        for key, label in STRATEGY_LABELS.items()
        if key in counts or key in ("keep_mining", "convert")
    )
    st.markdown(f"**Recommended path** &nbsp; {legend}", unsafe_allow_html=True)
    st.pydeck_chart(
        deck,
        height=480,
        on_select=_map_clicked,
        selection_mode="single-object",
        key=MAP_KEY,
    )
    st.caption(
        "Circle area is proportional to the site's power rights (gross MW). Click a site to open "
        "its decision."
    )

    # --- Ranking ----------------------------------------------------------------------------------
    st.subheader("Sites ranked by the value of converting")
    base_paths = base_table.set_index("site_id")["best_strategy"]
    ranking = pd.DataFrame(
        {
            "Site": shown["label"],
            "Value of converting": shown["value_of_converting_usd"].map(money),
            "Recommended path": shown["best_strategy"].map(path_label),
            "Best converting NPV": shown["best_converting_npv_usd"].map(money),
            "Best NPV not converting": [
                f"{money(v)} ({path_label(k)})" if k else money(v)
                for v, k in zip(
                    shown["best_not_converting_npv_usd"], shown["best_not_converting"], strict=True
                )
            ],  # fmt: skip
            "Power": shown["power_mw"].map(lambda v: UNKNOWN if pd.isna(v) else fmt.power(v)),
            "Grid region": shown["grid_region"].fillna(UNKNOWN),
            "Status": shown["status"].str.replace("_", " "),
        }
    )
    if scenario != base_scenario:
        ranking.insert(
            3,
            f"Path under {base_name}",
            shown["site_id"].map(lambda i: path_label(base_paths.get(i))),
        )
    selection = st.dataframe(
        ranking,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="portfolio_table",
        column_config={
            "Value of converting": st.column_config.TextColumn(
                help="Best converting NPV minus the best NPV not converting (the columns Best "
                "converting NPV and Best NPV not converting). The table is ranked by it."
            ),
        },
    )
    st.caption("Select a row to open its site decision.")

    rows = selection.selection.rows if selection is not None else []
    if rows:
        _open_site(str(shown.iloc[rows[0]]["site_id"]))

    pick_row = st.container(horizontal=True, vertical_alignment="bottom")
    labels = dict(zip(shown["site_id"], shown["label"], strict=True))
    picked = pick_row.selectbox(
        "Open a site", list(labels), format_func=lambda i: labels[i], key="portfolio_open_site"
    )
    if pick_row.button("Open site decision", type="primary", width="content") and picked:
        _open_site(picked)


_what_if()
