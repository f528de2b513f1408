"""Unknown site facts (issue 13): blanks are unknown (None) in files, the editor and validation,
and every consumer values them on the conservative assumptions of ``sites.unknowns``."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from site_strategies import TODAY, valid_sites

from sites import SiteValidationError, load_example_portfolio
from sites.io import export_bytes, read_sites, template_bytes
from sites.readiness import CLIMATE_WORST_C, FACTORS, factor_table
from sites.schema import UNKNOWN_COLUMNS, Site, from_record, to_record, unknown_fields
from sites.unknowns import (
    ASSUMPTIONS,
    UNKNOWN_DESIGN_DRY_BULB_C,
    UNKNOWN_DESIGN_WET_BULB_C,
    UNKNOWN_FIBER_DISTANCE_KM,
    UNKNOWN_SUBSTATION_DISTANCE_KM,
    resolve_unknowns,
)
from sites.validation import validate_site

BASE = load_example_portfolio()[0]  # Riot Rockdale: every fact given


def all_unknown(site: Site) -> Site:
    rec = to_record(site)
    for column in UNKNOWN_COLUMNS:
        rec[column] = None
    return from_record(rec)


def test_every_unknown_column_has_a_documented_assumption_except_the_price() -> None:
    assert set(ASSUMPTIONS) == set(UNKNOWN_COLUMNS)
    assert "fleet_commissioning_year" not in UNKNOWN_COLUMNS
    for a in ASSUMPTIONS.values():
        assert a.assumed and a.basis


def test_unknown_fields_lists_the_none_columns_and_validation_accepts_them() -> None:
    assert unknown_fields(BASE) == ()
    site = all_unknown(BASE)
    assert set(unknown_fields(site)) == set(UNKNOWN_COLUMNS)
    assert validate_site(site, today=TODAY) == []
    # A substation known to be on site has no distance to know.
    on_site = dataclasses.replace(
        site, substation=dataclasses.replace(site.substation, on_site=True)
    )
    assert "substation_distance_km" not in unknown_fields(on_site)


def test_rules_still_apply_to_known_values_beside_unknown_ones() -> None:
    site = all_unknown(BASE)
    bad = dataclasses.replace(
        site,
        connectivity=dataclasses.replace(site.connectivity, fiber_distance_km=-1.0),
        substation=dataclasses.replace(site.substation, on_site=True, distance_km=3.0),
    )
    assert {p.column for p in validate_site(bad, today=TODAY)} == {
        "fiber_distance_km",
        "substation_distance_km",
    }
    not_a_number = dataclasses.replace(
        site,
        land=dataclasses.replace(site.land, acres_owned="ten"),  # type: ignore[arg-type]
    )
    (problem,) = validate_site(not_a_number, today=TODAY)
    assert problem.column == "acres_owned" and "blank when unknown" in problem.rule


def test_resolve_unknowns_gives_the_conservative_values() -> None:
    r = resolve_unknowns(all_unknown(BASE))
    assert r.substation.on_site is False
    assert r.substation.distance_km == UNKNOWN_SUBSTATION_DISTANCE_KM
    assert r.substation.capacity_mva == 0.0
    assert r.connectivity.fiber_distance_km == UNKNOWN_FIBER_DISTANCE_KM
    assert (r.connectivity.design_dry_bulb_c, r.connectivity.design_wet_bulb_c) == (
        UNKNOWN_DESIGN_DRY_BULB_C,
        UNKNOWN_DESIGN_WET_BULB_C,
    )
    assert r.connectivity.water_availability == "none"
    assert r.land.acres_owned == 0.0 and r.facility.building_area_m2 == 0.0
    assert r.power.contract_price_usd_per_mwh is None  # valued by the region (valuation.power)
    assert resolve_unknowns(BASE) is BASE  # nothing unknown: the same site
    on_site = dataclasses.replace(
        BASE, substation=dataclasses.replace(BASE.substation, on_site=True, distance_km=None)
    )
    assert unknown_fields(on_site) == ()  # nothing to warn about ...
    assert resolve_unknowns(on_site).substation.distance_km == 0.0  # ... and 0 km when valued


def test_assumed_climate_is_at_least_as_hot_as_every_bundled_site() -> None:
    sites = load_example_portfolio()
    assert max(s.connectivity.design_dry_bulb_c for s in sites) <= UNKNOWN_DESIGN_DRY_BULB_C
    assert max(s.connectivity.design_wet_bulb_c for s in sites) <= UNKNOWN_DESIGN_WET_BULB_C


def test_a_known_cool_dry_bulb_caps_the_assumed_wet_bulb() -> None:
    conn = dataclasses.replace(BASE.connectivity, design_dry_bulb_c=20.0, design_wet_bulb_c=None)
    r = resolve_unknowns(dataclasses.replace(BASE, connectivity=conn))
    assert r.connectivity.design_wet_bulb_c == 20.0
    conn = dataclasses.replace(BASE.connectivity, design_dry_bulb_c=None, design_wet_bulb_c=40.0)
    r = resolve_unknowns(dataclasses.replace(BASE, connectivity=conn))
    assert r.connectivity.design_dry_bulb_c == 40.0


def test_unknown_readiness_factors_score_zero() -> None:
    _, known = factor_table([BASE], today=TODAY)
    values, scores = factor_table([all_unknown(BASE)], today=TODAY)
    by = dict(zip(FACTORS, scores[0], strict=True))
    for factor in ("substation_headroom", "fiber", "climate", "water", "land"):
        assert by[factor] == 0.0, factor
    assert values[0, FACTORS.index("climate")] == CLIMATE_WORST_C
    # Facts that are not unknown-able keep their scores.
    for factor in ("firm_power", "time_to_power", "latency"):
        i = FACTORS.index(factor)
        assert scores[0, i] == known[0, i]


@settings(max_examples=40, deadline=None)
@given(valid_sites())
def test_making_facts_unknown_never_raises_the_readiness_score(site: Site) -> None:
    _, before = factor_table([site], today=TODAY)
    _, after = factor_table([all_unknown(site)], today=TODAY)
    assert (after <= before + 1e-12).all()


# --- files ---------------------------------------------------------------------------------------


def _csv(text: str) -> bytes:
    return text.encode()


def test_blank_cells_of_an_update_keep_the_stored_value_and_clear_makes_unknown() -> None:
    base = {BASE.id: BASE}
    (kept,) = read_sites(_csv(f"id,substation_capacity_mva\n{BASE.id},\n"), "csv", base=base)
    assert kept.substation.capacity_mva == BASE.substation.capacity_mva  # blank keeps (as before)
    (cleared,) = read_sites(
        _csv(f"id,substation_capacity_mva,water_availability\n{BASE.id},(clear),(clear)\n"),
        "csv",
        base=base,
    )
    assert cleared.substation.capacity_mva is None
    assert cleared.connectivity.water_availability is None
    assert set(unknown_fields(cleared)) == {"substation_capacity_mva", "water_availability"}
    (zero,) = read_sites(_csv(f"id,substation_capacity_mva\n{BASE.id},0\n"), "csv", base=base)
    assert zero.substation.capacity_mva == 0.0  # a real zero stays a zero


def test_unknown_values_export_as_blank_cells_and_read_back_as_none() -> None:
    site = all_unknown(BASE)
    for fmt in ("csv", "xlsx"):
        data = export_bytes([site], fmt)
        assert read_sites(data, fmt) == [site]
    text = export_bytes([site], "csv").decode("utf-8-sig").splitlines()
    header, row = text[0].split(","), next(iter(__import__("csv").reader([text[1]])))
    for column in UNKNOWN_COLUMNS:
        assert row[header.index(column)] == "", column


def test_notes_rows_are_skipped_and_a_hash_id_survives_a_round_trip() -> None:
    site = dataclasses.replace(BASE, id="#7", notes="#hashtag")
    data = export_bytes([site], "csv")
    assert "'#7" in data.decode("utf-8-sig")  # neutralised, so not read as a notes row
    assert read_sites(data, "csv") == [site]
    template = template_bytes("csv").decode("utf-8-sig")
    filled = template + f"{export_bytes([BASE], 'csv').decode('utf-8-sig').splitlines()[1]}\r\n"
    assert read_sites(filled.encode(), "csv") == [BASE]


def test_editing_the_template_example_row_imports_it_with_its_blanks_unknown() -> None:
    text = template_bytes("csv").decode("utf-8-sig")
    example_id = "# example-site (delete the # to import this row)"
    (site,) = read_sites(text.replace(example_id, "example-site").encode(), "csv")
    assert site.id == "example-site"
    assert site.substation.capacity_mva is None and site.connectivity.water_availability is None
    assert site.substation.on_site is True and site.power.contract_price_usd_per_mwh == 3.0


def test_a_bad_value_in_an_unknown_column_is_still_refused_naming_it() -> None:
    with pytest.raises(SiteValidationError) as info:
        read_sites(
            _csv(
                "id,name,latitude,longitude,grid_region,fiber_distance_km\nn,N,31,-97,ERCOT,far\n"
            ),
            "csv",
        )
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [
        (2, "fiber_distance_km", "far")
    ]
