"""Networking line items: fiber laterals to long-haul fiber (a second, diverse path for Tier III
and up), the meet-me room, and structured cabling.

Outside-plant fiber is MACRS class 15 (a utility-like land improvement); meet-me-room equipment and
cabling are IT-adjacent networking gear, class 5.
"""

from __future__ import annotations

from models.costs import DIVERSE_ROUTE_LENGTH_FACTOR, LineItem, line_item
from models.targets import RetrofitTarget
from sites.schema import Site
from sites.unknowns import known, resolve_unknowns

DIVERSE_PATH_TIERS = ("III", "IV")


def fiber_route_km(fiber_distance_km: float, tier: str) -> float:
    """Route km of new fiber: the lateral, plus a diverse path 1.5x as long for Tier III and IV."""
    if tier in DIVERSE_PATH_TIERS:
        return fiber_distance_km * (1.0 + DIVERSE_ROUTE_LENGTH_FACTOR)
    return fiber_distance_km


def network_line_items(site: Site, target: RetrofitTarget) -> list[LineItem]:
    """Fiber build by distance, meet-me room, and network fit-out per MW of critical IT.

    An unknown fiber distance is the far case (``sites.unknowns.UNKNOWN_FIBER_DISTANCE_KM``)."""
    g = "networking"
    unknown = site.connectivity.fiber_distance_km is None
    km = known(resolve_unknowns(site).connectivity.fiber_distance_km, "fiber_distance_km")
    basis = f"{km:g} km" + (" (distance unknown: the far case assumed)" if unknown else "")
    items = [
        line_item(g, "fiber lateral to long-haul route", "fiber_route", km, basis, 15),
    ]
    if target.tier in DIVERSE_PATH_TIERS:
        diverse_km = km * DIVERSE_ROUTE_LENGTH_FACTOR
        items.append(
            line_item(
                g,
                "diverse second fiber path",
                "fiber_route",
                diverse_km,
                f"{km:g} km x {DIVERSE_ROUTE_LENGTH_FACTOR:g} (tier {target.tier} needs two paths)",
                15,
            )
        )
    items.append(line_item(g, "meet-me room", "meet_me_room", 1.0, "1 site", 5))
    it_mw = target.critical_it_mw
    items.append(
        line_item(
            g,
            "structured cabling and network fit-out",
            "network_fitout",
            it_mw,
            f"{it_mw:.2f} MW critical IT",
            5,
        )
    )
    return items
