"""Schedule: months to ready-for-service per hall, from long-lead equipment, permitting and
construction, with the critical path named.

For each hall: ready-for-service month = construction start + max(longest long-lead item,
permitting) + construction. Halls start ``stagger_months`` apart, so crews and cash roll from one
hall to the next. Lead times are in weeks (as suppliers quote them) and convert to months at
52 / 12 weeks per month, rounded up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.targets import RetrofitInputError

WEEKS_PER_MONTH = 52.0 / 12.0


@dataclass(frozen=True)
class LeadTimes:
    """Lead times and durations; defaults carry their source (2026-11-29 fact sheet).

    Equipment lead times, weeks (Cushman & Wakefield 2025 Data Center Development Cost Guide,
    midpoints: switchgear 46-48, generators 30-38, chillers 30-40, UPS and transformers 28-36;
    occasionally up to 110). The high-voltage substation transformer uses McKinsey's 50 weeks
    (via MarketScreener, 2025), which also quotes MV switchgear up to 80 weeks.
    Construction, months: a single 30-60 MW hyperscale building takes 14-22 months of construction
    (cortexconstruct.com, 2025), so 18; Core Scientific says conversion is ~50% faster than new
    construction (2024), so 9 for reused halls.
    Permitting, months: engineering assumption (no sourced figure): 9 for a new building, 3 for
    a retrofit of permitted industrial halls.
    Stagger: halls start 3 months apart, but a campus runs halls in parallel so the last starts
    at most 12 months after the first: campuses of 100 MW+ take 24-36+ months against 18-24 for
    the first building (cortexconstruct.com, 2025).
    """

    mv_switchgear_weeks: float = 47.0
    unit_transformer_weeks: float = 32.0
    ups_weeks: float = 32.0
    generator_weeks: float = 34.0
    chiller_weeks: float = 35.0
    substation_transformer_weeks: float = 50.0
    permitting_months_new: float = 9.0
    permitting_months_reuse: float = 3.0
    construction_months_new: float = 18.0
    construction_months_reuse: float = 9.0
    stagger_months: float = 3.0
    max_stagger_span_months: float = 12.0
    phase_mw: float = 50.0  # phase size, MW critical IT, when the site has no halls

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise RetrofitInputError(f"LeadTimes.{name}={value!r}: must be a number >= 0")
        if self.phase_mw <= 0:
            raise RetrofitInputError(f"LeadTimes.phase_mw={self.phase_mw!r}: must be > 0")


DEFAULT_LEAD_TIMES = LeadTimes()


@dataclass(frozen=True)
class HallSchedule:
    """One hall (or phase): its critical IT MW, months from the decision, and base capex (USD)."""

    hall: str
    critical_it_mw: float
    construction_start_month: int
    ready_for_service_month: int
    capex_base_usd: float


def weeks_to_months(weeks: float) -> int:
    """Whole months needed to cover ``weeks`` (rounded up; 52/12 weeks per month)."""
    return math.ceil(weeks / WEEKS_PER_MONTH - 1e-9)


def long_lead_items(
    lead: LeadTimes, *, generators: bool, chillers: bool, substation: bool
) -> dict[str, float]:
    """Long-lead equipment the project needs, name -> lead time in weeks."""
    items = {
        "MV switchgear": lead.mv_switchgear_weeks,
        "MV/LV transformers": lead.unit_transformer_weeks,
        "UPS": lead.ups_weeks,
    }
    if generators:
        items["generators"] = lead.generator_weeks
    if chillers:
        items["chillers"] = lead.chiller_weeks
    if substation:
        items["substation transformer"] = lead.substation_transformer_weeks
    return items


def hall_split(
    critical_it_mw: float, hall_count: int, hall_power_mw: float, phase_mw: float
) -> tuple[str, list[float]]:
    """Split critical IT MW across the site's halls, or across ~``phase_mw`` phases if none.

    A site "has halls" when hall_count >= 1 and hall_power_mw > 0; the MW are split equally.
    Returns the label ("Hall" or "Phase") and the MW per hall.
    """
    if hall_count >= 1 and hall_power_mw > 0:
        n, label = hall_count, "Hall"
    else:
        n, label = max(1, round(critical_it_mw / phase_mw)), "Phase"
    return label, [critical_it_mw / n] * n


def hall_starts(n_halls: int, stagger_months: float, max_span_months: float) -> list[int]:
    """Start month of each hall: ``stagger_months`` apart (rounded up to whole months), squeezed
    so the last starts no later than ``max_span_months`` (rounded up) after the first."""
    step = math.ceil(stagger_months)
    if n_halls <= 1:
        return [0] * n_halls
    span = min(step * (n_halls - 1), math.ceil(max_span_months))
    return [math.floor(i * span / (n_halls - 1) + 1e-9) for i in range(n_halls)]


def build_schedule(
    critical_it_mw: float,
    total_capex_base_usd: float,
    *,
    hall_count: int,
    hall_power_mw: float,
    reuse_buildings: bool,
    generators: bool,
    chillers: bool,
    substation: bool,
    lead: LeadTimes = DEFAULT_LEAD_TIMES,
) -> tuple[tuple[HallSchedule, ...], str]:
    """Hall schedules and a sentence naming the critical path.

    Base capex is shared between halls in proportion to their MW (site-wide items included).
    """
    label, mws = hall_split(critical_it_mw, hall_count, hall_power_mw, lead.phase_mw)
    items = long_lead_items(lead, generators=generators, chillers=chillers, substation=substation)
    driver, driver_weeks = max(items.items(), key=lambda kv: kv[1])
    lead_months = weeks_to_months(driver_weeks)
    permit = lead.permitting_months_reuse if reuse_buildings else lead.permitting_months_new
    permit_months = math.ceil(permit)
    build = lead.construction_months_reuse if reuse_buildings else lead.construction_months_new
    build_months = math.ceil(build)
    gate = max(lead_months, permit_months)
    starts = hall_starts(len(mws), lead.stagger_months, lead.max_stagger_span_months)
    halls = tuple(
        HallSchedule(
            hall=f"{label} {i + 1}",
            critical_it_mw=mw,
            construction_start_month=starts[i],
            ready_for_service_month=starts[i] + gate + build_months,
            capex_base_usd=total_capex_base_usd * mw / critical_it_mw,
        )
        for i, mw in enumerate(mws)
    )
    if lead_months >= permit_months:
        gate_txt = (
            f"{driver} lead time ({driver_weeks:g} weeks = {lead_months} months, "
            f"longer than {permit_months} months of permitting)"
        )
    else:
        gate_txt = (
            f"permitting ({permit_months} months, longer than the {lead_months}-month "
            f"{driver} lead time)"
        )
    kind = "retrofit" if reuse_buildings else "new-build"
    path = (
        f"{gate_txt}, then {build_months} months of {kind} construction: {halls[0].hall} ready "
        f"in month {halls[0].ready_for_service_month}"
    )
    if len(halls) > 1:
        path += (
            f"; halls start up to {math.ceil(lead.stagger_months)} months apart, so "
            f"{halls[-1].hall} is ready in month {halls[-1].ready_for_service_month}"
        )
    return halls, path
