"""Hypothesis strategy for VALID sites (every rule of sites.validation satisfied)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from sites.schema import (
    CONTRACT_TYPES,
    COOLING_TYPES,
    GRID_REGIONS,
    SITE_STATUSES,
    SUBSTATION_OWNERS,
    WATER_AVAILABILITY,
    Connectivity,
    Facility,
    Land,
    PowerRights,
    Site,
    Substation,
)
from sites.validation import (
    MAX_ACRES,
    MAX_BUILDING_AREA_M2,
    MAX_CAPACITY_MVA,
    MAX_FLEET_UNITS,
    MAX_HALL_POWER_MW,
    MAX_POWER_MW,
    US_STATE_CODES,
)

TODAY = date(2026, 11, 29)

# Letters, digits, punctuation, symbols and spaces of any script, plus the characters that
# matter for files: formula triggers, quotes, separators, tab and newline.
_TEXT_CHARS = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Zs"),
    include_characters="=+-@'\t\n,;:\"",
)
text = st.text(_TEXT_CHARS, max_size=25)
name_text = text.filter(lambda s: s.strip() != "")
site_id = st.text(
    st.characters(codec="utf-8", categories=("L", "N"), include_characters="-_.=+@'"),
    min_size=1,
    max_size=30,
)
machine = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "Zs"), include_characters="-_:=+@'"),
    min_size=1,
    max_size=15,
).filter(lambda s: s == s.strip() and s != "")


def nonneg(max_value: float = 1e6) -> st.SearchStrategy[float]:
    return st.floats(0.0, max_value, allow_nan=False, allow_infinity=False)


dates = st.dates(date(1990, 1, 1), date(2100, 12, 31))


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """A value, or None (unknown) for the columns that may be unknown."""
    return st.none() | strategy


@st.composite
def valid_sites(draw: st.DrawFn) -> Site:
    mw = sorted([draw(nonneg(MAX_POWER_MW)), draw(nonneg(MAX_POWER_MW))])
    temps: list[float | None] = list(sorted([draw(st.floats(-60, 60)), draw(st.floats(-60, 60))]))
    if draw(st.booleans()):  # either or both design temperatures unknown
        temps = [draw(st.sampled_from([None, temps[0]])), draw(st.sampled_from([None, temps[1]]))]
    on_site = draw(maybe(st.booleans()))
    ctype = draw(st.sampled_from(CONTRACT_TYPES))
    price = draw(
        maybe(st.floats(-50, 500) if ctype == "index_plus_adder" else st.floats(0, 500)),
    )
    return Site(
        id=draw(site_id),
        name=draw(name_text),
        operator=draw(text),
        latitude=draw(st.floats(-90, 90)),
        longitude=draw(st.floats(-180, 180)),
        county=draw(text),
        state=draw(st.sampled_from(sorted(US_STATE_CODES | {""}))),
        grid_region=draw(st.sampled_from(GRID_REGIONS)),
        land=Land(
            draw(maybe(nonneg(MAX_ACRES))),
            draw(maybe(nonneg(MAX_ACRES))),
            draw(maybe(nonneg(MAX_ACRES))),
        ),
        power=PowerRights(
            energized_mw=mw[0],
            contracted_mw=mw[1],
            interruptible_share=draw(st.floats(0, 1)),
            contract_type=ctype,
            contract_price_usd_per_mwh=price,
            contract_expiry=draw(st.none() | st.dates(TODAY + timedelta(days=1), date(2100, 1, 1))),
            queue_mw=draw(nonneg(MAX_POWER_MW)),
            queue_energization_date=draw(st.none() | dates),
        ),
        substation=Substation(
            on_site=on_site,
            distance_km=draw(st.sampled_from([0.0, None])) if on_site else draw(maybe(nonneg(500))),
            capacity_mva=draw(maybe(nonneg(MAX_CAPACITY_MVA))),
            high_side_voltage_kv=draw(maybe(st.floats(0, 1000))),
            owner=draw(st.sampled_from(SUBSTATION_OWNERS)),
        ),
        facility=Facility(
            cooling_type=draw(st.sampled_from(COOLING_TYPES)),
            hall_count=draw(st.integers(0, 500)),
            hall_power_mw=draw(nonneg(MAX_HALL_POWER_MW)),
            building_area_m2=draw(maybe(nonneg(MAX_BUILDING_AREA_M2))),
            fleet=tuple(
                draw(st.lists(st.tuples(machine, st.integers(0, MAX_FLEET_UNITS)), max_size=4))
            ),
            fleet_commissioning_year=draw(st.none() | st.integers(2009, TODAY.year + 1)),
        ),
        connectivity=Connectivity(
            fiber_distance_km=draw(maybe(nonneg(1e4))),
            carrier_count=draw(maybe(st.integers(0, 50))),
            metro_distance_km=draw(nonneg(1e4)),
            design_dry_bulb_c=temps[1],
            design_wet_bulb_c=temps[0],
            water_availability=draw(maybe(st.sampled_from(WATER_AVAILABILITY))),
        ),
        status=draw(st.sampled_from(SITE_STATUSES)),
        notes=draw(text),
        source=draw(text),
        approximate=draw(st.booleans()),
    )
