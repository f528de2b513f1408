"""The pack is written against the decision's interface, not today's four strategies: a decision
with new strategies (e.g. "sell_site", "mine_then_convert") and without the optional headline
fields still fills the workbook and the memo, each new path in its own columns and styles."""

from __future__ import annotations

import dataclasses
import io
import math
from types import SimpleNamespace

import openpyxl
import pytest
from pypdf import PdfReader

from reports import build_pack, pack_bytes
from reports import decision_view as view
from reports.charts import distinguishable, site_charts
from reports.excel import SUMMARY_HEADER_ROW, build_workbook, cashflow_sheets
from sites import load_example_portfolio
from valuation.decision import compare
from valuation.strategies import STRATEGY_LABELS


@pytest.fixture(scope="module")
def site_and_decision():
    site = load_example_portfolio()[0]
    real = compare(site)
    # The paths the decision shows once (identical to another) come back as their own columns,
    # with the generic labels: every strategy key of the engine is in the pack.
    extra = {
        key: dataclasses.replace(real.strategies[same], key=key, label=STRATEGY_LABELS[key])
        for key, same in real.identical_to.items()
    }
    assert {"sell_site", "mine_then_convert"} <= set(real.strategies) | set(extra)
    # Only the fields the lead's interface promises: no best_strategy, value_of_converting_usd,
    # conversion or best_hybrid_share.
    lean = SimpleNamespace(
        strategies={**real.strategies, **extra},
        recommendation=real.recommendation,
        reasons=real.reasons,
        breakevens=real.breakevens,
        waterfall=real.waterfall,
        retrofit=real.retrofit,
        scenario=real.scenario,
    )
    return site, real, lean


def test_headline_figures_are_derived_by_their_definitions(site_and_decision):
    _, real, lean = site_and_decision
    assert view.value_of_converting_usd(lean) == pytest.approx(real.value_of_converting_usd)
    npvs = {k: r.summary.npv_usd for k, r in lean.strategies.items()}
    assert npvs[view.best_key(lean)] == max(npvs.values())
    r = view.conversion_return(lean)
    assert math.isnan(r.irr_per_year) and r.irr_kind == "none" and r.peak_funding_usd is None
    assert math.isnan(view.best_share(lean))
    assert view.best_key(real) == real.best_strategy  # given fields are read as they are


def test_workbook_and_memo_carry_every_strategy(site_and_decision):
    site, _, lean = site_and_decision
    pack = build_pack([site], lean.scenario, decide=lambda s, sc: lean)
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))
    header = [c.value for c in wb["Summary"][SUMMARY_HEADER_ROW]]
    sell, later = (f"NPV: {STRATEGY_LABELS[k]} (USD)" for k in ("sell_site", "mine_then_convert"))
    assert sell in header and later in header
    row = [c.value for c in wb["Summary"][SUMMARY_HEADER_ROW + 1]]
    got = row[header.index(sell)]
    assert round(got, 2) == round(lean.strategies["sell_site"].summary.npv_usd, 2)
    sheet = wb[cashflow_sheets(wb)[site.id]]
    names = {c.value for c in sheet[5] if c.value}
    assert "sell_site.levered_fcf_usd" in names and "mine_then_convert.revenue_usd" in names
    (chart,) = build_workbook(pack)[cashflow_sheets(wb)[site.id]]._charts
    patterns = {(s.graphicalProperties.line.prstDash, s.marker.symbol) for s in chart.series}
    assert len(chart.series) == len(patterns) == 6
    specs = site_charts(lean)
    assert len(specs[0].series) == 6 and all(distinguishable(s) for s in specs)
    text = " ".join(PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages[1].extract_text().split())
    labels = {k: lean.strategies[k].label for k in ("sell_site", "mine_then_convert")}
    assert all(label[:20] in text for label in labels.values()), labels


def test_the_share_converted_is_the_recommended_paths():
    # The memo printed the hybrid's best split as "Best share to convert" beside a
    # recommendation to sell (50%) or to convert the whole site later (12%).
    from types import SimpleNamespace

    def made(best: str, hybrid_share: float = 0.5) -> SimpleNamespace:
        return SimpleNamespace(best_strategy=best, best_hybrid_share=hybrid_share, strategies={})

    assert view.recommended_share(made("sell_site")) == 0.0
    assert view.recommended_share(made("keep_mining")) == 0.0
    assert view.recommended_share(made("mining_with_dr")) == 0.0
    assert view.recommended_share(made("mine_then_convert", 0.12)) == 1.0
    assert view.recommended_share(made("convert")) == 1.0
    assert view.recommended_share(made("hybrid", 0.25)) == 0.25
    assert math.isnan(view.recommended_share(made("something_new")))
