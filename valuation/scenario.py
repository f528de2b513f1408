"""The valuation scenario: every assumption a site decision depends on, in one frozen dataclass.

``Scenario()`` is the base scenario; the app changes fields with ``dataclasses.replace`` and saves
scenarios by name through ``to_dict`` / ``from_dict`` (plain JSON-ready values).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime
from typing import Any

from sites.validation import MAX_ABS_CONTRACT_PRICE_USD_PER_MWH
from valuation.checks import (
    Rule,
    check_fields,
    flag,
    instance_of,
    number,
    one_of,
    tuple_of,
    whole,
)
from valuation.errors import ScenarioError, ValuationError
from valuation.finance import TaxAssumptions, TerminalValue
from valuation.hosting import LEASE_STRUCTURES, HostingCosts, TenantCredit
from valuation.market import DEFAULT_MARKET, MarketState
from valuation.mining import MiningAssumptions
from valuation.power import ERCOT_ECRS, ERCOT_ERS, DemandResponseProgram
from valuation.regions.levers import LEVER_KEYS
from valuation.site_sale import SaleTerms
from valuation.tenant import TenantProspects

# A formal DR partnership: ERCOT ERS on half the load and ECRS on a further 45%, together the 95%
# flexible share of ``PowerContract`` (programs and payments from ``valuation.power``, sourced
# there; the committed shares are assumptions): the ERCOT region's default set
# (``valuation.regions``). ``Scenario.dr_programs`` None gives each site its own region's
# defaults; a tuple such as this one replaces them and pays only sites in each program's region.
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
    * ``renewal_power_price_usd_per_mwh`` None: after a fixed-price contract's
      ``contract_expiry`` the site buys at its region's index plus the region's adder
      (``valuation.regions.Region.default_adder_usd_per_mwh``, $5/MWh, an assumption); a price
      here is a fixed renewal at that price instead (``valuation.strategies``).
    * ``policy_levers`` (): the large-load policy levers switched on, by key
      (``valuation.regions.LEVER_KEYS``: Texas SB 6, SPP CHILLS, a crypto rider, queues); each
      changes only sites in its own region, and nothing changes while none is on.
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
    renewal_power_price_usd_per_mwh: float | None = None
    policy_levers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_fields(self, _RULES, ScenarioError)
        # Free rent ends inside the base term (LeaseTerms' own rule, named here on the scenario).
        term_months = round(self.lease_term_years * 12)
        rule = whole(0, term_months, high_open=True, note="months, shorter than the lease term")
        check_fields(self, {"free_rent_months": rule}, ScenarioError)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (nested dicts and lists; dates as ISO strings)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Inverse of :meth:`to_dict`; missing keys take the defaults, unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            shown = ", ".join(reprlib.repr(k) for k in unknown[:10])  # never a whole long key
            more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
            raise ScenarioError(
                f"Scenario.from_dict got unknown fields [{shown}]{more}; allowed: {sorted(known)}"
            )
        kwargs: dict[str, Any] = dict(data)
        programs = kwargs.get("dr_programs")
        if isinstance(programs, list | tuple) and len(programs) > MAX_DR_PROGRAMS:
            raise ScenarioError(  # said before building them, and never listed whole
                f"Scenario.dr_programs holds {len(programs):,} programs; allowed: at most "
                f"{MAX_DR_PROGRAMS}"
            )
        builders: dict[str, Callable[[Any], Any]] = {
            "market": MarketState.from_dict,
            "mining": lambda d: MiningAssumptions(**d),
            "tenant_credit": lambda d: TenantCredit(**d),
            "hosting_costs": lambda d: HostingCosts(**d),
            "tax": lambda d: TaxAssumptions(**d),
            "terminal": lambda d: TerminalValue(**d),
            "tenant_prospects": lambda d: TenantProspects(**d),
            "sale": lambda d: SaleTerms(**d),
            "policy_levers": tuple,
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
                try:
                    kwargs[name] = build(kwargs[name])
                except (TypeError, AttributeError, ValueError) as exc:
                    if isinstance(exc, ValuationError):
                        raise
                    raise ScenarioError(
                        f"Scenario.{name}={reprlib.repr(kwargs[name])} is not allowed: the "
                        f"fields of its dataclass as a mapping ({exc})"
                    ) from None
        return cls(**kwargs)


# What each field allows: its type and range (valuation.checks). Bounds beyond the physical ones
# are there so no input can make the model build absurd arrays or loop past a horizon:
# 100-year leases and 50-year delays are far beyond any lease or build in the public deals
# (15-year base terms, valuation.hosting.HOSTING_DEALS), and the horizon caps at 50 years.
# Every money input has an upper bound too, a sanity limit far beyond any real value (so a typo
# such as 1e308 is refused naming the field, not valued into a number of hundreds of digits):
#
# * USD per critical IT kW-month: $1,000 is ~8x the $125-135 of the public conversion leases
#   (HOSTING_DEALS) and ~4x the app's own $250 ceiling (app_support.scenario_inputs).
MAX_LEASE_RATE_USD_PER_KW_MONTH = 1_000.0
# * USD per critical MW of capex: $100M is ~5x the app's $20M ceiling and ~9x the $11.7M per MW
#   data-centre average (Cushman & Wakefield 2025, models.costs).
MAX_CAPEX_USD_PER_CRITICAL_MW = 100_000_000.0
# * Contingency, a share of capex on top of the estimate (which carries its own, models.estimate):
#   3 (+300%, four times the cost) is an assumption, a sanity limit beyond any overrun a what-if
#   would test.
MAX_CONTINGENCY = 3.0
# * USD per MWh: the inventory's bound on a site's contract price (sites.validation: twice
#   ERCOT's $5,000/MWh offer cap); a price paid for every MWh of the horizon never nears it.
# * Demand-response programs: at most 50; a site enrols in a handful and the bundled regions list
#   17 programs in all (valuation.regions.programs).
MAX_DR_PROGRAMS = 50
_YEARLY_RATE = number(-0.99, 1, low_open=True, high_open=True, note="a yearly rate, e.g. 0.10")
_USD_PER_MWH = number(0, MAX_ABS_CONTRACT_PRICE_USD_PER_MWH, note="USD/MWh")
_RULES: dict[str, Rule] = {
    "market": instance_of(MarketState),
    "mining": instance_of(MiningAssumptions),
    "power_price_usd_per_mwh": _USD_PER_MWH.or_none(),
    "price_curve_points": whole(1, 744),
    "dr_programs": Rule(
        lambda v: tuple_of(DemandResponseProgram).admits(v) and len(v) <= MAX_DR_PROGRAMS,  # type: ignore[arg-type]
        f"a tuple of at most {MAX_DR_PROGRAMS} DemandResponseProgram",
    ).or_none(),
    "lease_rate_usd_per_kw_month": number(
        0, MAX_LEASE_RATE_USD_PER_KW_MONTH, note="USD per critical IT kW-month"
    ),
    "lease_term_years": number(0, 100, low_open=True, whole_months=True, note="years"),
    "lease_escalator_per_year": number(-0.5, 1, low_open=True, high_open=True, note="e.g. 0.03"),
    "lease_structure": one_of(LEASE_STRUCTURES),
    "free_rent_months": whole(0),
    "renewal_probability": number(0, 1, note="a probability"),
    "tenant_credit": instance_of(TenantCredit),
    "hosting_costs": instance_of(HostingCosts),
    "capex_usd_per_critical_mw": number(
        0, MAX_CAPEX_USD_PER_CRITICAL_MW, note="USD; None uses the retrofit estimate"
    ).or_none(),
    "capex_scenario": one_of(CAPEX_SCENARIOS),
    "contingency": number(0, MAX_CONTINGENCY, note="a share of capex"),
    "construction_delay_months": whole(0, 600),
    "firmed": flag(),
    "discount_rate_per_year": _YEARLY_RATE,
    "horizon_months": whole(12, 600),
    "tax": instance_of(TaxAssumptions),
    "terminal": instance_of(TerminalValue),
    "mining_discount_rate_per_year": _YEARLY_RATE,
    "contracted_discount_rate_per_year": _YEARLY_RATE,
    "construction_discount_rate_per_year": _YEARLY_RATE,
    "tenant_signing_probability": number(0, 1, note="a probability"),
    "lease_up_months": whole(0, 120),
    "tenant_prospects": instance_of(TenantProspects),
    "economic_shutdown": flag(),
    "fleet_salvage": flag(),
    "use_site_fleet": flag(),
    "sale": instance_of(SaleTerms),
    "mine_then_convert_step_months": whole(1, 60),
    "renewal_power_price_usd_per_mwh": _USD_PER_MWH.or_none(),
    "policy_levers": Rule(
        lambda v: (
            isinstance(v, tuple)
            and all(isinstance(x, str) and x in LEVER_KEYS for x in v)
            and len(set(v)) == len(v)
        ),
        f"a tuple of distinct lever names, each one of {', '.join(LEVER_KEYS)}",
    ),
}


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and is_dataclass(value):
        return to_dict()
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
