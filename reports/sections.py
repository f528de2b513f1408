"""Risk, option-to-wait and plan results as board-pack sections (:class:`reports.ReportSection`):
one builder for the app's Board pack page and the command line's ``hashpivot value
--risk-paths/--plan``, so both packs carry the same tables under the same titles.

A Monte Carlo run (``valuation.risk.simulate``'s ``SiteRisk`` or ``simulate_portfolio``'s
``PortfolioRiskResult``) is one section: its ``report_table()`` (scenario, paths and seed on every
row). The option to wait (``valuation.wait_option.WaitReport``) is one: its figures
(``WAIT_LABELS``, the risk page's and the command line's labels too) and the share of paths
converted by each year, the decision in words under it. A portfolio plan
(``valuation.conversion_plan.ConversionPlan``) is two: the timeline and the funding curve by
year, the shadow-price sentence under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.pack import ReportSection

if TYPE_CHECKING:
    import pandas as pd

    from valuation.conversion_plan import ConversionPlan
    from valuation.risk import PortfolioRiskResult
    from valuation.risk import SiteRisk as SiteRisk_
    from valuation.wait_option import WaitReport

# A full Monte Carlo run, as the app's Risk page makes one (its FULL_PATHS): below it the pack
# calls the results a quick run.
FULL_RUN_PATHS = 10_000
PLAN_TIMELINE_TITLE = "Portfolio plan: which site converts when"
PLAN_FUNDING_TITLE = "Portfolio plan: funding by year"
# The option to wait's figures (WaitReport fields, USD at the valuation date), as every page,
# pack and command line names them.
WAIT_LABELS = {
    "option_to_wait_usd": "Value of waiting",
    "option_to_wait_std_error_usd": "Value of waiting: standard error",
    "value_usd": "With the option, mean NPV",
    "convert_now_usd": "Converting now, mean NPV",
    "never_convert_usd": "Never converting (keep mining), mean NPV",
}
WAIT_APPROXIMATIONS = (
    "These paths value a tenant's signing at its odds and draw no tenant default or "
    "construction delay, so their converting figures can run above the Monte Carlo run's."
)


def risk_sections(result: SiteRisk_ | PortfolioRiskResult | None) -> list[ReportSection]:
    """The run's section (none when ``result`` is None): titled with the site's id, or as the
    portfolio's run over its sites on the same paths; the note says paths, seed and scenario."""
    if result is None:
        return []
    from valuation.risk import SiteRisk

    how = f"Monte Carlo, {result.n_paths:,} paths, seed {result.seed}, scenario {result.scenario_name}"
    if isinstance(result, SiteRisk):
        return [ReportSection(f"Risk: {result.site_id}", result.report_table(), how,
                              site_id=result.site_id, n_paths=result.n_paths)]  # fmt: skip
    n = len(result.site_ids)
    return [
        ReportSection(
            f"Risk: portfolio of {n} sites",
            result.report_table(),
            f"{how}; every site on the same paths, the portfolio row their sum per path",
            n_paths=result.n_paths,
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


def wait_decision_note(report: WaitReport) -> str:
    """The decision in words and the paths' approximations: the risk page, the pack and the
    command line say it so."""
    return f"The decision: {report.decision()}. {WAIT_APPROXIMATIONS}"


def wait_table(report: WaitReport) -> pd.DataFrame:
    """The option's figures, one a row: ``figure``, ``value_usd`` (USD at the valuation date,
    Monte Carlo means) or ``value_share`` (of paths converted by the end of each year; of the
    regression's decisions the fitted rule reproduces); the other column blank."""
    import numpy as np
    import pandas as pd

    money = [(label, float(getattr(report, field))) for field, label in WAIT_LABELS.items()]
    shares = [(f"Converted by the end of year {i + 1}", float(p))
              for i, p in enumerate(report.converted_by_year)]  # fmt: skip
    shares.append(("Regression decisions the fitted rule reproduces", report.rule_agreement_share))
    return pd.DataFrame(
        [(f, v, np.nan) for f, v in money] + [(f, np.nan, v) for f, v in shares],
        columns=["figure", "value_usd", "value_share"],
    )


def wait_sections(
    site_id: str, report: WaitReport | None, *, seed: int, scenario_name: str
) -> list[ReportSection]:
    """The option to wait's section for ``site_id`` (none when ``report`` is None): its table,
    and a note with paths, seed, scenario, the decision in words and the approximations."""
    if report is None:
        return []
    how = (
        f"Least-squares Monte Carlo, {report.n_paths:,} paths, seed {seed}, scenario "
        f"{scenario_name}. {wait_decision_note(report)}"
    )
    return [ReportSection(f"Option to wait: {site_id}", wait_table(report), how,
                          site_id=site_id, n_paths=report.n_paths)]  # fmt: skip


def section_paths(section: ReportSection) -> int | None:
    """The Monte Carlo paths a section rests on: its ``n_paths``, else its table's ``n_paths``
    column (``report_table()`` puts it on every row); None for a section no simulation made."""
    if section.n_paths is not None:
        return int(section.n_paths)
    column = section.table.get("n_paths") if "n_paths" in section.table.columns else None
    if column is None or column.empty:
        return None
    try:
        return int(column.iloc[0])
    except (TypeError, ValueError):
        return None


def _precision_text(table: pd.DataFrame) -> str:
    """What the run's own standard errors say of its precision: the probability converting wins
    and its standard error, where the table has them; "" otherwise."""
    from valuation import formatting as fmt

    if not {"p_converting_wins", "p_converting_wins_se"} <= set(table.columns) or table.empty:
        return ""
    p, se = table["p_converting_wins"].iloc[0], table["p_converting_wins_se"].iloc[0]
    return (
        f" The probability converting wins, {fmt.pct(p)}, has a standard error of "
        f"{100 * se:.1f} percentage points: many more paths could move it by "
        f"{200 * se:.1f} points either way (95%)."
    )


def paths_note(section: ReportSection) -> str:
    """The sentence the pack prints where a simulated section's results are: how many paths they
    rest on and, below :data:`FULL_RUN_PATHS`, that they are a quick run, with the run's own
    standard error where the table has it; "" for a section no simulation made."""
    n = section_paths(section)
    if n is None:
        return ""
    if n >= FULL_RUN_PATHS:
        return f"These results rest on {n:,} Monte Carlo paths."
    return (
        f"Quick run: these results rest on {n:,} Monte Carlo paths, fewer than the "
        f"{FULL_RUN_PATHS:,} of a full run; treat them as indicative."
        + _precision_text(section.table)
    )
