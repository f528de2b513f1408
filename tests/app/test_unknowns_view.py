"""The site page's texts for unknown facts (app_support.unknowns): a warning naming each unknown
and its assumption, and "unknown" instead of a number."""

from __future__ import annotations

import dataclasses

from app_support.unknowns import key_facts, land_text, substation_text, unknown_warning
from sites import load_example_portfolio
from sites.schema import UNKNOWN_COLUMNS, Land, Substation, from_record, to_record

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
    site = _all_unknown()
    assert land_text(site) == "unknown"
    assert substation_text(site) == "unknown"
    facts = {label: (value, help_) for label, value, help_ in key_facts(site)}
    assert facts["Land"][0] == "unknown" and "0 acres" not in facts["Land"][1]
    assert facts["Fiber"][0] == "unknown"
    partly = dataclasses.replace(BASE, land=Land(120.0, None, None))
    assert land_text(partly) == "at least 120 acres"
    assert land_text(dataclasses.replace(BASE, land=Land(0.0, 0.0, 0.0))) == "0 acres"  # a real 0
    off = dataclasses.replace(BASE, substation=Substation(on_site=False, distance_km=None))
    assert substation_text(off) == "off site, distance unknown"
    assert key_facts(BASE)[0][1] == "On site"
