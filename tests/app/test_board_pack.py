"""The Board pack page under AppTest: it offers the workbook and the memo for the portfolio or one
site, under the session's scenario, and the pack it made carries the valuation's numbers."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from reports import pack_bytes
from reports.excel import SUMMARY_HEADER_ROW
from sites import load_example_portfolio
from sites.store import SiteStore
from valuation.decision import compare
from valuation.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/board_pack.py"
N_SITES = 3  # a small store keeps the page's valuation quick


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SiteStore:
    url = f"sqlite:///{tmp_path / 'pack.sqlite'}"
    store = SiteStore(url, seed=False)
    for site in load_example_portfolio()[:N_SITES]:
        store.save(site)
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield store
    st.cache_resource.clear()
    st.cache_data.clear()


def _page(session: dict | None = None) -> AppTest:
    """The app switched to the page. Its url_path ("board-pack") is not its file's stem, so
    AppTest resolves the switch against the pages a first run registered."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE)
    return at.run()


def test_portfolio_pack_offers_both_downloads(store):
    at = _page()
    assert not at.exception
    assert at.title[0].value == "Board pack"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Workbook (.xlsx)", "Memo (.pdf)"]
    pack = at.session_state["board_pack"]
    assert [r.site.id for r in pack.results] == [s.id for s in store.list()]
    assert pack.scenario_name == "base"
    assert len(at.dataframe[-1].value) == N_SITES


def test_one_site_pack_under_the_session_scenario(store):
    site = store.list()[1]
    scenario = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=105.0)
    at = _page({"scenario": scenario})
    at.radio(key="pack_scope").set_value("One site").run()
    at.selectbox(key="pack_site").set_value(site.id).run()
    assert not at.exception
    pack = at.session_state["board_pack"]
    assert [r.site.id for r in pack.results] == [site.id]
    assert (
        pack.scenario == scenario and pack.scenario_name == "base (adjusted)"
    )  # the sidebar names it
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))
    ws = wb["Summary"]
    header = [c.value for c in ws[SUMMARY_HEADER_ROW]]
    col = (
        header.index("Value of converting (USD, best converting NPV minus best NPV not converting)")
        + 1
    )
    got = ws.cell(row=SUMMARY_HEADER_ROW + 1, column=col).value
    assert round(got, 2) == round(compare(site, scenario).value_of_converting_usd, 2)
    assert [b.label for b in at.get("download_button")] == ["Workbook (.xlsx)", "Memo (.pdf)"]
