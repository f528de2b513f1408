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


def test_the_option_to_wait_shows_the_valuations_report_on_request(store):
    """The button values the option to wait for the site, scenario, paths and seed on screen:
    the page's figures are valuation.wait_option's for those, the decision is said in words,
    the board pack is given that option and no other, and another seed asks for a new one."""
    from app_support.loaders import LAST_WAIT_KEY, WaitRun
    from valuation.formatting import usd
    from valuation.wait_option import site_wait_option

    at = _page()
    assert not any(m.label == "Value of waiting" for m in at.metric)  # not before asked
    assert LAST_WAIT_KEY not in at.session_state
    at.button(key="risk_wait").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (site,) = store.list()
    named = preset("base")
    want = site_wait_option(site, named.scenario, drivers=named.drivers, n_paths=N_PATHS, seed=0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Value of waiting"] == usd(want.option_to_wait_usd)
    assert metrics["With the option, mean NPV"] == usd(want.value_usd)
    assert metrics["Converting now, mean NPV"] == usd(want.convert_now_usd)
    assert metrics["Never converting (keep mining), mean NPV"] == usd(want.never_convert_usd)
    decision = next(t.value for t in at.text if t.value.startswith("The decision: "))
    assert decision.startswith(f"The decision: {want.decision()}. ")
    assert "_usd_per_" not in decision and "no tenant default" in decision
    charts = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert len(charts) == 4 and "Share of paths converted by each year" in charts[-1]
    kept = at.session_state[LAST_WAIT_KEY]
    assert isinstance(kept, WaitRun)
    assert (kept.site_id, kept.seed, kept.scenario_name) == (site.id, 0, named.name)
    assert kept.report.value_usd == want.value_usd
    # another seed: another run, the button again, and the pack loses the option of the last run
    at.number_input(key="risk_seed").set_value(7).run()
    assert not any(m.label == "Value of waiting" for m in at.metric)
    assert LAST_WAIT_KEY not in at.session_state
    at.button(key="risk_wait").click().run()
    other = site_wait_option(site, named.scenario, drivers=named.drivers, n_paths=N_PATHS, seed=7)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Converting now, mean NPV"] == usd(other.convert_now_usd)
    assert other.convert_now_usd != want.convert_now_usd
    assert at.session_state[LAST_WAIT_KEY].seed == 7


def test_the_full_run_stays_full_for_the_option_to_wait(store):
    """The full run sets the paths control, so the option to wait (a later rerun) is valued on
    the same 10,000 paths as the distribution on screen."""
    at = _page()
    at.button(key="risk_full").click().run()
    assert not at.exception
    assert at.number_input(key="risk_paths").value == 10_000
    assert at.session_state["risk_last"].n_paths == 10_000
    at.button(key="risk_wait").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["risk_last"].n_paths == 10_000
    (wait,) = at.session_state["risk_wait_results"].values()
    assert wait.n_paths == 10_000
