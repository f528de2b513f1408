"""Cached calls into the library for the app's pages.

Valuations are cached with ``st.cache_data`` keyed on their inputs (a frozen ``Site`` and a frozen
``Scenario``), so moving a slider back to a value already seen redraws at once and an edited site
is revalued because its key changed. The store is one shared connection (``st.cache_resource``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sites.store import SiteStore
from valuation.decision import Decision, compare, compare_portfolio
from valuation.scenario import Scenario

from sites.schema import Site

SELECTED_SITE_KEY = "selected_site_id"


@st.cache_resource(show_spinner=False)
def store() -> SiteStore:
    """The inventory store: ``HASHPIVOT_DB_URL`` if set, else the SQLite file in the user's data
    folder (``SiteStore``'s own default)."""
    return SiteStore()


def sites() -> list[Site]:
    """Every site in the store, read fresh on each run (the inventory page edits it)."""
    return list(store().list())


@st.cache_data(show_spinner="Valuing the portfolio…", max_entries=32)
def portfolio(sites_: tuple[Site, ...], scenario: Scenario) -> pd.DataFrame:
    """``valuation.decision.compare_portfolio`` of the sites under a scenario."""
    return compare_portfolio(list(sites_), scenario)


@st.cache_data(show_spinner="Valuing the site…", max_entries=256)
def decision(site: Site, scenario: Scenario) -> Decision:
    """``valuation.decision.compare`` of one site under a scenario."""
    return compare(site, scenario)


def base_scenario() -> Scenario:
    """The scenario the user has saved for this session, or the base scenario."""
    return st.session_state.get("scenario") or Scenario()
