"""A site's tenant prospects: the lease rate it can achieve and the odds a tenant signs, from its
AI-hosting readiness score (``sites.readiness``).

One documented, editable mapping around a fixed reference score (not the portfolio's median, so
adding a site changes no other site's value):

* rate: ``scenario rate x max(0, 1 + rate_change_per_point x (score - reference_score))``;
* probability: ``clip(scenario probability + probability_change_per_point x (score -
  reference_score), 0, 1)``.

Both slopes are >= 0, so a better readiness never lowers either. The rate slope is fitted to the
announced conversion leases whose sites are in the example portfolio (:data:`DEAL_SITES`; the fit
is :func:`fit_rate_change_per_point`, its quality printed by ``benchmarks/fit_tenant_rates.py``).
Every observed site signed, so no public data gives the probability slope: it is an ASSUMPTION.

A site without energized or firm power cannot lease until it has them: :func:`months_to_power`
is the earliest month a tenant can sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from models.schedule import months_to_energize
from sites.readiness import CONTRACTED_NOT_ENERGIZED_MONTHS, MAX_MONTHS_TO_POWER, readiness
from sites.schema import Site
from valuation.errors import ValuationError


class TenantError(ValuationError, ValueError):
    """A tenant-prospects input outside its allowed range."""


# The public conversion leases whose sites are in the example portfolio: deal id in
# ``valuation/data/hosting_deals.csv`` -> site id in ``sites/data/example_portfolio.csv``.
# Left out: Core Scientific/CoreWeave (several sites, not one), IREN/Microsoft (a GPU-cloud
# contract, not a lease), Cipher/AWS (site not named in the release).
DEAL_SITES: dict[str, str] = {
    "wulf_fluidstack_lake_mariner_total": "wulf-lake-mariner",
    "wulf_fluidstack_abernathy": "wulf-abernathy",
    "cifr_fluidstack_barber_lake": "cifr-barber-lake",
    "hut_fluidstack_river_bend": "hut-river-bend",
    "hut_beacon_point": "hut-beacon-point",
    "apld_crwv_polaris_forge_1": "apld-ellendale",
    "apld_polaris_forge_2": "apld-polaris-forge-2",
    "glxy_crwv_helios": "glxy-helios",
    "riot_amd_rockdale": "riot-rockdale",
}


@dataclass(frozen=True)
class TenantProspects:
    """The readiness mapping (see the module docstring).

    * ``reference_score`` 65: a fixed point of the 0-100 readiness scale, near the middle of the
      example portfolio's scores (41-85); the scenario's lease rate and signing probability apply
      to a site of this score. Fixed, so no site's value depends on the others.
    * ``rate_change_per_point`` 0.0: the least-squares slope of year-one rent (relative to the
      deals' mean) on readiness over the nine :data:`DEAL_SITES` deals is -0.0011 per point with
      R^2 0.02 (``fit_rate_change_per_point``; +0.0018 without Riot/AMD Rockdale's $90): readiness
      explains almost none of the spread of announced rents ($112-135 but one), so the fitted
      slope, floored at 0 for monotonicity, is 0. A test re-fits it. Edit it to price quality.
    * ``probability_change_per_point`` 0.01: ASSUMPTION (every public site signed): each readiness
      point adds one percentage point to the odds, so a site 20 points above the reference is
      20 points likelier to sign.

    ``neutral()`` (both slopes 0) gives every site the scenario's rate and probability.
    """

    reference_score: float = 65.0
    rate_change_per_point: float = 0.0
    probability_change_per_point: float = 0.01

    def __post_init__(self) -> None:
        checks = {
            "reference_score": (0.0 <= self.reference_score <= 100.0, "a score in [0, 100]"),
            "rate_change_per_point": (
                0.0 <= self.rate_change_per_point <= 0.05,
                "a share of the rate per readiness point in [0, 0.05]",
            ),
            "probability_change_per_point": (
                0.0 <= self.probability_change_per_point <= 0.05,
                "a probability per readiness point in [0, 0.05]",
            ),
        }
        for name, (ok, allowed) in checks.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and ok):
                raise TenantError(f"TenantProspects.{name}={value!r} is not allowed: {allowed}")

    @classmethod
    def neutral(cls) -> TenantProspects:
        """Every site at the scenario's rate and probability."""
        return cls(rate_change_per_point=0.0, probability_change_per_point=0.0)

    def lease_rate_usd_per_kw_month(
        self, readiness_score: float | np.ndarray, scenario_rate_usd_per_kw_month: float
    ) -> np.ndarray | float:
        """Achievable year-one rent, USD per critical IT kW-month, for a readiness score."""
        delta = np.asarray(readiness_score, dtype=float) - self.reference_score
        out = scenario_rate_usd_per_kw_month * np.maximum(
            0.0, 1.0 + self.rate_change_per_point * delta
        )
        return float(out) if np.ndim(out) == 0 else out

    def signing_probability(
        self, readiness_score: float | np.ndarray, scenario_probability: float
    ) -> np.ndarray | float:
        """Probability that a tenant signs within the lease-up window, for a readiness score."""
        delta = np.asarray(readiness_score, dtype=float) - self.reference_score
        out = np.clip(scenario_probability + self.probability_change_per_point * delta, 0.0, 1.0)
        return float(out) if np.ndim(out) == 0 else out


def readiness_score(site: Site, as_of: date) -> float:
    """The site's readiness score (0-100) as of the valuation date (``sites.readiness``)."""
    return float(readiness(site, today=as_of).score)


def months_to_power(site: Site, as_of: date) -> int:
    """Months from ``as_of`` until the site has power a tenant can lease: 0 with energized MW;
    else the queue's energization date, or ``CONTRACTED_NOT_ENERGIZED_MONTHS`` (24) for contracted
    MW, or ``MAX_MONTHS_TO_POWER`` (48) with neither (``sites.readiness``' own figures)."""
    power = site.power
    if power.energized_mw > 0:
        return 0
    if power.queue_energization_date is not None:
        # the month the halls can have it: the retrofit schedule's rounding up, so a lease never
        # signs in a month before its halls have power
        return months_to_energize(power.queue_energization_date, as_of)[0]
    if power.contracted_mw > 0:
        return int(CONTRACTED_NOT_ENERGIZED_MONTHS)
    return int(MAX_MONTHS_TO_POWER)


def fit_rate_change_per_point(
    scores: Sequence[float], rates_usd_per_kw_month: Sequence[float], reference_score: float
) -> tuple[float, float]:
    """Least-squares slope of ``rate / mean(rate)`` on ``score - reference_score`` (floored at 0,
    the mapping's monotonicity) and the fit's R^2 (of the unfloored line)."""
    x = np.asarray(scores, dtype=float) - reference_score
    y = np.asarray(rates_usd_per_kw_month, dtype=float)
    if x.size < 2 or x.size != y.size:
        raise TenantError(
            f"fit needs at least two (score, rate) pairs of equal length; got {x.size} and {y.size}"
        )
    rel = y / y.mean()
    slope, intercept = np.polyfit(x, rel, 1)
    resid = rel - (slope * x + intercept)
    total = float(((rel - rel.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / total if total > 0 else 0.0
    return max(0.0, float(slope)), r2
