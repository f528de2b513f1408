"""Schedule: months to ready-for-service per hall, from long-lead equipment, permitting and
construction, with the critical path named.

For each hall: ready-for-service month = construction start + max(longest long-lead item,
permitting) + construction. Halls start ``stagger_months`` apart, so crews and cash roll from one
hall to the next. Lead times are in weeks (as suppliers quote them) and convert to months at
52 / 12 weeks per month, rounded up.

Power: a hall cannot be ready before its gross MW (critical IT MW x design PUE) are energized.
Halls, in build order, take the site's energized MW first; a hall whose cumulative gross MW exceed
them waits for the energization month (``energization_month``), and its construction start moves
later by the same amount so its spend ends when power arrives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Final

from models.errors import RetrofitInputError

WEEKS_PER_MONTH = 52.0 / 12.0
DAYS_PER_MONTH: Final = 365.25 / 12.0

# Months until contracted-but-not-energized MW are energized when no queue date (or no valuation
# date) is known: CBRE H1 2023 puts Dallas substation delivery at 24-30 months (2026-11-29 hosting
# fact sheet, section 2.6); the low end, as in ``sites.readiness.CONTRACTED_NOT_ENERGIZED_MONTHS``.
DEFAULT_MONTHS_TO_ENERGIZE: Final = 24


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
    design_pue: float = 1.0,
    energized_gross_mw: float = math.inf,
    energization_month: int = 0,
    energization_basis: str = "",
) -> tuple[tuple[HallSchedule, ...], str]:
    """Hall schedules and a sentence naming the critical path.

    Base capex is shared between halls in proportion to their MW (site-wide items included).
    Halls whose cumulative gross MW (critical IT x ``design_pue``, in build order) exceed
    ``energized_gross_mw`` are ready no earlier than ``energization_month``; their construction
    starts late enough to finish then. ``energization_basis`` says where that month comes from and
    is named in the critical path when it binds.
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
    duration = gate + build_months
    gross_cum = [design_pue * sum(mws[: i + 1]) for i in range(len(mws))]
    # Relative tolerance: a hall that exactly uses up the energized MW is not held back.
    powered = [g <= energized_gross_mw * (1.0 + 1e-9) for g in gross_cum]
    ready = [
        starts[i] + duration if powered[i] else max(starts[i] + duration, energization_month)
        for i in range(len(mws))
    ]
    halls = tuple(
        HallSchedule(
            hall=f"{label} {i + 1}",
            critical_it_mw=mw,
            construction_start_month=ready[i] - duration,
            ready_for_service_month=ready[i],
            capex_base_usd=total_capex_base_usd * mw / critical_it_mw,
        )
        for i, mw in enumerate(mws)
    )
    held = [h for i, h in enumerate(halls) if ready[i] > starts[i] + duration]
    gate_txt = _gate_text(driver, driver_weeks, lead_months, permit_months)
    kind = "retrofit" if reuse_buildings else "new-build"
    path = (
        f"{gate_txt}, then {build_months} months of {kind} construction: {halls[0].hall} ready "
        f"in month {halls[0].ready_for_service_month}"
    )
    if held:
        path = (
            f"power: {_span(held)} wait{'s' if len(held) == 1 else ''} for energization in month "
            f"{energization_month} ({energization_basis or 'energization month given'}; "
            f"{_mw_text(energized_gross_mw)} gross MW energized today, "
            f"{gross_cum[-1]:.2f} gross MW needed at PUE {design_pue:.3f}); otherwise {path}"
        )
    if len(halls) > 1:
        path += (
            f"; halls start up to {math.ceil(lead.stagger_months)} months apart, so "
            f"{halls[-1].hall} is ready in month {halls[-1].ready_for_service_month}"
        )
    return halls, path


def _gate_text(driver: str, driver_weeks: float, lead_months: int, permit_months: int) -> str:
    """What gates construction: the longest long-lead item or permitting, whichever is longer."""
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
    return gate_txt


def _span(halls: list[HallSchedule]) -> str:
    return halls[0].hall if len(halls) == 1 else f"{halls[0].hall} to {halls[-1].hall}"


def _mw_text(mw: float) -> str:
    return "unlimited" if math.isinf(mw) else f"{mw:g}"


def months_between(start: date, end: date) -> float:
    """Months from ``start`` to ``end`` (negative if ``end`` is earlier): whole calendar months
    plus the day difference at 365.25 / 12 days per month, as in ``sites.readiness``."""
    return (
        (end.year - start.year) * 12
        + (end.month - start.month)
        + (end.day - start.day) / (DAYS_PER_MONTH)
    )


def months_to_energize(energization_date: date | None, as_of: date | None) -> tuple[int, str]:
    """Month (counted from ``as_of`` = month 0) in which not-yet-energized MW are energized, and
    where that comes from.

    With both dates: the months between them rounded up (power is there by the start of the month
    after the date), 0 if the date has passed. Otherwise ``DEFAULT_MONTHS_TO_ENERGIZE`` (24).
    """
    if energization_date is not None and as_of is not None:
        months = max(0, math.ceil(months_between(as_of, energization_date) - 1e-9))
        return months, (
            f"queue energization date {energization_date.isoformat()}, {months} months after "
            f"{as_of.isoformat()}"
        )
    why = "no queue energization date" if energization_date is None else "no valuation date"
    return DEFAULT_MONTHS_TO_ENERGIZE, (
        f"{why}: assumed {DEFAULT_MONTHS_TO_ENERGIZE} months, CBRE 2023 substation delivery "
        "24-30 months"
    )
