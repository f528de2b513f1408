"""The editor table round-trips sites through the library's record layout and validation."""

import dataclasses
from datetime import date

import pytest

from app_support.inventory_view import frame_to_sites, sites_frame
from sites.errors import SiteValidationError
from sites.schema import Facility, PowerRights, Site


def _site(site_id: str = "tx-1", **power) -> Site:
    return Site(
        id=site_id,
        name="Test Site",
        operator="Op",
        latitude=31.0,
        longitude=-97.0,
        state="TX",
        grid_region="ERCOT",
        power=PowerRights(
            energized_mw=100.0,
            contracted_mw=power.get("contracted_mw", 120.0),
            interruptible_share=0.25,
            contract_expiry=date(2031, 6, 30),
        ),
        facility=Facility(hall_count=4, hall_power_mw=25.0, fleet=(("S21", 1000),)),
    )


def test_round_trip_is_exact():
    sites = [_site("a"), _site("b", contracted_mw=150.0)]
    frame = sites_frame(sites)
    assert list(frame["id"]) == ["a", "b"]
    assert frame.loc[0, "fleet"] == "S21:1000"
    assert frame_to_sites(frame, {s.id: s for s in sites}) == sites


def test_edit_changes_the_site():
    site = _site()
    frame = sites_frame([site])
    frame.loc[0, "contracted_mw"] = 200.0
    (edited,) = frame_to_sites(frame, {site.id: site})
    assert edited.power.contracted_mw == 200.0
    assert edited.firm_mw == 150.0  # 200 MW x (1 - 0.25 interruptible)


def test_bad_cells_are_listed_with_table_rows():
    sites = [_site("a"), _site("b")]
    frame = sites_frame(sites)
    frame.loc[1, "interruptible_share"] = 1.5  # allowed: 0..1
    frame.loc[1, "grid_region"] = "Mars"
    with pytest.raises(SiteValidationError) as info:
        frame_to_sites(frame, {s.id: s for s in sites})
    where = {(p.row, p.column) for p in info.value.problems}
    assert (2, "interruptible_share") in where
    assert (2, "grid_region") in where


def test_added_blank_row_is_refused_for_its_missing_id():
    frame = sites_frame([_site("a")])
    frame.loc[1] = None
    with pytest.raises(SiteValidationError) as info:
        frame_to_sites(frame, {})
    assert any(p.row == 2 and p.column == "id" for p in info.value.problems)


def test_added_row_must_give_coordinates_and_grid_region():
    frame = sites_frame([_site("a")])
    frame.loc[1] = None
    frame.loc[1, ["id", "name", "longitude"]] = ["b", "B", -97.0]
    with pytest.raises(SiteValidationError) as info:
        frame_to_sites(frame, {"a": _site("a")})
    assert [(p.row, p.column, p.rule) for p in info.value.problems] == [
        (2, "latitude", "must be given for a new site"),
        (2, "grid_region", "must be given for a new site"),
    ]


def test_emptied_text_clears_and_emptied_number_is_refused():
    site = _site()
    frame = sites_frame([site])
    frame.loc[0, "operator"] = None
    frame.loc[0, "contract_expiry"] = None
    (edited,) = frame_to_sites(frame, {site.id: site})
    assert edited.operator == "" and edited.power.contract_expiry is None
    frame.loc[0, "contracted_mw"] = None
    with pytest.raises(SiteValidationError) as info:
        frame_to_sites(frame, {site.id: site})
    ((row, column, rule),) = [(p.row, p.column, p.rule) for p in info.value.problems]
    assert (row, column) == (1, "contracted_mw") and rule.startswith("must not be blank")


def test_editor_text_is_taken_as_typed_and_moved_coordinates_move_the_metro_distance():
    from sites.geo import nearest_metro

    site = _site()
    frame = sites_frame([site])
    frame.loc[0, "notes"] = "'=quoted on purpose"
    frame.loc[0, "latitude"] = 32.0
    (edited,) = frame_to_sites(frame, {site.id: site})
    assert edited.notes == "'=quoted on purpose"  # un-neutralising is for files only
    assert edited.connectivity.metro_distance_km == nearest_metro(32.0, -97.0).distance_km
    assert edited.connectivity.metro_distance_km > 0.0  # _site() stored 0.0


def test_only_changed_rows_meet_the_per_site_rules():
    stale = _site("old")  # its contract expiry (2031-06-30) is before the "today" below
    fresh = _site("new")
    fresh = dataclasses.replace(
        fresh, power=dataclasses.replace(fresh.power, contract_expiry=date(2035, 1, 1))
    )
    frame = sites_frame([stale, fresh])
    frame.loc[1, "contracted_mw"] = 130.0
    today = date(2032, 1, 1)
    out = frame_to_sites(frame, {s.id: s for s in (stale, fresh)}, today=today)
    assert out[0] == stale and out[1].power.contracted_mw == 130.0
    frame.loc[0, "notes"] = "touched"
    with pytest.raises(SiteValidationError) as info:
        frame_to_sites(frame, {s.id: s for s in (stale, fresh)}, today=today)
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "contract_expiry")]
