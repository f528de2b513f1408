"""Cached calls into the library for the app's pages.

Valuations are cached with ``st.cache_data`` keyed on their inputs: the site's full record and the
scenario's ``to_dict()``, so moving a slider back to a value already seen redraws at once and an
edited site is revalued because its key changed. Each call returns a copy, so a page cannot
change what another page reads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from sites.schema import Site, to_record
from sites.store import SiteStore

if TYPE_CHECKING:  # the valuation core is imported when first used: the inventory needs none of it
    from valuation.decision import Decision
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


def site_key(site: Site) -> str:
    """A stable text key of everything that describes a site."""
    return json.dumps(to_record(site), default=str, sort_keys=True)


def scenario_key(scenario: Scenario) -> str:
    """A stable text key of every assumption of a scenario."""
    return json.dumps(scenario.to_dict(), default=str, sort_keys=True)


@st.cache_data(show_spinner="Valuing the portfolio…", max_entries=16)
def _portfolio(_sites: tuple[Site, ...], _scenario: Scenario, key: str) -> pd.DataFrame:
    from valuation.decision import compare_portfolio

    return compare_portfolio(list(_sites), _scenario)


def portfolio(sites_: tuple[Site, ...], scenario: Scenario) -> pd.DataFrame:
    """``valuation.decision.compare_portfolio`` of the sites under a scenario (cached; a copy)."""
    key = "|".join([scenario_key(scenario), *(site_key(s) for s in sites_)])
    return _portfolio(sites_, scenario, key)


@st.cache_data(show_spinner="Valuing the site…", max_entries=256)
def _decision(_site: Site, _scenario: Scenario, key: str) -> Decision:
    from valuation.decision import compare

    return compare(_site, _scenario)


def decision(site: Site, scenario: Scenario) -> Decision:
    """``valuation.decision.compare`` of one site under a scenario (cached; a copy)."""
    return _decision(site, scenario, site_key(site) + "|" + scenario_key(scenario))


@st.cache_data(show_spinner=False, max_entries=256)
def _estimate_per_mw(_site: Site, as_of: str, key: str) -> float:
    from datetime import date

    from models import estimate_retrofit

    return float(
        estimate_retrofit(_site, as_of=date.fromisoformat(as_of)).capex_per_critical_mw_usd
    )


def retrofit_estimate_usd_per_mw(site: Site, scenario: Scenario) -> float:
    """The site's own retrofit estimate, USD per critical IT MW (``models.estimate_retrofit`` at
    the scenario's market date; cached). Raises the models' error for a site it cannot cost."""
    return _estimate_per_mw(site, scenario.market.as_of.isoformat(), site_key(site))


def base_scenario() -> Scenario:
    """The scenario chosen for this session, or the base scenario ``Scenario()``."""
    from valuation.scenario import Scenario

    return st.session_state.get(SCENARIO_KEY) or Scenario()
