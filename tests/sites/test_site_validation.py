"""Every validation rule with a failing and a passing case, plus a property over valid sites."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given, settings
from site_strategies import TODAY, valid_sites

from sites import Problem, Site, SiteValidationError, validate_site, validate_sites
from sites.schema import Connectivity, Facility, PowerRights, Substation
from sites.validation import check_sites

BASE = Site(
    id="s1",
    name="Test site",
    latitude=32.0,
    longitude=-97.0,
    state="TX",
    grid_region="ERCOT",
    power=PowerRights(energized_mw=100.0, contracted_mw=150.0, interruptible_share=0.2),
)


def _part(site: Site, part: str, **kw: object) -> Site:
    return dataclasses.replace(site, **{part: dataclasses.replace(getattr(site, part), **kw)})


def _columns(site: Site) -> set[str]:
    return {p.column for p in validate_site(site, today=TODAY)}


# (description, make a breaking site, column expected in the problems, make a passing neighbour)
CASES = [
    (
        "latitude above 90",
        lambda: dataclasses.replace(BASE, latitude=90.5),
        "latitude",
        lambda: dataclasses.replace(BASE, latitude=90.0),
    ),
    (
        "latitude below -90",
        lambda: dataclasses.replace(BASE, latitude=-91.0),
        "latitude",
        lambda: dataclasses.replace(BASE, latitude=-90.0),
    ),
    (
        "longitude out of range",
        lambda: dataclasses.replace(BASE, longitude=-180.01),
        "longitude",
        lambda: dataclasses.replace(BASE, longitude=-180.0),
    ),
    (
        "latitude NaN",
        lambda: dataclasses.replace(BASE, latitude=float("nan")),
        "latitude",
        lambda: dataclasses.replace(BASE, latitude=0.0),
    ),
    (
        "energized MW negative",
        lambda: _part(BASE, "power", energized_mw=-1.0),
        "energized_mw",
        lambda: _part(BASE, "power", energized_mw=0.0),
    ),
    (
        "contracted MW negative",
        lambda: _part(BASE, "power", energized_mw=0.0, contracted_mw=-5.0),
        "contracted_mw",
        lambda: _part(BASE, "power", energized_mw=0.0, contracted_mw=0.0),
    ),
    (
        "queue MW negative",
        lambda: _part(BASE, "power", queue_mw=-1.0),
        "queue_mw",
        lambda: _part(BASE, "power", queue_mw=10.0),
    ),
    (
        "hall MW negative",
        lambda: _part(BASE, "facility", hall_power_mw=-2.0),
        "hall_power_mw",
        lambda: _part(BASE, "facility", hall_power_mw=2.0),
    ),
    (
        "interruptible share above 1",
        lambda: _part(BASE, "power", interruptible_share=1.01),
        "interruptible_share",
        lambda: _part(BASE, "power", interruptible_share=1.0),
    ),
    (
        "interruptible share below 0",
        lambda: _part(BASE, "power", interruptible_share=-0.01),
        "interruptible_share",
        lambda: _part(BASE, "power", interruptible_share=0.0),
    ),
    (
        "contracted below energized",
        lambda: _part(BASE, "power", contracted_mw=99.9),
        "contracted_mw",
        lambda: _part(BASE, "power", contracted_mw=100.0),
    ),
    (
        "expiry today",
        lambda: _part(BASE, "power", contract_expiry=TODAY),
        "contract_expiry",
        lambda: _part(BASE, "power", contract_expiry=date(2026, 11, 30)),
    ),
    (
        "unknown grid region",
        lambda: dataclasses.replace(BASE, grid_region="Mars"),
        "grid_region",
        lambda: dataclasses.replace(BASE, grid_region="ercot"),
    ),
    (
        "unknown cooling type",
        lambda: _part(BASE, "facility", cooling_type="liquid"),
        "cooling_type",
        lambda: _part(BASE, "facility", cooling_type="immersion"),
    ),
    (
        "unknown contract type",
        lambda: _part(BASE, "power", contract_type="ppa"),
        "contract_type",
        lambda: _part(BASE, "power", contract_type="fixed_ppa"),
    ),
    (
        "unknown substation owner",
        lambda: _part(BASE, "substation", owner="coop"),
        "substation_owner",
        lambda: _part(BASE, "substation", owner="site"),
    ),
    (
        "unknown water availability",
        lambda: _part(BASE, "connectivity", water_availability="lots"),
        "water_availability",
        lambda: _part(BASE, "connectivity", water_availability="ample"),
    ),
    (
        "unknown status",
        lambda: dataclasses.replace(BASE, status="retired"),
        "status",
        lambda: dataclasses.replace(BASE, status="planned"),
    ),
    (
        "bad state code",
        lambda: dataclasses.replace(BASE, state="Texas"),
        "state",
        lambda: dataclasses.replace(BASE, state=""),
    ),
    (
        "blank id",
        lambda: dataclasses.replace(BASE, id="  "),
        "id",
        lambda: dataclasses.replace(BASE, id="x"),
    ),
    (
        "id with edge spaces",
        lambda: dataclasses.replace(BASE, id=" x"),
        "id",
        lambda: dataclasses.replace(BASE, id="x y"),
    ),
    (
        "id too long",
        lambda: dataclasses.replace(BASE, id="x" * 101),
        "id",
        lambda: dataclasses.replace(BASE, id="x" * 100),
    ),
    (
        "blank name",
        lambda: dataclasses.replace(BASE, name=""),
        "name",
        lambda: dataclasses.replace(BASE, name="n"),
    ),
    (
        "control character",
        lambda: dataclasses.replace(BASE, notes="a\x00b"),
        "notes",
        lambda: dataclasses.replace(BASE, notes="a\nb\tc"),
    ),
    (
        "substation on site but far",
        lambda: _part(BASE, "substation", distance_km=3.0),
        "substation_distance_km",
        lambda: _part(BASE, "substation", on_site=False, distance_km=3.0),
    ),
    (
        "wet bulb above dry bulb",
        lambda: _part(BASE, "connectivity", design_wet_bulb_c=36.0),
        "design_wet_bulb_c",
        lambda: _part(BASE, "connectivity", design_wet_bulb_c=35.0),
    ),
    (
        "negative fixed price",
        lambda: _part(BASE, "power", contract_type="fixed_ppa", contract_price_usd_per_mwh=-1.0),
        "contract_price_usd_per_mwh",
        lambda: _part(
            BASE, "power", contract_type="index_plus_adder", contract_price_usd_per_mwh=-1.0
        ),
    ),
    (
        "negative acres",
        lambda: _part(BASE, "land", acres_owned=-1.0),
        "acres_owned",
        lambda: _part(BASE, "land", acres_owned=1.0),
    ),
    (
        "negative carriers",
        lambda: _part(BASE, "connectivity", carrier_count=-1),
        "carrier_count",
        lambda: _part(BASE, "connectivity", carrier_count=0),
    ),
    (
        "float hall count",
        lambda: _part(BASE, "facility", hall_count=2.5),
        "hall_count",
        lambda: _part(BASE, "facility", hall_count=2),
    ),
    (
        "fleet name with ;",
        lambda: _part(BASE, "facility", fleet=(("S21;XP", 3),)),
        "fleet",
        lambda: _part(BASE, "facility", fleet=(("S21 XP", 3),)),
    ),
    (
        "fleet negative count",
        lambda: _part(BASE, "facility", fleet=(("S21", -3),)),
        "fleet",
        lambda: _part(BASE, "facility", fleet=(("S21", 0),)),
    ),
    (
        "voltage out of range",
        lambda: _part(BASE, "substation", high_side_voltage_kv=1500.0),
        "substation_high_side_voltage_kv",
        lambda: _part(BASE, "substation", high_side_voltage_kv=765.0),
    ),
    (
        "approximate not bool",
        lambda: dataclasses.replace(BASE, approximate="yes"),
        "approximate",
        lambda: dataclasses.replace(BASE, approximate=True),
    ),
]


def test_base_site_is_valid() -> None:
    assert validate_site(BASE, today=TODAY) == []


@pytest.mark.parametrize(("desc", "bad", "column", "good"), CASES, ids=[c[0] for c in CASES])
def test_rule_fails_then_passes(desc: str, bad, column: str, good) -> None:
    problems = validate_site(bad(), today=TODAY)
    assert column in {p.column for p in problems}, (desc, problems)
    assert _columns(good()) == set(), desc


def test_message_names_field_value_and_allowed_range() -> None:
    (p,) = validate_site(_part(BASE, "power", interruptible_share=1.5), today=TODAY)
    assert p == Problem(None, "interruptible_share", 1.5, "must be between 0 and 1")
    assert str(p) == "interruptible_share = 1.5: must be between 0 and 1"
    (q,) = validate_site(dataclasses.replace(BASE, grid_region="XX"), today=TODAY)
    assert "ERCOT" in q.rule and "SERC non-ISO" in q.rule and q.value == "XX"


def test_unique_ids_across_sites_with_rows() -> None:
    other = dataclasses.replace(BASE, name="Other")
    problems = validate_sites([BASE, other], today=TODAY, rows=[2, 3])
    assert problems == [Problem(3, "id", "s1", "must be unique; also used on row 2")]
    assert validate_sites([BASE, dataclasses.replace(other, id="s2")], today=TODAY) == []


def test_check_sites_raises_with_every_problem() -> None:
    bad = dataclasses.replace(BASE, latitude=100.0, grid_region="nowhere")
    with pytest.raises(SiteValidationError) as info:
        check_sites([bad], today=TODAY)
    assert {p.column for p in info.value.problems} == {"latitude", "grid_region"}
    assert isinstance(info.value, ValueError)
    assert "2 problems" in str(info.value)


def test_several_problems_in_one_site_reported_together() -> None:
    bad = Site(
        id="x",
        name="",
        latitude=95.0,
        power=PowerRights(energized_mw=10.0, contracted_mw=5.0),
        substation=Substation(capacity_mva=-1.0),
        facility=Facility(cooling_type="steam"),
        connectivity=Connectivity(design_dry_bulb_c=20.0, design_wet_bulb_c=25.0),
    )
    cols = _columns(bad)
    assert cols == {
        "name",
        "latitude",
        "contracted_mw",
        "substation_capacity_mva",
        "cooling_type",
        "design_wet_bulb_c",
    }


@settings(max_examples=20, deadline=None)
@given(valid_sites())
def test_generated_valid_sites_pass(site: Site) -> None:
    assert validate_site(site, today=TODAY) == []
