"""Monthly cash flows of a site's strategies, by name, valued in one batched finance call.

Strategies (``STRATEGY_ORDER``, also the tie-break order):

* ``keep_mining``: every hall mines (economic curtailment, economic shutdown of a fleet whose
  month's margin is negative, refresh-or-retire, fleets sold at used-ASIC prices as they leave);
* ``mining_with_dr``: the same with the region's demand-response programs;
* ``convert``: every hall converts once a tenant signs (build-to-suit: construction starts at
  signing, the schedule of ``models`` shifted to it);
* ``hybrid``: the first ``k`` halls convert, the rest keep mining (k = 1..H; k = H is convert);
* ``mine_then_convert``: keep mining and start looking for a tenant at a later decision month on a
  yearly grid inside the horizon (month 0 is convert, never is keep mining);
* ``sell_site``: sell the powered site (``valuation.site_sale``) and the fleet today.

A row is one candidate of one strategy (a hybrid's hall count, a start month). Every row is a
named block in :class:`RowPlan`, assembled once per site: which halls convert, at which schedule
shift, and the MW each mining profile carries. Converting rows are valued as the expectation over
the tenant: ``p x row + (1 - p) x keep mining`` (``p`` the site's signing probability). Adding a
strategy touches :func:`_row_plan` and ``STRATEGY_ORDER`` only.

Before tax everything is linear in MW per hall, so each hall's parts are built once per schedule
shift (rent at $1/kW-month, landlord costs, retrofit capex and its tax basis, the lease's value at
the horizon) and mining once per distinct stop month (:class:`MiningProfiles`). Tax (NOL carry-
forward) and terminal value are not linear, so every row goes through
``valuation.finance.project_cash_flows`` in one call of shape ``(..., R, n_months)``.

NPV by kind of cash flow (:class:`DiscountRates`): merchant mining (and the fleet's continuation
value) at the mining rate, contracted rent less landlord costs (and the lease's terminal value) at
the contracted-rent rate, retrofit capex at the construction rate, tax and the site sale at the
scenario's base rate. Equal rates give ``npv(rate, levered_fcf)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sites.schema import canonical_grid_region
from valuation.errors import StrategyError
from valuation.finance import (
    ProjectCashFlows,
    depreciation_by_class_usd,
    monthly_rate,
    project_cash_flows,
)
from valuation.hosting import (
    LeasePhase,
    LeaseTerms,
    check_critical_it_supported,
    construction_spend_usd,
    landlord_costs_usd,
    leased_critical_it_mw_by_phase,
    rent_usd_by_phase,
)
from valuation.market import DAYS_PER_YEAR
from valuation.mining import (
    HashpricePath,
    MiningAssumptions,
    MiningCashFlows,
    fleet_from_counts,
    hashprice_path,
    mining_cash_flows,
    used_asic_sale_usd_per_th,
)
from valuation.mining_profiles import profile_blocks
from valuation.power import DemandResponseProgram, PowerContract, PriceSeries, ScaledPricePoints
from valuation.regions import (
    PolicyLever,
    Region,
    apply_levers,
    lever_effects,
    overlay_history,
    region_for,
    switched_on,
)
from valuation.scenario import Scenario
from valuation.tenant import months_to_power, readiness_score

if TYPE_CHECKING:
    from datetime import date

    from models import RetrofitEstimate
    from sites.schema import Site

STRATEGY_ORDER: tuple[str, ...] = (
    "keep_mining",
    "mining_with_dr",
    "convert",
    "hybrid",
    "mine_then_convert",
    "sell_site",
)
CONVERTING: tuple[str, ...] = ("convert", "hybrid", "mine_then_convert")
NOT_CONVERTING: tuple[str, ...] = ("keep_mining", "mining_with_dr", "sell_site")
STRATEGY_LABELS: dict[str, str] = {
    "keep_mining": "Keep mining (economic curtailment and shutdown)",
    "mining_with_dr": "Keep mining with a demand-response partnership",
    "convert": "Convert the whole site to AI hosting",
    "hybrid": "Hybrid: convert some halls, mine on the rest",
    "mine_then_convert": "Mine now, convert later",
    "sell_site": "Sell the powered site",
}
MINING_CAPEX_CLASS = 5  # mining equipment: 5-year MACRS (fleet refresh)
RETROFIT_CLASSES = (5, 15, 39)


@dataclass(frozen=True)
class DiscountRates:
    """Yearly discount rates by kind of cash flow (fractions), see :class:`Scenario`."""

    mining: float
    contracted: float
    construction: float
    base: float

    @classmethod
    def of(cls, s: Scenario) -> DiscountRates:
        return cls(
            mining=s.mining_discount_rate_per_year,
            contracted=s.contracted_discount_rate_per_year,
            construction=s.construction_discount_rate_per_year,
            base=s.discount_rate_per_year,
        )

    def factors(self, n_months: int) -> dict[str, np.ndarray]:
        """Monthly discount factors ``(n_months,)`` per kind, month 0 undiscounted."""
        m = np.arange(n_months)
        return {
            k: (1.0 + float(monthly_rate(getattr(self, k)))) ** -m
            for k in ("mining", "contracted", "construction", "base")
        }


@dataclass(frozen=True)
class SiteFleet:
    """The fleet a site's mining is valued with: the assumptions and where they come from."""

    assumptions: MiningAssumptions
    source: str  # "site" (the inventory's machines) or "scenario"
    note: str  # one sentence for the page


def site_fleet(site: Site, scenario: Scenario) -> SiteFleet:
    """The site's own fleet when the inventory lists machines (their weighted J/TH, and their age
    from the commissioning year when stored), the scenario's fleet otherwise."""
    a = scenario.mining
    fleet = tuple(getattr(site.facility, "fleet", ()) or ())
    if not scenario.use_site_fleet or not fleet:
        why = "no machines in the inventory" if not fleet else "the scenario's fleet is chosen"
        return SiteFleet(a, "scenario", (
            f"Scenario fleet ({why}): {a.efficiency_j_per_th:.1f} J/TH, "
            f"{a.fleet_age_years:.1f} years old."))  # fmt: skip
    summary = fleet_from_counts(fleet)
    year = getattr(site.facility, "fleet_commissioning_year", None)
    as_of = scenario.market.as_of
    if year is not None:
        # Mid-year commissioning: age at the valuation date in years.
        age = max(0.0, as_of.year + (as_of.timetuple().tm_yday / DAYS_PER_YEAR) - (year + 0.5))
        age_txt = f"commissioned in {year}, {age:.1f} years old"
    else:
        age = a.fleet_age_years
        age_txt = f"age unknown, taken as the scenario's {age:.1f} years"
    assumptions = replace(a, efficiency_j_per_th=summary.efficiency_j_per_th, fleet_age_years=age)
    machines = ", ".join(f"{count:,} x {name}" for name, count in fleet)
    return SiteFleet(assumptions, "site", (
        f"Site fleet from the inventory: {machines} ({summary.efficiency_j_per_th:.1f} J/TH, "
        f"{age_txt})."))  # fmt: skip


@dataclass(frozen=True)
class MiningProfiles:
    """The 1-MW mining profiles a site's rows need, one per distinct stop month.

    Profile 0 mines every month (a kept hall, stop month inf); profile ``u >= 1`` mines until
    ``end_month[u]``, the construction start of the halls converting then. Mining is linear in
    MW, so the refresh decision (margin against capex, both per MW) is the same for any MW on
    the same profile, and halls stopping in the same month share one valuation.
    """

    power_mw: np.ndarray  # (P, n_months) 1 while mining, else 0
    end_month: np.ndarray  # (P,) first month without mining; inf for profile 0
    profile_of: np.ndarray  # (T, H) profile of each hall when it converts at shift index t
    # (P,) index of each profile in the full model's profiles (``on_rows`` keeps a subset)
    source_index: np.ndarray | None = None


@dataclass(frozen=True)
class HostingBlocks:
    """Per schedule shift ``t`` and hall ``h`` the pre-tax hosting parts, ``(T, H, n_months)``
    in USD (rent at $1/kW-month), and the lease's value at the horizon per unit of each NOI part,
    ``(T, 3, H)``: contracted NOI to the lease end and the capitalised renewal
    (``hall_terminal_values_usd``)."""

    rent_unit_usd: np.ndarray
    landlord_capex_usd: np.ndarray  # tax and insurance at the scenario capex
    landlord_fixed_usd: np.ndarray
    retrofit_capex_usd: dict[int, np.ndarray]
    retrofit_placed_in_service_usd: dict[int, np.ndarray]
    terminal_contracted: np.ndarray
    terminal_capitalised: np.ndarray
    construction_start_month: np.ndarray  # (T, H)
    ready_for_service_month: np.ndarray  # (T, H), delay included


@dataclass(frozen=True)
class RowPlan:
    """The named rows of a site, assembled once (module docstring).

    ``groups`` maps each strategy to the rows it chooses among (a row may serve several: the
    convert row is hybrid's ``k = H`` and mine-then-convert's month 0; keep mining is
    mine-then-convert's "never"). ``detail`` is a row's parameter: halls converted (hybrid and
    convert), the decision month (mine-then-convert), -1 otherwise.
    """

    key: tuple[str, ...]  # (R,) the block each row belongs to
    detail: np.ndarray  # (R,)
    converted: np.ndarray  # (R, H) bool
    shift_index: np.ndarray  # (R,) int, -1 for rows that convert nothing
    mining_weight_mw: np.ndarray  # (R, P) MW on each mining profile
    dr_row: int
    sale_row: int
    keep_row: int
    groups: dict[str, np.ndarray]

    @property
    def n_rows(self) -> int:
        return len(self.key)

    def subset(self, rows: np.ndarray) -> RowPlan:
        """The plan on ``rows`` only (keep mining, DR and sale must be among them); groups keep
        the rows they still have."""
        rows = np.asarray(rows, dtype=int)
        pos = {int(r): i for i, r in enumerate(rows)}
        groups = {
            k: np.array([pos[int(r)] for r in g if int(r) in pos], dtype=int)
            for k, g in self.groups.items()
        }
        return RowPlan(
            tuple(self.key[r] for r in rows), self.detail[rows], self.converted[rows],
            self.shift_index[rows], self.mining_weight_mw[rows], pos[self.dr_row],
            pos[self.sale_row], pos[self.keep_row], groups,
        )  # fmt: skip

    @property
    def signed(self) -> np.ndarray:
        """(R,) rows that need a tenant: valued as ``p x row + (1 - p) x keep mining``."""
        return np.asarray(self.converted.any(axis=1), dtype=bool)


@dataclass(frozen=True)
class SiteModel:
    """Everything a site's strategies are built from, under one scenario (no mutable state)."""

    site_id: str
    scenario: Scenario
    hall_names: tuple[str, ...]
    mining_mw_by_hall: np.ndarray  # (H,) gross MW given to mining today
    critical_it_mw_by_hall: np.ndarray  # (H,)
    shift_months: np.ndarray  # (T,) schedule shift of each conversion start
    decision_months: np.ndarray  # (T,) month the search for a tenant starts (0 = convert)
    retrofit_capex_total_usd: float  # at the scenario capex, with contingency
    landlord_per_rent: float
    hosting: HostingBlocks
    profiles: MiningProfiles
    plan: RowPlan
    hashprice: HashpricePath
    prices_usd_per_mwh: np.ndarray  # (n_months, points) price-duration curve per month
    contract: PowerContract
    fleet: SiteFleet
    lease_rate_usd_per_kw_month: float  # the site's achievable year-one rent
    signing_probability: float
    readiness_score: float
    months_to_power: int
    sale_proceeds_usd: float  # net of transaction costs, at the base price
    rates: DiscountRates
    # The scenario's demand-response programs that run in the site's grid region (an ERCOT
    # program pays nothing to a site in PJM); empty: the partnership row equals keep mining.
    dr_programs: tuple[DemandResponseProgram, ...] = ()
    grid_region: str = "ERCOT"  # canonical name of the site's region
    history_months: tuple[int, ...] = ()  # calendar months (1-12) priced from the user's history
    # A fixed-price contract that expires inside the horizon: the terms from month
    # ``contract_expiry_month`` on (the region's index + adder, or the scenario's renewal price);
    # mining is valued on ``contract`` before it and on these terms from it (``_mining``).
    contract_after_expiry: PowerContract | None = None
    contract_expiry_month: int | None = None
    # Programs every mining row runs under, unpaid (a switched-on policy lever's mandatory
    # curtailment); the partnership row adds ``dr_programs`` to them.
    mandatory_programs: tuple[DemandResponseProgram, ...] = ()
    levers_on: tuple[str, ...] = ()  # keys of the policy levers switched on in the site's region

    @property
    def n_halls(self) -> int:
        return len(self.hall_names)

    @property
    def n_months(self) -> int:
        return self.scenario.horizon_months

    @property
    def critical_it_mw(self) -> float:
        return float(self.critical_it_mw_by_hall.sum())

    @property
    def capex_usd_per_critical_mw(self) -> float:
        return self.retrofit_capex_total_usd / self.critical_it_mw

    @property
    def construction_start_month(self) -> np.ndarray:
        """(H,) construction start of each hall when converting (the convert row's schedule)."""
        return self.hosting.construction_start_month[0]

    @property
    def ready_for_service_month(self) -> np.ndarray:
        """(H,) ready-for-service month of each hall when converting, delay included."""
        return self.hosting.ready_for_service_month[0]

    @property
    def mining(self) -> MiningAssumptions:
        return self.fleet.assumptions


def build_site_model(
    site: Site,
    scenario: Scenario | None = None,
    retrofit: RetrofitEstimate | None = None,
    *,
    price_history: PriceSeries | None = None,
) -> SiteModel:
    """Every block of ``site``'s strategies under ``scenario`` (base when None), using
    ``retrofit`` (``models.estimate_retrofit(site)`` when None) for halls, schedule, PUE and capex.

    Power prices are the site's grid region's price-duration curve (``valuation.regions``); a
    ``price_history`` (``valuation.power.PriceSeries`` of whole calendar months) replaces it in
    the calendar months it covers (``SiteModel.history_months``)."""
    from models import estimate_retrofit

    scenario = scenario or Scenario()
    as_of = scenario.market.as_of
    retrofit = retrofit or estimate_retrofit(site, as_of=as_of)
    n = scenario.horizon_months
    crit, start, rfs = _hall_schedule(site, scenario, retrofit)
    # Only energized power can mine: a site waiting for its interconnection has no mining
    # business today (building one, machines and all, is not a strategy valued here).
    mining_mw = np.full(crit.size, site.power.energized_mw / crit.size)
    total, shares = _retrofit_capex(retrofit, scenario, float(crit.sum()))
    # The tenant: the site's rate and odds from its readiness.
    score = readiness_score(site, as_of)
    prospects = scenario.tenant_prospects
    rate = float(prospects.lease_rate_usd_per_kw_month(score, scenario.lease_rate_usd_per_kw_month))
    probability = float(prospects.signing_probability(score, scenario.tenant_signing_probability))
    power = _site_power(site, scenario, price_history)

    # Policy levers switched on in the site's region (``Scenario.policy_levers``): the AI path
    # pays the backup generation and study fees with its retrofit and waits out the queue when
    # it needs a new or larger interconnection; the miner path's contract and mandatory
    # curtailment come from ``apply_levers``. Unpaid curtailment hours are not valued on the AI
    # path (a firm tenant rides through on backup: the backup-capex lever).
    levers = switched_on(power.region.levers(), scenario.policy_levers)
    extra_capex_usd, power_month = _ai_lever_effects(levers, site, as_of, crit, retrofit)
    total += extra_capex_usd
    decisions, shifts = _conversion_starts(scenario, power_month, int(start.min()))
    hosting = _hosting_blocks(
        scenario, retrofit.design_pue, crit, start, rfs, total, shares, shifts, power.contract
    )
    contract, mandatory = apply_levers(levers, power.contract, (), power.region.name)
    after_expiry = power.after_expiry
    if after_expiry is not None:
        after_expiry = apply_levers(levers, after_expiry, (), power.region.name)[0]
    profiles = _mining_profiles(hosting.construction_start_month, n)
    per_rent = (
        scenario.hosting_costs.non_recoverable_share_of_rent
        if scenario.lease_structure == "triple_net"
        else 0.0
    )
    return SiteModel(
        dr_programs=power.programs,
        grid_region=power.region.name,
        history_months=power.history_months,
        contract_after_expiry=after_expiry,
        contract_expiry_month=power.expiry_month,
        mandatory_programs=mandatory,
        levers_on=tuple(lever.key for lever in levers),
        site_id=site.id,
        scenario=scenario,
        hall_names=tuple(h.hall for h in retrofit.halls),
        mining_mw_by_hall=mining_mw,
        critical_it_mw_by_hall=crit,
        shift_months=shifts,
        decision_months=decisions,
        retrofit_capex_total_usd=float(total),
        landlord_per_rent=float(per_rent),
        hosting=hosting,
        profiles=profiles,
        plan=_row_plan(profiles, mining_mw, shifts, decisions),
        hashprice=hashprice_path(scenario.market, n),
        # A fixed price or tariff: the curve gives the resale value of curtailed energy (fixed
        # PPA) or nothing (tariff: the flat price is the only signal).
        prices_usd_per_mwh=(
            power.prices_usd_per_mwh
            if contract.contract_type != "utility_tariff"
            else np.empty((n, 0))
        ),
        contract=contract,
        fleet=site_fleet(site, scenario),
        lease_rate_usd_per_kw_month=rate,
        signing_probability=probability,
        readiness_score=score,
        months_to_power=power_month,
        sale_proceeds_usd=float(scenario.sale.net_proceeds_usd(site)),
        rates=DiscountRates.of(scenario),
    )


def _ai_lever_effects(
    levers: tuple[PolicyLever, ...],
    site: Site,
    as_of: date,
    crit: np.ndarray,
    retrofit: RetrofitEstimate,
) -> tuple[float, int]:
    """What switched-on levers do to the AI path: backup generation (USD per critical IT MW)
    and one-time fees added to the retrofit capex, and the queue's months added to the time to
    power when the site needs a new or larger interconnection. Returns ``(extra capex USD,
    months to power)``."""
    ai = lever_effects(levers, "ai")
    extra_usd = ai["backup_capex_usd_per_mw"] * float(crit.sum()) + ai["one_time_fee_usd"]
    power_month = months_to_power(site, as_of)
    needs_interconnection = (
        power_month > 0 or site.power.energized_mw + 1e-9 < float(crit.sum()) * retrofit.design_pue
    )
    if ai["queue_months"] and needs_interconnection:
        power_month += int(math.ceil(ai["queue_months"]))
    return extra_usd, power_month


def _hall_schedule(
    site: Site, scenario: Scenario, retrofit: RetrofitEstimate
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each hall's critical IT MW, construction start and ready-for-service month (the
    retrofit's schedule), refused by name when the firm power cannot carry the IT load or a
    hall is ready before it is built."""
    halls = retrofit.halls
    crit = np.array([h.critical_it_mw for h in halls], dtype=float)
    check_critical_it_supported(
        site, float(crit.sum()), retrofit.design_pue, firmed=scenario.firmed
    )
    start = np.array([h.construction_start_month for h in halls], dtype=int)
    rfs = np.array([h.ready_for_service_month for h in halls], dtype=int)
    if np.any(rfs < start):
        raise StrategyError(
            f"ready_for_service_month={rfs.tolist()} is not allowed: a hall cannot be ready before "
            f"its construction_start_month={start.tolist()}"
        )
    return crit, start, rfs


def _conversion_starts(
    scenario: Scenario, months_to_power: int, first_start_month: int
) -> tuple[np.ndarray, np.ndarray]:
    """Decision months (0 = convert now, then the yearly grid of mine-then-convert) and each
    one's schedule shift: the tenant signs at the decision month plus the lease-up, no earlier
    than the site has power; construction starts at signing. A later start must begin inside
    the horizon; convert itself is always valued (its halls may start past the horizon)."""
    n = scenario.horizon_months
    decisions = np.arange(0, n, scenario.mine_then_convert_step_months)
    signing = np.maximum(decisions + scenario.lease_up_months, months_to_power)
    shifts = np.maximum(0, signing - first_start_month)
    keep = (first_start_month + shifts) < n
    keep[0] = True
    return decisions[keep], shifts[keep]


@dataclass(frozen=True)
class _SitePower:
    """The site's market and contract: region, price curve by month, programs, and the terms
    after a fixed contract's expiry (None when it does not expire inside the horizon)."""

    region: Region
    prices_usd_per_mwh: np.ndarray  # (n_months, points) the curve by calendar month
    history_months: tuple[int, ...]
    contract: PowerContract
    after_expiry: PowerContract | None
    expiry_month: int | None
    programs: tuple[DemandResponseProgram, ...]


def _site_power(site: Site, scenario: Scenario, price_history: PriceSeries | None) -> _SitePower:
    """The site's region curve (a user history in the calendar months it covers), its contract
    (an unknown price at the region's index plus its default adder), the terms after expiry,
    and the programs that pay it (the region's defaults, or the scenario's in that region)."""
    n = scenario.horizon_months
    region = region_for(site.grid_region)
    curve = region.price_curve(scenario.price_curve_points)
    covered: tuple[int, ...] = ()
    if price_history is not None:
        curve, covered_months = overlay_history(curve, price_history)
        covered = tuple(int(m) for m in covered_months)
    index_usd_per_mwh = float(curve.prices_usd_per_mwh.mean())
    contract = PowerContract.from_site(
        site,
        index_price_usd_per_mwh=index_usd_per_mwh,
        contract_price_usd_per_mwh=scenario.power_price_usd_per_mwh,
        unknown_adder_usd_per_mwh=region.default_adder_usd_per_mwh,  # unknown site price
    )
    after, month = _contract_after_expiry(site, scenario, region, contract, n, index_usd_per_mwh)
    if after is not None and month == 0:  # expired already: the new terms only
        contract, after, month = after, None, None
    if scenario.dr_programs is None:
        programs = region.programs(scenario.market.as_of)
    else:  # the user's programs, each only in its own region
        programs = tuple(
            p for p in scenario.dr_programs if canonical_grid_region(p.grid_region) == region.name
        )
    cal_month = (scenario.market.as_of.month - 1 + np.arange(n)) % 12
    return _SitePower(region, curve.prices_usd_per_mwh[cal_month], covered, contract, after,
                      month, programs)  # fmt: skip


def _contract_after_expiry(
    site: Site,
    scenario: Scenario,
    region: Region,
    contract: PowerContract,
    n_months: int,
    index_usd_per_mwh: float,
) -> tuple[PowerContract | None, int | None]:
    """The terms after a fixed-price contract's ``contract_expiry`` and the month index (from
    the valuation date's month) they start, when that falls before the horizon's end; else
    ``(None, None)``. A month starting on or after the expiry month is on the new terms (as
    ``valuation.regions.contract_price_schedule``): the region's index plus
    ``Region.default_adder_usd_per_mwh``, or a fixed renewal at
    ``Scenario.renewal_power_price_usd_per_mwh`` when given. Index contracts and tariffs do not
    expire here. Month 0 means already expired."""
    expiry = site.power.contract_expiry
    if contract.contract_type != "fixed_ppa" or expiry is None:
        return None, None
    as_of = scenario.market.as_of
    month = (expiry.year - as_of.year) * 12 + (expiry.month - as_of.month)
    if month >= n_months:
        return None, None
    renewal = scenario.renewal_power_price_usd_per_mwh
    if renewal is not None:
        after = replace(contract, price_usd_per_mwh=float(renewal))
    else:
        after = replace(
            contract,
            contract_type="index_plus_adder",
            price_usd_per_mwh=index_usd_per_mwh,  # the index level where no curve is used
            adder_usd_per_mwh=region.default_adder_usd_per_mwh,
        )
    return after, max(0, month)


def _retrofit_capex(
    retrofit: RetrofitEstimate, scenario: Scenario, critical_it_mw: float
) -> tuple[float, dict[int, float]]:
    """Total retrofit capex (USD, contingency included) and its share by MACRS class."""
    by_class = retrofit.capex_by_class_usd(scenario.capex_scenario)
    class_total = sum(by_class.values())
    if scenario.capex_usd_per_critical_mw is not None:
        total = scenario.capex_usd_per_critical_mw * critical_it_mw
        shares = {c: (v / class_total if class_total > 0 else (1.0 if c == 39 else 0.0))
                  for c, v in by_class.items()}  # fmt: skip
    else:
        total = class_total
        shares = {c: (v / class_total if class_total > 0 else 0.0) for c, v in by_class.items()}
    return total * (1.0 + scenario.contingency), shares


def _hosting_blocks(
    scenario: Scenario,
    design_pue: float,
    crit: np.ndarray,
    start: np.ndarray,
    rfs: np.ndarray,
    total_capex_usd: float,
    shares: dict[int, float],
    shifts: np.ndarray,
    contract: PowerContract,
) -> HostingBlocks:
    """:class:`HostingBlocks` for each schedule shift.

    A shifted schedule's parts are the unshifted ones moved ``t`` months later: rent, landlord
    costs and construction spend depend only on the months since each hall's own start. So one
    schedule is built on a grid long enough for the largest shift and every lease's terminal
    window, and each shift reads its window of it (no loop over shifts).
    """
    n = scenario.horizon_months
    delay = scenario.construction_delay_months
    t = np.asarray(shifts, dtype=int)
    term_months = int(round(scenario.lease_term_years * 12))
    lease_end = rfs + delay + term_months  # (H,) first month after each base term, unshifted
    n_ext = max(n, int(lease_end.max()) + int(t.max())) + 12
    hall_capex = total_capex_usd * crit / crit.sum()
    spend = construction_spend_usd(hall_capex, start, rfs, n_ext, delay_months=delay)
    # MACRS starts when a hall is placed in service (IRS Pub 946 ch. 3), not while it is built:
    # the hall's cumulative spend becomes basis at its ready-for-service month (spend after it,
    # if any, as it is paid). A hall not in service by the horizon stays construction in progress.
    in_service = np.arange(n_ext)[None, :] >= (rfs + delay)[:, None]
    placed = np.diff(np.cumsum(spend, axis=-1) * in_service, axis=-1, prepend=0.0)
    lease = LeaseTerms(
        critical_it_mw=float(crit.sum()),
        rate_usd_per_kw_month=1.0,
        term_years=scenario.lease_term_years,
        escalator_per_year=scenario.lease_escalator_per_year,
        structure=scenario.lease_structure,
        design_pue=design_pue,
        free_rent_months=scenario.free_rent_months,
        phases=tuple(LeasePhase(float(c), int(r) + delay) for c, r in zip(crit, rfs, strict=True)),
        renewal_probability=scenario.renewal_probability,
        # Renewed in expectation for good: the extended grid's end, in whole years.
        renewal_term_years=float(math.ceil(n_ext / 12)),
        credit=scenario.tenant_credit,
    )
    rent_unit = rent_usd_by_phase(lease, n_ext)
    capex_part, fixed = _landlord_parts(
        scenario, design_pue, contract, leased_critical_it_mw_by_phase(lease, n_ext),
        hall_capex[:, None] * in_service, rent_unit.shape,
    )  # fmt: skip
    per_rent = (
        scenario.hosting_costs.non_recoverable_share_of_rent
        if scenario.lease_structure == "triple_net"
        else 0.0
    )
    components = np.stack([rent_unit * (1.0 - per_rent), capex_part, fixed])  # (3, H, n_ext)
    contracted, capitalised = _terminal_coefficients(scenario, components, lease_end, t)

    # Shift t reads months m - t of the unshifted grid (nothing before its start).
    idx = np.arange(n)[None, :] - t[:, None]  # (T, n)
    valid = (idx >= 0)[:, None, :]

    def window(a: np.ndarray) -> np.ndarray:  # (H, n_ext) -> (T, H, n)
        return np.where(valid, a[:, np.maximum(idx, 0)].transpose(1, 0, 2), 0.0)

    spend_t = window(spend)
    # Capex still to spend after the horizon is owed before the lease it buys: it lowers the
    # hall's value at the horizon (scales with capex like the capex-driven landlord cost).
    remaining = hall_capex[None, :] - spend_t.sum(axis=-1)
    contracted[:, 1, :] += np.where(remaining > 1e-9 * hall_capex[None, :], remaining, 0.0)
    placed_t = window(placed)
    return HostingBlocks(
        rent_unit_usd=window(rent_unit),
        landlord_capex_usd=window(capex_part),
        landlord_fixed_usd=window(fixed),
        retrofit_capex_usd={c: spend_t * shares.get(c, 0.0) for c in RETROFIT_CLASSES},
        retrofit_placed_in_service_usd={c: placed_t * shares.get(c, 0.0) for c in RETROFIT_CLASSES},
        terminal_contracted=contracted,
        terminal_capitalised=capitalised,
        construction_start_month=start[None, :] + t[:, None],
        ready_for_service_month=rfs[None, :] + delay + t[:, None],
    )


def _landlord_parts(
    scenario: Scenario,
    design_pue: float,
    contract: PowerContract,
    leased_mw: np.ndarray,
    capex_in_service_usd: np.ndarray,
    shape: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """The landlord's costs per hall and month that do not scale with rent: the part that scales
    with capex (tax, insurance) and the fixed part (opex, all-in power); zero when triple net
    (whose non-recoverable cost is a share of rent)."""
    if scenario.lease_structure == "triple_net":
        return np.zeros(shape), np.zeros(shape)
    price = contract.price_usd_per_mwh + contract.adder_usd_per_mwh

    def landlord(structure: str, mw: np.ndarray, capex: np.ndarray) -> np.ndarray:
        cost = landlord_costs_usd(structure, leased_critical_it_mw=mw, rent_usd=np.zeros(1),
                                  capex_in_service_usd=capex, costs=scenario.hosting_costs,
                                  power_price_usd_per_mwh=price, design_pue=design_pue)  # fmt: skip
        return np.broadcast_to(cost, shape)

    return (
        landlord("modified_gross", 0.0 * leased_mw, capex_in_service_usd),
        landlord(scenario.lease_structure, leased_mw, 0.0 * capex_in_service_usd),
    )


def _terminal_coefficients(
    scenario: Scenario, components: np.ndarray, lease_end_month: np.ndarray, shifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each hall's value at the horizon per unit of each NOI part, for every schedule shift:
    contracted and capitalised, ``(T, 3, H)``, at the contracted-rent rate (stated at month
    ``n - 1``, like every terminal value here).

    ``components`` ``(3, H, n_ext)`` are the unshifted schedule's NOI parts (rent at $1/kW-month
    net of the rent-proportional cost, capex-driven cost, fixed cost); under shift ``t`` month
    ``j`` of them falls in month ``j + t``. With ``S = max(lease end + t, n)``, the first month
    the hall's base lease no longer covers (or the first month after the horizon for a hall
    already in its renewal):

    * contracted: months ``n <= m < S`` discounted, ``(1 + r) ** -(m - n + 1)``;
    * capitalised: the twelve months ``S <= m < S + 12`` (the renewal NOI, already weighted by
      ``renewal_probability`` in the rent and leased MW) times the capitalisation factor
      ``1 / exit_cap_rate`` (exit cap) or ``1 / (r_year - growth)`` (perpetuity), discounted
      ``(1 + r) ** -(S - n)``: the value at month ``S - 1`` of the flows from ``S`` on.

    So a lease still running at the horizon is worth its remaining contracted NOI plus
    ``renewal_probability`` x the exit-cap value at its end, and a lease that ended inside the
    horizon (rent already renewal-weighted since its end) is worth the exit-cap value of its
    expected NOI: one renewal mechanism whichever side of the horizon a lease ends. Method
    "none": all zero.
    """
    terminal = scenario.terminal
    n = scenario.horizon_months
    t, h = shifts.size, lease_end_month.size
    if terminal.method == "none":
        return np.zeros((t, 3, h)), np.zeros((t, 3, h))
    rate = scenario.contracted_discount_rate_per_year
    r_month = float(monthly_rate(rate))
    if terminal.method == "exit_cap":
        cap_factor = 1.0 / terminal.exit_cap_rate
    else:
        spread = rate - terminal.growth_per_year
        if spread <= 0:
            raise StrategyError(
                f"terminal.growth_per_year={terminal.growth_per_year!r} is not allowed: a "
                f"perpetuity needs it below the contracted-rent discount rate {rate!r}"
            )
        cap_factor = 1.0 / spread
    month = np.arange(components.shape[-1], dtype=float)[None, None, :] + shifts[:, None, None]
    s = np.maximum(lease_end_month[None, :] + shifts[:, None], n).astype(float)[..., None]
    w_contracted = np.where(
        (month >= n) & (month < s), (1.0 + r_month) ** -(month - n + 1.0), 0.0
    )  # (T, H, n_ext)
    w_capitalised = np.where(
        (month >= s) & (month < s + 12.0), cap_factor * (1.0 + r_month) ** -(s - n), 0.0
    )
    return (
        np.einsum("chj,thj->tch", components, w_contracted),
        np.einsum("chj,thj->tch", components, w_capitalised),
    )


def _mining_profiles(construction_start: np.ndarray, n_months: int) -> MiningProfiles:
    """Profile 0 (mine throughout) and one per distinct construction start ``(T, H)``."""
    starts = np.unique(construction_start)
    end = np.r_[np.inf, starts.astype(float)]
    profile_of = 1 + np.searchsorted(starts, construction_start)
    power = (np.arange(n_months)[None, :] < end[:, None]).astype(float)
    return MiningProfiles(power_mw=power, end_month=end, profile_of=profile_of)


def _row_plan(
    profiles: MiningProfiles, mining_mw: np.ndarray, shifts: np.ndarray, decisions: np.ndarray
) -> RowPlan:
    """The site's named rows (module docstring): keep, DR, convert, hybrids k = 1..H-1, each
    later decision month of mine-then-convert, sale."""
    h = mining_mw.size
    t = shifts.size
    first_k = np.tril(np.ones((h, h), dtype=bool))  # row k-1: halls 1..k converted
    blocks: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = [
        ("keep_mining", np.zeros((1, h), bool), np.array([-1]), np.array([-1])),
        ("mining_with_dr", np.zeros((1, h), bool), np.array([-1]), np.array([-1])),
        ("convert", np.ones((1, h), bool), np.array([0]), np.array([h])),
        ("hybrid", first_k[:-1], np.zeros(h - 1, int), np.arange(1, h)),
        ("mine_then_convert", np.ones((t - 1, h), bool), np.arange(1, t), decisions[1:]),
        ("sell_site", np.zeros((1, h), bool), np.array([-1]), np.array([-1])),
    ]
    key = tuple(name for name, conv, _, _ in blocks for _ in range(conv.shape[0]))
    converted = np.concatenate([b[1] for b in blocks])
    shift_index = np.concatenate([b[2] for b in blocks]).astype(int)
    detail = np.concatenate([b[3] for b in blocks]).astype(int)
    r = len(key)
    idx = {name: np.flatnonzero(np.array(key) == name) for name in STRATEGY_ORDER}
    dr_row, sale_row, keep_row, convert_row = (
        int(idx[k][0]) for k in ("mining_with_dr", "sell_site", "keep_mining", "convert")
    )
    # MW on each profile: a converted hall mines on its shift's profile, a kept one on profile 0.
    prof = np.where(converted, profiles.profile_of[np.maximum(shift_index, 0)], 0)  # (R, H)
    weight = np.zeros((r, profiles.end_month.size))
    np.add.at(weight, (np.repeat(np.arange(r), h), prof.ravel()), np.tile(mining_mw, r))
    weight[[dr_row, sale_row]] = 0.0  # the DR row mines through its own call; a sold site not
    groups = {
        "keep_mining": idx["keep_mining"],
        "mining_with_dr": idx["mining_with_dr"],
        "convert": idx["convert"],
        "hybrid": np.r_[idx["hybrid"], convert_row],
        "mine_then_convert": np.r_[convert_row, idx["mine_then_convert"], keep_row],
        "sell_site": idx["sell_site"],
    }
    return RowPlan(key, detail, converted, shift_index, weight, dr_row, sale_row, keep_row, groups)


@dataclass(frozen=True)
class RowValues:
    """What :func:`evaluate` returns, batched over the drivers' leading axes ``(...)``.

    ``npv_usd`` ``(..., R)``: each row's NPV with the tenant expectation applied to converting
    rows; ``npv_signed_usd`` the same rows as if the tenant had signed (``p = 1``). With
    ``full``: ``flows`` (the finance engine's arrays, tenant expectation applied) and ``parts``,
    the pre-tax components ``(..., R, n)`` (``mining_net_usd``, ``rent_usd``, ``landlord_usd``,
    ``retrofit_capex_usd``, ``sale_usd``, ``terminal_lease_usd`` and ``terminal_mining_usd`` at
    the last month) and their present values ``pv_usd`` by name ``(..., R)``;
    ``levered_fcf_signed_usd`` ``(..., R, n)`` the levered free cash flow as if the tenant had
    signed (the money a conversion needs when it goes ahead).
    """

    npv_usd: np.ndarray
    npv_signed_usd: np.ndarray
    flows: ProjectCashFlows | None = None
    parts: dict[str, np.ndarray] | None = None
    pv_usd: dict[str, np.ndarray] | None = None
    levered_fcf_signed_usd: np.ndarray | None = None


class MiningRows(NamedTuple):
    """:func:`mining_blocks` already summed onto the plan's rows: ``rows`` each key ``(..., R,
    n)`` (continuation value ``(..., R)``), ``dr`` the site's DR row as in the blocks. Cheaper
    than the per-profile blocks when a model has fewer rows than profiles (the Monte Carlo's
    chosen rows); :func:`evaluate` takes either."""

    rows: dict[str, np.ndarray]
    dr: dict[str, np.ndarray]


def mining_blocks(
    model: SiteModel,
    hashprice_usd_per_ph_day: np.ndarray | None = None,
    *,
    assumptions: MiningAssumptions | None = None,
    contract: PowerContract | None = None,
    prices: np.ndarray | ScaledPricePoints | None = None,
    per_row: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Mining per gross MW on each profile ``(..., P, n)`` (continuation value ``(..., P)``) and
    the whole site's DR row ``(..., n)`` / ``(...)``, for a hashprice path ``(n,)`` or
    ``(K, n)`` (the scenario's when None) and price points ``(points,)``, ``(n, points)`` or
    ``(K, n, points)`` (the model's curve when None). Keys: revenue (credits, DR payments and
    fleet sales included), opex (power and site costs), capex (refresh), continuation_value.
    The profiles come from ``valuation.mining_profiles.profile_blocks`` (the per-MW economics
    once per path, the stop rules per profile; equal to ``_mining`` on the profile mask).
    ``per_row``: a :class:`MiningRows` (the rows' sums) instead of the per-profile blocks."""
    hp = np.asarray(
        model.hashprice.hashprice_usd_per_ph_day
        if hashprice_usd_per_ph_day is None
        else hashprice_usd_per_ph_day,
        dtype=float,
    )
    prof, s = model.profiles, model.scenario
    if prices is None and model.prices_usd_per_mwh.shape[-1]:
        unit_prices: np.ndarray | ScaledPricePoints | None = model.prices_usd_per_mwh
    else:
        unit_prices = prices
    expiring = contract is None and model.contract_after_expiry is not None
    if model.mandatory_programs or expiring:
        # Programs every row must take (switched-on levers) or a contract that changes inside
        # the horizon: the general path (the fast kernel takes neither), on (..., P, n): per-path
        # prices get the profiles' axis.
        if isinstance(prices, ScaledPricePoints):
            on_profiles: np.ndarray | ScaledPricePoints | None = ScaledPricePoints(
                prices.points_usd_per_mwh, prices.scale[..., None, :]
            )
        elif prices is not None and np.ndim(prices) == 3:
            on_profiles = np.asarray(prices)[:, None]
        else:
            on_profiles = prices
        unit = _mining(model, prof.power_mw, hp[..., None, :], (), assumptions, contract,
                       on_profiles, prof.end_month)  # fmt: skip
        if per_row:
            unit = _profiles_to_rows(model.plan.mining_weight_mw, unit)
    else:
        unit = profile_blocks(
            hp, prof.end_month, assumptions=assumptions or model.mining,
            contract=contract or model.contract, prices=unit_prices, start=s.market.as_of,
            discount_rate_per_year=model.rates.mining, economic_shutdown=s.economic_shutdown,
            salvage=s.fleet_salvage,
            weights_mw=model.plan.mining_weight_mw if per_row else None,
        )  # fmt: skip
        unit["continuation_value"] = unit["continuation_value"] * (s.terminal.method != "none")
    dr = _mining(model, float(model.mining_mw_by_hall.sum()), hp, model.dr_programs,
                 assumptions, contract, prices, None)  # fmt: skip
    return MiningRows(unit, dr) if per_row else (unit, dr)


def _profiles_to_rows(weights_mw: np.ndarray, unit: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-profile mining blocks (monthly keys ``(..., P, n)``, the continuation value
    ``(..., P)``) summed onto rows at their MW ``weights_mw`` ``(R, P)``."""
    return {
        k: v @ weights_mw.T
        if k == "continuation_value"
        else np.einsum("rp,...pn->...rn", weights_mw, v)
        for k, v in unit.items()
    }


def _mining(
    model: SiteModel,
    power_mw: np.ndarray | float,
    hashprice_usd_per_ph_day: np.ndarray,
    programs: tuple,
    assumptions: MiningAssumptions | None,
    contract: PowerContract | None,
    prices: np.ndarray | ScaledPricePoints | None,
    power_end_month: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Pre-tax mining rows from ``valuation.mining.mining_cash_flows`` at the mining rate, under
    the model's mandatory programs (switched-on policy levers) plus ``programs``.

    A fixed contract expiring inside the horizon (``SiteModel.contract_after_expiry``) takes two
    mining calls, one on each contract over the whole horizon, blended by month: the fixed
    contract's months before ``contract_expiry_month``, the new terms' from it on (and their
    value at the horizon). Each call's refresh-or-retire test sees its own contract for the
    whole life of a fleet, an approximation around the expiry month. An explicit ``contract``
    replaces both for every month."""
    s = model.scenario
    if prices is None:
        prices = model.prices_usd_per_mwh if model.prices_usd_per_mwh.shape[-1] else None
    programs = (*model.mandatory_programs, *programs)

    def run(terms: PowerContract) -> dict[str, np.ndarray]:
        mcf = mining_cash_flows(
            power_mw, hashprice_usd_per_ph_day, assumptions=assumptions or model.mining,
            contract=terms, prices=prices, programs=programs,
            start=s.market.as_of, discount_rate_per_year=model.rates.mining,
            power_end_month=power_end_month, economic_shutdown=s.economic_shutdown,
            salvage=s.fleet_salvage,
        )  # fmt: skip
        return mining_rows(mcf, s)

    before = run(contract or model.contract)
    if (
        contract is not None
        or model.contract_after_expiry is None
        or model.contract_expiry_month is None
    ):
        return before
    after = run(model.contract_after_expiry)
    expired = np.arange(model.n_months) >= model.contract_expiry_month
    blended = {k: np.where(expired, after[k], before[k]) for k in ("revenue", "opex", "capex")}
    blended["continuation_value"] = after["continuation_value"]
    return blended


def mining_rows(mcf: MiningCashFlows, scenario: Scenario) -> dict[str, np.ndarray]:
    """A strategy row's mining parts from ``mining_cash_flows``: revenue (with credits, DR
    payments and fleet sales), opex (power and site costs), capex (refresh) and the running
    fleet's continuation value (0 when the terminal method is "none": nothing is valued past
    the horizon)."""
    valued = scenario.terminal.method != "none"
    return {
        "revenue": mcf.revenue_usd + mcf.curtailment_credit_usd + mcf.dr_payment_usd
        + mcf.salvage_usd,
        "opex": mcf.power_cost_usd + mcf.opex_usd,
        "capex": mcf.capex_usd,
        "continuation_value": mcf.continuation_value_usd * valued,
    }  # fmt: skip


def hall_terminal_values_usd(
    model: SiteModel,
    lease_rate_usd_per_kw_month: np.ndarray | float,
    capex_scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Each hall's value (USD) at the horizon on each row of the plan, at the row's schedule
    shift, ``(..., R, H)``: ``contracted NOI value + max(0, capitalised NOI value)`` (a renewal
    that would lose money is not signed). ``lease_rate_usd_per_kw_month`` is ``(..., R)`` per
    row or ``(..., 1)`` for every row; ``capex_scale`` ``(...)``. NOI is linear in the drivers
    (rent x rate, landlord capex-driven cost x capex scale), so each part is
    ``rate * a - k * b - c``."""
    rate = np.asarray(lease_rate_usd_per_kw_month, dtype=float)[..., None]
    k = np.asarray(capex_scale, dtype=float)[..., None, None]
    shift = np.maximum(model.plan.shift_index, 0)

    def value(coef: np.ndarray) -> np.ndarray:  # coef (T, 3, H) -> the rows' (R, 3, H)
        rows = coef[shift]
        return rate * rows[:, 0] - k * rows[:, 1] - rows[:, 2]

    hb = model.hosting
    return value(hb.terminal_contracted) + np.maximum(0.0, value(hb.terminal_capitalised))


def on_rows(model: SiteModel, rows: np.ndarray) -> SiteModel:
    """The model restricted to ``rows`` of its plan, with only the mining profiles those rows
    use (fewer profiles, a cheaper mining call)."""
    plan = model.plan.subset(rows)
    used = np.flatnonzero(plan.mining_weight_mw.any(axis=0))
    used = np.union1d([0], used)  # profile 0 (keep mining) always stays
    prof = model.profiles
    remap = np.full(prof.end_month.size, -1)
    remap[used] = np.arange(used.size)
    profiles = MiningProfiles(
        power_mw=prof.power_mw[used],
        end_month=prof.end_month[used],
        profile_of=np.where(remap[prof.profile_of] >= 0, remap[prof.profile_of], 0),
        source_index=used if prof.source_index is None else prof.source_index[used],
    )
    plan = replace(plan, mining_weight_mw=plan.mining_weight_mw[:, used])
    return replace(model, plan=plan, profiles=profiles)


def blocks_on_rows(
    blocks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]], sub: SiteModel
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The full model's :func:`mining_blocks` restricted to the profiles of ``sub`` (a model from
    :func:`on_rows`): the same mining, without computing it again."""
    if isinstance(blocks, MiningRows):
        raise StrategyError("blocks_on_rows takes per-profile blocks, not MiningRows")
    idx = sub.profiles.source_index
    if idx is None:
        return blocks
    unit, dr = blocks
    sliced = {k: v[..., idx, :] if v.ndim >= 2 else v[..., idx] for k, v in unit.items()}
    sliced["continuation_value"] = unit["continuation_value"][..., idx]
    return sliced, dr


def _gather(block: np.ndarray, plan: RowPlan) -> np.ndarray:
    """Rows ``(R, n)`` of a per-shift, per-hall block ``(T, H, n)``: the converted halls' sum at
    the row's shift (0 for rows converting nothing)."""
    picked = block[np.maximum(plan.shift_index, 0)]  # (R, H, n)
    return np.einsum("rh,rhn->rn", plan.converted.astype(float), picked)


def evaluate(
    model: SiteModel,
    *,
    lease_rate_usd_per_kw_month: np.ndarray | float | None = None,
    capex_scale: np.ndarray | float = 1.0,
    hashprice_usd_per_ph_day: np.ndarray | None = None,
    assumptions: MiningAssumptions | None = None,
    contract: PowerContract | None = None,
    prices: np.ndarray | None = None,
    signing_probability: float | None = None,
    blocks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
    full: bool = False,
    rate_per_row: bool = False,
) -> RowValues:
    """Value every row of the site's :class:`RowPlan`, batched over drivers.

    ``lease_rate_usd_per_kw_month`` (the site's achievable rate when None) and ``capex_scale``
    are scalars or ``(K,)``; with ``rate_per_row`` the rate is ``(K, R)``, one per row (rows
    that sign at different months on a path); ``hashprice_usd_per_ph_day`` is ``(n,)`` or
    ``(K, n)``;
    ``assumptions``, ``contract`` and ``prices`` replace the model's mining inputs;
    ``signing_probability`` the site's odds; ``blocks`` reuses :func:`mining_blocks` already
    computed for the same mining inputs (drivers that only move rent or capex; pass the
    hashprice they were built on too, which prices the fleet sold with the site at month 0).
    See :class:`RowValues`.
    """
    rate = np.asarray(
        model.lease_rate_usd_per_kw_month
        if lease_rate_usd_per_kw_month is None
        else lease_rate_usd_per_kw_month,
        dtype=float,
    )
    if rate_per_row and (rate.ndim == 0 or rate.shape[-1] != model.plan.n_rows):
        raise StrategyError(
            f"lease_rate_usd_per_kw_month has shape {rate.shape}; with rate_per_row allowed "
            f"(..., {model.plan.n_rows}), one rate per row"
        )
    rate_rows = rate if rate_per_row else rate[..., None]  # (..., R) or (..., 1)
    k = np.asarray(capex_scale, dtype=float)
    blocks = blocks or mining_blocks(model, hashprice_usd_per_ph_day, assumptions=assumptions,
                                     contract=contract, prices=prices)  # fmt: skip
    hp = (model.hashprice.hashprice_usd_per_ph_day if hashprice_usd_per_ph_day is None
          else np.asarray(hashprice_usd_per_ph_day, dtype=float))  # fmt: skip
    fleet_sale = _fleet_sale_usd(model, hp[..., 0], assumptions or model.mining)
    rows = _row_parts(model, blocks, rate_rows, k, fleet_sale)
    flows = _row_flows(model, rows)
    pv = _present_values(model, rows, flows)
    npv_signed = np.sum(np.stack(list(pv.values())), axis=0)
    plan = model.plan
    p = model.signing_probability if signing_probability is None else float(signing_probability)
    npv = _expect(npv_signed, plan, p, axis_last=True)
    if not full:
        return RowValues(npv, npv_signed)
    shape = flows.levered_fcf_usd.shape
    mixed = {
        name: _expect(np.broadcast_to(v, shape), plan, p) for name, v in flows.as_dict().items()
    }
    parts = {
        "mining_net_usd": rows.mining_revenue_usd - rows.mining_opex_usd - rows.mining_capex_usd,
        "rent_usd": rows.rent_usd,
        "landlord_usd": rows.landlord_usd,
        "retrofit_capex_usd": sum(rows.retrofit_capex_usd.values()),
        "sale_usd": rows.sale_usd,
        "terminal_lease_usd": _at_last_month(rows.terminal_lease_usd, model.n_months),
        "terminal_mining_usd": _at_last_month(rows.terminal_mining_usd, model.n_months),
    }
    parts = {name: _expect(np.broadcast_to(v, shape), plan, p) for name, v in parts.items()}
    pv = {name: _expect(v, plan, p, axis_last=True) for name, v in pv.items()}
    signed_fcf = np.broadcast_to(flows.levered_fcf_usd, shape)
    return RowValues(npv, npv_signed, ProjectCashFlows(**mixed), parts, pv, signed_fcf)


@dataclass(frozen=True)
class RowParts:
    """Pre-tax parts of every row, USD, ``(..., R, n_months)`` (terminal values ``(..., R)``)."""

    mining_revenue_usd: np.ndarray  # revenue, credits, DR payments and fleet sales
    mining_opex_usd: np.ndarray  # power and site costs
    mining_capex_usd: np.ndarray  # fleet refresh
    rent_usd: np.ndarray
    landlord_usd: np.ndarray
    retrofit_capex_usd: dict[int, np.ndarray]  # cash, by MACRS class
    depreciation_usd: np.ndarray  # tax depreciation: the retrofit's and the fleet refreshes'
    sale_usd: np.ndarray  # the site and fleet sold at month 0 (the sale row)
    terminal_lease_usd: np.ndarray  # converted halls' value at the horizon
    terminal_mining_usd: np.ndarray  # running fleets' value at the horizon


def _row_parts(
    model: SiteModel,
    blocks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
    rate: np.ndarray,
    k: np.ndarray,
    fleet_sale_usd: np.ndarray,
) -> RowParts:
    """Assemble every row from the per-profile mining blocks and the per-shift hosting blocks:
    mining is each profile's per-MW flows times the MW the row puts on it; hosting the row's
    converted halls at its shift, rent at ``rate`` (``(..., R)`` per row or ``(..., 1)``) and
    capex times ``k``; the sale row sells the site and the fleet (``fleet_sale_usd``, ``(...)``
    per path: at each path's month-0 hashprice) at month 0."""
    plan, hb, n = model.plan, model.hosting, model.n_months
    unit, dr = blocks
    if not isinstance(blocks, MiningRows):
        unit = _profiles_to_rows(plan.mining_weight_mw, unit)
    is_dr = (np.arange(plan.n_rows) == plan.dr_row)[:, None]

    def mining_rows(key: str) -> np.ndarray:
        return np.where(is_dr, dr[key][..., None, :], unit[key])

    rent = _gather(hb.rent_unit_usd, plan) * rate[..., None]
    landlord = (
        rent * model.landlord_per_rent
        + _gather(hb.landlord_capex_usd, plan) * k[..., None, None]
        + _gather(hb.landlord_fixed_usd, plan)
    )
    fleet = np.asarray(fleet_sale_usd, dtype=float)
    sale = np.zeros((*fleet.shape, plan.n_rows, n))
    sale[..., plan.sale_row, 0] = model.sale_proceeds_usd + fleet
    hall_tv = hall_terminal_values_usd(model, rate, k)  # (..., R, H)
    tv_lease = np.einsum("rh,...rh->...r", plan.converted.astype(float), hall_tv)
    tv_mining = np.where(
        is_dr[:, 0], dr["continuation_value"][..., None], unit["continuation_value"]
    )
    positive = tv_lease + tv_mining > 0  # a negative value at the horizon is walked away from
    mining_capex = mining_rows("capex")
    # MACRS is linear: the retrofit's depreciation once on the unscaled rows (R, n), times each
    # path's capex scale, plus the fleet refreshes' (path by path; they come in a few months).
    tax = model.scenario.tax
    retrofit_dep = depreciation_by_class_usd(
        {c: _gather(v, plan) for c, v in hb.retrofit_placed_in_service_usd.items()}, tax
    )
    depreciation = retrofit_dep * k[..., None, None] + depreciation_by_class_usd(
        {MINING_CAPEX_CLASS: mining_capex}, tax
    )
    return RowParts(
        mining_revenue_usd=mining_rows("revenue"),
        mining_opex_usd=mining_rows("opex"),
        mining_capex_usd=mining_capex,
        rent_usd=rent,
        landlord_usd=landlord,
        retrofit_capex_usd={
            c: _gather(v, plan) * k[..., None, None] for c, v in hb.retrofit_capex_usd.items()
        },
        depreciation_usd=depreciation,
        sale_usd=sale,
        terminal_lease_usd=tv_lease * positive,
        terminal_mining_usd=tv_mining * positive,
    )


def _row_flows(model: SiteModel, rows: RowParts) -> ProjectCashFlows:
    """Every row through the finance engine at once (tax with NOLs, MACRS, the sale tax)."""
    s = model.scenario
    capex_by_class = dict(rows.retrofit_capex_usd)
    capex_by_class[MINING_CAPEX_CLASS] = capex_by_class[MINING_CAPEX_CLASS] + rows.mining_capex_usd
    revenue = rows.mining_revenue_usd + rows.rent_usd + rows.sale_usd
    opex = rows.mining_opex_usd + rows.landlord_usd
    terminal = rows.terminal_lease_usd + rows.terminal_mining_usd
    shape = np.broadcast_shapes(
        revenue.shape, opex.shape, *(v.shape for v in capex_by_class.values()),
        (*terminal.shape, 1),
    )  # fmt: skip
    return project_cash_flows(
        revenue_usd=np.broadcast_to(revenue, shape),
        opex_usd=opex,
        capex_by_class_usd=capex_by_class,
        discount_rate_per_year=s.discount_rate_per_year,
        tax=s.tax,
        terminal=s.terminal,
        noi_usd=rows.rent_usd - rows.landlord_usd,
        depreciation_usd=rows.depreciation_usd,
        terminal_value_usd=terminal,
    )


def _present_values(
    model: SiteModel, rows: RowParts, flows: ProjectCashFlows
) -> dict[str, np.ndarray]:
    """Each kind of cash flow's present value per row ``(..., R)``, at its own rate
    (:class:`DiscountRates`); they add up to the row's NPV."""
    disc = model.rates.factors(model.n_months)
    mining_net = rows.mining_revenue_usd - rows.mining_opex_usd - rows.mining_capex_usd
    pv = {
        "mining_net_usd": mining_net @ disc["mining"],
        "rent_usd": rows.rent_usd @ disc["contracted"],
        "landlord_usd": -(rows.landlord_usd @ disc["contracted"]),
        "retrofit_capex_usd": -(sum(rows.retrofit_capex_usd.values()) @ disc["construction"]),
        "sale_usd": rows.sale_usd @ disc["base"],
        "terminal_lease_usd": rows.terminal_lease_usd * disc["contracted"][-1],
        "terminal_mining_usd": rows.terminal_mining_usd * disc["mining"][-1],
        "tax_usd": -(flows.tax_usd @ disc["base"]),
    }
    lead = flows.levered_fcf_usd.shape[:-1]
    return {key: np.broadcast_to(v, lead) for key, v in pv.items()}


def _at_last_month(value: np.ndarray, n: int) -> np.ndarray:
    """A per-row value ``(..., R)`` as a monthly array ``(..., R, n)`` at the last month."""
    out = np.zeros((*np.shape(value), n))
    out[..., -1] = value
    return out


def _expect(x: np.ndarray, plan: RowPlan, p: float, *, axis_last: bool = False) -> np.ndarray:
    """The tenant expectation on rows that need a tenant: ``p x row + (1 - p) x keep``; rows
    on the last axis (``axis_last``) or the second to last (monthly arrays)."""
    if p == 1.0:
        return x
    keep = x[..., plan.keep_row] if axis_last else x[..., plan.keep_row : plan.keep_row + 1, :]
    signed = plan.signed if axis_last else plan.signed[:, None]
    return np.where(signed, p * x + (1.0 - p) * (keep if not axis_last else keep[..., None]), x)


def _fleet_sale_usd(
    model: SiteModel, hashprice_now_usd_per_ph_day: np.ndarray, a: MiningAssumptions
) -> np.ndarray:
    """The fleet ``a`` sold with the site today, at the used-ASIC price of its J/TH at month
    0's hashprice (``(...)``, per path; 0 when salvage is off): TH/s = energized MW x 1e6 /
    (J/TH x PUE) x health."""
    hp0 = np.asarray(hashprice_now_usd_per_ph_day, dtype=float)
    if not model.scenario.fleet_salvage:
        return np.zeros(hp0.shape)
    mw = float(model.mining_mw_by_hall.sum())
    age_years = a.start_age_months / 12.0
    th = mw * 1e6 / (a.efficiency_j_per_th * a.mining_pue)
    th *= (1.0 - a.degradation_per_year) ** age_years
    return th * used_asic_sale_usd_per_th(a.efficiency_j_per_th, hp0)
