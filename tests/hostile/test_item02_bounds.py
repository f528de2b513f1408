"""Item 2: every count and quantity has a plausible bound, and a site can be checked by the
inventory's own rules wherever it is valued (``sites.validation.check_site``)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sites.errors import SiteValidationError
from sites.schema import Connectivity, Facility, Land, PowerRights, Site, Substation
from sites.store import SiteStore
from sites.validation import (
    MAX_CARRIER_COUNT,
    MAX_HALL_COUNT,
    check_site,
    validate_site,
)

GOOD = Site(
    id="a",
    name="Alpha",
    latitude=31.0,
    longitude=-100.0,
    grid_region="ERCOT",
    power=PowerRights(energized_mw=100.0, contracted_mw=100.0),
    facility=Facility(hall_count=4, hall_power_mw=25.0),
)


def columns(site: Site) -> set[str]:
    return {p.column for p in validate_site(site)}


def test_item02_hall_and_carrier_counts_are_bounded() -> None:
    ok = dataclasses.replace(
        GOOD,
        facility=dataclasses.replace(GOOD.facility, hall_count=MAX_HALL_COUNT),
        connectivity=Connectivity(carrier_count=MAX_CARRIER_COUNT),
    )
    assert validate_site(ok) == []
    for halls in (MAX_HALL_COUNT + 1, 30_000, 1_000_000):
        bad = dataclasses.replace(
            GOOD, facility=dataclasses.replace(GOOD.facility, hall_count=halls)
        )
        (problem,) = validate_site(bad)
        assert (problem.column, problem.value) == ("hall_count", halls)
        assert f"{MAX_HALL_COUNT:,}" in problem.rule
    bad = dataclasses.replace(GOOD, connectivity=Connectivity(carrier_count=10**6))
    assert columns(bad) == {"carrier_count"}


@pytest.mark.parametrize(
    ("site", "column"),
    [
        (dataclasses.replace(GOOD, power=PowerRights(1e9, 1e9)), "energized_mw"),
        (dataclasses.replace(GOOD, power=PowerRights(queue_mw=1e12)), "queue_mw"),
        (dataclasses.replace(GOOD, land=Land(acres_owned=1e12)), "acres_owned"),
        (
            dataclasses.replace(GOOD, substation=Substation(capacity_mva=1e9)),
            "substation_capacity_mva",
        ),
        (
            dataclasses.replace(GOOD, substation=Substation(on_site=False, distance_km=1e7)),
            "substation_distance_km",
        ),
        (dataclasses.replace(GOOD, facility=Facility(hall_power_mw=1e7)), "hall_power_mw"),
        (dataclasses.replace(GOOD, facility=Facility(building_area_m2=1e12)), "building_area_m2"),
        (dataclasses.replace(GOOD, facility=Facility(fleet=(("S21", 10**9),))), "fleet"),
        (
            dataclasses.replace(
                GOOD, facility=Facility(fleet=tuple((f"m{i}", 1) for i in range(51)))
            ),
            "fleet",
        ),
        (
            dataclasses.replace(GOOD, connectivity=Connectivity(fiber_distance_km=1e6)),
            "fiber_distance_km",
        ),
        (
            dataclasses.replace(GOOD, power=PowerRights(contract_price_usd_per_mwh=1e9)),
            "contract_price_usd_per_mwh",
        ),
    ],
)
def test_item02_every_quantity_is_bounded(site: Site, column: str) -> None:
    assert column in columns(site)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"latitude": math.nan}, "latitude"),
        ({"latitude": 200.0}, "latitude"),
        ({"grid_region": "Mars"}, "grid_region"),
        ({"name": None}, "name"),
        ({"facility": Facility(cooling_type="plasma")}, "cooling_type"),
    ],
)
def test_item02_check_site_raises_the_inventory_error(change: dict, column: str) -> None:
    check_site(GOOD)  # a valid site passes
    with pytest.raises(SiteValidationError) as info:
        check_site(dataclasses.replace(GOOD, **change))
    assert column in {p.column for p in info.value.problems}


def test_item02_check_site_refuses_what_is_not_a_site() -> None:
    for thing in (None, {"id": "a"}, "a"):
        with pytest.raises(SiteValidationError, match="must be a sites.schema.Site"):
            check_site(thing)


def test_item02_a_million_halls_cannot_be_saved(tmp_path) -> None:
    store = SiteStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    bad = dataclasses.replace(GOOD, facility=dataclasses.replace(GOOD.facility, hall_count=10**6))
    with pytest.raises(SiteValidationError, match="hall_count"):
        store.save(bad)
    assert store.list() == []
    store.close()


def test_item02_compare_refuses_an_invalid_site_with_the_inventory_error() -> None:
    from valuation.decision import compare

    for change in ({"latitude": math.nan}, {"grid_region": "Mars"}, {"name": None}):
        with pytest.raises(SiteValidationError):
            compare(dataclasses.replace(GOOD, **change))
    halls = dataclasses.replace(
        GOOD, facility=dataclasses.replace(GOOD.facility, hall_count=30_000)
    )
    with pytest.raises(SiteValidationError, match="hall_count"):
        compare(halls)
