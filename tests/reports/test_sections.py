"""``reports.sections``: a Monte Carlo run and a conversion plan as the pack's sections, the same
for the app and the command line: titles, notes (paths, seed, scenario) and the run's own table."""

from __future__ import annotations

import pandas as pd
import pytest

from reports import ReportSection
from reports.sections import (
    PLAN_FUNDING_TITLE,
    PLAN_TIMELINE_TITLE,
    plan_sections,
    risk_sections,
    wait_sections,
)
from sites import load_example_portfolio
from valuation.conversion_plan import plan_portfolio, start_table
from valuation.risk import simulate, simulate_portfolio
from valuation.risk_presets import preset


@pytest.fixture(scope="module")
def two_sites():
    by_id = {s.id: s for s in load_example_portfolio()}
    return [by_id["corz-muskogee"], by_id["corz-marble"]]


def test_nothing_run_is_no_section():
    assert risk_sections(None) == [] and plan_sections(None) == []
    assert wait_sections("corz-muskogee", None, seed=0, scenario_name="Base") == []


def test_the_option_to_wait_is_its_figures_and_the_decision_in_words(two_sites):
    from valuation.wait_option import site_wait_option

    named = preset("base")
    rep = site_wait_option(two_sites[0], named.scenario, drivers=named.drivers, n_paths=64, seed=2)
    (section,) = wait_sections("corz-muskogee", rep, seed=2, scenario_name=named.name)
    assert section.title == "Option to wait: corz-muskogee"
    assert section.note.startswith(
        f"Least-squares Monte Carlo, 64 paths, seed 2, scenario {named.name}."
    )
    assert (
        f"The decision: {rep.decision()}." in section.note and "no tenant default" in section.note
    )
    t = section.table.set_index("figure")
    assert list(section.table.columns) == ["figure", "value_usd", "value_share"]
    assert t.loc["Value of waiting", "value_usd"] == rep.option_to_wait_usd
    assert (
        t.loc["Value of waiting: standard error", "value_usd"] == rep.option_to_wait_std_error_usd
    )
    assert t.loc["With the option, mean NPV", "value_usd"] == rep.value_usd
    assert t.loc["Converting now, mean NPV", "value_usd"] == rep.convert_now_usd
    assert t.loc["Never converting (keep mining), mean NPV", "value_usd"] == rep.never_convert_usd
    by_year = [t.loc[f"Converted by the end of year {i + 1}", "value_share"]
               for i in range(rep.converted_by_year.size)]  # fmt: skip
    assert by_year == rep.converted_by_year.tolist()
    assert t.loc["Regression decisions the fitted rule reproduces", "value_share"] == (
        rep.rule_agreement_share
    )
    # each figure is money or a share, never both
    assert (section.table["value_usd"].isna() != section.table["value_share"].isna()).all()


def test_converting_now_is_said_and_shared_as_such(two_sites):
    # On this site and seed converting now beats the fitted rule (tests/valuation/
    # test_wait_option.py): the note says so and every path has converted in year 1.
    from valuation.wait_option import site_wait_option

    rep = site_wait_option(two_sites[0], n_paths=256, seed=1)
    assert rep.policy == "now"
    (section,) = wait_sections("corz-muskogee", rep, seed=1, scenario_name="Base")
    assert "The decision: convert now (" in section.note
    assert "following the regression (about: convert when" in section.note
    t = section.table.set_index("figure")
    assert t.loc["With the option, mean NPV", "value_usd"] == rep.convert_now_usd
    assert (t.loc[t.index.str.startswith("Converted by"), "value_share"] == 1.0).all()


def test_a_site_run_is_its_report_table(two_sites):
    r = simulate(two_sites[0], preset("bear"), n_paths=16, seed=3)
    (section,) = risk_sections(r)
    assert section.title == "Risk: corz-muskogee"
    assert section.note == "Monte Carlo, 16 paths, seed 3, scenario Risk: bear"
    pd.testing.assert_frame_equal(section.table, r.report_table())


def test_a_portfolio_run_has_each_site_and_the_sum(two_sites):
    r = simulate_portfolio(two_sites, n_paths=16, seed=4)
    (section,) = risk_sections(r)
    assert section.title == "Risk: portfolio of 2 sites"
    assert "16 paths, seed 4" in section.note and "same paths" in section.note
    t = section.table
    assert list(t["site_id"]) == ["corz-muskogee", "corz-marble", "portfolio"]
    assert set(t["n_paths"]) == {16} and set(t["seed"]) == {4}
    # The portfolio row is the sum of the sites' means (the same paths, summed per path).
    sites, total = t.iloc[:2], t.iloc[2]
    assert total["convert_mean_usd"] == pytest.approx(sites["convert_mean_usd"].sum(), rel=1e-9)
    pd.testing.assert_frame_equal(t[list(r.table.columns)], r.table)
    # The headline first (the memo's page shows eight columns): best paths and the odds.
    assert list(t.columns[:8]) == ["scenario", "site_id", "best_converting_mean_usd",
                                   "best_converting_se_usd", "best_not_converting_mean_usd",
                                   "best_not_converting_se_usd", "p_converting_wins",
                                   "p_converting_wins_se"]  # fmt: skip


def test_a_plan_is_its_timeline_and_funding(two_sites):
    plan = plan_portfolio(start_table(two_sites), first_year=2025)
    timeline, funding = plan_sections(plan)
    assert isinstance(timeline, ReportSection) and isinstance(funding, ReportSection)
    assert (timeline.title, funding.title) == (PLAN_TIMELINE_TITLE, PLAN_FUNDING_TITLE)
    assert timeline.table is plan.timeline and funding.table is plan.funding
    assert funding.note == plan.shadow_sentence
