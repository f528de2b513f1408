"""The valuation scenario: every assumption a site decision depends on, in one frozen dataclass.

``Scenario()`` is the base scenario; the app changes fields with ``dataclasses.replace`` and saves
scenarios by name through ``to_dict`` / ``from_dict`` (plain JSON-ready values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime
from typing import Any

from valuation.errors import ScenarioError
from valuation.finance import TaxAssumptions, TerminalValue
from valuation.hosting import LEASE_STRUCTURES, HostingCosts, TenantCredit
from valuation.market import DEFAULT_MARKET, MarketState
from valuation.mining import MiningAssumptions
from valuation.power import ERCOT_ECRS, ERCOT_ERS, DemandResponseProgram
from valuation.site_sale import SaleTerms
from valuation.tenant import TenantProspects

# A formal DR partnership: ERCOT ERS on half the load and ECRS on a further 45%, together the 95%
# flexible share of ``PowerContract`` (programs and payments from ``valuation.power``, sourced
# there; the committed shares are assumptions). Each program pays only sites in its own grid
# region: outside ERCOT no program is bundled yet, so the partnership row equals keep mining.
DEFAULT_DR_PROGRAMS: tuple[DemandResponseProgram, ...] = (
    ERCOT_ERS,
    replace(ERCOT_ECRS, committed_share=0.45),
)

CAPEX_SCENARIOS: tuple[str, ...] = ("low", "base", "high")


@dataclass(frozen=True)
class Scenario:
    """Assumptions for valuing one site's strategies. Rates are fractions; money in USD.

    Defaults (sources as of 2026-11-29):

    * ``lease_rate_usd_per_kw_month`` 128: year-one rent on critical IT of the Google- or
      hyperscaler-backed conversion deals, which cluster at $125-135 (Hut 8 River Bend $128,
      Galaxy Helios $128, TeraWulf Abernathy $129; ``valuation.hosting.HOSTING_DEALS``).
    * ``lease_term_years`` 15: Hut 8, Applied Digital and Galaxy leases (2025-26).
    * ``lease_escalator_per_year`` 3%: the only disclosed escalator (Hut 8, 2025-26).
    * ``lease_structure`` "triple_net": Hut 8 River Bend and Beacon Point; wholesale leases are
      usually NNN with power passed through (lextract.io).
    * ``capex_usd_per_critical_mw`` None: use the site's retrofit estimate (``models``).
    * ``discount_rate_per_year`` 10%: the base rate (tax, the site sale, IRR hurdles): an
      assumption (no sourced hurdle rate).
    * One rate per kind of cash flow (``valuation.strategies.DiscountRates``); equal rates give
      one-rate NPVs. ``mining_discount_rate_per_year`` 15%: merchant BTC exposure; an ASSUMPTION
      equal to the miner's own refresh hurdle (``MiningAssumptions.refresh_hurdle_rate_per_year``).
      ``contracted_discount_rate_per_year`` 9%: rent from an investment-grade or backstopped
      tenant; stabilised hyperscale campuses trade at 5.5-6.5% cap rates (JLL Q1 2026), and a
      cap rate of 6% with rent escalating 3% a year is an unlevered return of 6% + 3% = 9%
      (Gordon growth). ``construction_discount_rate_per_year`` 12%: an ASSUMPTION, a premium for
      cost and schedule risk over the contracted rate.
    * ``tenant_signing_probability`` 0.7 and ``lease_up_months`` 12: ASSUMPTIONS (every public
      conversion signed, so no failure rate is observable; Hut 8 River Bend signed about a year
      after its AI pivot was announced). Build-to-suit: one signing event per site; construction
      starts at signing; with no tenant the site keeps mining. The readiness mapping
      ``tenant_prospects`` (``valuation.tenant``) adjusts both per site.
    * ``economic_shutdown`` and ``fleet_salvage`` True: a fleet idles in months whose margin is
      negative, and fleets leaving service are sold at used-ASIC prices (``valuation.mining``).
    * ``use_site_fleet`` True: the inventory's machines and commissioning year when given.
    * ``sale``: the powered-site sale price per MW (``valuation.site_sale``).
    * ``mine_then_convert_step_months`` 12: the yearly grid of later conversion starts.
    * ``renewal_probability`` 0.5: an assumption (no renewal has yet been exercised on a
      mining-to-AI lease). Public AI-hosting leases carry renewal options: Hut 8 River Bend 15 y
      + 3x5 y, TeraWulf/Fluidstack CB-3/4 and Cipher Barber Lake 10 y + 2x5 y, Core Scientific/
      CoreWeave 12 y + 2x5 y, Riot/AMD Rockdale 10 y + 3x5 y (company releases 2024-26, project
      hosting fact sheet 2026-11-29); an option is the tenant's, so renewal is uncertain. The
      rent after each hall's base term is weighted by it, inside and beyond the horizon.
    * ``terminal``: exit cap 6% (JLL Q1 2026 midpoint; equal to the 9% contracted-rent rate less
      the 3% escalator, so the exit value is consistent with the rent's own rate) on the hosting
      NOI only, lease-aware
      (``valuation.strategies``): each hall is worth its remaining contracted NOI to its lease
      end plus ``renewal_probability`` x the exit-cap value of its NOI at that end, discounted to
      the horizon; the sale is taxed on the gain over the remaining tax basis. A mining row's
      value at the horizon is its running fleet's margin to the fleet's end of life (no
      perpetuity: refreshes and halvings past the horizon are new decisions), taxed the same way.
    * ``horizon_months`` 180: fifteen years, one base lease term.
    * ``dr_programs`` None: each site's own grid region's default programs
      (``valuation.regions``); a tuple replaces them (each program still pays only sites in its
      own region).
    * ``price_curve_points`` 48: points of the bundled ERCOT 2024 price-duration curve used for
      economic curtailment (fewer points, faster; 48 keep the top 2% of hours distinct).
    * ``firmed`` False: the interruptible share of power rights does not count for AI tenants.
    * ``power_price_usd_per_mwh`` None: the site's contract price (fixed price, tariff or adder).
    """

    market: MarketState = DEFAULT_MARKET
    mining: MiningAssumptions = field(default_factory=MiningAssumptions)
    power_price_usd_per_mwh: float | None = None
    price_curve_points: int = 48
    dr_programs: tuple[DemandResponseProgram, ...] | None = None
    lease_rate_usd_per_kw_month: float = 128.0
    lease_term_years: float = 15.0
    lease_escalator_per_year: float = 0.03
    lease_structure: str = "triple_net"
    free_rent_months: int = 0
    renewal_probability: float = 0.5
    tenant_credit: TenantCredit = field(default_factory=TenantCredit)
    hosting_costs: HostingCosts = field(default_factory=HostingCosts)
    capex_usd_per_critical_mw: float | None = None
    capex_scenario: str = "base"
    contingency: float = 0.0
    construction_delay_months: int = 0
    firmed: bool = False
    discount_rate_per_year: float = 0.10
    horizon_months: int = 180
    tax: TaxAssumptions = field(default_factory=TaxAssumptions)
    terminal: TerminalValue = field(
        default_factory=lambda: TerminalValue(method="exit_cap", exit_cap_rate=0.06)
    )
    mining_discount_rate_per_year: float = 0.15
    contracted_discount_rate_per_year: float = 0.09
    construction_discount_rate_per_year: float = 0.12
    tenant_signing_probability: float = 0.7
    lease_up_months: int = 12
    tenant_prospects: TenantProspects = field(default_factory=TenantProspects)
    economic_shutdown: bool = True
    fleet_salvage: bool = True
    use_site_fleet: bool = True
    sale: SaleTerms = field(default_factory=SaleTerms)
    mine_then_convert_step_months: int = 12

    def __post_init__(self) -> None:
        def bad(name: str, allowed: str) -> ScenarioError:
            return ScenarioError(
                f"Scenario.{name}={getattr(self, name)!r} is not allowed: {allowed}"
            )

        if not (self.lease_rate_usd_per_kw_month >= 0):
            raise bad("lease_rate_usd_per_kw_month", "a rent >= 0 in USD per critical IT kW-month")
        if not (self.lease_term_years > 0):
            raise bad("lease_term_years", "a positive term in years")
        if self.lease_structure not in LEASE_STRUCTURES:
            raise bad("lease_structure", str(LEASE_STRUCTURES))
        if self.capex_usd_per_critical_mw is not None and not (self.capex_usd_per_critical_mw >= 0):
            raise bad("capex_usd_per_critical_mw", "None (use the retrofit estimate) or >= 0")
        if self.capex_scenario not in CAPEX_SCENARIOS:
            raise bad("capex_scenario", str(CAPEX_SCENARIOS))
        if not (-0.99 < self.discount_rate_per_year < 1.0):
            raise bad("discount_rate_per_year", "a yearly rate in (-0.99, 1), e.g. 0.10")
        if not (isinstance(self.horizon_months, int) and 12 <= self.horizon_months <= 600):
            raise bad("horizon_months", "a whole number of months in [12, 600]")
        if not (isinstance(self.price_curve_points, int) and 1 <= self.price_curve_points <= 744):
            raise bad("price_curve_points", "a whole number in [1, 744]")
        if self.power_price_usd_per_mwh is not None and not (self.power_price_usd_per_mwh >= 0):
            raise bad("power_price_usd_per_mwh", "None (the site's contract) or >= 0 USD/MWh")
        if not (self.contingency >= 0):
            raise bad("contingency", "a share >= 0")
        if not (
            isinstance(self.construction_delay_months, int) and self.construction_delay_months >= 0
        ):
            raise bad("construction_delay_months", "a whole number of months >= 0")
        if not (isinstance(self.free_rent_months, int) and self.free_rent_months >= 0):
            raise bad("free_rent_months", "a whole number of months >= 0")
        if not (0.0 <= self.renewal_probability <= 1.0):
            raise bad("renewal_probability", "a probability in [0, 1]")
        for name in (
            "mining_discount_rate_per_year",
            "contracted_discount_rate_per_year",
            "construction_discount_rate_per_year",
        ):
            if not (-0.99 < getattr(self, name) < 1.0):
                raise bad(name, "a yearly rate in (-0.99, 1), e.g. 0.10")
        if not (0.0 <= self.tenant_signing_probability <= 1.0):
            raise bad("tenant_signing_probability", "a probability in [0, 1]")
        if not (isinstance(self.lease_up_months, int) and 0 <= self.lease_up_months <= 120):
            raise bad("lease_up_months", "a whole number of months in [0, 120]")
        if not (
            isinstance(self.mine_then_convert_step_months, int)
            and 1 <= self.mine_then_convert_step_months <= 60
        ):
            raise bad("mine_then_convert_step_months", "a whole number of months in [1, 60]")
        for name in ("economic_shutdown", "fleet_salvage", "use_site_fleet"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (nested dicts and lists; dates as ISO strings)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Inverse of :meth:`to_dict`; missing keys take the defaults, unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(
                f"Scenario.from_dict got unknown fields {unknown}; allowed: {sorted(known)}"
            )
        kwargs: dict[str, Any] = dict(data)
        builders = {
            "market": MarketState.from_dict,
            "mining": lambda d: MiningAssumptions(**d),
            "tenant_credit": lambda d: TenantCredit(**d),
            "hosting_costs": lambda d: HostingCosts(**d),
            "tax": lambda d: TaxAssumptions(**d),
            "terminal": lambda d: TerminalValue(**d),
            "tenant_prospects": lambda d: TenantProspects(**d),
            "sale": lambda d: SaleTerms(**d),
            "dr_programs": lambda items: tuple(
                DemandResponseProgram(
                    **{**d, "months_active": tuple(d.get("months_active", range(1, 13)))}
                )
                for d in items
            ),
        }
        for name, build in builders.items():
            if (
                name in kwargs
                and kwargs[name] is not None
                and not is_dataclass(kwargs[name])
                and not isinstance(kwargs[name], tuple)
            ):
                kwargs[name] = build(kwargs[name])
        return cls(**kwargs)


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict") and is_dataclass(value):
        return value.to_dict()
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
