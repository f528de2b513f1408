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
    # the sites left out, by name, with the library's reasons, the most valuable first
    assert free.left_out.empty and not tight.left_out.empty
    shown = at.dataframe[0].value
    assert list(shown["Site"]) == list(tight.left_out["name"])
    assert list(shown["Why"]) == list(tight.left_out["reason"])
    assert shown["Best start's value (USD M)"].is_monotonic_decreasing


def test_plan_page_reuses_a_plan_for_limits_already_solved(small_store, monkeypatch):
    """A budget per year can take two solves to their time limit: limits the board has tried
    show their plan again without a solve, and new limits solve."""
    from app_support import loaders
    from valuation import conversion_plan

    solves: list[tuple[float | None, float]] = []
    real = conversion_plan.plan_portfolio

    def counted(table, **kwargs):  # noqa: ANN001, ANN003, ANN202
        solves.append((kwargs["equity_budget_usd_total"], kwargs["loan_to_cost"]))
        return real(table, **kwargs)

    monkeypatch.setattr(conversion_plan, "plan_portfolio", counted)
    loaders._plan.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("app_pages/plan.py")
    at.run()
    free = metric_value(at, "Plan value")
    at.number_input(key="plan_budget_total").set_value(300.0).run()
    tight = metric_value(at, "Plan value")
    at.slider(key="plan_ltc").set_value(0.6).run()
    less_debt = metric_value(at, "Plan value")
    at.slider(key="plan_ltc").set_value(0.8).run()
    assert not at.exception
    assert metric_value(at, "Plan value") == tight
    assert len({free, tight, less_debt}) == 3  # each limit its own plan
    assert solves == [(None, 0.8), (300e6, 0.8), (300e6, 0.6)]  # the last limits: no solve
