"""Electrical line items: substation headroom and voltage, MV switchgear, transformers, UPS,
generators and low-voltage distribution, sized by the redundancy and tier.

Quantities: facility load MW = critical IT MW x design PUE (switchgear, transformers and generators
carry the cooling load too); UPS and low-voltage distribution carry critical IT only. Each
quantity is multiplied by the electrical redundancy capacity factor (N 1.0, N+1 1.25, 2N 2.0);
distribution by the tier's path factor (Tier III 1.5, Tier IV 2.0). Mining sites have no UPS or
generators (theglobalpractice.com, via the 2026-11-29 fact sheet), so these are always new. Their
medium-voltage gear is reused (at ``REUSE_COST_FACTOR`` of new) only for Tier I-II targets: it is
single-path, and Tier III needs concurrently maintainable, dual-path distribution.
"""

from __future__ import annotations

from typing import Final

from models.costs import (
    DESIGN_POWER_FACTOR,
    DISTRIBUTION_PATH_FACTOR,
    MIN_HIGH_SIDE_KV,
    REDUNDANCY_CAPACITY_FACTOR,
    REUSE_COST_FACTOR,
    LineItem,
    line_item,
)
from models.targets import RetrofitTarget
from sites.schema import Site
from sites.unknowns import known, resolve_unknowns

# Tiers at which mining medium-voltage gear may be reused (single-path gear meets Tier I-II only).
MV_REUSE_TIERS: Final = ("I", "II")


def required_mva(critical_it_mw: float, pue: float) -> float:
    """Apparent power the substation must deliver, MVA = critical IT MW x PUE / power factor."""
    return critical_it_mw * pue / DESIGN_POWER_FACTOR


def min_high_side_kv(load_mva: float) -> float:
    """Least high-side voltage (kV) that can serve ``load_mva`` (utility practice, see costs)."""
    for above_mva, kv in MIN_HIGH_SIDE_KV:
        if load_mva > above_mva:
            return kv
    return 0.0


def substation_shortfall_mva(site: Site, target: RetrofitTarget, pue: float) -> tuple[float, str]:
    """New substation MVA the site needs, and why ("" when none).

    If the high-side voltage is too low for the load, the whole requirement is new capacity;
    otherwise only the shortfall of the existing transformer capacity. Unknown voltage or capacity
    is no headroom (``sites.unknowns``): all capacity is new.
    """
    need = required_mva(target.critical_it_mw, pue)
    if need > 0 and site.substation.high_side_voltage_kv is None:
        return (
            need,
            f"{need:.1f} MVA load; the substation's voltage is unknown, so all capacity is new",
        )
    if need > 0 and site.substation.capacity_mva is None:
        return need, f"{need:.1f} MVA load; the substation's capacity is unknown, so all is new"
    resolved = resolve_unknowns(site)
    kv = known(resolved.substation.high_side_voltage_kv, "substation_high_side_voltage_kv")
    capacity = known(resolved.substation.capacity_mva, "substation_capacity_mva")
    if kv < min_high_side_kv(need):
        return need, (
            f"{need:.1f} MVA load needs >= {min_high_side_kv(need):g} kV; the substation is "
            f"{kv:g} kV, so all capacity is new"
        )
    short = max(0.0, need - capacity)
    if short > 0:
        return short, f"{need:.1f} MVA needed less {capacity:g} MVA existing = {short:.1f} MVA"
    return 0.0, ""


def electrical_line_items(site: Site, target: RetrofitTarget, pue: float) -> list[LineItem]:
    """Electrical line items, all MACRS class 15 (see ``models.estimate`` for the choice)."""
    it_mw = target.critical_it_mw
    facility_mw = it_mw * pue
    red = REDUNDANCY_CAPACITY_FACTOR[target.electrical_redundancy]
    red_txt = f"x {red:g} ({target.electrical_redundancy})"
    paths = DISTRIBUTION_PATH_FACTOR[target.tier]
    g = "electrical"
    items: list[LineItem] = []

    short_mva, why = substation_shortfall_mva(site, target, pue)
    if short_mva > 0:
        items.append(
            line_item(
                g, "substation and transformer upgrade", "substation_upgrade", short_mva, why, 15
            )
        )
        # Unknown placement is off site, an unknown distance UNKNOWN_SUBSTATION_DISTANCE_KM.
        resolved = resolve_unknowns(site)
        km = known(resolved.substation.distance_km, "substation_distance_km")
        if not resolved.substation.on_site and km > 0:
            guessed = site.substation.on_site is None or site.substation.distance_km is None
            items.append(
                line_item(
                    g,
                    "transmission line upgrade",
                    "transmission_line",
                    km,
                    f"{km:g} km to the off-site substation"
                    + (" (placement or distance unknown: assumed)" if guessed else ""),
                    15,
                )
            )

    # Medium-voltage gear inside reused mining halls is refurbished up to the halls' gross MW, but
    # only for tiers I-II: mining MV gear is a single radial path, and Tier III needs concurrently
    # maintainable, dual-path distribution (Uptime topology, see DISTRIBUTION_PATH_FACTOR), so at
    # Tier III-IV the MV gear is bought new.
    mv_mw = facility_mw * red
    reused = 0.0
    if target.reuse_buildings and target.tier in MV_REUSE_TIERS:
        reused = min(mv_mw, site.facility.hall_count * site.facility.hall_power_mw)
    for item, key in (
        ("MV switchgear", "mv_switchgear"),
        ("MV/LV transformers", "unit_transformers"),
    ):
        qty_txt = f"{it_mw:.2f} MW IT x PUE {pue:.3f} {red_txt} = {mv_mw:.2f} MW"
        if reused > 0:
            qty_txt += f", of which {reused:.2f} MW reused at x {REUSE_COST_FACTOR:g}"
        qty = (mv_mw - reused) + reused * REUSE_COST_FACTOR
        items.append(line_item(g, item, key, qty, qty_txt, 15))

    items.append(
        line_item(
            g,
            "UPS and batteries",
            "ups_batteries",
            it_mw * red,
            f"{it_mw:.2f} MW critical IT {red_txt}",
            15,
        )
    )
    if target.backup_generation:
        items.append(
            line_item(
                g,
                "generators and fuel",
                "generators_fuel",
                mv_mw,
                f"{it_mw:.2f} MW IT x PUE {pue:.3f} {red_txt}",
                15,
            )
        )
    items.append(
        line_item(
            g,
            "low-voltage distribution (busway, PDUs)",
            "lv_distribution",
            it_mw * paths,
            f"{it_mw:.2f} MW critical IT x {paths:g} paths (tier {target.tier})",
            15,
        )
    )
    return items
