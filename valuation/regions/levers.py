"""Large-load policy levers by region: scenario switches, off unless switched on.

Each lever names what it changes in the model (unpaid emergency curtailment hours, backup
generation capex for a firm AI tenant, a one-off study fee, an energy adder, months added to
time-to-power) with its source and date. ``lever_effects`` sums the switched-on levers;
``apply_levers`` turns them into a contract and programs the valuation already understands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from valuation.errors import ValuationError
from valuation.power import DemandResponseProgram, PowerContract

PATHS: tuple[str, ...] = ("miner", "ai", "both")


class LeverError(ValuationError, ValueError):
    """A lever that cannot be used (names the lever and what is allowed)."""


@dataclass(frozen=True)
class PolicyLever:
    """A rule that may change a site's numbers. All effects are per site; zero = no effect.

    unpaid_curtailment_hours_per_year: hours a year the whole load must stop, unpaid (miner path).
    backup_capex_usd_per_mw: backup generation a firm AI tenant implies, $ per MW of IT load.
    one_time_fee_usd: fees paid once at interconnection.
    energy_adder_usd_per_mwh: a tariff rider on energy drawn.
    queue_months: months added to time-to-power for a new or expanded interconnection.
    """

    key: str
    name: str
    grid_region: str
    applies_to: str
    description: str
    source: str
    status: str
    unpaid_curtailment_hours_per_year: float = 0.0
    backup_capex_usd_per_mw: float = 0.0
    one_time_fee_usd: float = 0.0
    energy_adder_usd_per_mwh: float = 0.0
    queue_months: float = 0.0
    enabled: bool = False

    def __post_init__(self) -> None:
        if self.applies_to not in PATHS:
            raise LeverError(f"PolicyLever.applies_to={self.applies_to!r}; one of {PATHS}")

    def on(self) -> PolicyLever:
        return replace(self, enabled=True)


ERCOT_LEVERS: tuple[PolicyLever, ...] = (
    PolicyLever(
        "tx_sb6_curtailment", "Texas SB 6 (2025): emergency curtailment of large loads", "ERCOT",
        "miner",
        "Loads of 75 MW+ interconnected after 2025-12-31 can be directed to curtail (or switch to "
        "backup generation) in firm load shed; modelled as unpaid hours of whole-site curtailment.",
        "SB 6 (89th Legislature, signed 2025-06-20), Utilities Code 37.0561(e) (capitol.texas.gov "
        "SB00006F; natlawreview.com 2025-07-08); 12 h/yr is an assumption",
        "assumption", unpaid_curtailment_hours_per_year=12.0,
    ),
    PolicyLever(
        "tx_sb6_backup", "Texas SB 6 (2025): backup generation for a firm AI tenant", "ERCOT", "ai",
        "A large load must disclose on-site backup generation able to serve 50%+ of demand, and "
        "ERCOT may direct its deployment in an emergency: an AI tenant wanting firm service needs "
        "it; modelled as backup capex per MW of IT.",
        "SB 6 37.0561(e) (disclosure of backup of at least 50% of demand; natlawreview.com "
        "2025-07-08); $1.0M/MW for diesel/gas gensets is an assumption", "assumption",
        backup_capex_usd_per_mw=1_000_000.0,
    ),
    PolicyLever(
        "tx_sb6_study_fee", "Texas SB 6 (2025): large-load interconnection study fee", "ERCOT",
        "both", "A flat screening study fee of at least $100,000 for a large-load interconnection.",
        "SB 6 37.0561 (butlersnow.com 2025-06; billtrack50.com TX SB6)", "published",
        one_time_fee_usd=100_000.0,
    ),
)  # fmt: skip

SPP_LEVERS: tuple[PolicyLever, ...] = (
    PolicyLever(
        "spp_chills", "SPP conditional high-impact large load service (CHILLS)", "SPP", "both",
        "SPP's 2025 High Impact Large Load policy lets a large load connect at once if it accepts "
        "curtailable service for up to five years; modelled as unpaid curtailment hours.",
        "SPP HILL/CHILLS policy, approved 2025 (niraenergy.com, PJM RTEP Q3 2025 update); "
        "50 h/yr of curtailment is an assumption", "assumption",
        unpaid_curtailment_hours_per_year=50.0,
    ),
)  # fmt: skip

CRYPTO_RIDER_LEVERS: tuple[PolicyLever, ...] = (
    PolicyLever(
        "ny_muni_crypto_rider", "New York municipal high-density-load rates", "NYISO", "miner",
        "New York let municipal utilities charge cryptocurrency loads higher, cost-based rates "
        "(NY PSC, 2018, after Plattsburgh's moratorium); modelled as an energy adder the user sets.",
        "NY PSC order on high-density load tariffs for municipal utilities, 2018 [recalled]; "
        "$10/MWh adder an assumption", "assumption", energy_adder_usd_per_mwh=10.0,
    ),
)  # fmt: skip


def _ercot_queue() -> PolicyLever:
    return queue_lever(
        "ERCOT", 30.0,
        "24-36+ months from site acquisition to power for a new large load in ERCOT, midpoint "
        "(DC Hub, 2026-07-01, citing ERCOT's interconnection queue report: 427 GW of requested "
        "load); a secondary source", "published",
    )  # fmt: skip


def queue_lever(region: str, months: float, source: str, status: str) -> PolicyLever:
    """Time-to-power from the region's large-load interconnection queue."""
    return PolicyLever(
        f"{region.lower()}_queue", f"{region}: large-load interconnection queue", region, "both",
        f"About {months:g} months from request to power for a new large load.", source, status,
        queue_months=months,
    )  # fmt: skip


ERCOT_LEVERS = (*ERCOT_LEVERS, _ercot_queue())

# Every lever any region lists (``Region.levers()``), by key: what ``Scenario.policy_levers``
# may name. A lever switched on changes only sites in its own region.
ALL_LEVERS: tuple[PolicyLever, ...] = (*ERCOT_LEVERS, *SPP_LEVERS, *CRYPTO_RIDER_LEVERS)
LEVER_KEYS: tuple[str, ...] = tuple(lever.key for lever in ALL_LEVERS)


def switched_on(levers: tuple[PolicyLever, ...], names: tuple[str, ...]) -> tuple[PolicyLever, ...]:
    """The levers among ``levers`` (a region's) whose key is in ``names``, switched on, in the
    region's order; names of other regions' levers are left aside (they change nothing here)."""
    wanted = set(names)
    return tuple(lever.on() for lever in levers if lever.key in wanted)


def lever_effects(levers: tuple[PolicyLever, ...], path: str) -> dict[str, float]:
    """Summed effects of the switched-on levers that apply to ``path`` ("miner" or "ai")."""
    if path not in ("miner", "ai"):
        raise LeverError(f"path={path!r} is not allowed; one of ('miner', 'ai')")
    keys = ("unpaid_curtailment_hours_per_year", "backup_capex_usd_per_mw", "one_time_fee_usd",
            "energy_adder_usd_per_mwh", "queue_months")  # fmt: skip
    out = dict.fromkeys(keys, 0.0)
    for lever in levers:
        if lever.enabled and lever.applies_to in (path, "both"):
            for k in keys:
                out[k] += float(getattr(lever, k))
    return out


def apply_levers(
    levers: tuple[PolicyLever, ...],
    contract: PowerContract,
    programs: tuple[DemandResponseProgram, ...],
    grid_region: str,
) -> tuple[PowerContract, tuple[DemandResponseProgram, ...]]:
    """The miner path's contract and programs with the switched-on levers applied: an energy
    adder goes into ``other_charges_usd_per_mwh``; unpaid curtailment becomes a zero-payment
    program committing the whole load for those hours. Nothing changes when all are off.

    ``valuation.strategies`` runs every mining row under the returned programs. As for any
    program (``valuation.mining``), deployment hours fall first in the hours the flexible load is
    already off for price (grid emergencies come with scarcity prices), so a price-responsive
    miner loses little to them and a miner on a flat tariff loses the hours."""
    eff = lever_effects(levers, "miner")
    if eff["energy_adder_usd_per_mwh"]:
        contract = replace(
            contract,
            other_charges_usd_per_mwh=contract.other_charges_usd_per_mwh
            + eff["energy_adder_usd_per_mwh"],
        )
    if eff["unpaid_curtailment_hours_per_year"]:
        programs = (
            *programs,
            DemandResponseProgram(
                name="Policy: mandatory emergency curtailment (unpaid)",
                committed_share=1.0,
                expected_deployment_hours_per_year=eff["unpaid_curtailment_hours_per_year"],
                grid_region=grid_region,
                paid_only_while_running=False,
                source="switched-on policy levers",
            ),
        )
    return contract, programs
