"""The board pack's content: every site's decision under one named scenario, made once and then
written as a workbook (``reports.excel``) or a memo (``reports.pdf``).

``build_pack(sites, scenario, scenario_name=...)`` values each site with
``valuation.decision.compare`` (or the ``decide`` callable given, e.g. the app's cached one). A site
that cannot be valued is kept in ``failures`` with the reason, so the pack says which sites are
missing and why instead of failing whole.

Risk and plan results join as :class:`ReportSection` tables (``risk=`` and ``plan=``): each becomes
one worksheet and one memo page, only when given. A section about one site (``site_id``) keeps its
title as given (the workbook's, with the id); the memo heads its page with the site's name
(:func:`section_heading`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from reports.errors import ReportInputError

if TYPE_CHECKING:
    from sites.schema import Site
    from valuation.decision import Decision
    from valuation.scenario import Scenario

MAX_SCENARIO_NAME_LENGTH = 100
MAX_SECTION_ROWS = 1_000_000  # below Excel's 1,048,576 rows a sheet
MAX_SECTION_COLUMNS = 1_000
MAX_SITES = 2_000  # a bound on one pack: a portfolio of this many sites is a 2,000-page memo


@dataclass(frozen=True)
class ReportSection:
    """A table of results another analysis adds to the pack (risk, plan): a title, the table
    (columns with units in their names, as every Hashpivot frame), and a note under it.

    ``site_id``: the site the section is about, when one (the memo shows a title ending in it
    with the site's name, :func:`section_heading`). ``n_paths``: the Monte Carlo paths its figures rest on, when a simulation made
    them (the pack says how many, and warns of a quick run).
    """

    title: str
    table: pd.DataFrame
    note: str = ""
    site_id: str = ""
    n_paths: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ReportInputError(f"ReportSection.title = {self.title!r}: must be non-blank text")
        if not isinstance(self.table, pd.DataFrame):
            raise ReportInputError(
                f"ReportSection.table for {self.title!r} is a {type(self.table).__name__}: "
                "must be a pandas DataFrame"
            )
        if len(self.table) > MAX_SECTION_ROWS or self.table.shape[1] > MAX_SECTION_COLUMNS:
            raise ReportInputError(
                f"ReportSection.table for {self.title!r} has {len(self.table):,} rows and "
                f"{self.table.shape[1]:,} columns: at most {MAX_SECTION_ROWS:,} rows and "
                f"{MAX_SECTION_COLUMNS:,} columns (a worksheet holds 1,048,576 x 16,384)"
            )


@dataclass(frozen=True)
class SiteResult:
    """One site and its decision."""

    site: Site
    decision: Decision


@dataclass(frozen=True)
class SiteFailure:
    """A site that could not be valued, and why (the valuation's message)."""

    site: Site
    reason: str


@dataclass(frozen=True)
class BoardPack:
    """Everything a workbook or memo shows: the sites' decisions under one named scenario.

    ``made_on``: the date the pack was made (the memo's date). ``risk`` and ``plan``: optional
    result tables, written only when given.
    """

    scenario: Scenario
    scenario_name: str
    made_on: date
    results: tuple[SiteResult, ...]
    failures: tuple[SiteFailure, ...] = ()
    risk: tuple[ReportSection, ...] = ()
    plan: tuple[ReportSection, ...] = ()

    @property
    def sections(self) -> tuple[ReportSection, ...]:
        """The optional result tables, risk first."""
        return self.risk + self.plan

    def site_labels(self) -> dict[str, str]:
        """Site id -> how the pack names the site: its name, with its operator where another
        site of the pack has the same name, and its id too where that still repeats."""
        return site_labels([r.site for r in self.results] + [f.site for f in self.failures])

    def strategy_keys(self) -> list[str]:
        """Every strategy key of any site, in the order first met (the columns of the summary)."""
        keys: dict[str, None] = {}
        for r in self.results:
            keys.update(dict.fromkeys(r.decision.strategies))
        return list(keys)


def site_labels(sites: Iterable[Site], *, with_operator: bool = False) -> dict[str, str]:
    """Site id -> a name that tells the sites apart: the name; "name (operator)" where names
    repeat (two sites called Rockdale) or always (``with_operator``); "name (operator, id)"
    where that repeats too. The app's pages name sites the same way."""
    sites = list(sites)
    names = Counter(s.name for s in sites)
    labels = {
        s.id: f"{s.name} ({s.operator})"
        if (with_operator or names[s.name] > 1) and s.operator
        else s.name
        for s in sites
    }
    repeated = Counter(labels.values())
    return {
        s.id: f"{s.name} ({', '.join(p for p in (s.operator, s.id) if p)})"
        if repeated[labels[s.id]] > 1
        else labels[s.id]
        for s in sites
    }


def section_heading(section: ReportSection, labels: dict[str, str]) -> str:
    """A section's title as a reader sees it: a title ending in the section's site id ends in the
    site's label instead (``labels``: :meth:`BoardPack.site_labels`), "Risk: apld-ellendale" ->
    "Risk: Ellendale (mining site and Polaris Forge 1)"; any other title as it is."""
    sid = section.site_id
    if not sid or sid not in labels or not section.title.endswith(sid):
        return section.title
    return section.title[: -len(sid)] + labels[sid]


def _sections(value: ReportSection | Sequence[ReportSection] | None, name: str) -> tuple:
    if value is None:
        return ()
    items = (value,) if isinstance(value, ReportSection) else tuple(value)
    for item in items:
        if not isinstance(item, ReportSection):
            raise ReportInputError(
                f"{name} = {type(item).__name__}: must be a ReportSection or a list of them"
            )
    return items


def check_scenario_name(name: object) -> str:
    """The scenario's name as shown in the pack: non-blank text of at most 100 characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_SCENARIO_NAME_LENGTH:
        raise ReportInputError(
            f"scenario_name = {name!r}: must be non-blank text of at most "
            f"{MAX_SCENARIO_NAME_LENGTH} characters"
        )
    return name.strip()


def build_pack(
    sites: Iterable[Site],
    scenario: Scenario | None = None,
    *,
    scenario_name: str = "base",
    made_on: date | None = None,
    decide: Callable[[Site, Scenario], Decision] | None = None,
    progress: Callable[[int, int, Site], None] | None = None,
    risk: ReportSection | Sequence[ReportSection] | None = None,
    plan: ReportSection | Sequence[ReportSection] | None = None,
) -> BoardPack:
    """Value every site under ``scenario`` (the base scenario when None) and collect the pack.

    Parameters
    ----------
    sites : iterable of Site
        1 to ``MAX_SITES`` sites.
    scenario : Scenario, optional
        The scenario every site is valued under; default ``Scenario()``.
    scenario_name : str, default "base"
        Shown on every page and sheet.
    made_on : datetime.date, optional
        The pack's date (default today).
    decide : callable, optional
        ``decide(site, scenario) -> Decision``; default ``valuation.decision.compare``.
    progress : callable, optional
        ``progress(done, total, site)``, called after each site (the command line's progress bar).
    risk, plan : ReportSection or sequence of ReportSection, optional
        Extra sections (Monte Carlo risk, the portfolio plan).

    Returns
    -------
    BoardPack
        ``results`` (one SiteResult per site valued), ``failures`` (a site whose valuation raises a
        ValueError, as every valuation and models error is one), the scenario and its name.

    Examples
    --------
    >>> from reports import build_pack
    >>> from sites import load_example_portfolio
    >>> pack = build_pack(load_example_portfolio()[:1], scenario_name="board 2026-12")
    >>> len(pack.results), len(pack.failures), pack.scenario_name
    (1, 0, 'board 2026-12')
    """
    from valuation.decision import compare
    from valuation.scenario import Scenario

    scenario = scenario or Scenario()
    name = check_scenario_name(scenario_name)
    sites = list(sites)
    if not sites:
        raise ReportInputError("sites = []: a board pack needs at least one site")
    if len(sites) > MAX_SITES:
        raise ReportInputError(
            f"sites: {len(sites)} given; a board pack takes at most {MAX_SITES} sites"
        )
    decide = decide or compare
    results: list[SiteResult] = []
    failures: list[SiteFailure] = []
    for i, site in enumerate(sites, start=1):  # one valuation per site; each is vectorised inside
        try:
            results.append(SiteResult(site, decide(site, scenario)))
        except ValueError as exc:
            failures.append(SiteFailure(site, str(exc)))
        if progress is not None:
            progress(i, len(sites), site)
    return BoardPack(
        scenario=scenario,
        scenario_name=name,
        made_on=made_on or date.today(),
        results=tuple(results),
        failures=tuple(failures),
        risk=_sections(risk, "risk"),
        plan=_sections(plan, "plan"),
    )


def finite_or_none(value: object) -> float | None:
    """A number as a spreadsheet or JSON can hold it: None for nan, infinities and non-numbers."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def strategy_name(key: str) -> str:
    """A strategy's generic name for column headers (the site's own label can name its halls)."""
    from valuation import strategies

    labels = getattr(strategies, "STRATEGY_LABELS", {})
    return labels.get(key) or key.replace("_", " ").capitalize()
