"""Unknown site facts shown as unknown: the site page's warning and fact texts.

A site's unknown fields (None, ``sites.schema.unknown_fields``) are valued on the conservative
assumptions of ``sites.unknowns``; a page says which, in words, and never shows an unknown as a
number ("0 acres"). Every text here is built from column names and the assumptions' own words, no
user text, so it is safe in Markdown (``st.warning``).
"""

from __future__ import annotations

from collections.abc import Callable

from sites.schema import Site, unknown_fields
from sites.unknowns import ASSUMPTIONS

UNKNOWN = "unknown"

# Words for each column that may be unknown, as a reader of the site page says them.
FIELD_WORDS: dict[str, str] = {
    "acres_owned": "land owned",
    "acres_leased": "land leased",
    "acres_expansion": "expansion land",
    "contract_price_usd_per_mwh": "power contract price",
    "substation_on_site": "whether the substation is on site",
    "substation_distance_km": "distance to the substation",
    "substation_capacity_mva": "substation capacity",
    "substation_high_side_voltage_kv": "substation voltage",
    "building_area_m2": "building area",
    "fiber_distance_km": "distance to long-haul fiber",
    "carrier_count": "fiber carriers",
    "design_dry_bulb_c": "design dry-bulb temperature",
    "design_wet_bulb_c": "design wet-bulb temperature",
    "water_availability": "water",
}


def unknown_warning(site: Site) -> str | None:
    """The site page's warning when any fact is unknown, else None.

    One sentence per unknown fact: what is unknown and the conservative value it is given, e.g.
    "substation capacity: valued as no spare capacity". Call as
    ``if (w := unknown_warning(site)): st.warning(w)``.
    """
    missing = unknown_fields(site)
    if not missing:
        return None
    parts = [f"{FIELD_WORDS.get(c, c)}: valued as {ASSUMPTIONS[c].assumed}" for c in missing]
    n = len(missing)
    return (
        f"{n} fact{'s' if n != 1 else ''} of this site {'are' if n != 1 else 'is'} unknown and "
        "valued on conservative assumptions, so the value of converting may be understated. "
        + "; ".join(parts)
        + ". Enter the real figures on the Inventory page."
    )


def fact(value: float | int | None, fmt: Callable[[float], str]) -> str:
    """``fmt(value)``, or "unknown" when the value is unknown (None)."""
    return UNKNOWN if value is None else fmt(value)


def land_text(site: Site) -> str:
    """Total land held, "1,200 acres", or "unknown" when no part of it is known; a partly known
    total says so ("at least 120 acres")."""
    parts = (site.land.acres_owned, site.land.acres_leased)
    known_parts = [p for p in parts if p is not None]
    if not known_parts:
        return UNKNOWN
    total = f"{sum(known_parts):,.0f} acres"
    return total if len(known_parts) == len(parts) else f"at least {total}"


def substation_text(site: Site) -> str:
    """ "On site", "12 km away", "off site, distance unknown" or "unknown"."""
    sub = site.substation
    if sub.on_site is True:
        return "On site"
    if sub.on_site is None:
        return UNKNOWN if sub.distance_km is None else f"{sub.distance_km:.0f} km away"
    return (
        "off site, distance unknown"
        if sub.distance_km is None
        else f"{sub.distance_km:.0f} km away"
    )


def _num(value: float | int | None, unit: str, digits: str = ",.0f") -> str:
    return UNKNOWN if value is None else f"{value:{digits}} {unit}".strip()


def key_facts(site: Site) -> tuple[tuple[str, str, str], ...]:
    """The site page's substation, land and fiber metrics as (label, value, help), each unknown
    shown as "unknown" (never "0 acres"). Replaces the f-strings of ``app_pages/site.py`` that
    format these fields directly (they fail on None)::

        for column, (label, value, help_) in zip((f3, f4, f5), key_facts(site)):
            column.metric(label, value, help=help_)
    """
    sub, land, conn = site.substation, site.land, site.connectivity
    owner = f"owned by the {sub.owner}"
    sub_help = (
        f"{_num(sub.capacity_mva, 'MVA')} capacity at {_num(sub.high_side_voltage_kv, 'kV')}, "
        f"{owner}."
    )
    land_help = (
        f"Owned {_num(land.acres_owned, 'acres')}, leased {_num(land.acres_leased, 'acres')}, "
        f"expansion {_num(land.acres_expansion, 'acres')}."
    )
    carriers = UNKNOWN if conn.carrier_count is None else f"{conn.carrier_count}"
    fiber_help = (
        f"Distance to long-haul fiber, km; carriers: {carriers}; "
        f"{conn.metro_distance_km:.0f} km to the nearest metro."
    )
    return (
        ("Substation", substation_text(site), sub_help),
        ("Land", land_text(site), land_help),
        ("Fiber", _num(conn.fiber_distance_km, "km"), fiber_help),
    )
