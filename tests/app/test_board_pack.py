"""The Board pack page under AppTest: it offers the workbook and the memo for the portfolio or one
site, under the session's scenario, and the pack it made carries the valuation's numbers."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pytest
from page_helpers import store_with
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
def store(db_url: str) -> SiteStore:
    return store_with(db_url, load_example_portfolio()[:N_SITES])


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


def test_the_sessions_risk_run_and_plan_go_into_the_pack(store):
    # A Monte Carlo run and a plan made this session (their pages keep the last of each) are
    # sections of the pack: the workbook gets their tables, the page says they are included.
    from app_support import loaders
    from valuation.conversion_plan import plan_portfolio, start_table
    from valuation.risk import simulate

    sites = store.list()
    risk = simulate(sites[0], Scenario(), n_paths=64, seed=1)
    plan = plan_portfolio(start_table(sites, Scenario()), first_year=2025)
    base = loaders.scenario_key(Scenario())
    at = _page({loaders.LAST_RISK_KEY: risk, loaders.LAST_PLAN_KEY: plan,
                loaders.PACK_MADE_UNDER_KEY: {loaders.LAST_RISK_KEY: base,
                                              loaders.LAST_PLAN_KEY: base}})  # fmt: skip
    assert not at.exception
    from app_support.safe_text import md_escape
    from reports.sections import PLAN_TIMELINE_TITLE

    assert any(md_escape(f"Risk: {sites[0].name}") in c.value
               and md_escape(PLAN_TIMELINE_TITLE) in c.value for c in at.caption)  # fmt: skip
    pack = at.session_state["board_pack"]
    titles = [s.title for s in (*pack.risk, *pack.plan)]
    assert f"Risk: {sites[0].id}" in titles and any(t.startswith("Portfolio plan") for t in titles)
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    # the workbook names the site, as the memo does
    assert f"Risk: {sites[0].name}" in text and "Portfolio plan: funding by year" in text


def test_the_option_to_wait_valued_on_the_risk_page_goes_into_the_pack(store):
    # The risk page keeps the option to wait valued for its run (a loaders.WaitRun): the pack
    # gets its section after the Monte Carlo run's, and the page names it.
    from app_support import loaders
    from app_support.safe_text import md_escape
    from valuation.wait_option import site_wait_option

    site = store.list()[0]
    rep = site_wait_option(site, n_paths=32, seed=4)
    at = _page({loaders.LAST_WAIT_KEY: loaders.WaitRun(site.id, rep, 4, "Base"),
                loaders.PACK_MADE_UNDER_KEY: {loaders.LAST_WAIT_KEY: loaders.scenario_key(Scenario())}})  # fmt: skip
    assert not at.exception
    assert any(md_escape(f"Option to wait: {site.name}") in c.value for c in at.caption)
    (section,) = at.session_state["board_pack"].risk
    assert section.title == f"Option to wait: {site.id}" and "seed 4, scenario Base" in section.note
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(at.session_state["board_pack"], "xlsx")))
    (sheet,) = [ws for ws in wb.worksheets if ws.title.startswith("Option to wait")]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert rows["Value of waiting"][0] == pytest.approx(rep.option_to_wait_usd, abs=0.005)
    assert rows["With the option, mean NPV"][0] == pytest.approx(rep.value_usd, abs=0.005)
    assert rows["Converting now, mean NPV"][0] == pytest.approx(rep.convert_now_usd, abs=0.005)
    assert rows["Converted by the end of year 1"][1] == pytest.approx(rep.converted_by_year[0])


def test_runs_made_under_other_assumptions_are_left_out_and_said_so(store):
    # A Monte Carlo run and a plan made at a $88 lease are not the base pack's: a pack never
    # mixes two scenarios. The page names what it left out.
    from app_support import loaders
    from valuation.conversion_plan import plan_portfolio, start_table
    from valuation.risk import simulate

    sites = store.list()
    lease_88 = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=88.0)
    risk = simulate(sites[0], lease_88, n_paths=64, seed=1)
    plan = plan_portfolio(start_table(sites, lease_88), first_year=2025)
    other = loaders.scenario_key(lease_88)
    at = _page({loaders.LAST_RISK_KEY: risk, loaders.LAST_PLAN_KEY: plan,
                loaders.PACK_MADE_UNDER_KEY: {loaders.LAST_RISK_KEY: other,
                                              loaders.LAST_PLAN_KEY: other}})  # fmt: skip
    assert not at.exception
    pack = at.session_state["board_pack"]
    assert pack.scenario == Scenario() and not pack.risk and not pack.plan
    (note,) = [i.value for i in at.info if i.value.startswith("Left out")]
    assert "the Monte Carlo run" in note and "the portfolio plan" in note
    # Under the $88 lease the same runs are the pack's.
    at = _page({"scenario": lease_88, loaders.LAST_RISK_KEY: risk, loaders.LAST_PLAN_KEY: plan,
                loaders.PACK_MADE_UNDER_KEY: {loaders.LAST_RISK_KEY: other,
                                              loaders.LAST_PLAN_KEY: other}})  # fmt: skip
    pack = at.session_state["board_pack"]
    assert pack.scenario == lease_88 and pack.risk and pack.plan
    assert not [i for i in at.info if i.value.startswith("Left out")]
