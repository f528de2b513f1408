"""What the portfolio page draws, as plain functions of the valuation's table (no Streamlit): site
labels that carry the operator, map points that stay reachable where sites share a location, the
sites whose recommended path flips between two scenarios, the site a map click selected, and the
map's deck with the state outlines serialised once."""

from __future__ import annotations

import functools
import json
import math
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from app_support.display import STRATEGY_COLORS_RGB, STRATEGY_LABELS
from sites.geo import us_states_geojson
from valuation import formatting as fmt

UNKNOWN = "unknown"
MAP_LAYER_ID = "sites"
# Sites sharing a location (to ~100 m) are spread along a short east-west line so each can be
# hovered and clicked: 0.3 degrees of longitude, about 27 km at 35 N, a few pixels at the
# portfolio's zoom. The tooltip says the point is drawn offset.
SHARED_SPACING_DEG = 0.3
GREY = (128, 128, 128)


def site_label(name: object, operator: object) -> str:
    """ "Rockdale (Riot Platforms)": the name with its operator, so two sites of one name differ."""
    name_text = str(name) if name is not None and str(name) else "Unnamed site"
    op = (
        ""
        if operator is None or (isinstance(operator, float) and math.isnan(operator))
        else operator
    )
    return f"{name_text} ({op})" if str(op).strip() else name_text


def path_label(key: object) -> str:
    """A strategy key in words ("convert" -> "Convert to AI hosting"); unknown keys as "unknown"."""
    if not isinstance(key, str) or not key:
        return UNKNOWN
    return STRATEGY_LABELS.get(key, key)


def money(value: object) -> str:
    """Executive dollars ($8.7B); a missing value reads "unknown"."""
    text = fmt.usd(value)  # type: ignore[arg-type]
    return UNKNOWN if text == fmt.MISSING else text


def map_points(table: pd.DataFrame) -> pd.DataFrame:
    """One row per site for the map: label, colour, radius (area proportional to MW), tooltip
    texts, and a drawn position spread apart where sites share a location. Larger circles come
    first so smaller ones draw on top and every site keeps a visible, hoverable part."""
    points = table.assign(
        label=[site_label(n, o) for n, o in zip(table["name"], table["operator"], strict=True)],
        path=table["best_strategy"].map(path_label),
        color=table["best_strategy"].map(lambda k: list(STRATEGY_COLORS_RGB.get(k, GREY))),
        radius_m=table["power_mw"].fillna(1.0).clip(lower=1.0) ** 0.5 * 4_000.0,
        power_text=table["power_mw"].map(lambda v: UNKNOWN if pd.isna(v) else fmt.power(v)),
        value_text=table["value_of_converting_usd"].map(money),
    ).reset_index(drop=True)
    lat = points["latitude"].to_numpy(dtype=float)
    lon = points["longitude"].to_numpy(dtype=float)
    place = pd.Series(list(zip(np.round(lat, 3), np.round(lon, 3), strict=True)))
    rank = place.groupby(place).cumcount().to_numpy()
    size = place.map(place.value_counts()).to_numpy()
    points["map_longitude"] = lon + (rank - (size - 1) / 2.0) * SHARED_SPACING_DEG
    points["map_latitude"] = lat
    points["shared_note"] = np.where(
        size > 1, [f"\n(drawn offset: {n - 1} other site(s) at this location)" for n in size], ""
    )
    return points.sort_values("radius_m", ascending=False, kind="stable").reset_index(drop=True)


# The view fits the sites into the narrowest map the page draws: the main column of an 800 px
# window with the sidebar open (468 px, measured in headless Chromium on 2026-11-30) by the
# map's 480 px height, with a tenth of each side left around the sites for their circles.
MAP_FIT_WIDTH_PX = 460
MAP_HEIGHT_PX = 480
MAP_MARGIN = 0.1
WORLD_PX_AT_ZOOM_0 = 512  # deck.gl's Web Mercator world: 512 px square at zoom 0
# Zoom bounds: 1 a continent and more (a site far outside the lower 48); 6 a state (one site, or
# sites together), not a street.
MIN_ZOOM, MAX_ZOOM = 1.0, 6.0
LOWER_48 = ((-124.8, -66.9), (24.5, 49.4))  # longitude and latitude extents, degrees


def _mercator_y(lat_deg: np.ndarray) -> np.ndarray:
    """Web Mercator's y of a latitude, in radians of the world's 2 pi height."""
    return np.log(np.tan(np.pi / 4 + np.radians(lat_deg) / 2))


def fit_view(
    lon_deg: object,
    lat_deg: object,
    *,
    width_px: float = MAP_FIT_WIDTH_PX,
    height_px: float = MAP_HEIGHT_PX,
) -> pdk.ViewState:
    """The map's view showing every point: centred on their extent in Web Mercator, at the
    highest zoom at which that extent, with :data:`MAP_MARGIN` of each side around it, fits
    ``width_px`` by ``height_px`` (a world ``512 * 2**zoom`` px wide spans 360 degrees of
    longitude and 2 pi of Mercator y), bounded to [:data:`MIN_ZOOM`, :data:`MAX_ZOOM`]. No
    points: the lower 48 states."""
    lon = np.asarray(lon_deg, dtype=float).ravel()
    lat = np.asarray(lat_deg, dtype=float).ravel()
    keep = np.isfinite(lon) & np.isfinite(lat)
    if not keep.any():
        lon, lat = np.asarray(LOWER_48[0]), np.asarray(LOWER_48[1])
    else:
        lon, lat = lon[keep], lat[keep]
    y = _mercator_y(np.clip(lat, -85.0, 85.0))
    usable = 1.0 - 2.0 * MAP_MARGIN
    span_lon = max(float(np.ptp(lon)), 1e-9)
    span_y = max(float(np.ptp(y)), 1e-9)
    zoom_lon = math.log2(width_px * usable * 360.0 / (span_lon * WORLD_PX_AT_ZOOM_0))
    zoom_y = math.log2(height_px * usable * 2.0 * math.pi / (span_y * WORLD_PX_AT_ZOOM_0))
    zoom = min(max(min(zoom_lon, zoom_y), MIN_ZOOM), MAX_ZOOM)
    mid_y = (float(y.min()) + float(y.max())) / 2.0
    return pdk.ViewState(
        longitude=(float(lon.min()) + float(lon.max())) / 2.0,
        latitude=math.degrees(2.0 * math.atan(math.exp(mid_y)) - math.pi / 2.0),
        zoom=round(zoom, 3),
    )


def flips(base: pd.DataFrame, what_if: pd.DataFrame) -> pd.DataFrame:
    """Sites whose recommended path differs between two valuations of the same sites: site_id,
    label, base_path, new_path (strategy keys), in ``what_if``'s order. Sites either valuation
    could not value are left out."""
    before = base.set_index("site_id")["best_strategy"]
    rows = []
    for row in what_if.itertuples(index=False):
        old = before.get(row.site_id)
        new = row.best_strategy
        if old and new and old != new:
            rows.append(
                {
                    "site_id": row.site_id,
                    "label": site_label(row.name, row.operator),
                    "base_path": old,
                    "new_path": new,
                }
            )
    return pd.DataFrame(rows, columns=["site_id", "label", "base_path", "new_path"])


def flips_sentence(flipped: pd.DataFrame, base_name: str, limit: int = 4) -> str:
    """ "2 sites flip against the base scenario: Rockdale (Riot): keep mining → convert; ..." """
    n = len(flipped)
    if n == 0:
        return f"No site changes its recommended path against the {base_name} scenario."
    items = [
        f"{r.label} ({path_label(r.base_path)} → {path_label(r.new_path)})"
        for r in flipped.head(limit).itertuples()
    ]
    more = f"; and {n - limit} more (see the ranking)" if n > limit else ""
    return (
        f"{n} site{'s' if n != 1 else ''} change{'s' if n == 1 else ''} the recommended path "
        f"against the {base_name} scenario: " + "; ".join(items) + more + "."
    )


def site_from_selection(selection: Mapping[str, Any] | None) -> str | None:
    """The site id a map click selected (``st.pydeck_chart``'s selection state), or None."""
    if not selection:
        return None
    objects = (selection.get("objects") or {}).get(MAP_LAYER_ID) or []
    for obj in objects:
        site_id = obj.get("site_id") if isinstance(obj, Mapping) else None
        if isinstance(site_id, str) and site_id:
            return site_id
    return None


# A layer's data naming this is the US state outlines (``OutlineDeck``). Random per process: a
# site named "__us_states_geojson__" had the outlines spliced in as its label.
STATES_DATA = f"__us_states_geojson_{secrets.token_hex(16)}__"


@functools.lru_cache(maxsize=1)
def states_json() -> str:
    """The US state outlines (``sites.geo.us_states_geojson``) as compact JSON, made once."""
    return json.dumps(us_states_geojson(), separators=(",", ":"))


class OutlineDeck(pdk.Deck):
    """A pydeck ``Deck`` whose layers take the US state outlines as data by naming
    ``STATES_DATA``: the outlines are serialised once per process (``states_json``) and spliced
    into the deck's JSON, where pydeck's own serialiser walked their 3,000 points into 330 KB of
    indented JSON (about 30 ms) on every run of the portfolio page."""

    def to_json(self) -> str:
        return super().to_json().replace(json.dumps(STATES_DATA), states_json())
