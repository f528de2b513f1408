"""The site page's texts for unknown facts (app_support.unknowns): a warning naming each unknown
and its assumption, and "unknown" instead of a number."""

from __future__ import annotations

import dataclasses

from app_support import site_view
from app_support.unknowns import unknown_warning
from sites import load_example_portfolio
from sites.schema import UNKNOWN_COLUMNS, Substation, from_record, to_record

BASE = load_example_portfolio()[0]


def _all_unknown():
    rec = to_record(BASE)
    for c in UNKNOWN_COLUMNS:
        rec[c] = None
    return from_record(rec)


def test_no_warning_when_every_fact_is_known() -> None:
    assert unknown_warning(BASE) is None


def test_warning_names_each_unknown_and_its_assumption() -> None:
    site = dataclasses.replace(
        BASE, substation=dataclasses.replace(BASE.substation, capacity_mva=None)
    )
    text = unknown_warning(site)
    assert text is not None
    assert text.startswith("1 fact of this site is unknown")
    assert "substation capacity: valued as no spare capacity" in text
    many = unknown_warning(_all_unknown())
    assert many is not None and many.startswith(f"{len(UNKNOWN_COLUMNS)} facts")
    assert (
        "power contract price: valued as the grid region's index price plus its default adder"
        in many
    )


def test_unknown_land_and_substation_show_as_unknown_not_zero() -> None:
    # The site page's facts (app_support.site_view) on a site whose unknowns are None.
    facts = {f.label: f for f in site_view.site_facts(_all_unknown())}
    assert facts["Land"].value == "unknown" and "0 acres" not in facts["Land"].help
    assert facts["Substation"].value == "unknown"
    assert facts["Fiber"].value == "unknown"
    off = dataclasses.replace(BASE, substation=Substation(on_site=False, distance_km=None))
    assert {f.label: f for f in site_view.site_facts(off)}["Substation"].value == "unknown"
