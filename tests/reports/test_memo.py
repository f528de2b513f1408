"""The board memo: a cover with the scenario and date, one page per site naming it, the risk
section when given, then the assumptions; charts whose series differ by more than colour."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import matplotlib
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from pypdf import PdfReader

from reports import ReportSection, build_pack, pack_bytes
from reports.charts import ChartSpec, SeriesSpec, distinguishable, site_charts
from reports.pdf import RC, assumption_page_lines, draw_chart
from reports.styles import KNOWN, series_styles
from sites import load_example_portfolio
from valuation.market import DEFAULT_MARKET
from valuation.scenario import Scenario

MADE_ON = date(2026, 11, 30)
ODD_NAME = "Pecos $5 & Co (two sites)"  # a "$" pair would be mathtext if parsed as such


@pytest.fixture(scope="module")
def pack():
    first, second = load_example_portfolio()[2:4]
    second = dataclasses.replace(second, name=ODD_NAME + " $")
    risk = ReportSection("Risk: value at risk", pd.DataFrame({"site_id": [first.id],
                                                              "p10_npv_usd": [1.2e9]}))  # fmt: skip
    return build_pack([first, second], Scenario(), scenario_name="Board Dec", made_on=MADE_ON,
                      risk=risk)  # fmt: skip


@pytest.fixture(scope="module")
def pages(pack) -> list[str]:
    reader = PdfReader(io.BytesIO(pack_bytes(pack, "pdf")))
    return [p.extract_text() for p in reader.pages]


def test_cover_then_one_page_per_site_then_sections_then_assumptions(pack, pages):
    n_assumption_pages = len(assumption_page_lines(pack))
    assert len(pages) == 1 + len(pack.results) + 1 + n_assumption_pages
    cover = pages[0]
    assert "Board memo" in cover and "Scenario: Board Dec" in cover
    as_of = DEFAULT_MARKET.as_of.strftime("%d %B %Y")
    assert "30 November 2026" in cover and as_of in cover
    for page, result in zip(pages[1 : 1 + len(pack.results)], pack.results, strict=True):
        text = " ".join(page.split())
        assert result.site.name in text
        assert " ".join(result.decision.recommendation.split()) in text
        assert "Lease rate" in text and "Bitcoin price" in text  # the break-evens
    assert pages[1 + len(pack.results)].lstrip().startswith("Risk: value at risk")
    assert all(p.lstrip().startswith("Assumptions") for p in pages[-n_assumption_pages:])
    assumptions = " ".join(pages[-n_assumption_pages:])
    assert "AI hosting lease rate" in assumptions and "USD per kW-month" in assumptions


def test_memo_text_names_every_site(pack, pages):
    everything = " ".join(" ".join(p.split()) for p in pages)
    for result in pack.results:
        assert result.site.name in everything


def test_every_site_chart_reads_without_colour(pack):
    for result in pack.results:
        specs = site_charts(result.decision)
        assert [s.kind for s in specs] == ["line", "hbar", "hbar", "hbar"]
        assert all(distinguishable(s) for s in specs)
        line = specs[0]
        assert len(line.series) == len(result.decision.strategies)
        assert len({s.mark_offset for s in line.series}) == len(line.series)  # markers interleave


def test_drawn_lines_use_the_specified_dash_and_marker(pack):
    spec = site_charts(pack.results[0].decision)[0]
    with matplotlib.rc_context(RC):
        ax = Figure().add_subplot()
        draw_chart(ax, spec)
    drawn = [ln for ln in ax.get_lines() if ln.get_label() in {s.label for s in spec.series}]
    assert [ln.get_marker() for ln in drawn] == [s.marker for s in spec.series]
    # get_linestyle() says "--" for any custom dash: compare the dash patterns themselves.
    dashes = [ln._unscaled_dash_pattern for ln in drawn]
    assert len({(off, tuple(seq or ())) for off, seq in dashes}) == len(spec.series)


def test_the_rule_catches_series_told_apart_by_colour_only():
    same = [SeriesSpec(k, k, (0.0,), (1.0,), c, "-", "solid", "o", "circle")
            for k, c in (("a", "#000000"), ("b", "#ff0000"))]  # fmt: skip
    assert not distinguishable(ChartSpec("line", "t", "x", "y", tuple(same)))
    bars = [dataclasses.replace(s, hatch="//") for s in same]
    assert not distinguishable(ChartSpec("hbar", "t", "x", "y", tuple(bars)))


@given(st.lists(st.sampled_from([*KNOWN, "mine_then_convert", "sell_site", "a", "b", "c", "d",
                                 "e", "f", "g", "h"]), min_size=1, max_size=14, unique=True))  # fmt: skip
def test_any_set_of_strategies_gets_distinct_patterns(keys):
    styles = series_styles(keys)
    assert list(styles) == keys
    assert len({s.pattern for s in styles.values()}) == len(keys)
    for k in set(keys) & set(KNOWN):
        assert styles[k] == KNOWN[k]  # the app's strategies keep their look


def test_a_long_section_is_cut_on_paper_not_in_the_workbook(pack):
    from reports.pdf import SECTION_ROWS_MAX, SECTION_ROWS_PER_PAGE

    n = SECTION_ROWS_MAX + 50
    plan = ReportSection("Plan", pd.DataFrame({"month": range(n), "capex_usd": [1.0e6] * n}))
    one = build_pack([pack.results[0].site], Scenario(), scenario_name="p", made_on=MADE_ON,
                     decide=lambda s, sc: pack.results[0].decision, plan=plan)  # fmt: skip
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pack_bytes(one, "pdf"))).pages]
    plan_pages = [t for t in texts if t.lstrip().startswith("Plan")]
    assert len(plan_pages) == SECTION_ROWS_MAX // SECTION_ROWS_PER_PAGE
    assert "and 50 more rows" in plan_pages[-1]
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(pack_bytes(one, "xlsx")))["Plan"]
    assert ws.max_row == 4 + n


def test_the_memo_defines_the_value_of_converting_as_the_app_does(pack, pages):
    # Against the best path that does not convert (mining, demand response or a sale), not the
    # best mining path: a site whose best such path is a sale is bridged from the sale.
    cover = " ".join(pages[0].split())
    assert "minus the best NPV of a path that does not convert" in cover
    assert "best mining NPV" not in " ".join(pages)
    for result in pack.results:
        d = result.decision
        bridge = next(c for c in site_charts(d) if c.title.startswith("Value bridge"))
        non = d.strategies[d.best_not_converting].label.split(" (")[0].split(":")[0]
        conv = d.strategies[d.best_converting].label.split(" (")[0].split(":")[0]
        assert bridge.title == f"Value bridge, NPV: {non} to {conv}"
    # One site by hand: Ellendale's best path that does not convert is a sale (base scenario).
    from valuation.decision import compare

    ellendale = next(s for s in load_example_portfolio() if s.id == "apld-ellendale")
    titles = [c.title for c in site_charts(compare(ellendale, Scenario()))]
    assert (
        "Value bridge, NPV: Sell the powered site to Convert the whole site to AI hosting" in titles
    )


def test_the_memo_sets_todays_hashprice_beside_its_break_even_as_the_site_page_does(pack, pages):
    # The break-even scales the model's month-0 hashprice; "Today" is that figure, on the site
    # page and in the memo alike (the memo showed the snapshot's instant figure, 1% apart).
    from valuation import formatting as fmt
    from valuation.strategies import build_site_model

    for page, result in zip(pages[1 : 1 + len(pack.results)], pack.results, strict=True):
        d = result.decision
        model = build_site_model(result.site, d.scenario, d.retrofit)
        month0 = float(model.hashprice.hashprice_usd_per_ph_day[0])
        assert d.breakevens.hashprice_today_usd_per_ph_day == pytest.approx(month0, rel=1e-12)
        assert fmt.hashprice(month0) in " ".join(page.split())


def test_a_plan_section_reads_in_words_on_paper():
    # The funding table's page showed "equity_budget_usdcritical_it_mw_startedmw_cap" run
    # together, plan years 0-17 and budgets as "∞": headers in words wrapped to their column,
    # calendar years, "no limit" for a budget not set.
    from reports.sections import plan_sections
    from valuation.conversion_plan import plan_portfolio, start_table

    sites = load_example_portfolio()[:3]
    plan = plan_portfolio(start_table(sites, Scenario()), first_year=2031)  # not the made-on year
    pack = build_pack(sites[:1], Scenario(), scenario_name="Board Dec", made_on=MADE_ON,
                      plan=plan_sections(plan))  # fmt: skip
    reader = PdfReader(io.BytesIO(pack_bytes(pack, "pdf")))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Portfolio plan: funding by year" in text
    assert "equity_budget_usd" not in text and "critical_it_mw" not in text
    assert "Equity budget" in text and "Critical IT MW" in text
    assert "no limit" in text and "2031" in text and "∞" not in text


def test_a_section_with_unnamed_columns_still_prints():
    # Columns named 0, 1 (a DataFrame built from rows): the memo prints them, as the workbook does.
    section = ReportSection("Custom", pd.DataFrame([[1.0, 2.0]]))
    pack = build_pack(load_example_portfolio()[:1], Scenario(), scenario_name="x",
                      made_on=MADE_ON, risk=[section])  # fmt: skip
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages)
    assert "Custom" in text


def test_a_conversion_that_never_pays_back_is_said_so_in_the_memo():
    # At a $20 lease converting Corsicana puts money in and gets less back: not "no outlay".
    site = next(s for s in load_example_portfolio() if s.id == "riot-corsicana")
    low = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=20.0)
    pack = build_pack([site], low, scenario_name="x", made_on=MADE_ON)
    page = PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages[1].extract_text()
    assert "Return on converting none (does not pay back)" in " ".join(page.split())


def test_the_memo_sets_the_valuations_lease_and_capex_beside_their_break_evens():
    # The memo's "Today" showed the scenario's lease rate and the site's base estimate: with
    # contingency and a readiness-moved rate those are not what the break-evens move from.
    from valuation import formatting as fmt
    from valuation.tenant import TenantProspects

    site = next(s for s in load_example_portfolio() if s.id == "riot-corsicana")
    scenario = dataclasses.replace(
        Scenario(), contingency=0.1, tenant_prospects=TenantProspects(rate_change_per_point=0.01)
    )
    pack = build_pack([site], scenario, scenario_name="x", made_on=MADE_ON)
    d = pack.results[0].decision
    page = " ".join(PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages[1].extract_text().split())
    lease = fmt.rate_usd_per_kw_month(d.breakevens.lease_rate_today_usd_per_kw_month)
    capex = fmt.usd_per_mw(d.breakevens.capex_today_usd_per_mw)
    assert lease != fmt.rate_usd_per_kw_month(scenario.lease_rate_usd_per_kw_month)
    assert capex != fmt.usd_per_mw(d.retrofit.capex_per_critical_mw_usd)
    assert lease in page and capex in page


def test_the_memo_reads_each_paths_return_as_the_app_does(funded_rockdale_pack):
    # Rockdale's later conversion needs $6B of funding and has no single IRR: the memo said
    # "none (no outlay)", the app too.
    from app_support.site_view import paths_table
    from valuation import formatting as fmt

    pack = funded_rockdale_pack
    d = pack.results[0].decision
    page = " ".join(PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages[1].extract_text().split())
    funded = [r.summary for r in d.strategies.values() if r.summary.peak_funding_usd > 0]
    assert any(s.irr_kind == "none" for s in funded)  # the case the memo got wrong
    for s in funded:
        shown = fmt.annual_return(s.irr_per_year, s.irr_kind, s.mirr_per_year,
                                  peak_funding_usd=s.peak_funding_usd, moic=s.moic)  # fmt: skip
        assert shown != "no outlay" and shown in page
    app_returns = set(paths_table(d)["return"])
    assert "no outlay" not in page or "no outlay" in app_returns
    # The return on converting above the table is another figure than the paths' own: said so.
    assert "Return on converting: on what converting adds over the best path" in page


def test_a_site_risk_page_shows_the_probability_converting_wins_as_a_percentage():
    # The page showed the first eight columns (scenario and site id among them), which left out
    # P(converting wins); where it showed, it was 0.695 rather than 69.5%.
    from reports.sections import risk_sections
    from valuation import formatting as fmt
    from valuation.risk import simulate

    site = load_example_portfolio()[0]
    run = simulate(site, Scenario(), n_paths=64, seed=3)
    pack = build_pack([site], Scenario(), scenario_name="base", made_on=MADE_ON,
                      risk=risk_sections(run))  # fmt: skip
    pages = PdfReader(io.BytesIO(pack_bytes(pack, "pdf"))).pages
    page = next(" ".join(p.extract_text().split()) for p in pages
                if p.extract_text().lstrip().startswith(f"Risk: {site.name}"))  # fmt: skip
    p, _ = run.probability_converting_wins()
    assert "Probability converting wins" in page and fmt.pct(p) in page
    assert "Monte Carlo, 64 paths, seed 3, scenario base" in page  # the note names them
    assert "Quick run: these results rest on 64 Monte Carlo paths" in page


def test_every_chart_title_stays_on_the_page_and_off_its_neighbour(pack):
    # The bridge's title (it names both paths) ran off the page's right edge.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from reports.pdf import iter_memo_pages

    site_pages = list(iter_memo_pages(pack))[1 : 1 + len(pack.results)]
    for fig in site_pages:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        axes = [ax for ax in fig.axes if ax.get_title(loc="left")]
        assert len(axes) == 4
        for ax in axes:
            title = ax._left_title  # noqa: SLF001 - matplotlib's left title artist
            extent = title.get_window_extent(renderer)
            assert extent.x1 <= fig.bbox.x1, title.get_text()
            for other in axes:  # nor over a chart to its right
                if other.get_position().x0 > ax.get_position().x1:
                    assert extent.x1 <= other.get_window_extent(renderer).x0, title.get_text()
