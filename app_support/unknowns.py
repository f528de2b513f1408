"""Unknown site facts shown as unknown: the site page's warning and fact texts.

A site's unknown fields (None, ``sites.schema.unknown_fields``) are valued on the conservative
assumptions of ``sites.unknowns``; a page says which, in words, and never shows an unknown as a
number ("0 acres"). Every text here is built from column names and the assumptions' own words, no
user text, so it is safe in Markdown (``st.warning``).
"""

from __future__ import annotations

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
