"""CSV and Excel import/export: exact round trips, formula neutralising, all problems at once."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from site_strategies import TODAY, valid_sites

from sites import SITE_COLUMNS, Site, SiteFileError, SiteValidationError, load_example_portfolio
from sites.io import (
    COLUMN_HELP,
    export_bytes,
    neutralise,
    read_sites,
    template_bytes,
    unneutralise,
    write_sites,
    write_template,
)
from sites.schema import Facility, PowerRights, fleet_from_text, fleet_to_text

TRICKY = Site(
    id="=cmd|' /C calc'!A0",
    name='+Plus, "quoted"\nsecond line',
    operator="-minus",
    notes="@SUM(A1:A2)\tand tab",
    county="'already quoted",
    source="'=sneaky",
    latitude=0.1 + 0.2,  # 0.30000000000000004 needs 17 significant digits
    longitude=-97.123456789012345,
    power=PowerRights(
        energized_mw=1 / 3,
        contracted_mw=9_999.999_999_999_998,  # 17 significant digits; within MAX_POWER_MW
        contract_expiry=date(2031, 2, 28),
        queue_energization_date=date(2020, 1, 1),
    ),
    facility=Facility(hall_count=7, fleet=(("S21", 1000), ("S19 XP", 500), ("A:B", 0))),
    approximate=True,
)


def test_fleet_text_format() -> None:
    assert fleet_to_text((("S21", 1000), ("S19 XP", 500))) == "S21:1000;S19 XP:500"
    assert fleet_from_text("S21:1000; S19 XP : 500") == (("S21", 1000), ("S19 XP", 500))
    assert fleet_from_text("A:B:3") == (("A:B", 3),)
    assert fleet_from_text("") == ()
    with pytest.raises(ValueError, match="S21"):
        fleet_from_text("S21")
    with pytest.raises(ValueError, match="whole number"):
        fleet_from_text("S21:lots")


def test_neutralise_prefixes_formula_triggers_and_reverses() -> None:
    for text in ("=1+1", "+1", "-1", "@x", "\tx", "'x"):
        assert neutralise(text) == "'" + text
        assert unneutralise(neutralise(text)) == text
    assert neutralise("plain") == "plain"
    assert unneutralise("'plain") == "'plain"  # a quote before ordinary text is data


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_is_exact(tmp_path: Path, fmt: str) -> None:
    sites = [*load_example_portfolio(), TRICKY]
    path = write_sites(sites, tmp_path / f"sites.{fmt}")
    assert read_sites(path, today=TODAY) == sites


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    path = write_sites([TRICKY], tmp_path / "s.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0]["id"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["name"].startswith("'+Plus")
    assert rows[0]["operator"] == "'-minus"
    assert rows[0]["notes"].startswith("'@SUM")
    assert rows[0]["county"] == "''already quoted"
    assert rows[0]["latitude"] == "0.30000000000000004"  # numbers are never prefixed
    assert rows[0]["longitude"].startswith("-97.")
    assert rows[0]["fleet"] == "S21:1000;S19 XP:500;A:B:0"


def test_xlsx_export_neutralises_formulas_and_types_cells(tmp_path: Path) -> None:
    path = write_sites([TRICKY], tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(path)["sites"]
    header = [c.value for c in ws[1]]
    assert header == list(SITE_COLUMNS)
    row = dict(zip(header, (c for c in ws[2]), strict=True))
    assert row["id"].value.startswith("'=")
    assert row["id"].data_type == "s"  # stored as text, never as a formula
    assert row["notes"].value.startswith("'@")
    assert row["latitude"].value == 0.1 + 0.2
    assert row["contract_expiry"].value.date() == date(2031, 2, 28)
    assert row["approximate"].value is True


def _csv_rows(n: int, bad_row_index: int | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["id", "name", "latitude", "longitude", "energized_mw", "contracted_mw", "grid_region"]
    )
    for i in range(n):
        contracted = "50" if i != bad_row_index else "10"  # 10 < energized 20: breaks a rule
        w.writerow([f"site-{i:02d}", f"Site {i}", "31.5", "-97.1", "20", contracted, "ERCOT"])
    return buf.getvalue()


def test_fifty_rows_one_bad_reports_that_row_as_seen_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fifty.csv"
    path.write_text(_csv_rows(50, bad_row_index=36))
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, today=TODAY)
    (p,) = info.value.problems
    # header is row 1, site-00 row 2, so site-36 is on row 38
    assert (p.row, p.column, p.value) == (38, "contracted_mw", 10.0)
    assert "energized_mw" in p.rule
    assert len(read_sites(_csv_rows(50).encode(), "csv", today=TODAY)) == 50


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,name,latitude,longitude,grid_region,hall_count,contract_expiry,approximate,colour\n"
        "a,A,95,-97,ERCOT,2,2030-01-01,true,red\n"
        "b,B,10,-97,ERCOT,2.5,2020-01-01,maybe,blue\n"
        "a,C,abc,-97,ERCOT,1,not a date,false,green\n"
    )
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, today=TODAY)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {
        (1, "colour"),
        (2, "latitude"),
        (3, "hall_count"),
        (3, "contract_expiry"),
        (3, "approximate"),
        (4, "id"),
        (4, "latitude"),
        (4, "contract_expiry"),
    }


def test_duplicate_ids_in_a_file_name_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(
        "id,name,latitude,longitude,grid_region\n"
        "x,One,31,-97,ERCOT\ny,Two,31,-97,ERCOT\nx,Three,31,-97,ERCOT\n"
    )
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, today=TODAY)
    (p,) = info.value.problems
    assert (p.row, p.column, p.rule) == (4, "id", "must be unique; also used on row 2")


def test_blank_cells_keep_stored_values_and_clear_token_empties(tmp_path: Path) -> None:
    path = tmp_path / "partial.csv"
    path.write_text(
        "id,name,energized_mw,contracted_mw,notes,operator,contract_expiry,fleet,grid_region\n"
        "x,New name,,,,(clear),,(Clear),\n"
        "y,Y2,,,(clear),,(clear),,\n"
    )
    stored = Site(
        id="x",
        name="Old",
        notes="old notes",
        operator="Op",
        latitude=31.0,
        longitude=-97.0,
        grid_region="ERCOT",
        power=PowerRights(energized_mw=40.0, contracted_mw=60.0, contract_expiry=date(2030, 1, 1)),
        facility=Facility(fleet=(("S21", 10),)),
    )
    other = dataclasses.replace(stored, id="y", name="Y")
    x, y = read_sites(path, base={"x": stored, "y": other}, today=TODAY)
    # Blank keeps every stored value (numbers, text, date, choice); (clear) empties text/date/fleet.
    assert x == dataclasses.replace(
        stored,
        name="New name",
        operator="",
        facility=dataclasses.replace(stored.facility, fleet=()),
    )
    assert y == dataclasses.replace(
        other,
        name="Y2",
        notes="",
        power=dataclasses.replace(other.power, contract_expiry=None),
    )


def test_clear_token_in_a_number_or_choice_of_a_stored_site_is_refused(tmp_path: Path) -> None:
    stored = Site(id="x", name="X", latitude=31.0, longitude=-97.0, grid_region="ERCOT")
    path = tmp_path / "p.csv"
    path.write_text("id,energized_mw,grid_region\nx,(clear),(clear)\n")
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, base={"x": stored}, today=TODAY)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (2, "grid_region"),
        (2, "energized_mw"),
    ]
    assert "cannot be cleared" in info.value.problems[0].rule


def test_new_site_must_give_coordinates_and_grid_region(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,name,latitude,longitude,grid_region\nnew,Fresh,,-97,\n")
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, today=TODAY)
    assert [(p.row, p.column, p.rule) for p in info.value.problems] == [
        (2, "latitude", "must be given for a new site"),
        (2, "grid_region", "must be given for a new site"),
    ]


def test_new_site_takes_defaults_and_its_metro_distance_from_the_coordinates(
    tmp_path: Path,
) -> None:
    from sites.geo import haversine_km, places

    path = tmp_path / "p.csv"
    # Dallas city centre is in the bundled table: the nearest place is (about) 0 km away.
    dallas = places().set_index("name").loc["Dallas-Fort Worth"]
    path.write_text(
        "id,name,energized_mw,contracted_mw,notes,latitude,longitude,grid_region\n"
        f"new,Fresh,5,5,hi,{float(dallas['latitude'])!r},{float(dallas['longitude'])!r},ERCOT\n"
    )
    (new,) = read_sites(path, today=TODAY)
    # Changed deliberately (issue 13): the columns that may be unknown and are left out of a new
    # site's row are unknown (None), no longer the optimistic code defaults (substation on site,
    # 0 km of fiber, $0/MWh); the others still take the schema defaults.
    from sites.schema import Connectivity, Facility, Land, Substation

    assert new == Site(
        id="new",
        name="Fresh",
        notes="hi",
        latitude=float(dallas["latitude"]),
        longitude=float(dallas["longitude"]),
        grid_region="ERCOT",
        land=Land(None, None, None),
        power=PowerRights(energized_mw=5.0, contracted_mw=5.0, contract_price_usd_per_mwh=None),
        substation=Substation(None, None, None, None),
        facility=Facility(building_area_m2=None),
        connectivity=Connectivity(
            fiber_distance_km=None,
            carrier_count=None,
            design_dry_bulb_c=None,
            design_wet_bulb_c=None,
            water_availability=None,
        ),
    )  # metro_distance_km 0.0: the nearest place is Dallas itself
    # Moving it to Waco (no Waco row): the distance becomes the great-circle km to the nearest.
    waco = (31.5493, -97.1467)
    moved_path = tmp_path / "moved.csv"
    moved_path.write_text(f"id,latitude,longitude\nnew,{waco[0]},{waco[1]}\n")
    (moved,) = read_sites(moved_path, base={"new": new}, today=TODAY)
    table = places()
    expected = float(
        haversine_km(
            waco[0], waco[1], table["latitude"].to_numpy(), table["longitude"].to_numpy()
        ).min()
    )
    assert moved.connectivity.metro_distance_km == pytest.approx(expected, rel=1e-12)
    assert 100.0 < expected < 200.0  # Waco is 140-150 km from Dallas and Austin
    # A distance given in the same row wins over the computed one.
    given_path = tmp_path / "given.csv"
    given_path.write_text(f"id,latitude,longitude,metro_distance_km\nnew,{waco[0]},{waco[1]},7\n")
    (given,) = read_sites(given_path, base={"new": new}, today=TODAY)
    assert given.connectivity.metro_distance_km == 7.0


def test_new_site_still_validated_against_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,name,energized_mw,latitude,longitude,grid_region\nnew,Fresh,5,31,-97,SPP\n")
    with pytest.raises(SiteValidationError) as info:
        read_sites(path, today=TODAY)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "contracted_mw")]


def test_template_has_every_column_notes_rows_and_imports_no_sites(tmp_path: Path) -> None:
    # Changed deliberately (issue 13): the template was a bare header; it now carries a units row
    # and an example row, both notes rows (id starting with #) that an import skips.
    rows = list(csv.reader(io.StringIO(template_bytes("csv").decode("utf-8-sig"))))
    assert rows[0] == list(SITE_COLUMNS)
    assert len(rows) == 3 and all(len(r) == len(SITE_COLUMNS) for r in rows)
    assert rows[1][0].startswith("#") and rows[2][0].startswith("#")
    assert rows[1][SITE_COLUMNS.index("latitude")] == COLUMN_HELP["latitude"]
    assert read_sites(template_bytes("csv"), "csv") == []
    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["sites"][1]] == list(SITE_COLUMNS)
    assert wb["sites"].max_row == 3
    assert [r[0] for r in wb["columns"].iter_rows(min_row=2, values_only=True)] == list(
        SITE_COLUMNS
    )
    assert read_sites(path) == []


def test_unreadable_files_raise_site_file_error(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="'id' column"):
        read_sites(b"name,latitude\nx,1\n", "csv")
    with pytest.raises(SiteFileError, match="not supported"):
        read_sites(tmp_path / "x.json")
    with pytest.raises(SiteFileError, match="xlsx"):
        read_sites(b"not a zip", "xlsx")
    # Not UTF-8 (UTF-16, or Latin-1 bytes): said in words with the byte, not Python's codec text.
    with pytest.raises(SiteFileError, match=r"not UTF-8 text \(byte 2 is not valid UTF-8\)") as e:
        read_sites(b"i\xc4d,name\n", "csv")
    assert "codec" not in str(e.value) and "position" not in str(e.value)


def test_excel_numeric_id_and_float_counts_are_accepted() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "hall_count", "approximate", "latitude", "longitude", "grid_region"])
    ws.append([123, "Numeric id", 4.0, 1, 31.0, -97.0, "ERCOT"])
    buf = io.BytesIO()
    wb.save(buf)
    (site,) = read_sites(buf.getvalue(), "xlsx", today=TODAY)
    assert (site.id, site.facility.hall_count, site.approximate) == ("123", 4, True)


@settings(max_examples=25, deadline=None)
@given(st.lists(valid_sites(), max_size=4, unique_by=lambda s: s.id))
def test_any_valid_sites_survive_a_csv_round_trip(sites: list[Site]) -> None:
    data = export_bytes(sites, "csv")
    assert read_sites(data, "csv", today=TODAY) == sites


@settings(max_examples=15, deadline=None)
@given(st.lists(valid_sites(), min_size=1, max_size=3, unique_by=lambda s: s.id))
def test_any_valid_sites_survive_an_xlsx_round_trip(sites: list[Site]) -> None:
    data = export_bytes(sites, "xlsx")
    assert read_sites(data, "xlsx", today=TODAY) == sites
