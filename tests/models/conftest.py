"""Small site fixtures for the retrofit-model tests (built here, not read from /work/shared)."""

from __future__ import annotations

import pytest

from sites.schema import Connectivity, Facility, PowerRights, Site, Substation


def make_site(**parts: object) -> Site:
    """A plain 60 MW site with no halls, on-site 138 kV substation, dry climate at 30/20 C."""
    base = {
        "power": PowerRights(energized_mw=60.0, contracted_mw=60.0),
        "substation": Substation(on_site=True, capacity_mva=100.0, high_side_voltage_kv=138.0),
        "facility": Facility(cooling_type="air", hall_count=1, hall_power_mw=0.0),
        "connectivity": Connectivity(
            fiber_distance_km=4.0,
            design_dry_bulb_c=30.0,
            design_wet_bulb_c=20.0,
            water_availability="none",
        ),
    }
    base.update(parts)
    return Site(id="hand", name="Hand-worked site", **base)  # type: ignore[arg-type]


@pytest.fixture
def hand_site() -> Site:
    return make_site()
