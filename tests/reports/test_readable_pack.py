"""The pack as an executive reads it: sites and strategies by name on the risk pages, columns in
words, assumptions in words with formatted values and dated plainly, within the page, bridge labels
whole, one cash-flow sheet per site told apart by more than its number, and a quick Monte Carlo run
said so where its results are."""

from __future__ import annotations

import io
from datetime import date

import matplotlib
import openpyxl
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pypdf import PdfReader

from reports import ReportSection, build_pack, pack_bytes
from reports.pack import site_labels
from reports.sections import FULL_RUN_PATHS, paths_note
from sites import load_example_portfolio
from valuation.scenario import Scenario

MADE_ON = date(2026, 11, 30)


@pytest.fixture(scope="module")
def rockdales():
    """The example portfolio's two sites named Rockdale (Riot's and Bitdeer's)."""
    by_id = {s.id: s for s in load_example_portfolio()}
    return by_id["riot-rockdale"], by_id["btdr-rockdale"]


@pytest.fixture(scope="module")
def decision(rockdales):
    from valuation.decision import compare

    return compare(rockdales[0], Scenario())


def _risk_table(site_id: str, n_paths: int) -> pd.DataFrame:
    """A table shaped as ``SiteRisk.report_table()``'s, without running a simulation."""
    keys = ["keep_mining", "mining_with_dr", "convert"]
    return pd.DataFrame({
        "scenario": "base", "site_id": site_id, "strategy": keys,
        "mean_usd": [1.0e8, 1.1e8, 4.7e8], "p10_usd": [4.0e7, 4.9e7, 4.9e7],
        "p50_usd": [6.0e7, 7.0e7, 1.1e8], "p90_usd": [9.0e7, 1.0e8, 1.1e9],
        "p_converting_wins": 0.48, "p_converting_wins_se": 0.0353,
        "n_paths": n_paths, "seed": 0,
    })  # fmt: skip


def _risk(site_id: str, n_paths: int) -> ReportSection:
    return ReportSection(f"Risk: {site_id}", _risk_table(site_id, n_paths),
                         f"Monte Carlo, {n_paths:,} paths, seed 0, scenario base",
                         site_id=site_id, n_paths=n_paths)  # fmt: skip


@pytest.fixture(scope="module")
def pack(rockdales, decision):
    """Both Rockdales (one decision for both: the tests read names, not numbers) and a quick
    200-path risk run of Bitdeer's."""
    return build_pack(rockdales, Scenario(), scenario_name="base", made_on=MADE_ON,
                      decide=lambda s, sc: decision,
                      risk=_risk("btdr-rockdale", 200))  # fmt: skip


@pytest.fixture(scope="module")
def pages(pack) -> list[str]:
    reader = PdfReader(io.BytesIO(pack_bytes(pack, "pdf")))
    return [" ".join(p.extract_text().split()) for p in reader.pages]


@pytest.fixture(scope="module")
def workbook(pack):
    return openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))


def test_the_risk_page_names_the_site_and_strategies_and_spells_out_its_columns(pack, pages):
    (page,) = [p for p in pages if p.startswith("Risk:")]
    assert page.startswith("Risk: Rockdale (Bitdeer)")  # the site's name, not its id
    assert "btdr-rockdale" not in page
    for key in ("keep_mining", "mining_with_dr"):
        assert key not in page
    assert "Keep mining (economic curtailment and shutdown)" in page
    assert "Keep mining with a demand-response partnership" in page
    assert "Probability converting wins" in page and "standard error" in page
    assert "P converting wins" not in page and " se " not in f" {page} ".lower()


def test_sites_sharing_a_name_are_told_apart_by_their_operator(rockdales):
    riot, bitdeer = rockdales
    assert site_labels(rockdales) == {riot.id: "Rockdale (Riot Platforms)",
                                      bitdeer.id: "Rockdale (Bitdeer)"}  # fmt: skip
    assert site_labels([riot]) == {riot.id: "Rockdale"}


def test_the_two_rockdales_get_cash_flow_sheets_named_apart(workbook):
    from reports.excel import cashflow_sheets

    titles = cashflow_sheets(workbook)
    assert titles["riot-rockdale"] == "01 Rockdale (Riot Platforms)"
    assert titles["btdr-rockdale"] == "02 Rockdale (Bitdeer)"
    assert all(len(t) <= 31 for t in workbook.sheetnames)
    assert len({t.lower() for t in workbook.sheetnames}) == len(workbook.sheetnames)


def test_a_quick_run_is_said_so_on_its_page_its_sheet_and_the_cover(pack, pages, workbook):
    (page,) = [p for p in pages if p.startswith("Risk:")]
    assert "Quick run: these results rest on 200 Monte Carlo paths" in page
    assert f"fewer than the {FULL_RUN_PATHS:,} of a full run" in page
    assert "standard error of 3.5 percentage points" in page  # the run's own standard error
    page_number = pages.index(page) + 1
    assert (
        f"Risk: Rockdale (Bitdeer) (page {page_number}): 200 Monte Carlo paths, a quick run"
        in (pages[0])
    )
    ws = workbook["Risk Rockdale (Bitdeer)"]  # the sheet names the site as the memo does
    assert ws["A1"].value == "Risk: Rockdale (Bitdeer)"
    assert ws["A3"].value.startswith("Quick run: these results rest on 200 Monte Carlo paths")


def test_a_full_run_is_not_called_quick_and_a_plain_table_gets_no_note():
    full = _risk("x", FULL_RUN_PATHS)
    assert paths_note(full) == f"These results rest on {FULL_RUN_PATHS:,} Monte Carlo paths."
    no_field = ReportSection("Risk", _risk_table("x", 500))  # paths read from the table
    assert paths_note(no_field).startswith("Quick run: these results rest on 500")
    assert paths_note(ReportSection("Plan", pd.DataFrame({"year": [2031]}))) == ""


def test_the_assumptions_read_in_words_with_formatted_values_and_plain_dates(pack, pages):
    text = " ".join(p for p in pages if p.startswith("Assumptions"))
    for raw in ("market.btc_price_usd", "lease_rate_usd_per_kw_month", "0.0194959", "106935"):
        assert raw not in text
    assert "Hashrate Index" in text  # the source kept
    from reports.pdf import assumption_page_lines

    rows = {line[0]: line[1:4] for page in assumption_page_lines(pack) for line in page}
    market = f"{pack.scenario.market.as_of:%Y-%m-%d}"
    assert rows["Bitcoin price"] == ["$106,935", "USD", f"as of {market}"]
    assert rows["Transaction fees per block"] == ["0.0195", "BTC per block", f"as of {market}"]
    assert rows["AI hosting lease rate"] == ["$128", "USD per kW-month", "compiled 2026-11-29"]
    assert rows["Lease escalator"] == ["3.0%", "% per year", "compiled 2026-11-29"]
    assert '"as of" is the market data\'s date' in text and '"compiled" the day' in text


def test_assumption_text_stays_within_the_page(pack):
    from reports.pdf import MARGIN, RC, _assumption_pages

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        figs = _assumption_pages(pack, 1)
    for fig in figs:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        right = fig.bbox.x1 * (1 - MARGIN) + 1.0
        for t in fig.texts:
            extent = t.get_window_extent(renderer)
            assert extent.x1 <= right and extent.y0 >= 0, t.get_text()[:60]


def test_bridge_labels_are_whole_and_clear_of_the_chart_on_their_left(pack):
    from reports.pdf import RC, _site_page

    d = pack.results[0].decision
    steps = [str(s) for s in d.waterfall["step"]]
    assert max(len(s) for s in steps) > 26  # the labels that were cut to 26 characters
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = _site_page(pack, pack.results[0], 2)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    bridge = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("Value bridge"))
    cumulative = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("Cumulative"))
    labels = bridge.get_yticklabels()
    assert ["".join(t.get_text().split()) for t in labels] == ["".join(s.split()) for s in steps]
    left_edge = cumulative.get_window_extent(renderer).x1
    assert all(t.get_window_extent(renderer).x0 >= left_edge for t in labels)


def test_the_app_and_the_pack_tell_two_sites_of_one_name_apart_alike():
    # the plan and compare pages call this too: the name, with the operator where names
    # repeat (or always, as the compare page asks), and the id where that still repeats
    import dataclasses

    from sites import load_example_portfolio

    sites = load_example_portfolio()
    labels = site_labels(sites)
    assert labels["riot-rockdale"] == "Rockdale (Riot Platforms)"
    assert "btdr" not in labels["btdr-rockdale"] and len(set(labels.values())) == len(sites)
    a = sites[0]
    twins = [a, dataclasses.replace(a, id="twin"), dataclasses.replace(a, id="x", operator=""),
             dataclasses.replace(a, id="y", operator="")]  # fmt: skip
    assert site_labels(twins) == {
        a.id: f"{a.name} ({a.operator}, {a.id})", "twin": f"{a.name} ({a.operator}, twin)",
        "x": f"{a.name} (x)", "y": f"{a.name} (y)",
    }  # fmt: skip
    assert site_labels(sites[:2], with_operator=True)[a.id] == f"{a.name} ({a.operator})"
