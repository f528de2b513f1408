"""Cooling: design PUE, annual water use and the mechanical line items.

Heat rejection follows the water a site has: ample water -> cooling towers (evaporative), limited
water -> adiabatic (spray-assisted) dry coolers, no water -> dry coolers. The choice depends on
water only, not on temperature, so a hotter climate can only raise the design PUE.

Design PUE = 1 + cooling overhead + electrical losses + other loads, where the cooling overhead
rises linearly with the design temperature the heat rejection sees (dry-bulb for dry and adiabatic
coolers, wet-bulb for towers) above a reference. Anchors (2026-11-29 fact sheet): Applied Digital
designs direct-to-chip halls in North Dakota for 1.18 (2025); Bitfarms targets 1.2-1.3 for
liquid-cooled GB300 in Washington (2025); the Uptime 2023 average of mostly air-cooled sites is
1.58, and new large air-cooled facilities reach ~1.3-1.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from models.costs import REDUNDANCY_CAPACITY_FACTOR, REUSE_COST_FACTOR, LineItem, line_item
from models.targets import (
    COOLING_TECHNOLOGIES,
    REDUNDANCY_LEVELS,
    RetrofitInputError,
    RetrofitTarget,
)
from sites.schema import Site
from sites.unknowns import known, resolve_unknowns

HEAT_REJECTION_BY_WATER: Final = MappingProxyType(
    {"ample": "cooling_towers", "limited": "adiabatic_coolers", "none": "dry_coolers"}
)


@dataclass(frozen=True)
class CoolingOverhead:
    """Cooling power as a fraction of IT power: base + slope x max(0, T - reference_c)."""

    base: float
    slope_per_c: float
    reference_c: float
    temperature: str  # "dry_bulb" or "wet_bulb"


# Engineering estimates fitted to the anchors in the module docstring: direct-to-chip with dry
# coolers at a 32 C design dry-bulb gives PUE 1.18 (Applied Digital, ND); air with rear doors at
# 35 C gives ~1.41 (new air-cooled builds 1.3-1.4; Uptime average 1.58 for older sites).
COOLING_OVERHEAD: Final = MappingProxyType(
    {
        ("direct_to_chip", "dry_coolers"): CoolingOverhead(0.08, 0.006, 25.0, "dry_bulb"),
        ("direct_to_chip", "adiabatic_coolers"): CoolingOverhead(0.07, 0.004, 25.0, "dry_bulb"),
        ("direct_to_chip", "cooling_towers"): CoolingOverhead(0.06, 0.006, 18.0, "wet_bulb"),
        ("air_rdhx", "dry_coolers"): CoolingOverhead(0.22, 0.012, 25.0, "dry_bulb"),
        ("air_rdhx", "adiabatic_coolers"): CoolingOverhead(0.19, 0.008, 25.0, "dry_bulb"),
        ("air_rdhx", "cooling_towers"): CoolingOverhead(0.16, 0.010, 18.0, "wet_bulb"),
        ("immersion", "dry_coolers"): CoolingOverhead(0.04, 0.004, 25.0, "dry_bulb"),
        ("immersion", "adiabatic_coolers"): CoolingOverhead(0.035, 0.003, 25.0, "dry_bulb"),
        ("immersion", "cooling_towers"): CoolingOverhead(0.03, 0.004, 18.0, "wet_bulb"),
    }
)
# UPS and transformer losses as a fraction of IT power; 2N runs each UPS at half load or less,
# where double-conversion efficiency is lower. Engineering estimate (typical 95-97% UPS efficiency).
ELECTRICAL_LOSS_SHARE: Final = MappingProxyType({"N": 0.04, "N+1": 0.04, "2N": 0.05})
OTHER_LOAD_SHARE: Final = 0.02  # lighting, offices, security: engineering estimate

# Share of IT heat removed by liquid in a direct-to-chip rack (GB200/GB300 class: the rest by air).
# Engineering estimate consistent with introl.com's GB300 tray split (2025).
DTC_LIQUID_SHARE: Final = 0.8
AIR_RDHX_RESIDUAL_AIR_SHARE: Final = 0.25  # room air handling behind the doors
IMMERSION_RESIDUAL_AIR_SHARE: Final = 0.05  # power shelves, switches outside the tanks

# Water physics: latent heat of vaporisation 2,257 kJ/kg, so 3,600 kJ (1 kWh) evaporates
# 3600 / 2257 = 1.595 kg = 1.595 L. Towers bleed water to hold 4 cycles of concentration:
# make-up = evaporation x 4 / 3. Adiabatic pads bleed about 10%.
WATER_L_PER_KWH_EVAPORATED: Final = 3600.0 / 2257.0
MAKEUP_FACTOR: Final = MappingProxyType(
    {"cooling_towers": 4.0 / 3.0, "adiabatic_coolers": 1.1, "dry_coolers": 0.0}
)
TOWER_EVAPORATIVE_SHARE: Final = 0.75  # the rest leaves as sensible heat (and in cold months)
AVERAGE_IT_LOAD_FACTOR: Final = 0.8  # average IT draw / critical IT: engineering estimate
HOURS_PER_YEAR: Final = 8760.0


def heat_rejection_type(water_availability: str) -> str:
    """Heat rejection for the site's water: "cooling_towers", "adiabatic_coolers" or "dry_coolers"."""
    if water_availability not in HEAT_REJECTION_BY_WATER:
        raise RetrofitInputError(
            f"water_availability={water_availability!r}: must be one of "
            f"{', '.join(HEAT_REJECTION_BY_WATER)}"
        )
    return HEAT_REJECTION_BY_WATER[water_availability]


def cooling_overhead_share(
    cooling: str, design_dry_bulb_c: float, design_wet_bulb_c: float, water_availability: str
) -> float:
    """Cooling power as a fraction of critical IT power at design conditions (dimensionless)."""
    if cooling not in COOLING_TECHNOLOGIES:
        raise RetrofitInputError(
            f"cooling={cooling!r}: must be one of {', '.join(COOLING_TECHNOLOGIES)}"
        )
    params = COOLING_OVERHEAD[(cooling, heat_rejection_type(water_availability))]
    temp_c = design_dry_bulb_c if params.temperature == "dry_bulb" else design_wet_bulb_c
    return params.base + params.slope_per_c * max(0.0, temp_c - params.reference_c)


def design_pue(
    cooling: str,
    design_dry_bulb_c: float,
    design_wet_bulb_c: float,
    water_availability: str,
    electrical_redundancy: str = "N+1",
) -> float:
    """Design power usage effectiveness (facility power / IT power) at design conditions.

    PUE = 1 + cooling overhead + electrical losses + other loads (see the module docstring).
    """
    if electrical_redundancy not in REDUNDANCY_LEVELS:
        raise RetrofitInputError(
            f"electrical_redundancy={electrical_redundancy!r}: must be one of "
            f"{', '.join(REDUNDANCY_LEVELS)}"
        )
    overhead = cooling_overhead_share(
        cooling, design_dry_bulb_c, design_wet_bulb_c, water_availability
    )
    return 1.0 + overhead + ELECTRICAL_LOSS_SHARE[electrical_redundancy] + OTHER_LOAD_SHARE


def evaporative_share(heat_rejection: str, design_dry_bulb_c: float) -> float:
    """Share of the year's heat rejected by evaporating water (dimensionless, 0..1).

    Towers: 0.75. Adiabatic coolers spray only on hot hours: 5% plus 1 point per deg C of design
    dry-bulb above 30 C, capped at 30% (engineering estimate). Dry coolers: 0.
    """
    if heat_rejection == "cooling_towers":
        return TOWER_EVAPORATIVE_SHARE
    if heat_rejection == "adiabatic_coolers":
        return min(0.30, 0.05 + 0.01 * max(0.0, design_dry_bulb_c - 30.0))
    return 0.0


def water_use_m3_per_year(
    critical_it_mw: float, pue: float, heat_rejection: str, design_dry_bulb_c: float
) -> float:
    """Annual water make-up in m3.

    heat (kWh/yr) = critical IT MW x 1000 x 8760 h x average load factor 0.8 x PUE;
    water (m3) = heat x evaporative share x 1.595 L/kWh x make-up factor / 1000.
    """
    heat_kwh = critical_it_mw * 1000.0 * HOURS_PER_YEAR * AVERAGE_IT_LOAD_FACTOR * pue
    share = evaporative_share(heat_rejection, design_dry_bulb_c)
    litres = heat_kwh * share * WATER_L_PER_KWH_EVAPORATED * MAKEUP_FACTOR[heat_rejection]
    return litres / 1000.0


def heat_rejection_size_factor(heat_rejection: str, dry_bulb_c: float, wet_bulb_c: float) -> float:
    """How much larger heat rejection must be in a hot climate (>= 1; engineering estimate).

    A smaller approach between coolant and air needs more coil area: dry coolers +4% per deg C of
    design dry-bulb above 30 C, adiabatic +2% per deg C above 30 C, towers +2% per deg C of wet-bulb
    above 20 C.
    """
    if heat_rejection == "dry_coolers":
        return 1.0 + 0.04 * max(0.0, dry_bulb_c - 30.0)
    if heat_rejection == "adiabatic_coolers":
        return 1.0 + 0.02 * max(0.0, dry_bulb_c - 30.0)
    return 1.0 + 0.02 * max(0.0, wet_bulb_c - 20.0)


def existing_heat_rejection_mw(site: Site) -> float:
    """MW of heat the site's mining heat rejection can reject at design, 0 for air-cooled sites.

    Hydro- and immersion-cooled halls reject their whole gross power as heat through liquid
    coolers (every MW drawn by miners and pumps ends as heat in the loop), so the existing
    capacity in MW of heat is hall count x gross MW per hall, at the site's own design climate.
    Air-cooled halls exhaust heat with fans and have no liquid heat rejection to reuse.
    """
    if site.facility.cooling_type not in ("hydro", "immersion"):
        return 0.0
    return site.facility.hall_count * site.facility.hall_power_mw


def cooling_line_items(site: Site, target: RetrofitTarget, pue: float) -> list[LineItem]:
    """Mechanical line items (tax class 15): liquid loops, air handling, chillers, heat rejection.

    Quantities are MW: liquid-cooled IT, air-cooled IT, chilled load, and heat rejected
    (critical IT x PUE, since all power ends as heat), each times the mechanical redundancy
    capacity factor (N 1.0, N+1 1.25, 2N 2.0). When the halls are reused and the mining site was
    hydro- or immersion-cooled, its heat rejection (whatever its type: ``existing_heat_rejection_mw``
    MW of heat) covers that much of the installed MW of heat at ``REUSE_COST_FACTOR`` of the cost
    of the new type.
    """
    it_mw = target.critical_it_mw
    red = REDUNDANCY_CAPACITY_FACTOR[target.mechanical_redundancy]
    red_txt = f"x {red:g} ({target.mechanical_redundancy})"
    items: list[LineItem] = []
    g = "cooling"
    if target.cooling == "direct_to_chip":
        liquid = it_mw * DTC_LIQUID_SHARE
        air = it_mw - liquid
        items.append(
            line_item(
                g,
                "CDUs and liquid loops",
                "cdu_liquid_loops",
                liquid * red,
                f"{liquid:.2f} MW liquid-cooled IT {red_txt}",
                15,
            )
        )
        chilled = air
    elif target.cooling == "immersion":
        air = it_mw * IMMERSION_RESIDUAL_AIR_SHARE
        items.append(
            line_item(
                g,
                "immersion tanks, fluid and CDUs",
                "immersion_tanks",
                it_mw * red,
                f"{it_mw:.2f} MW critical IT {red_txt}",
                15,
            )
        )
        chilled = air
    else:
        air = it_mw * AIR_RDHX_RESIDUAL_AIR_SHARE
        items.append(
            line_item(
                g,
                "rear-door heat exchangers",
                "rear_door_hx",
                it_mw,
                f"{it_mw:.2f} MW critical IT (one door per rack)",
                15,
            )
        )
        chilled = it_mw
    items.append(
        line_item(
            g,
            "air handling",
            "air_handling",
            air * red,
            f"{air:.2f} MW air-cooled IT {red_txt}",
            15,
        )
    )
    items.append(
        line_item(
            g, "chillers", "chillers", chilled * red, f"{chilled:.2f} MW chilled load {red_txt}", 15
        )
    )
    conn = resolve_unknowns(site).connectivity  # unknown climate: hot; unknown water: none
    kind = heat_rejection_type(known(conn.water_availability, "water_availability"))
    size = heat_rejection_size_factor(
        kind,
        known(conn.design_dry_bulb_c, "design_dry_bulb_c"),
        known(conn.design_wet_bulb_c, "design_wet_bulb_c"),
    )
    heat_mw = it_mw * pue * red  # installed MW of heat rejection, spares included
    existing_mw = existing_heat_rejection_mw(site) if target.reuse_buildings else 0.0
    reused_mw = min(heat_mw, existing_mw)
    new_mw = heat_mw - reused_mw
    label = kind.replace("_", " ")
    items.append(
        line_item(
            g,
            f"heat rejection: {label}",
            kind,
            new_mw * size,
            f"{it_mw:.2f} MW IT x PUE {pue:.3f} {red_txt} = {heat_mw:.2f} MW of heat rejection, "
            f"less {reused_mw:.2f} MW reused, x climate factor {size:.3f}",
            15,
        )
    )
    if reused_mw > 0:
        items.append(
            line_item(
                g,
                f"heat rejection: reused mining {site.facility.cooling_type} heat rejection "
                f"(in place of new {label})",
                kind,
                reused_mw * size * REUSE_COST_FACTOR,
                f"{reused_mw:.2f} MW of the {existing_mw:.2f} MW of heat the mining halls reject "
                f"({site.facility.hall_count} x {site.facility.hall_power_mw:g} gross MW, all of "
                f"it heat) x climate factor {size:.3f} x reuse factor {REUSE_COST_FACTOR:g} of "
                f"new {label}",
                15,
            )
        )
    return items
