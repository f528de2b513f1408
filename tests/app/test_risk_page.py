"""The Scenarios & risk page under AppTest: its numbers are valuation.risk's for the scenario
picked, every chart names that scenario, presets save to the store, and a site name written as
Markdown stays text."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from sites import load_example_portfolio
from sites.store import SiteStore
from valuation.risk import simulate
from valuation.risk_presets import PRESET_NAMES, preset

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/risk.py"
N_PATHS = 200  # the page's interactive default is 2,000; a test keeps it small
HOSTILE = "![x](http://127.0.0.1:9/p.png) **Pecos**"


@pytest.fixture
def store(db_url: str) -> SiteStore:
    store = SiteStore(db_url, seed=False)
    site = next(s for s in load_example_portfolio() if s.id == "corz-muskogee")
    store.save(dataclasses.replace(site, name=HOSTILE))
    return store


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["risk_paths"] = N_PATHS
    at.run()
    at.switch_page(PAGE)
    return at.run()


def test_page_shows_the_simulations_numbers_under_the_named_scenario(store):
    at = _page()
    assert not at.exception
    assert at.title[0].value == "Scenarios & risk"
    risk = at.session_state["risk_last"]
    (site,) = store.list()
    want = simulate(site, preset("base"), n_paths=N_PATHS, seed=0)
    assert risk.scenario_name == PRESET_NAMES["base"]
    for key, values in want.npv_usd.items():
        assert np.array_equal(risk.npv_usd[key], values), key
    metric = next(m for m in at.metric if m.label == "Probability converting wins")
    p, _ = want.probability_converting_wins()
    assert metric.value == f"{p:.1%}"
    texts = [t.value for t in at.text]
    assert sum(PRESET_NAMES["base"] in t for t in texts) >= 3  # every section names it
    # user text is text: the hostile name never reaches Markdown
    assert not any("](http" in m.value for m in at.markdown)
    assert len(at.get("progress")) == 0  # the bar is gone once the run is done


def test_bear_preset_and_saving_presets(store):
    at = _page()
    at.selectbox(key="risk_scenario").select("Preset: bear").run()
    assert not at.exception
    assert at.session_state["risk_last"].scenario_name == PRESET_NAMES["bear"]
    at.button(key="risk_save_presets").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert set(PRESET_NAMES.values()) <= set(store.list_scenarios())
    at.selectbox(key="risk_scenario").select(f"Saved: {PRESET_NAMES['bull']}").run()
    assert not at.exception
    assert at.session_state["risk_last"].drivers == preset("bull").drivers
