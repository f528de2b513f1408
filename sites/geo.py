"""Geography: great-circle distance, the nearest major metro or internet exchange, map layer data.

Everything here is offline: the metro/exchange table (``data/metros.csv``) and the US state outlines
(``data/us_states.geojson``, Census TIGER/Line, see ``data/SOURCES.md``) ship with the package.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from sites.errors import SitesError
from sites.schema import Site

# IUGG mean Earth radius R1 = (2a + b) / 3 for WGS-84 (Moritz, "Geodetic Reference System 1980",
# Journal of Geodesy 74, 2000).
EARTH_RADIUS_KM = 6371.0088
PLACE_KINDS: tuple[str, ...] = ("metro", "ix")


class GeoError(SitesError, ValueError):
    """Bad geographic input (coordinates out of range, unknown place kind)."""


def haversine_km(
    lat1_deg: float | np.ndarray,
    lon1_deg: float | np.ndarray,
    lat2_deg: float | np.ndarray,
    lon2_deg: float | np.ndarray,
) -> float | np.ndarray:
    """Great-circle distance in km between points given in degrees; numpy broadcasting applies.

    Haversine formula (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 1984):
    d = 2 R asin(sqrt(sin^2(dphi/2) + cos phi1 cos phi2 sin^2(dlambda/2))), on a sphere of radius
    ``EARTH_RADIUS_KM`` (error against the ellipsoid up to about 0.5%).
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


@lru_cache(maxsize=1)
def _places() -> pd.DataFrame:
    with resources.files("sites").joinpath("data/metros.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def places(kind: str | None = None) -> pd.DataFrame:
    """The bundled reference table: name, kind ("metro" or "ix"), state, latitude, longitude, note.

    Metros are major US metro areas (city-centre coordinates); "ix" rows are major internet
    exchange / carrier-hotel locations. Coordinates are approximate (about +-5 km).
    """
    df = _places()
    if kind is not None:
        if kind not in PLACE_KINDS:
            raise GeoError(f"kind = {kind!r}: must be one of {', '.join(PLACE_KINDS)} or None")
        df = df[df["kind"] == kind]
    return df.reset_index(drop=True).copy()


@dataclass(frozen=True)
class NearestPlace:
    """The nearest reference place to a point and its great-circle distance."""

    name: str
    kind: str
    state: str
    distance_km: float


def _check_coords(lat: np.ndarray, lon: np.ndarray) -> None:
    if not (np.all(np.isfinite(lat)) and np.all((lat >= -90) & (lat <= 90))):
        raise GeoError(f"latitude = {lat.tolist()!r}: must be finite and between -90 and 90")
    if not (np.all(np.isfinite(lon)) and np.all((lon >= -180) & (lon <= 180))):
        raise GeoError(f"longitude = {lon.tolist()!r}: must be finite and between -180 and 180")


def nearest_places(
    latitudes_deg: Sequence[float] | np.ndarray,
    longitudes_deg: Sequence[float] | np.ndarray,
    kind: str | None = None,
) -> pd.DataFrame:
    """For each point, the nearest place of the table (optionally of one kind), vectorised.

    Returns a DataFrame, one row per point: name, kind, state, distance_km.
    """
    lat = np.atleast_1d(np.asarray(latitudes_deg, dtype=float))
    lon = np.atleast_1d(np.asarray(longitudes_deg, dtype=float))
    _check_coords(lat, lon)
    table = places(kind)
    d = np.asarray(
        haversine_km(
            lat[:, None],
            lon[:, None],
            table["latitude"].to_numpy()[None, :],
            table["longitude"].to_numpy()[None, :],
        )
    )
    best = np.argmin(d, axis=1)
    return pd.DataFrame(
        {
            "name": table["name"].to_numpy()[best],
            "kind": table["kind"].to_numpy()[best],
            "state": table["state"].to_numpy()[best],
            "distance_km": d[np.arange(len(lat)), best],
        }
    )


def nearest_metro(
    latitude_deg: float, longitude_deg: float, kind: str | None = None
) -> NearestPlace:
    """The nearest major metro or internet exchange (or only one ``kind``) to one point."""
    row = nearest_places([latitude_deg], [longitude_deg], kind).iloc[0]
    return NearestPlace(
        str(row["name"]), str(row["kind"]), str(row["state"]), float(row["distance_km"])
    )


@lru_cache(maxsize=1)
def _states_text() -> str:
    return resources.files("sites").joinpath("data/us_states.geojson").read_text(encoding="utf-8")


def us_states_geojson() -> dict:
    """US state outlines as a GeoJSON FeatureCollection (lon/lat, NAD83), bundled for offline maps.

    Each feature has properties ``code`` (USPS) and ``name``. A fresh dict per call, safe to modify.
    Source: US Census Bureau TIGER/Line, simplified (see ``sites/data/SOURCES.md``).
    """
    return json.loads(_states_text())


def map_frame(sites: Sequence[Site]) -> pd.DataFrame:
    """One row per site for a map layer: id, name, operator, latitude, longitude, contracted and
    energized gross MW, firm MW, grid_region, status, approximate."""
    return pd.DataFrame(
        {
            "id": [s.id for s in sites],
            "name": [s.name for s in sites],
            "operator": [s.operator for s in sites],
            "latitude": np.array([s.latitude for s in sites], dtype=float),
            "longitude": np.array([s.longitude for s in sites], dtype=float),
            "contracted_mw": np.array([s.power.contracted_mw for s in sites], dtype=float),
            "energized_mw": np.array([s.power.energized_mw for s in sites], dtype=float),
            "firm_mw": np.array([s.firm_mw for s in sites], dtype=float),
            "grid_region": [s.grid_region for s in sites],
            "status": [s.status for s in sites],
            "approximate": [s.approximate for s in sites],
        }
    )
