"""The site inventory schema: a ``Site`` and its parts, with units in every field name.

A site's power rights are gross MW at the meter; nothing here is critical IT power (that is
gross MW divided by a design PUE, decided by the retrofit model). Validation rules live in
``sites.validation``; these dataclasses only describe the shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

GRID_REGIONS: tuple[str, ...] = (
    "ERCOT",
    "PJM",
    "MISO",
    "SPP",
    "NYISO",
    "ISO-NE",
    "CAISO",
    "WECC non-ISO",
    "SERC non-ISO",
    "other",
)
COOLING_TYPES: tuple[str, ...] = ("air", "hydro", "immersion")
CONTRACT_TYPES: tuple[str, ...] = ("fixed_ppa", "index_plus_adder", "utility_tariff")
SUBSTATION_OWNERS: tuple[str, ...] = ("utility", "site")
WATER_AVAILABILITY: tuple[str, ...] = ("none", "limited", "ample")
SITE_STATUSES: tuple[str, ...] = ("operating", "under_construction", "planned")


@dataclass(frozen=True)
class Land:
    """Land held at the site, in acres."""

    acres_owned: float = 0.0
    acres_leased: float = 0.0
    acres_expansion: float = 0.0  # available for expansion, owned or under option


@dataclass(frozen=True)
class PowerRights:
    """Power rights at the meter (gross MW) and the supply contract."""

    energized_mw: float = 0.0
    contracted_mw: float = 0.0
    interruptible_share: float = 0.0  # fraction of contracted MW the grid may interrupt, [0, 1]
    contract_type: str = "index_plus_adder"  # one of CONTRACT_TYPES
    contract_price_usd_per_mwh: float = 0.0  # fixed price, or the adder over the index
    contract_expiry: date | None = None
    queue_mw: float = 0.0  # MW in the interconnection queue
    queue_energization_date: date | None = None


@dataclass(frozen=True)
class Substation:
    """The substation serving the site."""

    on_site: bool = True
    distance_km: float = 0.0  # 0 when on site
    capacity_mva: float = 0.0
    high_side_voltage_kv: float = 138.0
    owner: str = "utility"  # one of SUBSTATION_OWNERS


@dataclass(frozen=True)
class Facility:
    """Today's mining facility."""

    cooling_type: str = "air"  # one of COOLING_TYPES
    hall_count: int = 1
    hall_power_mw: float = 0.0  # gross MW per hall
    building_area_m2: float = 0.0
    fleet: tuple[tuple[str, int], ...] = ()  # (machine model name, unit count)


@dataclass(frozen=True)
class Connectivity:
    """Fiber, latency and climate: what an AI tenant asks about after power."""

    fiber_distance_km: float = 0.0  # to the nearest long-haul fiber route
    carrier_count: int = 0
    metro_distance_km: float = 0.0  # to the nearest major metro or internet exchange
    design_dry_bulb_c: float = 35.0  # ASHRAE 0.4% cooling design dry-bulb, deg C
    design_wet_bulb_c: float = 24.0  # ASHRAE 0.4% evaporation design wet-bulb, deg C
    water_availability: str = "limited"  # one of WATER_AVAILABILITY


@dataclass(frozen=True)
class Site:
    """One site of the inventory: identity and place, then its parts."""

    id: str
    name: str
    operator: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    county: str = ""
    state: str = ""  # two-letter US state code
    grid_region: str = "other"  # one of GRID_REGIONS
    land: Land = field(default_factory=Land)
    power: PowerRights = field(default_factory=PowerRights)
    substation: Substation = field(default_factory=Substation)
    facility: Facility = field(default_factory=Facility)
    connectivity: Connectivity = field(default_factory=Connectivity)
    status: str = "operating"  # one of SITE_STATUSES
    notes: str = ""
    source: str = ""  # where the public facts come from
    approximate: bool = False  # True where coordinates or figures are estimates

    @property
    def firm_mw(self) -> float:
        """Gross MW that is not interruptible: what an AI tenant's firm load may use."""
        return self.power.contracted_mw * (1.0 - self.power.interruptible_share)
