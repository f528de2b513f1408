"""Every unit-cost, lead-time and performance default of the retrofit model, in one place.

All money is 2025 US dollars. Each default says where it comes from and when. Sources were read from
archived copies compiled on 2026-11-29 (Hashpivot hosting fact sheet); nothing was checked live.

How the unit costs were set
---------------------------
Public sources give whole-project totals, not component prices (the fact sheet found no sourced
per-MW price for CDUs, chillers, dry coolers, rear doors, switchgear, UPS, generators or fiber). So
the component costs below are an engineering allocation of the published totals:

- Cushman & Wakefield, *Data Center Development Cost Guide 2025* (19 US markets): average
  $11.7M per MW of critical IT, split 53% critical capacity (electrical + mechanical), 21% shell,
  10% site, 10% white space, 4% back of house, 2% office.
- Alternative split (ibinterviewquestions.com, 2025): electrical 40-50%, mechanical 15-20%,
  powered shell and land 15-20%.
- Company-quoted conversion costs at mining sites: TeraWulf $8-10M, Cipher $9-11M per MW of
  critical IT (2025 releases); JLL 2025 global average $10.7M.
- Light retrofit of existing buildings: Riot Rockdale for AMD, $89.8M for 25 MW = $3.6M per MW
  (8-K, Jan 2026).
- Redundancy (N+1 versus 2N) swings MEP cost by 30-50% (build.inc developer guide, vendor blog).

The allocation is tuned so that a typical conversion (new shell on the mining site, direct-to-chip
liquid cooling at ~130 kW per rack, N+1 electrical and mechanical, Tier III) lands inside the
company-quoted $8-11M per MW, and a light retrofit (reused halls and MV gear, Tier I, no generators)
lands near Rockdale's $3.6M. The default target (reused halls, Tier III) on the example sites also
lands in $8-11M (riot-rockdale and cifr-odessa are tested), because single-path mining MV gear is
reused only for Tier I-II. ``tests/models/test_estimate.py`` checks all three. Replace these numbers
with your own via ``models.calibrate`` when you have a project history.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class UnitCost:
    """Low / base / high price of one unit of something, with its unit and basis."""

    low_usd: float
    base_usd: float
    high_usd: float
    unit: str
    basis: str

    def scaled(self, quantity: float) -> tuple[float, float, float]:
        """Low, base and high cost of ``quantity`` units, in USD."""
        return (self.low_usd * quantity, self.base_usd * quantity, self.high_usd * quantity)


_CW = "allocation of Cushman & Wakefield 2025 ($11.7M/MW avg, 53% critical capacity)"
_SHELL = "allocation of Cushman & Wakefield 2025 (21% shell); Sabre56 2024 ~5,000 sq ft/MW for AI"

UNIT_COSTS: Final = MappingProxyType(
    {
        # --- electrical (quantities: MW of facility load = critical IT x design PUE, unless noted)
        "mv_switchgear": UnitCost(
            250_000, 380_000, 520_000, "USD per MW facility load", f"{_CW}; electrical 40-50%"
        ),
        "unit_transformers": UnitCost(
            150_000, 220_000, 320_000, "USD per MW facility load", f"{_CW}; electrical 40-50%"
        ),
        "ups_batteries": UnitCost(
            330_000, 480_000, 650_000, "USD per MW critical IT", f"{_CW}; electrical 40-50%"
        ),
        "generators_fuel": UnitCost(
            450_000, 620_000, 820_000, "USD per MW facility load", f"{_CW}; electrical 40-50%"
        ),
        "lv_distribution": UnitCost(
            320_000, 450_000, 620_000, "USD per MW critical IT per path", f"{_CW}; white space 10%"
        ),
        "substation_upgrade": UnitCost(
            70_000,
            100_000,
            160_000,
            "USD per MVA of new substation capacity",
            "engineering estimate for HV/MV transformers and bays; lead time McKinsey 2025",
        ),
        "transmission_line": UnitCost(
            900_000,
            1_500_000,
            2_500_000,
            "USD per km of 69-345 kV line",
            "engineering estimate; applies only when an off-site substation must be upgraded",
        ),
        # --- mechanical (liquid loops per MW of liquid-cooled IT; heat rejection per MW of heat)
        "cdu_liquid_loops": UnitCost(
            480_000,
            650_000,
            900_000,
            "USD per MW liquid-cooled IT",
            f"{_CW}; mechanical 15-20%; Morgan Stanley ~$0.38M/MW for in-rack parts (tenant's)",
        ),
        "immersion_tanks": UnitCost(
            600_000,
            800_000,
            1_100_000,
            "USD per MW critical IT",
            f"{_CW}; mechanical 15-20% (tanks, fluid and CDUs)",
        ),
        "rear_door_hx": UnitCost(
            220_000, 320_000, 450_000, "USD per MW critical IT", f"{_CW}; mechanical 15-20%"
        ),
        "chillers": UnitCost(
            300_000, 420_000, 580_000, "USD per MW of chilled load", f"{_CW}; mechanical 15-20%"
        ),
        "air_handling": UnitCost(
            280_000, 400_000, 550_000, "USD per MW of air-cooled IT", f"{_CW}; mechanical 15-20%"
        ),
        "dry_coolers": UnitCost(
            220_000, 300_000, 420_000, "USD per MW of heat rejected", f"{_CW}; mechanical 15-20%"
        ),
        "adiabatic_coolers": UnitCost(
            250_000, 340_000, 470_000, "USD per MW of heat rejected", f"{_CW}; mechanical 15-20%"
        ),
        "cooling_towers": UnitCost(
            120_000, 180_000, 260_000, "USD per MW of heat rejected", f"{_CW}; mechanical 15-20%"
        ),
        # --- networking
        "fiber_route": UnitCost(
            30_000,
            50_000,
            100_000,
            "USD per km of fiber lateral",
            "engineering estimate for rural underground fiber (no sourced figure, 2026-11-29)",
        ),
        "meet_me_room": UnitCost(
            1_000_000,
            2_000_000,
            3_500_000,
            "USD per site",
            "engineering estimate (no sourced figure, 2026-11-29)",
        ),
        "network_fitout": UnitCost(
            50_000,
            80_000,
            130_000,
            "USD per MW critical IT",
            "engineering estimate: structured cabling and MMR gear (no sourced figure)",
        ),
        # --- shell, site, controls (quantities: m2 of building or MW critical IT)
        "new_shell": UnitCost(3_300, 4_300, 5_600, "USD per m2 of building", _SHELL),
        "reuse_shell": UnitCost(
            600,
            900,
            1_400,
            "USD per m2 of reused building",
            f"{_SHELL}; Riot Rockdale retrofit $3.6M/MW (Jan 2026)",
        ),
        "white_space_fitout": UnitCost(
            180_000,
            250_000,
            350_000,
            "USD per MW critical IT",
            "allocation of Cushman & Wakefield 2025 (10% white space, net of LV distribution)",
        ),
        "site_works_new": UnitCost(
            250_000,
            350_000,
            500_000,
            "USD per MW critical IT",
            "allocation of Cushman & Wakefield 2025 (10% site, land excluded: the miner owns it)",
        ),
        "site_works_reuse": UnitCost(
            60_000,
            100_000,
            160_000,
            "USD per MW critical IT",
            "allocation of Cushman & Wakefield 2025 (site); existing roads, pads and fences reused",
        ),
        "controls": UnitCost(
            140_000,
            200_000,
            280_000,
            "USD per MW critical IT",
            "allocation of Cushman & Wakefield 2025 (back of house 4%): BMS, EPMS, DCIM",
        ),
        "security_per_mw": UnitCost(
            20_000, 30_000, 45_000, "USD per MW critical IT", "engineering estimate"
        ),
        "security_site": UnitCost(
            600_000, 1_000_000, 1_600_000, "USD per site", "engineering estimate"
        ),
    }
)

# Soft costs (design, engineering, permits, commissioning) and contingency, as fractions.
# Source: common cost-plan practice; engineering estimate (no sourced figure in the 2026-11-29 sheet).
SOFT_COST_SHARE: Final = (0.08, 0.12, 0.15)  # of hard cost: low, base, high
CONTINGENCY_SHARE: Final = (0.05, 0.10, 0.20)  # of hard + soft cost: low, base, high

# Existing mining gear reused in a light retrofit costs this share of new (inspection, protection
# settings, refurbishment). Engineering estimate chosen so a Rockdale-like retrofit lands near
# $3.6M/MW (Riot 8-K, Jan 2026).
REUSE_COST_FACTOR: Final = 0.3

# Capacity multipliers for redundancy: N+1 adds one spare per four modules; 2N doubles the chain.
# Cross-check: 2N / N+1 = 1.6, inside the 30-50% "MEP swing" of build.inc 2025 once shell is added.
REDUNDANCY_CAPACITY_FACTOR: Final = MappingProxyType({"N": 1.0, "N+1": 1.25, "2N": 2.0})

# Distribution paths: Tier III is concurrently maintainable (a second, possibly passive, path);
# Tier IV is fault tolerant (two active paths). Uptime tier topology as summarised by
# datacenters.com and chloridepower.com (legacy Uptime material, 2026-11-29 fact sheet).
DISTRIBUTION_PATH_FACTOR: Final = MappingProxyType({"I": 1.0, "II": 1.0, "III": 1.5, "IV": 2.0})

# Building area per MW critical IT: white space per rack (rack + aisles + containment) plus support
# space (electrical and mechanical rooms, back of house). At 40 kW/rack this gives ~425 m2/MW,
# near Sabre56's ~5,000 sq ft (465 m2) per MW for AI/HPC (Sep 2024).
WHITE_SPACE_M2_PER_RACK: Final = 3.0
SUPPORT_SPACE_M2_PER_MW: Final = 350.0

# Fiber: a diverse second path is longer than the first because it must avoid shared conduits.
DIVERSE_ROUTE_LENGTH_FACTOR: Final = 1.5  # engineering estimate

# Substation sizing: apparent power from real power at this power factor; minimum high-side voltage
# for a given load (utility practice: loads above ~100 MVA are served at 115 kV and up, above
# ~20 MVA at 69 kV and up). Engineering estimate.
DESIGN_POWER_FACTOR: Final = 0.95
MIN_HIGH_SIDE_KV: Final = ((100.0, 115.0), (20.0, 69.0))  # (load MVA above, needs kV at least)


@dataclass(frozen=True)
class LineItem:
    """One row of a retrofit estimate: low / base / high USD, the basis, and its MACRS class.

    tax_class: 39 for shell and building, 15 for electrical and mechanical plant, site works and
    controls, 5 for IT-adjacent networking gear (see ``models.estimate`` for the reasoning).
    """

    group: str
    item: str
    low_usd: float
    base_usd: float
    high_usd: float
    basis: str
    tax_class: int


def line_item(
    group: str, item: str, key: str, quantity: float, quantity_text: str, tax_class: int
) -> LineItem:
    """A line item priced from ``UNIT_COSTS[key]`` times ``quantity`` (already in that unit).

    ``quantity_text`` says how the quantity was worked out; the basis joins it to the unit price
    and its source, so every number in the table can be traced.
    """
    unit = UNIT_COSTS[key]
    low, base, high = unit.scaled(quantity)
    basis = f"{quantity_text} x ${unit.base_usd:,.0f} {unit.unit} ({unit.basis})"
    return LineItem(group, item, low, base, high, basis, tax_class)
