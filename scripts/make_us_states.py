"""Generate sites/data/us_states.geojson ONCE from bokeh_sampledata (Census TIGER/Line 2009).

Not a runtime dependency: install the generator's packages somewhere temporary, run, commit the file.

    pip install --target /tmp/geodeps bokeh_sampledata shapely
    PYTHONPATH=/tmp/geodeps python scripts/make_us_states.py

Polygons are simplified with shapely (tolerance 0.02 degrees, about 2 km, topology preserved) and
coordinates rounded to 3 decimals, which keeps the file under 150 kB for an offline map layer.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from bokeh_sampledata import us_states
from shapely.geometry import mapping

OUT = Path(__file__).resolve().parents[1] / "sites" / "data" / "us_states.geojson"
TOLERANCE_DEG = 0.02
DECIMALS = 3


def _round(coords: object) -> object:
    if isinstance(coords, list | tuple):
        if coords and isinstance(coords[0], float | int):
            return [round(float(c), DECIMALS) for c in coords]
        return [_round(c) for c in coords]
    return coords


def main() -> None:
    features = []
    for rec in sorted(us_states.records(), key=lambda r: r["code"]):
        geom = shapely.simplify(rec["geometry"], TOLERANCE_DEG, preserve_topology=True)
        gj = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": rec["code"], "name": rec["name"]},
                "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])},
            }
        )
    fc = {"type": "FeatureCollection", "features": features}
    OUT.write_text(json.dumps(fc, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} kB, {len(features)} states)")


if __name__ == "__main__":
    main()
