"""Power contracts, price-duration curves, economic curtailment, demand-response programs and
price files.

Curtailment rule: in each period the flexible share of the load stops whenever the marginal value
of *not* consuming a MWh (avoided energy and wires charges, plus resale proceeds under a fixed-price
PPA with resale rights, as Riot did with TXU in August 2023) exceeds the mining revenue per MWh.
Intra-month prices are an equal-weight price-duration curve, so one month is ``K`` sorted points,
each worth ``730.5 / K`` hours, and everything vectorises over ``(..., n_months)``.

ERCOT statistics below were derived on 2026-11-29 from the public daily HB_HUBAVG file of
vigneshwinner/TET-Weather (``cleaned_data/Power_3yr.csv``, commit a53dabf8), calendar 2024.
"""

from __future__ import annotations

import csv
import io
import reprlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sites.schema import CONTRACT_TYPES, MAX_ABS_PRICE_USD_PER_MWH, Site
from sites.validation import (
    MAX_ABS_CONTRACT_PRICE_USD_PER_MWH,
    MAX_POWER_MW,
    MAX_SHORT_TEXT_LENGTH,
)
from valuation.checks import (
    Rule,
    as_float_array,
    broadcast_shape,
    check_fields,
    flag,
    number,
    one_of,
    require,
)
from valuation.errors import PowerError
from valuation.market import HOURS_PER_MONTH

DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_PRICE_FILE = DATA_DIR / "ercot_hub_sample_hourly_2024.csv"


class PriceFileError(PowerError):
    """A price file that cannot be used; ``row`` is the 1-based line in the file (header = 1)."""

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ):
        super().__init__(message)
        self.row = row
        self.column = column
        self.value = value


# --- what a contract's or a program's input may be --------------------------------------------------
# Sanity limits, each far beyond any real value, so a typo (1e308, a pasted page) is refused naming
# the field instead of valued into a number of hundreds of digits or carried into every report.

# USD per MWh, either sign (index prices and credits go negative): the inventory's bound on a
# site's contract price (sites.validation: twice ERCOT's $5,000/MWh offer cap).
_USD_PER_MWH = number(
    -MAX_ABS_CONTRACT_PRICE_USD_PER_MWH, MAX_ABS_CONTRACT_PRICE_USD_PER_MWH, note="USD per MWh"
)
_SHARE = number(0, 1, note="a share")
# A demand-response payment per committed MW-hour: reserve prices clear at most at ERCOT's
# $5,000/MWh offer cap (PUCT rule 25.505); $10,000 is twice that, paid for every active hour, where
# real programs pay $1-11/MW-hour (valuation.regions.programs).
MAX_DR_USD_PER_MW_HOUR = 10_000.0
_DR_USD_PER_MW_HOUR = number(0, MAX_DR_USD_PER_MW_HOUR, note="USD per MW-hour")
# The same payment as a yearly credit: every hour of a year at that bound (8,760 h).
_DR_USD_PER_MW_YEAR = number(0, MAX_DR_USD_PER_MW_HOUR * 8_760, note="USD per MW-year")
# A coincident-peak demand charge: $10,000/kW-year is ~70x the top of ERCOT 4CP's $50-150/kW-year
# (ERCOT_4CP below).
MAX_DR_USD_PER_KW_YEAR = 10_000.0
_DR_USD_PER_KW_YEAR = number(0, MAX_DR_USD_PER_KW_YEAR, note="USD per kW-year")
# Text: a program's name and region are names (the inventory's bound on a name,
# sites.validation.MAX_SHORT_TEXT_LENGTH; the longest bundled name has 57 characters); its source
# a few sentences (the longest bundled source, ERCOT 4CP's, has ~280 characters).
MAX_NAME_LENGTH = MAX_SHORT_TEXT_LENGTH
MAX_SOURCE_LENGTH = 1_000


def check_text(obj: object, limits: dict[str, int], error: type[Exception]) -> None:
    """Each named field of ``obj`` is text of at most its limit of characters; else ``error``
    naming the class and field, the text (shortened: never the whole of a long one), its length
    and what is allowed."""
    for name, most in limits.items():
        value = getattr(obj, name)
        if isinstance(value, str) and len(value) <= most:
            continue
        length = f" ({len(value):,} characters)" if isinstance(value, str) else ""
        raise error(
            f"{type(obj).__name__}.{name}={reprlib.repr(value)}{length} is not allowed: text of "
            f"at most {most:,} characters"
        )


# --- contracts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerContract:
    """A site's power supply contract, all prices in $/MWh at the meter.

    contract_type: "fixed_ppa" (price_usd_per_mwh is the fixed price, take-or-pay on scheduled
        energy), "index_plus_adder" (pays the hub index plus ``adder_usd_per_mwh``;
        ``price_usd_per_mwh`` is the index level used when no price curve is given) or
        "utility_tariff" (a flat energy charge ``price_usd_per_mwh``).
    transmission_usd_per_mwh, other_charges_usd_per_mwh: volumetric wires and other charges, paid
        on energy drawn (so avoided by curtailing).
    resale_rights: under a fixed PPA, energy not drawn is resold at the hub price less
        ``resale_fee_usd_per_mwh`` (Riot/TXU, 2023: "sold approximately $24 million of pre-purchased
        energy ... pursuant to its long-term power purchase agreements").
    flexible_share: share of the load that curtails; default 0.95 (Riot "curtailed its power
        usage by over 95% during peak demand", The Block 2023-09-06).
    contracted_mw, interruptible_share: the site's power rights (informational; the MW profile
        passed to ``mining_cash_flows`` governs).

    Defaults: an ERCOT index contract at the 2024 hub-average mean of $26.83/MWh (derived,
    HB_HUBAVG 2024) plus a $5/MWh adder (assumption); volumetric transmission $0 because ERCOT
    transmission is a 4CP demand charge, levied only when ``ERCOT_4CP`` is passed as a program
    (``DemandResponseProgram.transmission_charge_usd_per_kw_year``).
    """

    contract_type: str = "index_plus_adder"
    price_usd_per_mwh: float = 26.83
    adder_usd_per_mwh: float = 5.0
    transmission_usd_per_mwh: float = 0.0
    other_charges_usd_per_mwh: float = 0.0
    resale_rights: bool = True
    resale_fee_usd_per_mwh: float = 0.0
    flexible_share: float = 0.95
    contracted_mw: float | None = None
    interruptible_share: float = 0.0

    def __post_init__(self) -> None:
        rules = {
            "contract_type": one_of(CONTRACT_TYPES),
            "price_usd_per_mwh": _USD_PER_MWH,
            "adder_usd_per_mwh": _USD_PER_MWH,
            "transmission_usd_per_mwh": _USD_PER_MWH,
            "other_charges_usd_per_mwh": _USD_PER_MWH,
            "resale_rights": flag(),
            "resale_fee_usd_per_mwh": _USD_PER_MWH,
            "flexible_share": _SHARE,
            "contracted_mw": number(0, MAX_POWER_MW, note="MW").or_none(),
            "interruptible_share": _SHARE,
        }
        check_fields(self, rules, PowerError)

    @classmethod
    def from_site(
        cls,
        site: Site,
        *,
        index_price_usd_per_mwh: float = 26.83,
        contract_price_usd_per_mwh: float | None = None,
        unknown_adder_usd_per_mwh: float = 5.0,
        **overrides: object,
    ) -> PowerContract:
        """Contract from a ``sites.schema.Site``'s power rights (the site's price is the fixed price,
        the tariff, or the adder over the index, as ``PowerRights`` documents).

        ``contract_price_usd_per_mwh``, when given, replaces the site's own contract price (a
        scenario's power price); ``overrides`` set any other field.

        An UNKNOWN site price (None, ``sites.unknowns``) is valued at the region's price: an index
        contract pays the index plus ``unknown_adder_usd_per_mwh`` (the caller passes the grid
        region's ``Region.default_adder_usd_per_mwh``, itself an assumption of $5/MWh); a fixed
        PPA or a tariff is priced at ``index_price_usd_per_mwh`` (the region's mean index price,
        or its tariff level for a utility-tariff region) plus that adder. Never $0/MWh."""
        power = site.power
        site_price = (
            power.contract_price_usd_per_mwh
            if contract_price_usd_per_mwh is None
            else contract_price_usd_per_mwh
        )
        if site_price is None:
            site_price = (
                unknown_adder_usd_per_mwh
                if power.contract_type == "index_plus_adder"
                else index_price_usd_per_mwh + unknown_adder_usd_per_mwh
            )
        kwargs: dict[str, object] = {
            "contract_type": power.contract_type,
            "contracted_mw": power.contracted_mw,
            "interruptible_share": power.interruptible_share,
        }
        if power.contract_type == "index_plus_adder":
            kwargs["price_usd_per_mwh"] = index_price_usd_per_mwh
            kwargs["adder_usd_per_mwh"] = site_price
        else:
            kwargs["price_usd_per_mwh"] = site_price
            kwargs["adder_usd_per_mwh"] = 0.0
        kwargs.update(overrides)
        return cls(**kwargs)  # type: ignore[arg-type]

    def _coefficients(
        self, market_prices: bool
    ) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
        """Per-MWh (slope on hub price, constant) for avoided cost, resale credit and base cost."""
        wires = self.transmission_usd_per_mwh + self.other_charges_usd_per_mwh
        if self.contract_type == "index_plus_adder":
            avoid = (1.0, self.adder_usd_per_mwh + wires)
            return avoid, (0.0, 0.0), avoid
        if self.contract_type == "utility_tariff":
            avoid = (0.0, self.price_usd_per_mwh + wires)
            return avoid, (0.0, 0.0), avoid
        base = (0.0, self.price_usd_per_mwh + wires)
        credit = (
            (1.0, -self.resale_fee_usd_per_mwh)
            if (self.resale_rights and market_prices)
            else (0.0, 0.0)
        )
        return (0.0, wires), credit, base


# --- demand response -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandResponseProgram:
    """A grid program: a capacity payment per committed MW-hour, and/or a yearly credit per MW,
    and/or a coincident-peak demand charge, with deployments that stop the committed share for
    ``expected_deployment_hours_per_year`` spread over the active months. Deployment hours
    already curtailed for price cost nothing extra.

    Coincident-peak transmission (ERCOT 4CP): ``transmission_charge_usd_per_kw_year`` is the
    demand charge on the site's load during the system peaks; it is levied on the running load
    (gross MW x uptime) in power cost, spread evenly over the twelve months, and the program
    credits back the share avoided by curtailing at the peaks, ``committed_share x
    peak_catch_rate``. Net: ``charge x (1 - committed_share x peak_catch_rate)``. Steady state:
    the charge a year pays is set by the previous summer's peaks, taken equal to this year's.
    """

    name: str
    capacity_payment_usd_per_mw_hour: float = 0.0
    committed_share: float = 0.5
    expected_deployment_hours_per_year: float = 0.0
    annual_credit_usd_per_mw_year: float = 0.0
    transmission_charge_usd_per_kw_year: float = 0.0
    peak_catch_rate: float = 1.0
    months_active: tuple[int, ...] = tuple(range(1, 13))
    grid_region: str = "ERCOT"  # the market that runs it: a site elsewhere cannot enrol
    paid_only_while_running: bool = (
        True  # load resources earn reserve payments only while consuming
    )
    source: str = ""

    def __post_init__(self) -> None:
        check_text(self, {"name": MAX_NAME_LENGTH, "grid_region": MAX_NAME_LENGTH,
                          "source": MAX_SOURCE_LENGTH}, PowerError)  # fmt: skip
        months = Rule(
            lambda v: (
                isinstance(v, tuple)
                and 1 <= len(v) <= 12
                and all(m in range(1, 13) for m in v)
                and len(set(v)) == len(v)
            ),
            "a tuple of distinct months 1-12, at least one",
        )
        check_fields(
            self,
            {
                "capacity_payment_usd_per_mw_hour": _DR_USD_PER_MW_HOUR,
                "committed_share": _SHARE,
                "annual_credit_usd_per_mw_year": _DR_USD_PER_MW_YEAR,
                "transmission_charge_usd_per_kw_year": _DR_USD_PER_KW_YEAR,
                "peak_catch_rate": _SHARE,
                "months_active": months,
                "paid_only_while_running": flag(),
            },
            PowerError,
        )
        active_hours = HOURS_PER_MONTH * len(self.months_active)
        rule = number(0, active_hours, note="the hours of the active months at most")
        check_fields(self, {"expected_deployment_hours_per_year": rule}, PowerError)


ERCOT_ERS = DemandResponseProgram(
    name="ERCOT ERS",
    capacity_payment_usd_per_mw_hour=65_000.0 / 8_760.0,
    committed_share=0.5,
    expected_deployment_hours_per_year=4.0,
    source="Capacity ~$60-70k/MW-year historically (loadvizpro.com, secondary; midpoint $65k / 8,760 h); "
    "deployments only in energy emergencies: 4 h/yr is an assumption; committed share an assumption.",
)
ERCOT_RRS = DemandResponseProgram(
    name="ERCOT RRS (load resource)",
    capacity_payment_usd_per_mw_hour=9.62,
    committed_share=0.5,
    expected_deployment_hours_per_year=2.0,
    source="No sourced RRS average clearing price (fact sheet 2026-11-29, open item 7): assumption set "
    "to the 2024 ECRS average $9.62/MW-h; under-frequency trips assumed 2 h/yr.",
)
ERCOT_ECRS = DemandResponseProgram(
    name="ERCOT ECRS",
    capacity_payment_usd_per_mw_hour=9.62,
    committed_share=0.5,
    expected_deployment_hours_per_year=10.0,
    source="ECRS average price $76.77/MWh (2023) -> $9.62/MWh (2024), IMM 2024 State of the Market "
    "(via RTO Insider); deployments 10 h/yr an assumption (must sustain 2 h per deployment).",
)
# ERCOT 4CP: next-year transmission charges are set by the load in the four 15-minute system
# peaks, one a month June-September; "$50-$150+ per kW per year, depending on the TSP"
# (nfmconsulting.com, via the project fact sheet 2026-11-29, section 5.2). $100/kW-year is the
# midpoint of that range (an assumption: the rate depends on the TSP; no single published rate).
ERCOT_4CP_CHARGE_USD_PER_KW_YEAR = 100.0
ERCOT_4CP = DemandResponseProgram(
    name="ERCOT 4CP transmission avoidance",
    capacity_payment_usd_per_mw_hour=0.0,
    committed_share=0.95,
    expected_deployment_hours_per_year=60.0,
    transmission_charge_usd_per_kw_year=ERCOT_4CP_CHARGE_USD_PER_KW_YEAR,
    peak_catch_rate=0.9,
    months_active=(6, 7, 8, 9),
    paid_only_while_running=False,
    source="Transmission charge $50-150+/kW-year set by the four June-September 15-minute peaks "
    "(nfmconsulting.com); midpoint $100/kW-year levied on the running load (assumption), 90% of "
    "peaks caught (assumption) on the 95% flexible share, 60 h/yr of peak-watch curtailment "
    "(assumption).",
)
ERCOT_PROGRAMS: tuple[DemandResponseProgram, ...] = (ERCOT_ERS, ERCOT_RRS, ERCOT_ECRS, ERCOT_4CP)


# --- price-duration curves and curtailment ---------------------------------------------------------


@dataclass(frozen=True)
class PriceDurationCurve:
    """Hub prices by calendar month as equal-weight sorted points: ``(12, K)`` $/MWh, January first."""

    prices_usd_per_mwh: np.ndarray
    hub: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        arr = as_float_array(self.prices_usd_per_mwh, "prices_usd_per_mwh", PowerError)
        if arr.ndim != 2 or arr.shape[0] != 12 or arr.shape[1] < 1:
            raise PowerError(f"prices_usd_per_mwh has shape {arr.shape}; expected (12, n_points)")
        require(arr, np.isfinite(arr), "prices_usd_per_mwh", "must be finite $/MWh", PowerError)
        object.__setattr__(self, "prices_usd_per_mwh", np.sort(arr, axis=1))

    @property
    def mean_usd_per_mwh(self) -> np.ndarray:
        """Mean price per calendar month, (12,)."""
        return self.prices_usd_per_mwh.mean(axis=1)

    def shifted(self, delta_usd_per_mwh: float) -> PriceDurationCurve:
        """The same shape moved up or down by a constant $/MWh."""
        return PriceDurationCurve(
            self.prices_usd_per_mwh + float(delta_usd_per_mwh), self.hub, self.source
        )

    @classmethod
    def from_series(
        cls,
        series: PriceSeries,
        n_points: int = 720,
        *,
        hub: str = "",
        source: str = "",
        fill: PriceDurationCurve | None = None,
    ) -> PriceDurationCurve:
        """Each calendar month's interval prices as ``n_points`` equal-probability bin means.

        Point ``j`` is the mean price over the ``j``-th ``1/K`` slice of the month's sorted
        prices (``bin_means``), so the curve's mean equals the month's interval mean at any ``K``
        and the spike tail is kept in the top bins (quantiles at bin centres would drop it:
        48 Hazen points gave $22.84/MWh against $26.83 for the 2024 sample).

        Any 5-, 15-, 30- or 60-minute series holding at least one complete calendar month is
        accepted (``complete_months``); only complete months are used, several years of the same
        month are pooled. Calendar months the series does not cover are taken from ``fill`` (e.g.
        a region's curve, resampled to ``n_points``); without ``fill`` all twelve must be covered.
        """
        if not isinstance(n_points, (int, np.integer)) or n_points < 1:
            raise PowerError(f"n_points={n_points!r} is not allowed; must be an integer >= 1")
        complete = complete_months(series)
        if not complete.any():
            raise PowerError(
                "price series holds no complete calendar month "
                f"({len(series.prices_usd_per_mwh)} intervals of {series.interval_hours:g} h); "
                "at least one whole month is needed"
            )
        months = series.timestamps.month.to_numpy()
        use = complete_interval_mask(series)
        covered = sorted(set(months[use].tolist()))
        missing = sorted(set(range(1, 13)) - set(covered))
        if missing and fill is None:
            raise PowerError(
                f"price series lacks calendar months {missing}; a curve needs all twelve "
                "(pass fill=<a region's curve> to fill them)"
            )
        rows = []
        for m in range(1, 13):
            if m in covered:
                rows.append(bin_means(series.prices_usd_per_mwh[use & (months == m)], n_points))
            else:
                rows.append(bin_means(fill.prices_usd_per_mwh[m - 1], n_points))  # type: ignore[union-attr]
        return cls(np.vstack(rows), hub=hub or series.hub, source=source or series.source)


def complete_months(series: PriceSeries) -> pd.Series:
    """For each calendar month (period) the series touches: True when every interval is present.

    A month of ``d`` days at ``h``-hour intervals is complete with ``d x 24 / h`` intervals
    (calendar hours: August has 744). The loader already refuses gaps and duplicates, so a count
    is enough.
    """
    periods = series.timestamps.to_period("M")
    counts = pd.Series(1, index=periods).groupby(level=0).sum()
    expected = counts.index.days_in_month.to_numpy() * 24.0 / series.interval_hours
    return pd.Series(np.isclose(counts.to_numpy(), expected), index=counts.index)


def complete_interval_mask(series: PriceSeries) -> np.ndarray:
    """Boolean ``(n,)``: the interval lies in a complete calendar month of the series."""
    complete = complete_months(series)
    periods = series.timestamps.to_period("M")
    return complete.reindex(periods).to_numpy(dtype=bool)


def bin_means(values_usd_per_mwh: object, n_points: int) -> np.ndarray:
    """Means of ``n_points`` equal-probability bins of the sorted values, ascending, ``(K,)``.

    The ``n`` values each carry mass ``1/n``; bin ``j`` covers cumulative mass ``[j/K, (j+1)/K)``
    and a value straddling a bin edge is split pro rata. With ``C(t)`` the integral of the
    empirical quantile function from 0 to ``t`` (a cumulative sum plus a fractional last value),
    point ``j = K x (C((j+1)/K) - C(j/K))``. Hence ``mean(points) = C(1) = mean(values)`` exactly,
    and for ``K`` a multiple of ``n`` the points repeat each value ``K/n`` times (the exact
    distribution). Each bin mean is a conditional mean, so by Jensen's inequality any convex
    payoff (e.g. the value of curtailing) is understated by coarse bins and converges from below.
    """
    x = np.sort(as_float_array(values_usd_per_mwh, "values_usd_per_mwh", PowerError).ravel())
    if x.size == 0:
        raise PowerError("values_usd_per_mwh is empty; a bin needs at least one price")
    require(x, np.isfinite(x), "values_usd_per_mwh", "must be finite $/MWh", PowerError)
    n, k = x.size, int(n_points)
    cs = np.concatenate([[0.0], np.cumsum(x)])
    # edge j sits at j x n / K values: whole values below it, then a fraction of the next one
    # (integer arithmetic so edges on a value boundary are exact)
    scaled = np.arange(k + 1, dtype=np.int64) * n
    whole = scaled // k
    frac = (scaled % k) / k
    integral = cs[whole] + frac * x[np.minimum(whole, n - 1)]  # n x C(j/K)
    return np.diff(integral) * (k / n)


@dataclass(frozen=True)
class CurtailmentResult:
    """Economic curtailment per period, arrays shaped like the broadcast of threshold and curve.

    Means are over all points of the curve (per MWh of flexible baseline energy), so
    ``flexible MWh x avoided_cost_per_mwh_mean`` is the cost avoided in the period.
    """

    fraction_curtailed: np.ndarray  # share of points (hours) curtailed
    avoided_cost_per_mwh_mean: np.ndarray
    credit_per_mwh_mean: np.ndarray
    running_avoided_cost_usd_per_mwh: np.ndarray  # mean over points still running
    running_credit_usd_per_mwh: np.ndarray
    base_rate_usd_per_mwh: np.ndarray  # mean cost per MWh with no curtailment


@dataclass(frozen=True)
class ScaledPricePoints:
    """Price points that are one curve times a level per path and month, kept unmultiplied:
    ``price[..., m, j] = scale[..., m] * points_usd_per_mwh[m, j]`` ($/MWh).

    A Monte Carlo power level scales the region's price-duration curve (``valuation.risk``);
    :func:`economic_curtailment` then searches and sums the ``(n_months, K)`` curve once instead
    of ``(paths, n_months, K)`` products: with ``scale > 0``, ``scale x p > t`` exactly when
    ``p > t / scale``, and the sums of the points curtailed are ``scale`` times the curve's.
    """

    points_usd_per_mwh: np.ndarray  # (n_months, K), ascending along K
    scale: np.ndarray  # (..., n_months), > 0

    def __post_init__(self) -> None:
        pts = as_float_array(self.points_usd_per_mwh, "points_usd_per_mwh", PowerError)
        scale = as_float_array(self.scale, "scale", PowerError)
        if pts.ndim != 2 or pts.shape[-1] == 0:
            raise PowerError(f"points_usd_per_mwh has shape {pts.shape}; expected (n_months, K)")
        require(pts, np.isfinite(pts), "points_usd_per_mwh", "must be finite $/MWh", PowerError)
        if not (pts[:, 1:] >= pts[:, :-1]).all():
            raise PowerError("points_usd_per_mwh must be ascending along each month's points")
        if scale.ndim == 0 or scale.shape[-1] != pts.shape[0]:
            raise PowerError(f"scale has shape {scale.shape}; expected (..., {pts.shape[0]})")
        require(scale, np.isfinite(scale) & (scale > 0), "scale", "must be finite and > 0",
                PowerError)  # fmt: skip
        object.__setattr__(self, "points_usd_per_mwh", pts)
        object.__setattr__(self, "scale", scale)

    @property
    def n_months(self) -> int:
        return int(self.points_usd_per_mwh.shape[0])


def economic_curtailment(
    mining_value_usd_per_mwh: object,
    price_points_usd_per_mwh: object,
    contract: PowerContract,
    *,
    market_prices: bool = True,
) -> CurtailmentResult:
    """Vectorised economic curtailment against equal-weight sorted price points.

    mining_value_usd_per_mwh: mining revenue per MWh at the meter, shape ``L`` (e.g. paths x months).
    price_points_usd_per_mwh: ``(..., K)`` ascending prices whose leading shape broadcasts to ``L``.
    A point is curtailed when its marginal value of not consuming ``v = avoided + credit`` exceeds
    the mining value. Counting uses one ``searchsorted`` over all rows (offset so rows stay
    ordered) and cumulative sums give the curtailed prices, so the cost is O(L log K).
    ``price_points_usd_per_mwh`` may be :class:`ScaledPricePoints` (a curve ``(n_months, K)``
    times a level ``(..., n_months)``): the same result without forming the products.
    """
    r = as_float_array(mining_value_usd_per_mwh, "mining_value_usd_per_mwh", PowerError)
    require(r, np.isfinite(r), "mining_value_usd_per_mwh", "must be finite", PowerError)
    if isinstance(price_points_usd_per_mwh, ScaledPricePoints):
        flat = price_points_usd_per_mwh.points_usd_per_mwh  # (n, K): one row per month
        scale = price_points_usd_per_mwh.scale
        shape = broadcast_shape(
            {"the price scale": scale.shape, "mining_value_usd_per_mwh": r.shape}, PowerError
        )
        gi = np.broadcast_to(np.arange(flat.shape[0]), shape)
        return _curtail_rows(flat, gi, np.broadcast_to(r, shape), np.broadcast_to(scale, shape),
                             contract, market_prices)  # fmt: skip
    pts = as_float_array(price_points_usd_per_mwh, "price_points_usd_per_mwh", PowerError)
    if pts.ndim == 0:
        pts = pts[None]
    lead = pts.shape[:-1]
    shape = broadcast_shape(
        {
            "price_points_usd_per_mwh (less its last axis)": lead,
            "mining_value_usd_per_mwh": r.shape,
        },
        PowerError,
    )
    g = int(np.prod(lead, dtype=np.int64))
    gi = np.broadcast_to(np.arange(g).reshape(lead), shape)
    return _curtail_rows(pts.reshape(g, pts.shape[-1]), gi, np.broadcast_to(r, shape), None,
                         contract, market_prices)  # fmt: skip


def _curtail_rows(
    flat: np.ndarray,
    gi: np.ndarray,
    rb: np.ndarray,
    scale: np.ndarray | None,
    contract: PowerContract,
    market_prices: bool,
) -> CurtailmentResult:
    """Curtailment of each query (mining value ``rb``) against row ``gi`` of the ascending
    points ``flat`` ``(g, K)``, the row's prices times ``scale`` (> 0; None = 1): the row is
    searched at ``threshold / scale`` and its sums scaled, so ``(..., K)`` products are never
    formed (a scale of exactly 1 gives the unscaled numbers bit for bit)."""
    k = flat.shape[1]
    (a_av, b_av), (a_cr, b_cr), (a_base, b_base) = contract._coefficients(market_prices)
    a_v, b_v = a_av + a_cr, b_av + b_cr
    if a_v == 0.0:
        n_run = np.where(b_v > rb, 0, k)
    else:
        thr = rb - b_v if scale is None else (rb - b_v) / scale  # curtail points above it
        if flat.shape[0] == 1:
            n_run = np.searchsorted(flat[0], thr, side="right")
        else:
            lo, hi = float(flat.min()), float(flat.max())
            offset = gi * (hi - lo + 1.0)
            q = (np.clip(thr, lo - 0.25, hi + 0.25) - lo) + offset
            n_run = _count_keys_at_most(flat, gi, lo, offset, q)
    cum = np.cumsum(flat, axis=1)
    total = flat.sum(axis=1)[gi]
    sum_run = np.where(n_run > 0, cum[gi, np.maximum(n_run - 1, 0)], 0.0)
    if scale is not None:
        total, sum_run = scale * total, scale * sum_run
    return _curtailment_result(n_run, k, sum_run, total, (a_av, b_av), (a_cr, b_cr),
                               (a_base, b_base))  # fmt: skip


def _curtailment_result(
    n_run: np.ndarray,
    k: int,
    sum_run: np.ndarray,
    total: np.ndarray,
    avoid: tuple[float, float],
    credit: tuple[float, float],
    base: tuple[float, float],
) -> CurtailmentResult:
    """The result from the points still running (``n_run`` of ``k``), their price sum and the
    month's total (USD/MWh summed over points), per the contract's (slope, constant) pairs."""
    (a_av, b_av), (a_cr, b_cr), (a_base, b_base) = avoid, credit, base
    c = k - n_run
    sum_top = total - sum_run
    n_run_safe = np.maximum(n_run, 1)
    mean_run_price = np.where(n_run > 0, sum_run / n_run_safe, 0.0)
    return CurtailmentResult(
        fraction_curtailed=c / k,
        avoided_cost_per_mwh_mean=(a_av * sum_top + b_av * c) / k,
        credit_per_mwh_mean=(a_cr * sum_top + b_cr * c) / k,
        running_avoided_cost_usd_per_mwh=np.where(n_run > 0, a_av * mean_run_price + b_av, 0.0),
        running_credit_usd_per_mwh=np.where(n_run > 0, a_cr * mean_run_price + b_cr, 0.0),
        base_rate_usd_per_mwh=a_base * total / k + b_base,
    )


def _count_keys_at_most(
    flat: np.ndarray, gi: np.ndarray, lo: float, offset: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """For each query ``q`` (shape of ``gi``), how many keys ``(flat[gi] - lo) + offset`` of its
    row (ascending points ``flat`` ``(g, K)``) are ``<= q``: what ``searchsorted(side="right")``
    over every row's keys laid end to end (rows ``span`` apart, so they stay ordered) returns
    minus the earlier rows' ``K`` points each, computed on the same float keys. Bisection by
    powers of two reads one point per query and step (``log2 K`` steps) instead of building and
    searching the ``g x K`` keys."""
    k = flat.shape[1]
    count = np.zeros(q.shape, dtype=np.int64)
    step = 1 << (k.bit_length() - 1)
    while step:  # a handful of bisection steps, not months or paths
        cand = count + step
        key = (flat[gi, np.minimum(cand, k) - 1] - lo) + offset
        count = np.where((cand <= k) & (key <= q), cand, count)
        step >>= 1
    return count


# --- price files ---------------------------------------------------------------------------------

_TIME_NAMES = (
    "timestamp",
    "time",
    "datetime",
    "date_time",
    "interval_start",
    "interval start",
    "hour",
)
_PRICE_NAMES = ("price", "price_usd_per_mwh", "spp", "lmp", "settlement point price", "usd_per_mwh")
_ALLOWED_MINUTES = (5, 15, 30, 60)
# The calendar years a price file's timestamps may name: a market's prices since 2000 and a
# forward curve to 2100 (year 1 or 9999 is a typing error, not a price history).
PRICE_FILE_YEARS = (2000, 2100)


@dataclass(frozen=True)
class PriceSeries:
    """A validated, evenly spaced hub price series ($/MWh)."""

    timestamps: pd.DatetimeIndex
    prices_usd_per_mwh: np.ndarray
    interval_hours: float
    hub: str = ""
    source: str = ""
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"timestamp": self.timestamps, "price_usd_per_mwh": self.prices_usd_per_mwh}
        )


def load_price_file(path_or_buffer: str | Path | io.TextIOBase, *, hub: str = "") -> PriceSeries:
    """Read a CSV of ``timestamp, price`` ($/MWh) at an even 5/15/30/60-minute interval.

    Header names are matched loosely (timestamp/time/datetime/interval_start; price/spp/lmp);
    a two-column file without those names is read positionally. Timestamps should be UTC or local
    standard time (clock changes show up as gaps or duplicates). Raises ``PriceFileError`` naming
    the file row (header = row 1), column and value for: missing columns, unparseable timestamps,
    non-numeric or non-finite prices, duplicate or unsorted timestamps, gaps, uneven intervals.
    """
    source = str(path_or_buffer) if isinstance(path_or_buffer, (str, Path)) else "<buffer>"
    rows = _price_file_rows(path_or_buffer, source)
    t_col, p_col = _price_file_columns(rows[0])
    t_name, p_name = rows[0][t_col].strip(), rows[0][p_col].strip()
    n = len(rows) - 1
    prices = np.empty(n)
    stamps: list[pd.Timestamp] = []
    for i, row in enumerate(rows[1:]):
        line = i + 2
        if len(row) <= max(t_col, p_col):
            raise PriceFileError(
                f"row {line}: expected columns {t_name!r} and {p_name!r}, got {row!r}", row=line
            )
        ts = _price_file_timestamp(row[t_col].strip(), line, t_name)
        prices[i] = _price_file_price(row[p_col].strip(), line, p_name)
        stamps.append(ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts)
    idx = pd.DatetimeIndex(stamps)
    step = _even_step_minutes(idx, t_name)
    return PriceSeries(idx, prices, step / 60.0, hub=hub, source=source)


def _csv_rows(fh: Any, source: str) -> list[list[str]]:
    reader = csv.reader(fh)
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. a cell past the csv module's 131,072-character limit
        raise PriceFileError(
            f"price file {source!r}, line {reader.line_num}: not CSV a price file can hold "
            f"({exc}); allowed: a timestamp and a price a row"
        ) from None


def _price_file_rows(path_or_buffer: str | Path | io.TextIOBase, source: str) -> list[list[str]]:
    """The file's non-blank CSV rows (the header and at least two more)."""
    try:
        if isinstance(path_or_buffer, (str, Path)):
            with open(path_or_buffer, newline="") as fh:
                rows = _csv_rows(fh, source)
        else:
            rows = _csv_rows(path_or_buffer, source)
    except OSError as exc:
        raise PriceFileError(f"price file {source!r} cannot be read: {exc}") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 3:
        raise PriceFileError(
            f"price file {source!r} needs a header and at least two rows of prices"
        )
    return rows


def _price_file_columns(header_row: list[str]) -> tuple[int, int]:
    """The timestamp and price columns, by name (loosely) or, in a two-column file, position."""
    header = [h.strip().lower() for h in header_row]
    t_col = next((i for i, h in enumerate(header) if h in _TIME_NAMES), None)
    p_col = next((i for i, h in enumerate(header) if h in _PRICE_NAMES), None)
    if t_col is None or p_col is None:
        if len(header) == 2:
            return 0, 1
        raise PriceFileError(
            f"price file header {header_row!r} lacks a timestamp and a price column "
            f"(names like {_TIME_NAMES[0]!r} and {_PRICE_NAMES[0]!r})",
            row=1,
        )
    return t_col, p_col


def _price_file_timestamp(raw_t: str, line: int, t_name: str) -> pd.Timestamp:
    """One row's timestamp, or an error naming the row, column and value."""
    try:
        ts = pd.Timestamp(raw_t)
        if pd.isna(ts):
            raise ValueError
    except (ValueError, TypeError):
        raise PriceFileError(
            f"row {line}, column {t_name!r}: {raw_t!r} is not a timestamp",
            row=line,
            column=t_name,
            value=raw_t,
        ) from None
    if not PRICE_FILE_YEARS[0] <= ts.year <= PRICE_FILE_YEARS[1]:
        raise PriceFileError(
            f"row {line}, column {t_name!r}: {raw_t!r} is in {ts.year}; allowed: a timestamp "
            f"from {PRICE_FILE_YEARS[0]} to {PRICE_FILE_YEARS[1]}",
            row=line, column=t_name, value=raw_t,
        )  # fmt: skip
    return ts


def _price_file_price(raw_p: str, line: int, p_name: str) -> float:
    """One row's finite price ($/MWh), or an error naming the row, column and value."""
    try:
        value = float(raw_p)
    except ValueError:
        raise PriceFileError(
            f"row {line}, column {p_name!r}: {raw_p!r} is not a number ($/MWh expected)",
            row=line, column=p_name, value=raw_p,
        ) from None  # fmt: skip
    if not (np.isfinite(value) and abs(value) <= MAX_ABS_PRICE_USD_PER_MWH):
        what = "is outside the prices allowed" if np.isfinite(value) else "is not a finite price"
        raise PriceFileError(
            f"row {line}, column {p_name!r}: {raw_p!r} {what}; allowed: a number within "
            f"+/- {MAX_ABS_PRICE_USD_PER_MWH:,.0f} $/MWh",
            row=line, column=p_name, value=raw_p,
        )  # fmt: skip
    return value


def _even_step_minutes(idx: pd.DatetimeIndex, t_name: str) -> float:
    """The series' interval in minutes (5, 15, 30 or 60), checked unique, sorted and gapless."""
    diffs = np.diff(idx.values.astype("datetime64[s]").astype(np.int64)) / 60.0  # minutes
    for check, rule in (
        (diffs == 0, "duplicates the previous timestamp"),
        (diffs < 0, "is earlier than the previous row"),
    ):
        if check.any():
            j = int(np.argmax(check)) + 1
            raise PriceFileError(
                f"row {j + 2}, column {t_name!r}: {idx[j]} {rule}; timestamps must be unique and sorted",
                row=j + 2, column=t_name, value=str(idx[j]),
            )  # fmt: skip
    step = float(np.min(diffs))
    if step not in _ALLOWED_MINUTES:
        raise PriceFileError(
            f"price interval of {step:g} minutes is not allowed; expected one of {_ALLOWED_MINUTES}",
            column=t_name,
        )
    gaps = diffs != step
    if gaps.any():
        j = int(np.argmax(gaps)) + 1
        raise PriceFileError(
            f"row {j + 2}, column {t_name!r}: gap of {diffs[j - 1]:g} minutes after {idx[j - 1]} "
            f"(expected {step:g}); fill missing intervals",
            row=j + 2, column=t_name, value=str(idx[j]),
        )  # fmt: skip
    return step


def curtailment_by_month(
    series: PriceSeries,
    mining_value_usd_per_mwh: float,
    contract: PowerContract,
    power_mw: float = 1.0,
) -> pd.DataFrame:
    """Exact interval-by-interval economic curtailment of a price file, summed by calendar month.

    The flexible share of ``power_mw`` stops in each interval whose marginal value of not consuming
    exceeds ``mining_value_usd_per_mwh`` (uptime is not applied). Columns: hours,
    mean_price_usd_per_mwh, curtailed_hours, curtailed_mwh, avoided_cost_usd, credit_usd,
    foregone_revenue_usd, power_cost_usd (gross of credits).
    """
    r = float(
        np.asarray(as_float_array(mining_value_usd_per_mwh, "mining_value_usd_per_mwh", PowerError))
    )
    if not np.isfinite(r):
        raise PowerError(f"mining_value_usd_per_mwh={r!r} is not allowed; must be finite")
    if not (np.isfinite(power_mw) and power_mw >= 0):
        raise PowerError(f"power_mw={power_mw!r} is not allowed; must be >= 0")
    p = series.prices_usd_per_mwh
    (a_av, b_av), (a_cr, b_cr), (a_base, b_base) = contract._coefficients(True)
    off = (a_av + a_cr) * p + (b_av + b_cr) > r
    h = series.interval_hours
    flex_mwh = power_mw * contract.flexible_share * h
    frame = pd.DataFrame(
        {
            "hours": h,
            "price": p,
            "curtailed_hours": off * h,
            "curtailed_mwh": off * flex_mwh,
            "avoided_cost_usd": off * flex_mwh * (a_av * p + b_av),
            "credit_usd": off * flex_mwh * (a_cr * p + b_cr),
            "foregone_revenue_usd": off * flex_mwh * r,
            "base_cost_usd": power_mw * h * (a_base * p + b_base),
        },
        index=series.timestamps,
    )
    g = frame.groupby(frame.index.to_period("M"))
    out = g[
        [
            "hours",
            "curtailed_hours",
            "curtailed_mwh",
            "avoided_cost_usd",
            "credit_usd",
            "foregone_revenue_usd",
        ]
    ].sum()
    out.insert(1, "mean_price_usd_per_mwh", g["price"].mean())
    out["power_cost_usd"] = g["base_cost_usd"].sum() - out["avoided_cost_usd"]
    out.index.name = "month"
    return out


# --- ERCOT 2024 statistics and the bundled sample series -----------------------------------------

# Derived 2026-11-29 from the daily HB_HUBAVG file (vigneshwinner/TET-Weather, cleaned_data/
# Power_3yr.csv, commit a53dabf8), calendar 2024, by calendar month Jan..Dec:
# mean of daily means ($/MWh); the 2024 annual mean is $26.83/MWh.
ERCOT_2024_MONTHLY_MEAN_USD_PER_MWH = (
    32.87,
    14.41,
    21.04,
    24.38,
    37.71,
    28.00,
    22.56,
    36.03,
    24.29,
    23.94,
    30.25,
    25.61,
)
# coefficient of variation of daily means on days whose high stayed below $1,000
ERCOT_2024_DAILY_MEAN_CV = (
    0.751,
    0.367,
    0.661,
    0.691,
    0.496,
    0.342,
    0.264,
    0.267,
    0.297,
    0.376,
    0.416,
    0.348,
)
# median daily high (max interval price) on days below $1,000
ERCOT_2024_MEDIAN_DAILY_HIGH_USD_PER_MWH = (
    74.19,
    73.39,
    75.25,
    61.20,
    91.31,
    73.30,
    61.14,
    76.51,
    66.45,
    88.45,
    63.23,
    52.09,
)
# days whose high was in [$100, $1,000)
ERCOT_2024_DAYS_HIGH_100_TO_1000 = (11, 6, 11, 10, 13, 9, 5, 8, 10, 15, 8, 2)
# the ten days with a high >= $1,000: (month, day, high $/MWh)
ERCOT_2024_SPIKE_DAYS = (
    (1, 16, 1175.56), (4, 16, 2395.75), (4, 26, 1087.88), (4, 28, 2388.43), (5, 8, 4981.33),
    (8, 19, 1575.60), (8, 20, 4852.83), (11, 10, 3353.74), (11, 17, 3680.08), (12, 14, 1555.53),
)  # fmt: skip
# days with a negative low, and the month's lowest interval price ($/MWh)
ERCOT_2024_DAYS_NEGATIVE = (10, 13, 10, 8, 1, 1, 0, 0, 1, 2, 5, 7)
ERCOT_2024_MIN_LOW_USD_PER_MWH = (
    -32.0,
    -27.99,
    -30.54,
    -30.72,
    -0.41,
    -0.01,
    0.0,
    5.83,
    -0.21,
    -1.53,
    -1.09,
    -19.45,
)

# Hour-of-day shape (mean 1): an assumption, since the source file has no hourly data. Night
# trough, a midday solar dip and an evening peak at 19-20 h as on ERCOT's net-load "duck" curve.
_HOURLY_SHAPE = np.array(
    [0.85, 0.80, 0.78, 0.78, 0.80, 0.88, 0.98, 1.02, 0.95, 0.88, 0.82, 0.80,
     0.80, 0.84, 0.92, 1.02, 1.15, 1.32, 1.50, 1.55, 1.40, 1.18, 1.02, 0.92]
)  # fmt: skip
_HOURLY_SHAPE = _HOURLY_SHAPE / _HOURLY_SHAPE.mean()
SAMPLE_SEED = 20241  # fixed seed of the bundled sample


def synthetic_hourly_prices(year: int = 2024, seed: int = SAMPLE_SEED) -> PriceSeries:
    """A year of hourly hub prices rebuilt from the ERCOT 2024 daily statistics above.

    Per day: a lognormal daily level with the month's CV, times the hour-of-day shape. Spikes:
    each listed >= $1,000 day gets its high in the 19 h hour and half of it at 18 h and 20 h;
    ``DAYS_HIGH_100_TO_1000`` random days per month get a 19 h price uniform in [$100, $1,000);
    ``DAYS_NEGATIVE`` random days get the three hours 02-04 h uniform in [month low, 0). The
    remaining hours are then scaled so each month's mean equals the 2024 monthly mean.
    Deterministic for a given seed. The real series' hourly shape is unknown, so treat the hourly
    detail as illustrative and the monthly means and spike-day counts as the calibrated part.
    """
    rng = np.random.default_rng(seed)
    hours = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    n_days = len(hours) // 24
    days = hours[::24]
    month = days.month.to_numpy() - 1
    cv = np.asarray(ERCOT_2024_DAILY_MEAN_CV)[month]
    sigma = np.sqrt(np.log1p(cv**2))
    level = np.exp(rng.normal(-0.5 * sigma**2, sigma))  # mean 1
    price = (level[:, None] * _HOURLY_SHAPE[None, :]).copy()  # (days, 24), relative
    fixed = np.zeros_like(price, dtype=bool)
    for m in range(12):
        in_month = np.flatnonzero(month == m)
        spike_days = [d - 1 for (mm, d, _) in ERCOT_2024_SPIKE_DAYS if mm == m + 1]
        for mm, d, high in ERCOT_2024_SPIKE_DAYS:
            if mm == m + 1:
                idx = in_month[d - 1]
                price[idx, 18:21] = (0.5 * high, high, 0.5 * high)
                fixed[idx, 18:21] = True
        others = np.setdiff1d(in_month, in_month[spike_days] if spike_days else [])
        mids = rng.choice(others, size=ERCOT_2024_DAYS_HIGH_100_TO_1000[m], replace=False)
        price[mids, 19] = rng.uniform(100.0, 1_000.0, size=len(mids))
        fixed[mids, 19] = True
        negs = rng.choice(others, size=ERCOT_2024_DAYS_NEGATIVE[m], replace=False)
        low = min(ERCOT_2024_MIN_LOW_USD_PER_MWH[m], -0.01)
        price[negs, 2:5] = rng.uniform(low, 0.0, size=(len(negs), 3))
        fixed[negs, 2:5] = True
        sel = np.zeros_like(fixed)
        sel[in_month] = True
        target_total = ERCOT_2024_MONTHLY_MEAN_USD_PER_MWH[m] * sel.sum()
        free = sel & ~fixed
        price[free] *= (target_total - price[sel & fixed].sum()) / price[free].sum()
    values = np.round(price.reshape(n_days * 24), 2)
    return PriceSeries(
        hours, values, 1.0, hub="ERCOT HB_HUBAVG (synthetic)", source=f"synthetic seed {seed}"
    )


def write_sample_price_file(path: Path = SAMPLE_PRICE_FILE, seed: int = SAMPLE_SEED) -> Path:
    """Write the bundled sample (``timestamp,price_usd_per_mwh``) from ``synthetic_hourly_prices``."""
    series = synthetic_hourly_prices(2024, seed)
    lines = ["timestamp,price_usd_per_mwh"]
    lines += [
        f"{t:%Y-%m-%d %H:%M},{p:.2f}"
        for t, p in zip(series.timestamps, series.prices_usd_per_mwh, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@lru_cache(maxsize=1)
def _sample_series() -> PriceSeries:
    return load_price_file(SAMPLE_PRICE_FILE, hub="ERCOT HB_HUBAVG (synthetic sample)")


def sample_price_series() -> PriceSeries:
    """The bundled hourly sample series (read once, on first call)."""
    return _sample_series()


@lru_cache(maxsize=4)
def ercot_sample_curve(n_points: int = 744) -> PriceDurationCurve:
    """Price-duration curve by calendar month from the bundled 2024-calibrated sample."""
    return PriceDurationCurve.from_series(
        _sample_series(), n_points, hub="ERCOT HB_HUBAVG (synthetic 2024 sample)",
        source="valuation/data/ercot_hub_sample_hourly_2024.csv (see its README.md)",
    )  # fmt: skip
