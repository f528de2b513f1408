"""The retrofit model values unknown site facts conservatively (issue 13, ``sites.unknowns``)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import estimate_retrofit
from models.costs import UNIT_COSTS
from models.schedule import DEFAULT_MONTHS_TO_ENERGIZE
from sites.schema import (
    UNKNOWN_COLUMNS,
    Connectivity,
    Facility,
    Substation,
    from_record,
    to_record,
    unknown_fields,
)
from sites.unknowns import (
    UNKNOWN_DESIGN_DRY_BULB_C,
    UNKNOWN_DESIGN_WET_BULB_C,
    UNKNOWN_FIBER_DISTANCE_KM,
    UNKNOWN_SUBSTATION_DISTANCE_KM,
)
from tests.models.conftest import make_site


def _base(items, key_item: str) -> float:  # noqa: ANN001
    return float(items.loc[items["item"] == key_item, "base_usd"].sum())


def test_unknown_substation_costs_at_least_a_known_on_site_one_with_headroom() -> None:
    known = make_site()  # on site, 100 MVA, 138 kV: headroom for the 60 MW site
    unknown = make_site(substation=Substation(None, None, None, None))
    k, u = estimate_retrofit(known), estimate_retrofit(unknown)
    assert _base(k.line_items, "substation and transformer upgrade") == 0.0
    assert u.total_base_usd > k.total_base_usd
    # Hand-worked: every MVA is new, plus 16 km of line at the unit cost.
    items = u.line_items.set_index("item")
    need_mva = u.critical_it_mw * u.design_pue / 0.95  # models.costs.DESIGN_POWER_FACTOR
    assert items.loc["substation and transformer upgrade", "base_usd"] == pytest.approx(
        need_mva * UNIT_COSTS["substation_upgrade"].base_usd
    )
    assert items.loc["transmission line upgrade", "base_usd"] == pytest.approx(
        UNKNOWN_SUBSTATION_DISTANCE_KM * UNIT_COSTS["transmission_line"].base_usd
    )
    assert "unknown" in items.loc["substation and transformer upgrade", "basis"]
    assert {a.column for a in u.assumptions} == {
        "substation_on_site",
        "substation_distance_km",
        "substation_capacity_mva",
        "substation_high_side_voltage_kv",
    }
    assert k.assumptions == ()


def test_unknown_capacity_alone_means_no_headroom() -> None:
    known = make_site()
    unknown = make_site(substation=Substation(on_site=True, capacity_mva=None))
    u = estimate_retrofit(unknown)
    assert _base(u.line_items, "substation and transformer upgrade") > 0.0
    assert _base(u.line_items, "transmission line upgrade") == 0.0  # known to be on site
    assert u.total_base_usd > estimate_retrofit(known).total_base_usd


def test_an_on_site_substation_with_a_blank_distance_is_0_km_away() -> None:
    site = make_site(substation=Substation(on_site=True, distance_km=None, capacity_mva=100.0))
    assert estimate_retrofit(site).total_base_usd == estimate_retrofit(make_site()).total_base_usd


def test_unknown_fiber_is_the_far_case() -> None:
    u = estimate_retrofit(make_site(connectivity=dataclasses.replace(
        make_site().connectivity, fiber_distance_km=None)))  # fmt: skip
    lateral = u.line_items[u.line_items["item"] == "fiber lateral to long-haul route"].iloc[0]
    assert lateral["base_usd"] == pytest.approx(
        UNKNOWN_FIBER_DISTANCE_KM * UNIT_COSTS["fiber_route"].base_usd
    )
    assert "unknown" in lateral["basis"]
    assert u.total_base_usd > estimate_retrofit(make_site()).total_base_usd


def test_unknown_climate_is_valued_as_the_hot_assumption() -> None:
    unknown = make_site(
        connectivity=Connectivity(
            fiber_distance_km=4.0, design_dry_bulb_c=None, design_wet_bulb_c=None,
            water_availability=None,
        )
    )  # fmt: skip
    hot = make_site(
        connectivity=Connectivity(
            fiber_distance_km=4.0,
            design_dry_bulb_c=UNKNOWN_DESIGN_DRY_BULB_C,
            design_wet_bulb_c=UNKNOWN_DESIGN_WET_BULB_C,
            water_availability="none",
        )
    )
    u, h, cool = estimate_retrofit(unknown), estimate_retrofit(hot), estimate_retrofit(make_site())
    assert u.design_pue == h.design_pue and u.total_base_usd == h.total_base_usd
    assert u.design_pue >= cool.design_pue  # 30 C known site: never worse than the unknown one


def test_unknown_building_area_reuses_no_building() -> None:
    halls = Facility(
        cooling_type="air", hall_count=1, hall_power_mw=60.0, building_area_m2=50_000.0
    )
    known = estimate_retrofit(make_site(facility=halls))
    unknown = estimate_retrofit(
        make_site(facility=dataclasses.replace(halls, building_area_m2=None))
    )
    assert _base(known.line_items, "reuse and harden existing halls") > 0
    assert _base(unknown.line_items, "reuse and harden existing halls") == 0
    assert unknown.total_base_usd > known.total_base_usd


def test_unknown_energization_date_waits_the_default_time_to_power() -> None:
    from datetime import date

    from sites.schema import PowerRights

    site = make_site(power=PowerRights(energized_mw=0.0, contracted_mw=60.0))
    est = estimate_retrofit(site, as_of=date(2026, 1, 1))
    assert min(h.ready_for_service_month for h in est.halls) >= DEFAULT_MONTHS_TO_ENERGIZE


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(UNKNOWN_COLUMNS)))
def test_any_set_of_unknown_facts_is_valued_and_listed(columns: set[str]) -> None:
    rec = to_record(make_site())
    for column in columns:
        rec[column] = None
    site = from_record(rec)
    est = estimate_retrofit(site)
    assert est.total_base_usd > 0
    assert {a.column for a in est.assumptions} == set(unknown_fields(site))
