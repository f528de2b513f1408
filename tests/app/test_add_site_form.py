"""The Inventory page's "Add a site" form (issue 13): required fields, blanks as unknown, a bad
field refused in words naming it with nothing written, a good site saved with its unknowns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support.site_form import FIELDS, REQUIRED_FIELDS, form_problems, site_from_form
from sites import load_example_portfolio
from sites.errors import SiteValidationError
from sites.schema import UNKNOWN_COLUMNS, unknown_fields
from sites.store import SiteStore

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
P = "add_site_"

GOOD = {
    "id": "new-site",
    "name": "New Site",
    "latitude": 31.5,
    "longitude": -97.1,
    "grid_region": "ERCOT",
    "contracted_mw": 120.0,
    "contract_type": "index_plus_adder",
}


def _fill(at: AppTest, values: dict[str, object]) -> None:
    for column, value in values.items():
        key = P + column
        if column in ("grid_region", "contract_type"):
            at.selectbox(key=key).set_value(value)
        elif isinstance(value, str):
            at.text_input(key=key).input(value)
        else:
            at.number_input(key=key).set_value(value)


def _submit(at: AppTest) -> AppTest:
    button = next(b for b in at.button if b.label == "Add site")
    return button.click().run()


def test_every_required_field_is_in_the_form_and_every_unknown_column_is_offered() -> None:
    assert [f.column for f in REQUIRED_FIELDS] == [
        "id", "name", "latitude", "longitude", "grid_region", "contracted_mw", "contract_type",
    ]  # fmt: skip
    offered = {f.column for f in FIELDS}
    assert set(UNKNOWN_COLUMNS) <= offered


def test_a_bad_latitude_is_refused_naming_the_field_and_nothing_is_written(db_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/inventory.py")
    at.run()
    assert not at.exception
    before = len(SiteStore(db_url).list())
    _fill(at, {**GOOD, "latitude": 123.0})
    at = _submit(at)
    assert not at.exception
    assert any("not added" in e.value for e in at.error)
    texts = [t.value for t in at.text]
    assert any(t.startswith("Latitude (degrees north): must be between -90 and 90") for t in texts)
    store = SiteStore(db_url)
    assert len(store.list()) == before
    assert "new-site" not in {s.id for s in store.list()}


def test_a_good_site_is_saved_with_blanks_unknown(db_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/inventory.py")
    at.run()
    _fill(at, {**GOOD, "fiber_distance_km": 12.0, "notes": "<b>[x](http://e.x)</b>"})
    at = _submit(at)
    assert not at.exception, at.exception
    site = SiteStore(db_url).get("new-site")
    assert site.name == "New Site" and site.power.contracted_mw == 120.0
    assert site.connectivity.fiber_distance_km == 12.0
    assert site.notes == "<b>[x](http://e.x)</b>"  # stored as typed
    assert site.substation.capacity_mva is None and site.power.contract_price_usd_per_mwh is None
    assert "fiber_distance_km" not in unknown_fields(site)
    assert {"substation_capacity_mva", "contract_price_usd_per_mwh"} <= set(unknown_fields(site))
    assert any("Added site new" in s.value for s in at.success)


def test_site_from_form_names_each_missing_required_field() -> None:
    with pytest.raises(SiteValidationError) as info:
        site_from_form({"id": "x", "grid_region": None}, existing_ids=())
    missing = {p.column for p in info.value.problems}
    assert missing == {
        "name",
        "latitude",
        "longitude",
        "grid_region",
        "contracted_mw",
        "contract_type",
    }
    words = form_problems(info.value.problems)
    assert "Power rights, MW (gross at the meter): must be given" in words


def test_site_from_form_refuses_an_existing_id() -> None:
    with pytest.raises(SiteValidationError) as info:
        site_from_form(GOOD, existing_ids={"new-site"})
    assert [(p.column, p.value) for p in info.value.problems] == [("id", "new-site")]


def test_site_from_form_checks_the_same_rules_as_a_file_row() -> None:
    with pytest.raises(SiteValidationError) as info:
        site_from_form({**GOOD, "carrier_count": 2.5, "design_wet_bulb_c": 30.0,
                        "design_dry_bulb_c": 25.0})  # fmt: skip
    assert {p.column for p in info.value.problems} == {"carrier_count", "design_wet_bulb_c"}
    ok = site_from_form({**GOOD, "substation_on_site": False, "water_availability": "ample"})
    assert ok.substation.on_site is False and ok.substation.distance_km is None
    assert ok.connectivity.water_availability == "ample"


def test_the_editor_empties_an_unknown_column_to_none() -> None:
    from app_support.inventory_view import frame_to_sites, sites_frame

    BASE = load_example_portfolio()[0]
    frame = sites_frame([BASE])
    frame.loc[0, "substation_capacity_mva"] = float("nan")
    frame.loc[0, "substation_on_site"] = pd.NA
    (site,) = frame_to_sites(frame, {BASE.id: BASE})
    assert site.substation.capacity_mva is None and site.substation.on_site is None


def test_each_optional_label_says_once_what_a_blank_means():
    # "Energized today, MW (0 if blank: nothing energized) (unknown if blank)" said both.
    from app_support.site_form import OPTIONAL_FIELDS, REQUIRED_FIELDS

    labels = {f.column: f.shown_label for f in OPTIONAL_FIELDS}
    assert labels["energized_mw"] == "Energized today, MW (nothing energized if blank)"
    assert labels["operator"] == "Operator (unknown if blank)"
    assert all(label.count("if blank") == 1 for label in labels.values())
    assert all("if blank" not in f.shown_label for f in REQUIRED_FIELDS)
