"""Grid region names: canonical names, case-insensitive aliases, and a clear refusal."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sites.schema import (
    CANONICAL_GRID_REGIONS,
    GRID_REGION_ALIASES,
    GRID_REGIONS,
    Site,
    canonical_grid_region,
)
from sites.validation import validate_site

BASE = Site(id="s1", name="S", latitude=31.0, longitude=-97.0, grid_region="ERCOT")


@pytest.mark.parametrize("name", ["ERCOT", "ercot", "  Ercot ", "texas"])
def test_ercot_spellings_canonicalise_the_same(name: str) -> None:
    assert canonical_grid_region(name) == "ERCOT"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("other", "Southeast"), ("WECC non-ISO", "West"), ("serc  NON-iso", "Southeast"),
     ("iso new england", "ISO-NE"), ("isone", "ISO-NE")],
)  # fmt: skip
def test_non_market_aliases_are_never_refused(name: str, canonical: str) -> None:
    assert canonical_grid_region(name) == canonical
    assert validate_site(dataclasses.replace(BASE, grid_region=name), today=date(2026, 1, 1)) == []


def test_mars_is_refused_with_the_allowed_names() -> None:
    with pytest.raises(ValueError) as info:
        canonical_grid_region("Mars")
    assert "'Mars'" in str(info.value) and "PJM" in str(info.value) and "other" in str(info.value)
    (p,) = validate_site(dataclasses.replace(BASE, grid_region="Mars"), today=date(2026, 1, 1))
    assert p.column == "grid_region" and p.value == "Mars" and "NYISO" in p.rule


def test_every_listed_name_and_alias_maps_to_a_canonical_region() -> None:
    for name in (*GRID_REGIONS, *GRID_REGION_ALIASES):
        assert canonical_grid_region(name) in CANONICAL_GRID_REGIONS


@given(st.sampled_from(CANONICAL_GRID_REGIONS), st.lists(st.booleans(), min_size=12, max_size=12))
def test_case_never_matters(name: str, upper: list[bool]) -> None:
    mixed = "".join(c.upper() if u else c.lower() for c, u in zip(name, upper * 2, strict=False))
    assert canonical_grid_region(mixed) == name


@given(st.text(max_size=12))
def test_unknown_text_raises_value_error_or_maps(name: str) -> None:
    try:
        assert canonical_grid_region(name) in CANONICAL_GRID_REGIONS
    except ValueError as exc:
        assert "allowed" in str(exc)
