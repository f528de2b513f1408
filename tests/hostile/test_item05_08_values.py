"""Items 5-8: integers beyond the database's range, cells and files that cannot be parsed,
truncated or misaligned rows, and text longer than a spreadsheet cell: each is the import's or
the store's own error naming the row, the column and the rule; nothing is written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hostile_files import HEADER, csv_huge_cell, xlsx_cut_in_half, xlsx_sheet_cut

from sites.errors import SiteFileError, SiteValidationError
from sites.io import read_sites, write_sites
from sites.schema import Facility, Site
from sites.store import SiteStore
from sites.validation import MAX_LONG_TEXT_LENGTH

GOOD = Site(id="a", name="Alpha", latitude=31.0, longitude=-100.0, grid_region="ERCOT")


@pytest.mark.parametrize("halls", [10**30, 2**63, 3_000_000_000, 2**31])
def test_item05_huge_integers_are_refused_by_the_rules_on_every_database(
    db_url: str, halls: int
) -> None:
    store = SiteStore(db_url)
    bad = dataclasses.replace(GOOD, facility=Facility(hall_count=halls))
    with pytest.raises(SiteValidationError) as info:  # was OverflowError / "integer out of range"
        store.save(bad)
    (problem,) = info.value.problems
    assert (problem.column, problem.value) == ("hall_count", halls)
    assert store.list() == []
    store.close()


def test_item05_huge_integers_in_a_file_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        f"{HEADER},hall_count,carrier_count\na,A,31,-100,ERCOT,1e30,9223372036854775808\n"
    )
    with pytest.raises(SiteValidationError) as info:
        read_sites(path)
    assert {(p.row, p.column) for p in info.value.problems} == {
        (2, "hall_count"),
        (2, "carrier_count"),
    }


def test_item06_csv_cell_over_the_field_limit_is_the_import_error_naming_the_file() -> None:
    name, data = csv_huge_cell()
    with pytest.raises(SiteFileError, match=r"huge-cell\.csv could not be read as CSV at line 2"):
        read_sites(data, "csv", name=name)


@pytest.mark.parametrize("maker", [xlsx_cut_in_half, xlsx_sheet_cut])
def test_item06_a_cut_workbook_is_the_import_error_naming_the_file(maker, tmp_path: Path) -> None:
    name, data = maker()
    with pytest.raises(SiteFileError, match=name.replace(".", r"\.")):
        read_sites(data, "xlsx", name=name)
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    store = SiteStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with pytest.raises(SiteFileError, match=name.replace(".", r"\.")):
        store.import_file(path, name=name)
    store.close()


def test_item07_truncated_and_misaligned_rows_are_refused_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(
        "id,name,latitude,longitude,grid_region,energized_mw,contracted_mw,hall_count\n"
        "ok,OK,31,-100,ERCOT,10,10,1\n"
        "cut,Cut,31,-100,ERCOT\n"  # the file was cut after grid_region
        "extra,Extra,31,-100,ERCOT,10,10,1,surprise\n"
    )
    with pytest.raises(SiteValidationError) as info:
        read_sites(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "(row)"), (4, "(row)")]
    assert "5 cells but the header has 8" in info.value.problems[0].rule


def test_item07_a_value_under_a_blank_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank-header.csv"
    path.write_text(f"{HEADER},,notes\na,A,31,-100,ERCOT,lost,kept\n")
    with pytest.raises(SiteValidationError) as info:
        read_sites(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "column 6", "lost")


def test_item08_text_is_bounded_at_import_and_save(tmp_path: Path) -> None:
    long = "n" * (MAX_LONG_TEXT_LENGTH + 1)
    store = SiteStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with pytest.raises(SiteValidationError, match="notes"):
        store.save(dataclasses.replace(GOOD, notes=long))
    path = tmp_path / "long.csv"
    path.write_text(f"{HEADER},notes\na,A,31,-100,ERCOT,{'x' * 40_000}\n")
    with pytest.raises(SiteValidationError) as info:
        store.import_file(path)
    assert info.value.problems[0].column == "notes"
    assert "at most 5,000 characters (found 40,000)" in info.value.problems[0].rule
    store.close()


def test_item08_the_longest_text_allowed_survives_an_xlsx_round_trip(tmp_path: Path) -> None:
    site = dataclasses.replace(GOOD, notes="é" * MAX_LONG_TEXT_LENGTH)
    path = write_sites([site], tmp_path / "long.xlsx")
    assert read_sites(path) == [site]
