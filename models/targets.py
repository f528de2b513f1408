"""What the converted site must deliver (``RetrofitTarget``), and the checks on it and on the site.

Tier availability is the legacy Uptime Institute figure (datacenters.com, chloridepower.com, read
from the 2026-11-29 fact sheet); the current Uptime Tier Standard defines tiers by topology only.
Rack-density limits per cooling technology come from the same fact sheet (section 2.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from models.errors import RetrofitInputError
from sites.schema import DESIGN_TEMPERATURE_RANGE_C, Site
from sites.unknowns import known, resolve_unknowns

COOLING_TECHNOLOGIES: Final = ("direct_to_chip", "air_rdhx", "immersion")
REDUNDANCY_LEVELS: Final = ("N", "N+1", "2N")
TIERS: Final = ("I", "II", "III", "IV")

# Availability per tier, as a fraction of the year (legacy Uptime figures, 2026-11-29 fact sheet).
TIER_AVAILABILITY: Final = MappingProxyType(
    {"I": 0.99671, "II": 0.99741, "III": 0.99982, "IV": 0.99995}
)
# Least redundancy each tier needs, for electrical and mechanical alike: Tier I none, Tier II and
# III N+1 components, Tier IV a fault-tolerant 2N chain (same sources as above).
TIER_MIN_REDUNDANCY: Final = MappingProxyType({"I": "N", "II": "N+1", "III": "N+1", "IV": "2N"})

# Supported rack density per cooling technology, kW per rack (low, high).
# Air with rear doors: the fact sheet gives an air ceiling of ~30 kW and air-cooled DGX H100 racks
# at ~41 kW; the issue sets the limit at about 40 kW. Direct-to-chip: IREN Horizon designs up to
# 200 kW per rack (2025). Immersion: single-phase tanks to ~250 kW (engineering estimate).
RACK_DENSITY_RANGE_KW: Final = MappingProxyType(
    {"air_rdhx": (5.0, 40.0), "direct_to_chip": (20.0, 200.0), "immersion": (20.0, 250.0)}
)

# A GB300 NVL72 rack draws ~132 kW of DC power (introl.com, 2025): the default AI rack.
DEFAULT_RACK_DENSITY_KW: Final = 130.0


@dataclass(frozen=True)
class RetrofitTarget:
    """The data center the site must become.

    critical_it_mw: critical IT power in MW (what the tenant's racks may draw; gross = IT x PUE).
    rack_density_kw: design kW per rack.
    cooling: "direct_to_chip" (CDUs and liquid loops, residual air), "air_rdhx" (air with rear-door
        heat exchangers) or "immersion".
    electrical_redundancy, mechanical_redundancy: "N", "N+1" or "2N".
    tier: Uptime-style tier "I" to "IV" (see ``TIER_AVAILABILITY``); each tier needs at least
        ``TIER_MIN_REDUNDANCY`` on both electrical and mechanical.
    reuse_buildings: reuse the mining halls (and their medium-voltage gear) rather than build new.
    backup_generation: install standby generators; only Tier I may go without.
    """

    critical_it_mw: float
    rack_density_kw: float = DEFAULT_RACK_DENSITY_KW
    cooling: str = "direct_to_chip"
    electrical_redundancy: str = "N+1"
    mechanical_redundancy: str = "N+1"
    tier: str = "III"
    reuse_buildings: bool = True
    backup_generation: bool = True

    def __post_init__(self) -> None:
        mw = self.critical_it_mw
        if not (isinstance(mw, int | float) and math.isfinite(mw) and mw > 0):
            raise RetrofitInputError(
                f"critical_it_mw={mw!r}: must be a finite number of MW greater than 0"
            )
        _one_of("cooling", self.cooling, COOLING_TECHNOLOGIES)
        _one_of("electrical_redundancy", self.electrical_redundancy, REDUNDANCY_LEVELS)
        _one_of("mechanical_redundancy", self.mechanical_redundancy, REDUNDANCY_LEVELS)
        _one_of("tier", self.tier, TIERS)
        low, high = RACK_DENSITY_RANGE_KW[self.cooling]
        density = self.rack_density_kw
        if not (isinstance(density, int | float) and low <= density <= high):
            raise RetrofitInputError(
                f"rack_density_kw={density!r}: cooling {self.cooling!r} supports "
                f"{low:g} to {high:g} kW per rack"
            )
        need = TIER_MIN_REDUNDANCY[self.tier]
        for name in ("electrical_redundancy", "mechanical_redundancy"):
            have = getattr(self, name)
            if REDUNDANCY_LEVELS.index(have) < REDUNDANCY_LEVELS.index(need):
                raise RetrofitInputError(
                    f"{name}={have!r}: tier {self.tier} needs at least {need!r} "
                    f"(allowed: {', '.join(REDUNDANCY_LEVELS[REDUNDANCY_LEVELS.index(need) :])})"
                )
        if not self.backup_generation and self.tier != "I":
            raise RetrofitInputError(
                f"backup_generation=False: tier {self.tier} needs standby generators; "
                "only tier 'I' may go without"
            )

    @property
    def availability(self) -> float:
        """Design availability of the tier, as a fraction of the year."""
        return TIER_AVAILABILITY[self.tier]

    @property
    def rack_count(self) -> float:
        """Racks at design density: critical IT kW / kW per rack."""
        return self.critical_it_mw * 1000.0 / self.rack_density_kw


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise RetrofitInputError(f"{name}={value!r}: must be one of {', '.join(allowed)}")


def _finite_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise RetrofitInputError(f"{name}={value!r}: must be a finite number >= 0")


def check_site(site: Site) -> None:
    """Raise ``RetrofitInputError`` if a site field the retrofit model reads is unusable.

    Unknown (None) fields are checked as their conservative values (``sites.unknowns``)."""
    site = resolve_unknowns(site)
    _finite_non_negative("power.contracted_mw", site.power.contracted_mw)
    _finite_non_negative("power.energized_mw", site.power.energized_mw)
    share = site.power.interruptible_share
    if not (isinstance(share, int | float) and 0.0 <= share <= 1.0):
        raise RetrofitInputError(f"power.interruptible_share={share!r}: must be within [0, 1]")
    sub = site.substation
    _finite_non_negative("substation.capacity_mva", known(sub.capacity_mva, "capacity_mva"))
    _finite_non_negative(
        "substation.high_side_voltage_kv", known(sub.high_side_voltage_kv, "high_side_voltage_kv")
    )
    _finite_non_negative("substation.distance_km", known(sub.distance_km, "distance_km"))
    _finite_non_negative("facility.hall_power_mw", site.facility.hall_power_mw)
    _finite_non_negative(
        "facility.building_area_m2", known(site.facility.building_area_m2, "building_area_m2")
    )
    _finite_non_negative(
        "connectivity.fiber_distance_km",
        known(site.connectivity.fiber_distance_km, "fiber_distance_km"),
    )
    if not (isinstance(site.facility.hall_count, int) and site.facility.hall_count >= 0):
        raise RetrofitInputError(
            f"facility.hall_count={site.facility.hall_count!r}: must be an integer >= 0"
        )
    dry = known(site.connectivity.design_dry_bulb_c, "design_dry_bulb_c")
    wet = known(site.connectivity.design_wet_bulb_c, "design_wet_bulb_c")
    low_c, high_c = DESIGN_TEMPERATURE_RANGE_C  # the inventory's range: value any site it accepts
    for name, value in (("design_dry_bulb_c", dry), ("design_wet_bulb_c", wet)):
        if not (isinstance(value, int | float) and low_c <= value <= high_c):
            raise RetrofitInputError(
                f"connectivity.{name}={value!r}: must be a design temperature in "
                f"{low_c:g}..{high_c:g} deg C"
            )
    if wet > dry:
        raise RetrofitInputError(
            f"connectivity.design_wet_bulb_c={wet!r}: must not exceed design_dry_bulb_c={dry!r}"
        )
    _one_of(
        "connectivity.water_availability",
        site.connectivity.water_availability,
        ("none", "limited", "ample"),
    )
