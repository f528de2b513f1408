"""The bundled example portfolio: real public sites, all valid, sourced and flagged."""

from __future__ import annotations

from sites import load_example_portfolio, validate_sites
from sites.geo import nearest_metro


def test_portfolio_is_large_and_valid() -> None:
    sites = load_example_portfolio()
    assert len(sites) >= 20
    assert validate_sites(sites) == []
    assert len({s.id for s in sites}) == len(sites)


def test_portfolio_covers_the_named_sites_with_sources() -> None:
    sites = {s.id: s for s in load_example_portfolio()}
    for sid in (
        "riot-rockdale",
        "riot-corsicana",
        "corz-denton",
        "iren-childress",
        "iren-sweetwater",
        "cifr-barber-lake",
        "wulf-lake-mariner",
        "hut-river-bend",
        "btdr-clarington",
        "clsk-brazoria",
        "glxy-helios",
        "apld-ellendale",
    ):
        assert sid in sites
    assert all(s.source.strip() and s.approximate for s in sites.values())
    # published facts (hosting fact sheet, 2026-11-29)
    assert sites["corz-denton"].power.contracted_mw == 394.0
    assert sites["corz-denton"].land.acres_leased == 78.85
    assert sites["wulf-lake-mariner"].grid_region == "NYISO"
    assert sites["riot-rockdale"].land.acres_owned == 200.0


def test_metro_distance_is_the_nearest_reference_place() -> None:
    for s in load_example_portfolio():
        d = nearest_metro(s.latitude, s.longitude).distance_km
        assert abs(s.connectivity.metro_distance_km - d) < 0.06  # rounded to 0.1 km
