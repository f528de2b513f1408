"""Risk and plan results as board-pack sections (:class:`reports.ReportSection`): one builder for
the app's Board pack page and the command line's ``hashpivot value --risk-paths/--plan``, so both
packs carry the same tables under the same titles.

A Monte Carlo run (``valuation.risk.simulate``'s ``SiteRisk`` or ``simulate_portfolio``'s
``PortfolioRiskResult``) is one section: its ``report_table()`` (scenario, paths and seed on every
row). A portfolio plan (``valuation.conversion_plan.ConversionPlan``) is two: the timeline and the
funding curve by year, the shadow-price sentence under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.pack import ReportSection

if TYPE_CHECKING:
    from valuation.conversion_plan import ConversionPlan
    from valuation.risk import PortfolioRiskResult
    from valuation.risk import SiteRisk as SiteRisk_

PLAN_TIMELINE_TITLE = "Portfolio plan: which site converts when"
PLAN_FUNDING_TITLE = "Portfolio plan: funding by year"


def risk_sections(result: SiteRisk_ | PortfolioRiskResult | None) -> list[ReportSection]:
    """The run's section (none when ``result`` is None): titled with the site's id, or as the
    portfolio's run over its sites on the same paths; the note says paths, seed and scenario."""
    if result is None:
        return []
    from valuation.risk import SiteRisk

    how = f"Monte Carlo, {result.n_paths:,} paths, seed {result.seed}, scenario {result.scenario_name}"
    if isinstance(result, SiteRisk):
        return [ReportSection(f"Risk: {result.site_id}", result.report_table(), how)]
    n = len(result.site_ids)
    return [
        ReportSection(
            f"Risk: portfolio of {n} sites",
            result.report_table(),
            f"{how}; every site on the same paths, the portfolio row their sum per path",
        )
    ]


def plan_sections(plan: ConversionPlan | None) -> list[ReportSection]:
    """The plan's two sections, timeline then funding (none when ``plan`` is None)."""
    if plan is None:
        return []
    return [
        ReportSection(PLAN_TIMELINE_TITLE, plan.timeline),
        ReportSection(PLAN_FUNDING_TITLE, plan.funding, plan.shadow_sentence),
    ]
