"""Unknown site facts and the conservative value each is given when a site is valued.

A blank cell in a site file, the inventory editor or the "Add a site" form is UNKNOWN (None in
``sites.schema``), never an optimistic zero. Nothing is guessed in the site itself: a consumer
that needs a number asks ``resolve_unknowns(site)`` for a copy in which every unknown is replaced
by the conservative value below, and says so (``sites.schema.unknown_fields`` lists the fields,
``ASSUMPTIONS`` the words). Applied in ``models.estimate`` (the retrofit), ``sites.readiness``
(scores) and, for the contract price, ``valuation.power.PowerContract.from_site`` (which needs the
region's price and so is not resolved here).

Conservative means: the value that makes converting the site cost more or earn less, so an
unknown fact never makes a site look better than a known one would.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, TypeVar

from sites.schema import UNKNOWN_COLUMNS, Site, to_record, unknown_fields

# --- the conservative values (each one an assumption, flagged as such) --------------------------
# Substation: unknown placement = off site (a line has to be built or upgraded), unknown capacity
# = no headroom (every MVA of the conversion is new), unknown high-side voltage = too low for the
# load (so, again, all capacity new: models.power.substation_shortfall_mva).
UNKNOWN_SUBSTATION_ON_SITE: Final = False
# Assumption (no sourced figure, 2026-11-30): 16 km (10 miles) of 69-345 kV line to an off-site
# substation whose distance is unknown; priced at models.costs "transmission_line" per km.
UNKNOWN_SUBSTATION_DISTANCE_KM: Final = 16.0
UNKNOWN_SUBSTATION_CAPACITY_MVA: Final = 0.0
UNKNOWN_HIGH_SIDE_VOLTAGE_KV: Final = 0.0
# Fiber: the far case, the distance at which the readiness fiber score reaches zero
# (sites.readiness.FULL_SCORE_FIBER_KM, 50 km); no carriers.
UNKNOWN_FIBER_DISTANCE_KM: Final = 50.0
UNKNOWN_CARRIER_COUNT: Final = 0
# Climate: the hottest design conditions among the bundled example sites' ASHRAE stations
# (0.4% cooling dry-bulb 38.5 C at Rockdale / Corsicana / Granbury / Garden City; 0.4% evaporation
# wet-bulb 27.5 C; ASHRAE Handbook - Fundamentals 2021 ch. 14 via sites/data/SOURCES.md): a hot US
# mining-belt climate. Assumption: an unknown site is valued as if it were that hot.
UNKNOWN_DESIGN_DRY_BULB_C: Final = 38.5
UNKNOWN_DESIGN_WET_BULB_C: Final = 27.5
# Water: none (dry heat rejection, the highest PUE in heat; readiness water score 0).
UNKNOWN_WATER_AVAILABILITY: Final = "none"
# Land and buildings: none held, none reused (readiness land score 0; the whole shell is new).
UNKNOWN_ACRES: Final = 0.0
UNKNOWN_BUILDING_AREA_M2: Final = 0.0


@dataclass(frozen=True)
class Assumption:
    """How one unknown column is valued: the column, what is assumed (words) and the basis."""

    column: str
    assumed: str
    basis: str


ASSUMPTIONS: dict[str, Assumption] = {
    a.column: a
    for a in (
        Assumption("acres_owned", "0 acres", "no land counted (readiness land score falls)"),
        Assumption("acres_leased", "0 acres", "no land counted (readiness land score falls)"),
        Assumption("acres_expansion", "0 acres", "no land counted (readiness land score falls)"),
        Assumption(
            "contract_price_usd_per_mwh",
            "the grid region's index price plus its default adder",
            "valuation.regions (Region.default_adder_usd_per_mwh, an assumption of $5/MWh)",
        ),
        Assumption(
            "substation_on_site",
            "off site",
            "a line to the substation is built or upgraded (assumption)",
        ),
        Assumption(
            "substation_distance_km",
            f"{UNKNOWN_SUBSTATION_DISTANCE_KM:g} km of line",
            "assumption, no sourced figure (2026-11-30)",
        ),
        Assumption(
            "substation_capacity_mva",
            "no spare capacity",
            "every MVA of the conversion is a new substation upgrade",
        ),
        Assumption(
            "substation_high_side_voltage_kv",
            "too low for the load",
            "every MVA of the conversion is a new substation upgrade",
        ),
        Assumption("building_area_m2", "no building reused", "the whole shell is new"),
        Assumption(
            "fiber_distance_km",
            f"{UNKNOWN_FIBER_DISTANCE_KM:g} km to long-haul fiber",
            "the far case: where the readiness fiber score reaches zero",
        ),
        Assumption("carrier_count", "no carriers", "readiness fiber score falls"),
        Assumption(
            "design_dry_bulb_c",
            f"{UNKNOWN_DESIGN_DRY_BULB_C:g} C design dry-bulb",
            "hottest bundled site's ASHRAE station (2021), a hot-climate assumption",
        ),
        Assumption(
            "design_wet_bulb_c",
            f"{UNKNOWN_DESIGN_WET_BULB_C:g} C design wet-bulb (at most the dry-bulb)",
            "most humid bundled site's ASHRAE station (2021), a hot-climate assumption",
        ),
        Assumption(
            "water_availability",
            "no water",
            "dry heat rejection (highest PUE in heat); readiness water score 0",
        ),
    )
}


def resolve_unknowns(site: Site) -> Site:
    """A copy of ``site`` with every unknown (None) replaced by its conservative value (above).

    The contract price stays None: its value needs the grid region's price
    (``valuation.power.PowerContract.from_site``). A known dry-bulb below the assumed wet-bulb
    caps the wet-bulb at the dry-bulb (wet-bulb never exceeds dry-bulb), and a known wet-bulb
    above the assumed dry-bulb lifts the dry-bulb to it.
    """
    record = to_record(site)
    if all(record[c] is not None for c in UNKNOWN_COLUMNS):
        return site  # nothing unknown (a distance beside an on-site substation included)
    land = site.land
    land = replace(
        land,
        acres_owned=UNKNOWN_ACRES if land.acres_owned is None else land.acres_owned,
        acres_leased=UNKNOWN_ACRES if land.acres_leased is None else land.acres_leased,
        acres_expansion=UNKNOWN_ACRES if land.acres_expansion is None else land.acres_expansion,
    )
    sub = site.substation
    on_site = UNKNOWN_SUBSTATION_ON_SITE if sub.on_site is None else sub.on_site
    if on_site:
        distance = 0.0
    else:
        distance = UNKNOWN_SUBSTATION_DISTANCE_KM if sub.distance_km is None else sub.distance_km
    sub = replace(
        sub,
        on_site=on_site,
        distance_km=distance,
        capacity_mva=UNKNOWN_SUBSTATION_CAPACITY_MVA
        if sub.capacity_mva is None
        else sub.capacity_mva,
        high_side_voltage_kv=UNKNOWN_HIGH_SIDE_VOLTAGE_KV
        if sub.high_side_voltage_kv is None
        else sub.high_side_voltage_kv,
    )
    fac = site.facility
    fac = replace(
        fac,
        building_area_m2=UNKNOWN_BUILDING_AREA_M2
        if fac.building_area_m2 is None
        else fac.building_area_m2,
    )
    conn = site.connectivity
    dry, wet = conn.design_dry_bulb_c, conn.design_wet_bulb_c
    if dry is None:
        dry = UNKNOWN_DESIGN_DRY_BULB_C if wet is None else max(UNKNOWN_DESIGN_DRY_BULB_C, wet)
    if wet is None:
        wet = min(UNKNOWN_DESIGN_WET_BULB_C, dry)
    conn = replace(
        conn,
        fiber_distance_km=UNKNOWN_FIBER_DISTANCE_KM
        if conn.fiber_distance_km is None
        else conn.fiber_distance_km,
        carrier_count=UNKNOWN_CARRIER_COUNT if conn.carrier_count is None else conn.carrier_count,
        design_dry_bulb_c=dry,
        design_wet_bulb_c=wet,
        water_availability=UNKNOWN_WATER_AVAILABILITY
        if conn.water_availability is None
        else conn.water_availability,
    )
    return replace(site, land=land, substation=sub, facility=fac, connectivity=conn)


def assumptions_for(site: Site) -> tuple[Assumption, ...]:
    """The conservative assumptions ``site`` is valued on, one per unknown field."""
    return tuple(ASSUMPTIONS[c] for c in unknown_fields(site) if c in ASSUMPTIONS)


T = TypeVar("T")


def known(value: T | None, column: str) -> T:
    """``value``, which must be known: for code that reads a site after ``resolve_unknowns``.

    Raises ``ValueError`` naming the column when it is None (a caller forgot to resolve).
    """
    if value is None:
        raise ValueError(
            f"{column} is unknown (None): resolve the site with "
            "sites.unknowns.resolve_unknowns before valuing it"
        )
    return value
