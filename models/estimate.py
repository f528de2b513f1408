"""``estimate_retrofit``: the line items, totals, PUE, water and schedule of one site's conversion.

Tax classes (MACRS property class, years) of the line items, the contract's choice:
- 39: the shell and building (nonresidential real property).
- 15: electrical and mechanical plant, white-space fit-out, site works, controls, security and
  outside-plant fiber. Site works are 15-year land improvements under MACRS; treating the
  data-center MEP plant as 15-year assumes a cost-segregation study (without one, much of it
  would be a 39-year structural component). This is an assumption to check with a tax adviser.
- 5: IT-adjacent networking gear (meet-me room, cabling).
Soft costs and contingency are spread over the classes in proportion to the hard cost of each, so
the capex by class always sums to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from models.cooling import (
    cooling_line_items,
    design_pue,
    heat_rejection_type,
    water_use_m3_per_year,
)
from models.costs import CONTINGENCY_SHARE, SOFT_COST_SHARE, LineItem
from models.errors import RetrofitInputError
from models.network import network_line_items
from models.power import electrical_line_items, substation_shortfall_mva
from models.schedule import (
    DEFAULT_LEAD_TIMES,
    HallSchedule,
    LeadTimes,
    build_schedule,
    months_to_energize,
)
from models.shell import shell_line_items
from models.targets import RetrofitTarget, check_site
from sites.schema import Site
from sites.unknowns import Assumption, assumptions_for, known, resolve_unknowns

LINE_ITEM_COLUMNS = ("group", "item", "low_usd", "base_usd", "high_usd", "basis", "tax_class")
SCENARIOS = ("low", "base", "high")
TAX_CLASSES = (5, 15, 39)


@dataclass(frozen=True)
class RetrofitEstimate:
    """A conversion estimate. Money in USD (2025); MW are critical IT unless named otherwise.

    line_items: DataFrame with columns group, item, low_usd, base_usd, high_usd, basis, tax_class.
    halls: one ``HallSchedule`` per hall or phase (months counted from the decision, month 0).
    assumptions: the conservative values the site's unknown fields were given
    (``sites.unknowns.Assumption``, one per unknown field; empty when every fact is known).
    """

    site_id: str
    target: RetrofitTarget
    line_items: pd.DataFrame
    critical_it_mw: float
    design_pue: float
    heat_rejection: str
    water_use_m3_per_year: float
    halls: tuple[HallSchedule, ...]
    critical_path: str
    assumptions: tuple[Assumption, ...] = ()

    @property
    def total_low_usd(self) -> float:
        """Sum of the low column, USD."""
        return float(self.line_items["low_usd"].sum())

    @property
    def total_base_usd(self) -> float:
        """Sum of the base column, USD."""
        return float(self.line_items["base_usd"].sum())

    @property
    def total_high_usd(self) -> float:
        """Sum of the high column, USD."""
        return float(self.line_items["high_usd"].sum())

    @property
    def capex_per_critical_mw_usd(self) -> float:
        """Base total / critical IT MW, USD per MW."""
        return self.total_base_usd / self.critical_it_mw

    @property
    def gross_mw(self) -> float:
        """Facility (gross) MW at design: critical IT MW x design PUE."""
        return self.critical_it_mw * self.design_pue

    @property
    def first_ready_month(self) -> int:
        """Month the first hall is ready for service."""
        return min(h.ready_for_service_month for h in self.halls)

    def capex_by_class_usd(self, scenario: str = "base") -> dict[int, float]:
        """Capex of the chosen scenario by MACRS class {5, 15, 39}, USD (sums to the total)."""
        values = self.line_items[_scenario_column(scenario)].to_numpy(dtype=float)
        classes = self.line_items["tax_class"].to_numpy()
        return {c: float(values[classes == c].sum()) for c in TAX_CLASSES}

    def capex_by_month_usd(self, n_months: int, scenario: str = "base") -> np.ndarray:
        """Capex per month, shape ``(n_months,)``, USD: each hall's share of the total spent evenly
        from its construction start to the month before it is ready. Spend after the horizon is
        dropped (so the sum is below the total when the last hall finishes after ``n_months``)."""
        weights = self._month_weights(n_months)
        return weights * _total(self.line_items, _scenario_column(scenario))

    def capex_by_class_by_month_usd(
        self, n_months: int, scenario: str = "base"
    ) -> dict[int, np.ndarray]:
        """Capex by MACRS class and month: {class: array (n_months,)}, USD; feeds
        ``valuation.finance.project_cash_flows(capex_by_class_usd=...)``."""
        weights = self._month_weights(n_months)
        return {c: weights * v for c, v in self.capex_by_class_usd(scenario).items()}

    def _month_weights(self, n_months: int) -> np.ndarray:
        if not (isinstance(n_months, int | np.integer) and n_months > 0):
            raise RetrofitInputError(f"n_months={n_months!r}: must be a positive integer")
        months = np.arange(n_months)
        start = np.array([h.construction_start_month for h in self.halls])[:, None]
        ready = np.array([h.ready_for_service_month for h in self.halls])[:, None]
        share = np.array([h.critical_it_mw for h in self.halls])[:, None] / self.critical_it_mw
        duration = np.maximum(ready - start, 1)
        active = (months >= start) & (months < np.maximum(ready, start + 1))
        return (share * active / duration).sum(axis=0)


def _scenario_column(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise RetrofitInputError(f"scenario={scenario!r}: must be one of {', '.join(SCENARIOS)}")
    return f"{scenario}_usd"


def _total(items: pd.DataFrame, column: str) -> float:
    return float(items[column].sum())


def _soft_and_contingency(hard: list[LineItem]) -> list[LineItem]:
    """Soft-cost and contingency rows, one per tax class, pro rata to hard cost.

    soft = share_s x hard; contingency = share_c x (hard + soft), for low, base and high alike.
    """
    rows: list[LineItem] = []
    for tax_class in TAX_CLASSES:
        sums = [
            sum(getattr(i, f"{s}_usd") for i in hard if i.tax_class == tax_class) for s in SCENARIOS
        ]
        if sums[1] <= 0:
            continue
        soft = [s * share for s, share in zip(sums, SOFT_COST_SHARE, strict=True)]
        cont = [(h + s) * share for h, s, share in zip(sums, soft, CONTINGENCY_SHARE, strict=True)]
        rows.append(
            LineItem(
                "soft costs and contingency",
                f"soft costs (design, permits, commissioning) on class-{tax_class} items",
                soft[0],
                soft[1],
                soft[2],
                f"{SOFT_COST_SHARE[1]:.0%} of ${sums[1]:,.0f} class-{tax_class} hard cost "
                f"(low {SOFT_COST_SHARE[0]:.0%}, high {SOFT_COST_SHARE[2]:.0%}; cost-plan practice)",
                tax_class,
            )
        )
        rows.append(
            LineItem(
                "soft costs and contingency",
                f"contingency on class-{tax_class} items",
                cont[0],
                cont[1],
                cont[2],
                f"{CONTINGENCY_SHARE[1]:.0%} of class-{tax_class} hard + soft cost "
                f"(low {CONTINGENCY_SHARE[0]:.0%}, high {CONTINGENCY_SHARE[2]:.0%})",
                tax_class,
            )
        )
    return rows


def _climate(site: Site) -> tuple[float, float, str]:
    """Design dry-bulb C, wet-bulb C and water availability, unknowns valued conservatively
    (``sites.unknowns``: a hot climate and no water)."""
    conn = resolve_unknowns(site).connectivity
    return (
        known(conn.design_dry_bulb_c, "design_dry_bulb_c"),
        known(conn.design_wet_bulb_c, "design_wet_bulb_c"),
        known(conn.water_availability, "water_availability"),
    )


def default_target(site: Site, **overrides: object) -> RetrofitTarget:
    """The default conversion target for a site: critical IT MW = firm gross MW / design PUE.

    Firm gross MW is ``site.firm_mw`` (contracted MW that is not interruptible). The design PUE is
    the one direct-to-chip cooling gives in the site's climate (``models.cooling.design_pue``),
    unless ``overrides`` change the cooling or redundancy, which are then used. Other fields take
    the ``RetrofitTarget`` defaults (130 kW racks, N+1/N+1, Tier III, reuse the buildings).
    """
    check_site(site)
    dry, wet, water = _climate(site)
    firm_mw = site.firm_mw
    if firm_mw <= 0:
        raise RetrofitInputError(
            f"firm_mw={firm_mw!r} (contracted_mw={site.power.contracted_mw!r}, "
            f"interruptible_share={site.power.interruptible_share!r}): a conversion needs firm "
            "gross MW greater than 0"
        )
    cooling = str(overrides.get("cooling", "direct_to_chip"))
    electrical = str(overrides.get("electrical_redundancy", "N+1"))
    pue = design_pue(cooling, dry, wet, water, electrical)
    kwargs: dict[str, object] = {"critical_it_mw": firm_mw / pue, **overrides}
    return RetrofitTarget(**kwargs)  # type: ignore[arg-type]


def estimate_retrofit(
    site: Site,
    target: RetrofitTarget | None = None,
    *,
    lead_times: LeadTimes | None = None,
    as_of: date | None = None,
) -> RetrofitEstimate:
    """Estimate converting ``site`` to ``target`` (``default_target(site)`` when None).

    Returns line items with low / base / high USD and their basis, totals, cost per MW of critical
    IT, design PUE and annual water use in the site's climate, and the hall schedule with its
    critical path. Raises ``RetrofitInputError`` naming the field for unusable inputs.

    as_of: the valuation date (month 0 of the schedule). Halls beyond the site's energized MW wait
    for ``site.power.queue_energization_date``, counted in months from ``as_of``; when either date
    is missing they wait ``models.schedule.DEFAULT_MONTHS_TO_ENERGIZE`` (24) months.
    """
    check_site(site)
    if target is None:
        target = default_target(site)
    elif not isinstance(target, RetrofitTarget):
        raise RetrofitInputError(f"target={target!r}: must be a RetrofitTarget or None")
    if as_of is not None and not isinstance(as_of, date):
        raise RetrofitInputError(f"as_of={as_of!r}: must be a datetime.date or None")
    lead = DEFAULT_LEAD_TIMES if lead_times is None else lead_times
    dry, wet, water = _climate(site)
    pue = design_pue(target.cooling, dry, wet, water, target.electrical_redundancy)
    hard = [
        *cooling_line_items(site, target, pue),
        *electrical_line_items(site, target, pue),
        *network_line_items(site, target),
        *shell_line_items(site, target),
    ]
    hard = [i for i in hard if i.base_usd > 0 or i.high_usd > 0]
    rows = hard + _soft_and_contingency(hard)
    items = pd.DataFrame(
        {c: [getattr(r, c) for r in rows] for c in LINE_ITEM_COLUMNS}, columns=LINE_ITEM_COLUMNS
    )
    items["tax_class"] = items["tax_class"].astype(int)
    heat_rejection = heat_rejection_type(water)
    power_month, power_basis = months_to_energize(site.power.queue_energization_date, as_of)
    halls, path = build_schedule(
        target.critical_it_mw,
        sum(r.base_usd for r in rows),
        hall_count=site.facility.hall_count,
        hall_power_mw=site.facility.hall_power_mw,
        reuse_buildings=target.reuse_buildings,
        generators=target.backup_generation,
        chillers=any(r.item == "chillers" for r in hard),
        substation=substation_shortfall_mva(site, target, pue)[0] > 0,
        lead=lead,
        design_pue=pue,
        energized_gross_mw=site.power.energized_mw,
        energization_month=power_month,
        energization_basis=power_basis,
    )
    return RetrofitEstimate(
        site_id=site.id,
        target=target,
        line_items=items,
        critical_it_mw=target.critical_it_mw,
        design_pue=pue,
        heat_rejection=heat_rejection,
        water_use_m3_per_year=water_use_m3_per_year(
            target.critical_it_mw, pue, heat_rejection, dry
        ),
        halls=halls,
        critical_path=path,
        assumptions=assumptions_for(site),
    )
