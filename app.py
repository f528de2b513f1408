"""Hashpivot: the executive app. Run with ``streamlit run app.py``.

This file is the frame: page configuration and the navigation over ``app_pages/``. Every number a
page shows comes from a library call (``sites``, ``models``, ``valuation``); the pages only lay
them out. Sections leave room for the scenario-and-risk page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_support import auth, heap

st.set_page_config(
    page_title="Hashpivot",
    # A bundled file: a material-icon favicon would be fetched from fonts.gstatic.com.
    page_icon=str(Path(__file__).parent / "app_support" / "static" / "icon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

PORTFOLIO = st.Page(
    "app_pages/portfolio.py", title="Portfolio", icon=":material/map:", url_path="portfolio"
)


def _home() -> None:
    """The root address opens the portfolio at /portfolio, its own address (a default page is
    served only at the root, so /portfolio would otherwise be "Page not found")."""
    st.switch_page(PORTFOLIO, query_params=st.query_params.to_dict())


PAGES = {
    "Decide": [
        st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
        PORTFOLIO,
        st.Page(
            "app_pages/site.py",
            title="Site decision",
            icon=":material/fact_check:",
            url_path="site",
        ),
        st.Page("app_pages/risk.py", title="Scenarios & risk", icon=":material/casino:"),
        st.Page(
            "app_pages/plan.py", title="Portfolio plan", icon=":material/timeline:", url_path="plan"
        ),
        st.Page("app_pages/compare.py", title="Compare sites", icon=":material/compare:"),
        st.Page(
            "app_pages/board_pack.py",
            title="Board pack",
            icon=":material/picture_as_pdf:",
            url_path="board-pack",
        ),
    ],
    "Data": [
        st.Page(
            "app_pages/inventory.py",
            title="Inventory",
            icon=":material/table_view:",
            url_path="inventory",
        ),
        st.Page(
            "app_pages/market.py",
            title="Market & comparables",
            icon=":material/query_stats:",
            url_path="market",
        ),
    ],
}

# Sign-in when configured in the secrets file (off by default): stops here for a visitor who is
# not signed in or not allowed.
auth.gate()
navigation = st.navigation(PAGES)
st.sidebar.caption(
    "Hashpivot values every path for each site: keep mining (with or without demand response), "
    "convert now, split, mine now and convert later, or sell the powered site."
)
navigation.run()
# Once per process, after the first run: the libraries' objects leave the full collections.
heap.freeze_after_first_run()
