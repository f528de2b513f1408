"""The Portfolio plan page under AppTest: it shows the library's plan for the seeded store, and a
total equity budget changes the plan and the shadow-price sentence as the library says."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_helpers import metric_value
from streamlit.testing.v1 import AppTest

from sites.store import SiteStore
from valuation.conversion_plan import plan_portfolio, start_table
from valuation.formatting import usd

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
N_SITES = 4  # a small store keeps the page fast


@pytest.fixture
def small_store(db_url: str) -> SiteStore:
    store = SiteStore(db_url, seed=True)
    for site in store.list()[N_SITES:]:
        store.delete(site.id)
    return store


def test_plan_page_shows_the_librarys_plan(small_store):
    sites = small_store.list()
    table = start_table(sites)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("app_pages/plan.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Portfolio plan"
    free = plan_portfolio(table, first_year=2025)
    assert metric_value(at, "Plan value") == usd(free.value_usd)
    assert metric_value(at, "Sites converting") == f"{len(free.timeline)} of {len(sites)}"
    assert any(t.value == free.shadow_sentence for t in at.text)
    assert len(at.get("vega_lite_chart")) == 2  # the timeline and the funding curve

    at.number_input(key="plan_budget_total").set_value(300.0).run()
    assert not at.exception
    tight = plan_portfolio(table, equity_budget_usd_total=300e6, first_year=2025)
    assert metric_value(at, "Plan value") == usd(tight.value_usd)
    assert tight.value_usd < free.value_usd
    assert any(t.value == tight.shadow_sentence and "in total" in t.value for t in at.text)
