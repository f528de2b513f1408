"""Great-circle distance, nearest metro / exchange, the offline state outlines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sites import load_example_portfolio
from sites.geo import (
    EARTH_RADIUS_KM,
    GeoError,
    haversine_km,
    map_frame,
    nearest_metro,
    nearest_places,
    places,
    us_states_geojson,
)


def test_one_degree_of_latitude() -> None:
    # along a meridian d = R * dphi = 6371.0088 * pi / 180 = 111.1951 km
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(6371.0088 * math.pi / 180, rel=1e-12)


def test_quarter_of_the_equator_and_antipodes() -> None:
    assert haversine_km(0, 0, 0, 90) == pytest.approx(EARTH_RADIUS_KM * math.pi / 2, rel=1e-12)
    assert haversine_km(10, 20, -10, -160) == pytest.approx(
        EARTH_RADIUS_KM * math.pi, rel=1e-7
    )  # asin near 1 loses digits


def test_dallas_to_houston_matches_published_distance() -> None:
    # Great-circle Dallas-Houston is about 362 km (e.g. any distance calculator, city centres).
    assert haversine_km(32.78, -96.80, 29.76, -95.37) == pytest.approx(362, abs=3)


def test_vectorised_broadcasting() -> None:
    d = haversine_km(np.zeros(3), np.zeros(3), np.array([0.0, 1.0, 2.0]), np.zeros(3))
    assert d.shape == (3,)
    np.testing.assert_allclose(d, np.array([0, 1, 2]) * EARTH_RADIUS_KM * math.pi / 180)


@settings(max_examples=60, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180))
def test_distance_is_symmetric_and_bounded(a: float, b: float, c: float, d: float) -> None:
    ab = haversine_km(a, b, c, d)
    assert ab == pytest.approx(haversine_km(c, d, a, b), abs=1e-6)
    assert 0.0 <= ab <= EARTH_RADIUS_KM * math.pi + 1e-6


def test_nearest_metro_and_exchange() -> None:
    denton = nearest_metro(33.23, -97.19, kind="metro")
    assert denton.name == "Dallas-Fort Worth"
    assert denton.distance_km == pytest.approx(haversine_km(33.23, -97.19, 32.78, -96.80))
    assert nearest_metro(39.0, -77.5, kind="ix").name.startswith("Ashburn")
    table = nearest_places([33.23, 43.36], [-97.19, -78.60], kind="metro")
    assert list(table["name"]) == ["Dallas-Fort Worth", "Buffalo"]
    with pytest.raises(GeoError, match="latitude"):
        nearest_metro(95.0, 0.0)
    with pytest.raises(GeoError, match="kind"):
        places("airport")


def test_nearest_place_is_the_minimum_over_the_table() -> None:
    t = places()
    d = haversine_km(40.0, -100.0, t["latitude"].to_numpy(), t["longitude"].to_numpy())
    assert nearest_metro(40.0, -100.0).distance_km == pytest.approx(d.min())


def test_state_outlines_are_bundled_and_small() -> None:
    from importlib import resources

    size = len(resources.files("sites").joinpath("data/us_states.geojson").read_bytes())
    assert size < 150_000
    gj = us_states_geojson()
    assert gj["type"] == "FeatureCollection"
    codes = {f["properties"]["code"] for f in gj["features"]}
    assert len(codes) == 51 and {"TX", "NY", "DC", "ND"} <= codes
    gj["features"].clear()  # callers get their own copy
    assert len(us_states_geojson()["features"]) == 51


def test_map_frame() -> None:
    sites = load_example_portfolio()
    df = map_frame(sites)
    assert len(df) == len(sites)
    assert df.loc[0, "id"] == sites[0].id
    assert df["firm_mw"].to_numpy() == pytest.approx([s.firm_mw for s in sites])
