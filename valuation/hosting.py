"""AI-hosting lease economics: rent, contract value, construction spend, landlord costs, tenant credit.

Everything is on the monthly valuation grid (month 0 = valuation date) and priced on **critical IT**
kW (the IT load the tenant pays for), never gross MW at the meter: critical IT MW = gross MW / design
PUE. Arrays are shaped ``(..., n_months)``; per-hall arrays are ``(n_halls, n_months)``.

Rent conventions (how announced hosting deals are quoted, see ``HOSTING_DEALS``):

* rent accrues monthly on critical IT kW at ``rate_usd_per_kw_month`` in lease year 1;
* the annual escalator steps on each anniversary of a phase's commencement (its ready-for-service
  month): month ``k`` of a phase's term pays ``rate * (1 + g) ** floor(k / 12)``;
* free-rent months are the first months of each phase's term;
* the announced "total contract value" is the nominal rent over the base term, no renewals.

Sources: implied-rent formula and deals from the project's hosting fact sheet (compiled 2026-11-29
from press releases, cited per deal in ``valuation/data/hosting_deals.csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from valuation.checks import (
    Rule,
    check_fields,
    check_value,
    instance_of,
    number,
    one_of,
    tuple_of,
    whole,
)
from valuation.deals import load_hosting_deals
from valuation.errors import HostingError
from valuation.market import HOURS_PER_MONTH  # 730.5 h: one grid month for power everywhere

if TYPE_CHECKING:
    from sites.schema import Site

KW_PER_MW = 1000.0

LEASE_STRUCTURES: tuple[str, ...] = ("triple_net", "modified_gross", "all_in")


_SHARE = number(0, 1)
_CRITICAL_IT_MW = number(0, low_open=True, note="critical IT MW")


# --------------------------------------------------------------------------------------------------
# Terms
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantCredit:
    """Tenant credit risk, applied as an expected-value haircut on rent.

    ``default_probability_per_year``: annual probability the tenant stops paying (constant hazard).
    ``recovery_share``: share of defaulted rent recovered (re-letting, claims) without a backstop.
    ``backstop_share``: share of defaulted rent a stronger party guarantees (Google backstopped
    $1.8 B of TeraWulf's $3.7 B CB-3/4 leases, about 0.49; Hut 8 River Bend's whole base term).

    Defaults: no credit loss (a user states the tenant's risk; investment-grade tenants carry
    annual default rates of a fraction of a percent).
    """

    default_probability_per_year: float = 0.0
    recovery_share: float = 0.4
    backstop_share: float = 0.0

    def __post_init__(self) -> None:
        rules = {
            "default_probability_per_year": number(
                0, 1, high_open=True, note="a certain default is not a lease"
            ),
            "recovery_share": _SHARE,
            "backstop_share": _SHARE,
        }
        check_fields(self, rules, HostingError)

    def expected_collection(self, months_since_commencement: np.ndarray) -> np.ndarray:
        """Expected share of scheduled rent collected ``k`` months into the lease.

        ``S(k) + (1 - S(k)) * (b + (1 - b) * r)`` with survival ``S(k) = (1 - p) ** (k / 12)``.
        """
        k = np.maximum(np.asarray(months_since_commencement, dtype=float), 0.0)
        survival = (1.0 - self.default_probability_per_year) ** (k / 12.0)
        on_default = self.backstop_share + (1.0 - self.backstop_share) * self.recovery_share
        return survival + (1.0 - survival) * on_default


@dataclass(frozen=True)
class LeasePhase:
    """One delivery phase (hall): critical IT MW from its ready-for-service month on."""

    critical_it_mw: float
    ready_for_service_month: int

    def __post_init__(self) -> None:
        rules = {
            "critical_it_mw": _CRITICAL_IT_MW,
            "ready_for_service_month": whole(0, note="a month on the valuation grid"),
        }
        check_fields(self, rules, HostingError)


@dataclass(frozen=True)
class LeaseTerms:
    """A hosting lease on critical IT kW.

    Parameters
    ----------
    critical_it_mw : float
        Critical IT MW leased, > 0.
    rate_usd_per_kw_month : float
        Year-one rent, USD per critical IT kW-month, >= 0.
    term_years : float
        Base term in years (whole months).
    escalator_per_year : float, default 0.03
        Yearly rent escalator; 3% is the only disclosed escalator (Hut 8 River Bend and Beacon
        Point, 2025-26).
    structure : {"triple_net", "modified_gross", "all_in"}, default "triple_net"
        "triple_net": the tenant pays power, operating costs, property tax and insurance;
        "modified_gross": the tenant pays power, the landlord pays operating costs, tax and
        insurance (the TeraWulf and Cipher Fluidstack leases); "all_in": the landlord also buys the
        power, at ``design_pue`` over the IT draw.
    design_pue : float, default 1.3
        PUE of the hall (1 to 3), for "all_in" power.
    free_rent_months : int, default 0
        Months of free rent at the start of the term.
    phases : tuple of LeasePhase, default ()
        Delivery phases adding up to ``critical_it_mw``; without phases the whole load commences
        at ``commencement_month``.
    commencement_month : int, default 0
        Month (on the valuation grid) rent starts when there are no phases.
    renewal_probability, renewal_term_years, renewal_rate_change : float
        Each phase is extended by ``renewal_term_years`` (default 5) with this probability
        (default 0) at the escalated rate times ``1 + renewal_rate_change`` (expected value).
    credit : TenantCredit
        The tenant's default risk.

    Raises
    ------
    HostingError
        For a bad field, naming the field, the value and what is allowed.

    Examples
    --------
    >>> from valuation.hosting import LeaseTerms
    >>> terms = LeaseTerms(critical_it_mw=200, rate_usd_per_kw_month=150.0, term_years=10)
    >>> terms.term_months, terms.escalator_per_year, terms.structure
    (120, 0.03, 'triple_net')
    >>> LeaseTerms(critical_it_mw=200, rate_usd_per_kw_month=-1.0, term_years=10)
    Traceback (most recent call last):
    ...
    valuation.errors.HostingError: LeaseTerms.rate_usd_per_kw_month=-1.0 is not allowed: ...
    """

    critical_it_mw: float
    rate_usd_per_kw_month: float
    term_years: float
    escalator_per_year: float = 0.03
    structure: str = "triple_net"
    design_pue: float = 1.3
    free_rent_months: int = 0
    phases: tuple[LeasePhase, ...] = ()
    commencement_month: int = 0
    renewal_probability: float = 0.0
    renewal_term_years: float = 5.0
    renewal_rate_change: float = 0.0
    credit: TenantCredit = field(default_factory=TenantCredit)

    def __post_init__(self) -> None:
        rules = {
            "critical_it_mw": _CRITICAL_IT_MW,
            "rate_usd_per_kw_month": number(0, note="USD per critical IT kW-month"),
            "term_years": number(0, low_open=True, whole_months=True),
            "escalator_per_year": number(-0.5, 1, low_open=True, high_open=True, note="e.g. 0.03"),
            "structure": one_of(LEASE_STRUCTURES),
            "design_pue": number(1, 3),
            "commencement_month": whole(0),
            "renewal_probability": _SHARE,
            "renewal_term_years": number(0, whole_months=True),
            "renewal_rate_change": number(-1, low_open=True),
            "phases": tuple_of(LeasePhase),
            "credit": instance_of(TenantCredit),
        }
        check_fields(self, rules, HostingError)
        # Rules that depend on the fields above.
        total = sum(p.critical_it_mw for p in self.phases)
        adds_up = Rule(
            lambda phases: not phases or math.isclose(total, self.critical_it_mw, abs_tol=1e-9),
            f"phases adding up to critical_it_mw={self.critical_it_mw} (they add up to {total})",
        )
        rules = {
            "free_rent_months": whole(0, self.term_months, high_open=True),
            "phases": adds_up,
        }
        check_fields(self, rules, HostingError)

    @property
    def term_months(self) -> int:
        return int(round(self.term_years * 12))

    @property
    def renewal_months(self) -> int:
        return int(round(self.renewal_term_years * 12))

    @property
    def delivery(self) -> tuple[LeasePhase, ...]:
        """The phases, or one phase of the whole load at ``commencement_month``."""
        if self.phases:
            return self.phases
        return (LeasePhase(self.critical_it_mw, int(self.commencement_month)),)


# --------------------------------------------------------------------------------------------------
# Contract value and implied rent
# --------------------------------------------------------------------------------------------------


def escalated_months(
    months: int | np.ndarray, escalator_per_year: float | np.ndarray
) -> np.ndarray:
    """Sum of escalation factors over the first ``months`` months of a lease.

    ``sum_{k<M} (1+g)**floor(k/12) = 12 * sum_{y<Y} (1+g)**y + r * (1+g)**Y`` with ``M = 12Y + r``;
    equals ``M`` when ``g = 0``. Dimensionless (months of year-1 rent).
    """
    m = np.asarray(months, dtype=float)
    g = np.asarray(escalator_per_year, dtype=float)
    years, rest = np.floor(m / 12.0), np.mod(m, 12.0)
    # expm1/log1p keep ((1+g)^Y - 1)/g accurate for tiny g; below 1e-12 it is Y to machine precision.
    tiny = np.abs(g) < 1e-12
    safe_g = np.where(tiny, 1.0, g)
    whole = np.where(tiny, years, np.expm1(years * np.log1p(safe_g)) / safe_g)
    return 12.0 * whole + rest * (1.0 + g) ** years


def contract_value_usd(terms: LeaseTerms) -> float:
    """Nominal rent over the base term, in USD: what a press release calls the contract value.

    ``sum over phases of MW * 1000 * rate * (E(term) - E(free))`` where ``E`` is
    :func:`escalated_months`. No renewals, no credit loss, no discounting.

    Parameters
    ----------
    terms : LeaseTerms
        The lease: critical IT MW, year-one rate in USD per kW-month, term, escalator per year and
        free-rent months.

    Returns
    -------
    float
        Total nominal rent over the term, USD.

    Examples
    --------
    200 MW at $150 per kW-month for 10 years, flat and with a 3% yearly escalator:

    >>> from valuation.hosting import LeaseTerms, contract_value_usd
    >>> flat = LeaseTerms(critical_it_mw=200, rate_usd_per_kw_month=150.0, term_years=10,
    ...                   escalator_per_year=0.0)
    >>> round(contract_value_usd(flat) / 1e9, 4)
    3.6
    >>> escalating = LeaseTerms(critical_it_mw=200, rate_usd_per_kw_month=150.0, term_years=10)
    >>> round(contract_value_usd(escalating) / 1e9, 4)
    4.127
    """
    factor = float(escalated_months(terms.term_months, terms.escalator_per_year)) - float(
        escalated_months(terms.free_rent_months, terms.escalator_per_year)
    )
    return terms.critical_it_mw * KW_PER_MW * terms.rate_usd_per_kw_month * factor


def implied_rate_usd_per_kw_month(
    total_value_usd: float | np.ndarray,
    critical_it_mw: float | np.ndarray,
    term_years: float | np.ndarray,
    escalator_per_year: float | np.ndarray = 0.0,
) -> float | np.ndarray:
    """The year-one rent an announced total contract value implies.

    ``total / (MW * 1000 * E(12 * years, g))`` with ``E`` :func:`escalated_months`; with ``g = 0``
    it is the fact sheet's average ``total / (MW * 1000 * 12 * years)``. Vectorised over all
    arguments.

    Parameters
    ----------
    total_value_usd : float or array_like
        Announced total contract value, USD, >= 0.
    critical_it_mw : float or array_like
        Critical IT MW leased, > 0.
    term_years : float or array_like
        Base term in years, > 0 (rounded to whole months).
    escalator_per_year : float or array_like, default 0.0
        Yearly rent escalator, a fraction (e.g. 0.03).

    Returns
    -------
    float or numpy.ndarray
        Year-one rent in USD per critical IT kW-month.

    Examples
    --------
    A $3.7B, 10-year lease of 200 MW, read flat and with a 3% escalator:

    >>> from valuation.hosting import implied_rate_usd_per_kw_month
    >>> round(implied_rate_usd_per_kw_month(3.7e9, 200, 10), 2)
    154.17
    >>> round(implied_rate_usd_per_kw_month(3.7e9, 200, 10, escalator_per_year=0.03), 2)
    134.48
    """
    total = np.asarray(total_value_usd, dtype=float)
    mw = np.asarray(critical_it_mw, dtype=float)
    years = np.asarray(term_years, dtype=float)
    if np.any(~np.isfinite(total)) or np.any(total < 0):
        raise HostingError(f"total_value_usd={total_value_usd!r} is not allowed: a value >= 0")
    if np.any(~np.isfinite(mw)) or np.any(mw <= 0):
        raise HostingError(f"critical_it_mw={critical_it_mw!r} is not allowed: positive MW")
    if np.any(~np.isfinite(years)) or np.any(years <= 0):
        raise HostingError(f"term_years={term_years!r} is not allowed: a positive term in years")
    rate = total / (mw * KW_PER_MW * escalated_months(np.round(years * 12.0), escalator_per_year))
    return float(rate) if rate.ndim == 0 else rate


def _deals_with_implied_rents() -> pd.DataFrame:
    deals = load_hosting_deals()
    deals["implied_average_rate_usd_per_kw_month"] = implied_rate_usd_per_kw_month(
        deals["total_value_usd"].to_numpy(),
        deals["critical_it_mw"].to_numpy(),
        deals["term_years"].to_numpy(),
        0.0,
    )
    deals["implied_year1_rate_usd_per_kw_month"] = implied_rate_usd_per_kw_month(
        deals["total_value_usd"].to_numpy(),
        deals["critical_it_mw"].to_numpy(),
        deals["term_years"].to_numpy(),
        deals["escalator_per_year"].to_numpy(),
    )
    deals["revenue_usd_per_mw_year"] = deals["total_value_usd"] / (
        deals["critical_it_mw"] * deals["term_years"]
    )
    return deals


#: Public AI-hosting deals 2024-2026 with their implied rents (USD per critical IT kW-month): the
#: average over the term (flat) and year one at ``escalator_per_year`` (disclosed only for Hut 8;
#: 3% assumed elsewhere, flagged by ``escalator_disclosed``). ``comparable`` is False for the IREN
#: GPU-cloud contract, whose value includes the GPUs.
HOSTING_DEALS: pd.DataFrame = _deals_with_implied_rents()


# --------------------------------------------------------------------------------------------------
# Rent schedule on the monthly grid
# --------------------------------------------------------------------------------------------------


def rent_usd_by_phase(terms: LeaseTerms, n_months: int) -> np.ndarray:
    """Expected rent in USD per month for each phase, shape ``(n_phases, n_months)``.

    Base term: ``MW * 1000 * rate * (1+g)**floor(k/12)`` for ``k = m - RFS`` in
    ``[free_rent_months, term_months)``; renewal: ``renewal_probability * (1 + renewal_rate_change)``
    times the same escalating rent for ``k`` in ``[term, term + renewal)``; all times the tenant
    credit's expected collection.
    """
    check_value("n_months", n_months, whole(1), HostingError)
    phases = terms.delivery
    mw = np.array([p.critical_it_mw for p in phases], dtype=float)[:, None]
    rfs = np.array([p.ready_for_service_month for p in phases], dtype=float)[:, None]
    k = np.arange(n_months, dtype=float)[None, :] - rfs
    escal = (1.0 + terms.escalator_per_year) ** np.floor(np.maximum(k, 0.0) / 12.0)
    in_base = (k >= terms.free_rent_months) & (k < terms.term_months)
    in_renewal = (k >= terms.term_months) & (k < terms.term_months + terms.renewal_months)
    weight = in_base + in_renewal * terms.renewal_probability * (1.0 + terms.renewal_rate_change)
    collect = terms.credit.expected_collection(k)
    return mw * KW_PER_MW * terms.rate_usd_per_kw_month * escal * weight * collect


def leased_critical_it_mw_by_phase(terms: LeaseTerms, n_months: int) -> np.ndarray:
    """Critical IT MW under lease each month (free-rent months included), ``(n_phases, n_months)``.

    Base term fully; renewal months weighted by ``renewal_probability`` (expected MW).
    """
    phases = terms.delivery
    mw = np.array([p.critical_it_mw for p in phases], dtype=float)[:, None]
    rfs = np.array([p.ready_for_service_month for p in phases], dtype=float)[:, None]
    k = np.arange(n_months, dtype=float)[None, :] - rfs
    in_base = (k >= 0) & (k < terms.term_months)
    in_renewal = (k >= terms.term_months) & (k < terms.term_months + terms.renewal_months)
    return mw * (in_base + in_renewal * terms.renewal_probability)


# --------------------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------------------


def s_curve_cumulative(x: np.ndarray | float) -> np.ndarray:
    """Cumulative share of construction spend at build progress ``x`` in [0, 1]: ``3x^2 - 2x^3``.

    The Beta(2, 2) distribution function: slow mobilisation, peak spend mid-build, slow close-out.
    Outside [0, 1] it is clipped to 0 and 1.
    """
    p = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    return np.asarray(p * p * (3.0 - 2.0 * p))


def construction_spend_usd(
    capex_usd: float | np.ndarray,
    construction_start_month: int | np.ndarray,
    ready_for_service_month: int | np.ndarray,
    n_months: int,
    *,
    contingency: float = 0.0,
    delay_months: int = 0,
) -> np.ndarray:
    """Capex spent each month along an S-curve from construction start to ready for service.

    Month ``m`` of a build of ``d = RFS + delay - start`` months spends
    ``capex * (1 + contingency) * (F((m - start + 1)/d) - F((m - start)/d))`` with ``F`` the
    :func:`s_curve_cumulative`. Broadcasts ``capex_usd`` and the months (e.g. one per hall, shape
    ``(h,)``) to ``(h, n_months)``. Spend falling after the horizon is not in the array.
    A zero-length build spends everything in its start month.
    """
    capex = np.asarray(capex_usd, dtype=float)[..., None]
    start = np.asarray(construction_start_month, dtype=float)[..., None]
    rfs = np.asarray(ready_for_service_month, dtype=float)[..., None]
    if np.any(~np.isfinite(capex)) or np.any(capex < 0):
        raise HostingError(f"capex_usd={capex_usd!r} is not allowed: a cost >= 0 in USD")
    if np.any(start < 0):
        raise HostingError(
            f"construction_start_month={construction_start_month!r} is not allowed: a month >= 0"
        )
    if np.any(rfs < start):
        raise HostingError(
            f"ready_for_service_month={ready_for_service_month!r} is not allowed: it must not come "
            f"before construction_start_month={construction_start_month!r}"
        )
    check_value("contingency", contingency, number(0, note="a share"), HostingError)
    check_value("delay_months", delay_months, whole(0), HostingError)
    duration = rfs + delay_months - start
    m = np.arange(n_months, dtype=float)
    safe = np.where(duration > 0, duration, 1.0)
    share = s_curve_cumulative((m - start + 1.0) / safe) - s_curve_cumulative((m - start) / safe)
    share = np.where(duration > 0, share, (m == start).astype(float))
    return capex * (1.0 + contingency) * share


# --------------------------------------------------------------------------------------------------
# Landlord's operating costs by lease structure
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostingCosts:
    """The landlord's operating costs of a hosting campus.

    Defaults, calibrated so a modified-gross lease at $130/kW-month year 1 on $10 M/MW of capex has
    an NOI margin of about 85% (TeraWulf projected ~85% for its modified-gross Fluidstack leases,
    Aug 2025; Cipher 80-85% for Barber Lake, Sep 2025) [D]:
    opex $9 + property tax 1.0%/yr x $10,000/kW / 12 = $8.33 + insurance 0.3%/yr = $2.50, total
    $19.83/kW-month, 15.3% of $130. The tax and insurance rates are assumptions (set per site; no
    audited figure in the fact sheet). Under triple net the landlord keeps a non-recoverable 2.8% of
    rent: Hut 8 River Bend (NNN) NOI $454 M on ~$467 M revenue, 1 - 454/467 = 2.8% [D, Dec 2025].
    ``it_load_factor``: average IT draw as a share of leased critical IT (all-in power bill only).
    """

    opex_usd_per_kw_month: float = 9.0
    property_tax_rate_per_year: float = 0.01
    insurance_rate_per_year: float = 0.003
    non_recoverable_share_of_rent: float = 0.028
    it_load_factor: float = 0.8

    def __post_init__(self) -> None:
        rules = {
            "opex_usd_per_kw_month": number(0),
            "property_tax_rate_per_year": number(0),
            "insurance_rate_per_year": number(0),
            "non_recoverable_share_of_rent": _SHARE,
            "it_load_factor": _SHARE,
        }
        check_fields(self, rules, HostingError)


def landlord_costs_usd(
    structure: str,
    *,
    leased_critical_it_mw: np.ndarray,
    rent_usd: np.ndarray,
    capex_in_service_usd: np.ndarray,
    costs: HostingCosts,
    power_price_usd_per_mwh: float | np.ndarray,
    design_pue: float,
) -> np.ndarray:
    """Operating costs the landlord bears each month, in USD, broadcast over ``(..., n_months)``.

    * triple_net: ``non_recoverable_share_of_rent * rent``.
    * modified_gross: ``MW * 1000 * opex + capex_in_service * (tax + insurance) / 12``.
    * all_in: modified gross plus power, ``MW * load_factor * PUE * 730.5 h * price``.
    """
    check_value("structure", structure, one_of(LEASE_STRUCTURES), HostingError)
    mw = np.asarray(leased_critical_it_mw, dtype=float)
    if structure == "triple_net":
        return costs.non_recoverable_share_of_rent * np.asarray(rent_usd, dtype=float) + 0.0 * mw
    carrying = (costs.property_tax_rate_per_year + costs.insurance_rate_per_year) / 12.0
    cost = (
        mw * KW_PER_MW * costs.opex_usd_per_kw_month + np.asarray(capex_in_service_usd) * carrying
    )
    if structure == "all_in":
        energy_mwh = mw * costs.it_load_factor * design_pue * HOURS_PER_MONTH
        cost = cost + energy_mwh * np.asarray(power_price_usd_per_mwh, dtype=float)
    return cost


# --------------------------------------------------------------------------------------------------
# Gross versus critical IT
# --------------------------------------------------------------------------------------------------


def critical_it_mw_from_gross(
    gross_mw: float | np.ndarray, design_pue: float
) -> float | np.ndarray:
    """Critical IT MW that ``gross_mw`` at the meter supports at ``design_pue``: gross / PUE."""
    check_value("design_pue", design_pue, number(1), HostingError)
    out = np.asarray(gross_mw, dtype=float) / design_pue
    return float(out) if out.ndim == 0 else out


def firm_gross_mw(site: Site, *, firmed: bool = False) -> float:
    """Gross MW an AI tenant can count on: contracted MW less the interruptible share, unless the
    user says the interruptible part has been firmed (then all contracted MW)."""
    return float(site.power.contracted_mw if firmed else site.firm_mw)


def check_critical_it_supported(
    site: Site, critical_it_mw: float, design_pue: float, *, firmed: bool = False
) -> None:
    """Raise :class:`HostingError` naming ``critical_it_mw`` when it exceeds what the site's firm
    power supports at ``design_pue`` (``critical_it_mw * PUE > firm gross MW``)."""
    firm = firm_gross_mw(site, firmed=firmed)
    supported = firm / design_pue
    if critical_it_mw > supported * (1.0 + 1e-9) + 1e-9:
        raise HostingError(
            f"critical_it_mw={critical_it_mw!r} is not allowed at site {site.id!r}: firm power of "
            f"{firm:.1f} MW gross supports at most {supported:.1f} MW of critical IT at a design "
            f"PUE of {design_pue:.2f} (interruptible share {site.power.interruptible_share:.0%} "
            f"{'firmed' if firmed else 'not counted'})"
        )
