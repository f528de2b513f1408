"""The portfolio page's plain helpers: labels that tell two "Rockdale" sites apart, map points
that stay reachable where sites share a location, which sites flip, and the site a click picked."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app_support.portfolio_view import (
    MAP_LAYER_ID,
    SHARED_SPACING_DEG,
    fit_view,
    flips,
    flips_sentence,
    map_points,
    money,
    site_from_selection,
    site_label,
)


def _table(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "site_id", "name", "operator", "power_mw", "grid_region", "latitude", "longitude",
            "best_strategy", "value_of_converting_usd",
        ],
    )  # fmt: skip


ROCKDALES = _table(
    [
        ("riot-rockdale", "Rockdale", "Riot Platforms", 700.0, "ERCOT", 30.6, -97.0, "convert", 3.3e9),
        ("bitdeer-rockdale", "Rockdale", "Bitdeer", 563.0, "ERCOT", 30.6, -97.0, "keep_mining", -2e8),
        ("alone", "Odessa", None, 100.0, "ERCOT", 31.8, -102.4, "hybrid", math.nan),
    ]
)  # fmt: skip


def test_labels_carry_the_operator():
    assert site_label("Rockdale", "Riot Platforms") == "Rockdale (Riot Platforms)"
    assert site_label("Rockdale", "Bitdeer") == "Rockdale (Bitdeer)"
    assert site_label("Odessa", None) == "Odessa"
    assert site_label("Odessa", float("nan")) == "Odessa"


def test_sites_at_one_location_are_spread_and_the_big_one_drawn_first():
    points = map_points(ROCKDALES)
    assert list(points["site_id"]) == ["riot-rockdale", "bitdeer-rockdale", "alone"]
    riot, bitdeer, alone = points.itertuples()
    # Same place in the data, apart on the map by the spacing, centred on the true location.
    assert math.isclose(abs(riot.map_longitude - bitdeer.map_longitude), SHARED_SPACING_DEG)
    assert math.isclose((riot.map_longitude + bitdeer.map_longitude) / 2, -97.0)
    assert "1 other site(s) at this location" in riot.shared_note
    assert alone.map_longitude == -102.4 and alone.shared_note == ""
    assert riot.radius_m > bitdeer.radius_m  # drawn first: the smaller one stays on top
    assert alone.value_text == "unknown"  # a missing value is never "$0" or "nan"
    assert riot.label == "Rockdale (Riot Platforms)"


def test_money_is_executive_and_unknown_is_unknown():
    assert money(8.7e9) == "$8.7B"
    assert money(-2.66e9) == "-$2.7B"
    assert money(None) == "unknown" and money(math.nan) == "unknown"


def test_flips_name_the_sites_whose_path_changes():
    what_if = ROCKDALES.assign(best_strategy=["keep_mining", "keep_mining", ""])
    flipped = flips(ROCKDALES, what_if)
    assert list(flipped["site_id"]) == ["riot-rockdale"]  # unvalued ("") sites are left out
    sentence = flips_sentence(flipped, "base")
    assert sentence == (
        "1 site changes the recommended path against the base scenario: Rockdale (Riot "
        "Platforms) (Convert to AI hosting → Keep mining)."
    )
    assert flips_sentence(flipped.iloc[:0], "Bear") == (
        "No site changes its recommended path against the Bear scenario."
    )


def test_the_clicked_site_comes_from_the_selection_event():
    event = {"indices": {MAP_LAYER_ID: [1]}, "objects": {MAP_LAYER_ID: [{"site_id": "x-1"}]}}
    assert site_from_selection(event) == "x-1"
    assert site_from_selection({"indices": {}, "objects": {}}) is None
    assert site_from_selection({"objects": {"states": [{"name": "Texas"}]}}) is None
    assert site_from_selection(None) is None


def test_the_outline_deck_is_the_deck_with_the_outlines_inline():
    """OutlineDeck splices the outlines into the JSON: the same deck, parsed, as pydeck's own
    serialising of the GeoJSON in the layer; and only where a layer names STATES_DATA."""
    import json

    import pydeck as pdk

    from app_support.portfolio_view import STATES_DATA, OutlineDeck
    from sites.geo import us_states_geojson

    def deck(cls, data):
        return cls(
            layers=[
                pdk.Layer("GeoJsonLayer", data, id="states", get_fill_color=[1, 2, 3]),
                pdk.Layer("ScatterplotLayer", [{"x": 1.0}], id="dots", get_position=["x", "x"]),
            ],
            map_provider=None,
            initial_view_state=pdk.ViewState(latitude=38.0, longitude=-96.0, zoom=3.0),
        )

    spliced = json.loads(deck(OutlineDeck, STATES_DATA).to_json())
    inline = json.loads(deck(pdk.Deck, us_states_geojson()).to_json())
    assert spliced == inline
    assert len(spliced["layers"][0]["data"]["features"]) == 51  # the 50 states and DC
    assert json.loads(deck(OutlineDeck, [{"a": 1}]).to_json())["layers"][0]["data"] == [{"a": 1}]


def test_fit_view_by_hand():
    # Sites from west Texas to Pennsylvania (-103 to -75 E, 26 to 47 N) in a 460 x 480 px map,
    # 10% margin each side: longitude gives log2(368 * 360 / (28 * 512)) = 3.2081; Mercator y
    # spans ln tan(68.5 deg) - ln tan(58 deg) = 0.46139, giving log2(384 * 2 pi / (0.46139 *
    # 512)) = 3.3516; the smaller wins. Centre: -89 E and the latitude of the middle Mercator y.
    view = fit_view([-103.0, -75.0, -90.0], [26.0, 47.0, 30.0])
    assert view.zoom == pytest.approx(3.208, abs=1e-3)
    assert view.longitude == pytest.approx(-89.0)
    mid = (math.log(math.tan(math.radians(68.5))) + math.log(math.tan(math.radians(58.0)))) / 2
    assert view.latitude == pytest.approx(math.degrees(2 * math.atan(math.exp(mid)) - math.pi / 2))
    assert 36.0 < view.latitude < 37.5  # north of the plain midpoint 36.5 N, as Mercator is


def test_fit_view_bounds_and_defaults():
    assert fit_view([-97.0], [31.0]).zoom == 6.0  # one site: a state, not a street
    assert fit_view([-97.0, -97.0], [31.0, 31.0]).zoom == 6.0
    assert fit_view([-170.0, 170.0], [-60.0, 70.0]).zoom == 1.0  # the world: the lowest zoom
    empty = fit_view([], [])  # no site to show: the lower 48 states
    assert empty.longitude == pytest.approx((-124.8 - 66.9) / 2)
    assert fit_view([float("nan"), -97.0], [31.0, float("nan")]).zoom == empty.zoom


@given(
    st.lists(st.tuples(st.floats(-125.0, -67.0), st.floats(24.5, 49.5)), min_size=2, max_size=30)
)
def test_every_site_is_inside_the_fitted_map(points):
    # Project each point with the view (Web Mercator, 512 * 2**zoom px for the world): all fall
    # inside the 460 x 480 px map the fit is made for.
    lon, lat = (np.array(v) for v in zip(*points, strict=True))
    view = fit_view(lon, lat)
    world = 512 * 2**view.zoom

    def y(deg):
        return np.log(np.tan(np.pi / 4 + np.radians(deg) / 2))

    x_px = (lon - view.longitude) / 360.0 * world
    y_px = (y(lat) - y(view.latitude)) / (2 * np.pi) * world
    assert np.all(np.abs(x_px) <= 230.0 + 1e-6)
    assert np.all(np.abs(y_px) <= 240.0 + 1e-6)
