"""Correlated Monte Carlo driver paths around the deterministic market path.

Every stochastic driver is a shock AROUND a given deterministic base path (the one
``valuation.mining.hashprice_path(market, n_months)`` produces), so with every volatility,
extra drift and risk probability at zero (``RiskDrivers.deterministic()``) each path equals the
deterministic inputs bit for bit. Drivers, per path and grid month (arrays ``(paths, months)``):

* BTC price: log-normal steps, ``P = P_base x exp(X)``, ``X`` a random walk with drift
  ``(mu - sigma^2/2) dt`` so ``E[P_t] = P_base_t x exp(mu T_t)`` (mean-preserving at ``mu = 0``).
  ``dt`` is half a month for month 0 (the base path prices at each month's midpoint), then 1.
* Fees per block: log AR(1) around the base (mean reversion), mean-preserving.
* Network hashrate: ``H = min(H_trend x exp(R + N), H_floor)``. ``R`` is the lagged response to
  the revenue per block ``price x (subsidy + fees)`` relative to the base (the hashprice the
  network would see at the base hashrate): ``R_t = elasticity x mean(r_{t-L-W+1} .. r_{t-L})``,
  a moving average over ``W`` months lagged ``L`` months, computed in closed form from the
  cumulative sum of ``r`` (no recursion). ``N`` is a random-walk trend shock with extra drift.
  ``H_floor`` is ``hashprice_path``'s equilibrium floor, recomputed on the path's own price and
  fees, so hashprice never falls below the floor on any path.
* Hashprice USD per PH/day: ``valuation.mining.hashprice_usd_per_ph_day`` on the path.
* Power price level of the region: ``power_price_scale = exp(Y - v/2)``, ``Y`` a log AR(1)
  (mean-reverting level), a multiplier on the site's power price.
* Lease rate offered: ``lease_rate_scale``, a log random walk (mean-preserving, extra drift), a
  multiplier on ``Scenario.lease_rate_usd_per_kw_month``; the rent a path gets is the scale at its
  signing month.

Per path (``(paths,)``): ``signing_month`` (-1 = no tenant signs within the horizon),
``default_month`` (-1 = never within the horizon; a constant hazard, ``1 - (1 - p)^(1/12)`` a
month, runs from the signing month), ``capex_scale`` (log-normal multiplier),
``delay_months`` (construction delay, whole months).

Seeding: ``numpy.random.SeedSequence(seed)`` has ONE child per fixed block of
:data:`BLOCK_SIZE_PATHS` paths (child ``b`` is ``SeedSequence(seed, spawn_key=(b,))``, the same
as ``SeedSequence(seed).spawn(b + 1)[b]``), and every block is drawn at its full size, so path
``i`` gets the same numbers whatever the chunk size, the worker count or the number of paths
asked for. The only Python loops are over blocks (one generator each, to draw) and over the five
correlated drivers; the arithmetic runs once on the stacked ``(paths, months)`` arrays, and
every operation along months is a per-row cumulative sum or elementwise, so a path's numbers
do not depend on which other paths share its array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.special import log_ndtr

from valuation.errors import ValuationError
from valuation.market import BLOCKS_PER_DAY, DEFAULT_MARKET, MarketState
from valuation.mining import (
    HashpricePath,
    hashprice_btc_per_ph_day,
    hashprice_path,
    hashprice_usd_per_ph_day,
    lagged_log,
)

__all__ = [
    "BLOCK_SIZE_PATHS",
    "DRIVER_NAMES",
    "BasePaths",
    "DriverError",
    "DriverPaths",
    "PRESETS",
    "RiskDrivers",
    "block_ranges",
    "as_hashprice_path",
    "generate_blocks",
    "generate_paths",
    "DEFAULT_CORRELATION",
    "MAX_MONTHS",
]

BLOCK_SIZE_PATHS = 1024  # fixed: changing it changes every number drawn for a seed
DRIVER_NAMES: tuple[str, ...] = ("btc", "hashrate", "fees", "power", "lease")
MAX_MONTHS = 600  # Scenario.horizon_months' bound; keeps the AR(1) scaling below overflow


class DriverError(ValuationError, ValueError):
    """Bad Monte Carlo driver input: names the field, the value and what is allowed."""


# Monthly-shock correlations, order DRIVER_NAMES. Assumptions (no published matrix found):
# BTC-hashrate 0.2: hashrate's main link to price is the lagged response (elasticity below); a
#   small same-month correlation stands for machines deployed or switched off within the month.
# BTC-fees 0.3: fees in BTC per block rise with on-chain demand in rallies (fee share 2.42% of
#   rewards at the $93k high of 2024-12-23 vs 0.55-0.62% in late 2025 / 2026-01 at ~$107k; Hashrate
#   Index roundups in the project fact sheet, 2026-11-29), but not tightly.
# Power and lease: independent of BTC and each other (no evidence of a link found).
DEFAULT_CORRELATION: tuple[tuple[float, ...], ...] = (
    (1.0, 0.2, 0.3, 0.0, 0.0),
    (0.2, 1.0, 0.0, 0.0, 0.0),
    (0.3, 0.0, 1.0, 0.0, 0.0),
    (0.0, 0.0, 0.0, 1.0, 0.0),
    (0.0, 0.0, 0.0, 0.0, 1.0),
)

_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "btc_volatility_per_year": "0.50: BTC one-month annualised realised volatility averages "
        "about 50% (Glassnode via CoinDesk, 2025-03-18); 40-55% over the 2023-24 uptrend "
        "(Glassnode week-on-chain, 2024-07).",
        "btc_excess_drift_per_year": "0: the deterministic price path is the mean; presets move it.",
        "hashrate_elasticity": "0.61: +1% BTC price -> +0.61% hashrate after ~34 days (regression "
        "quoted on Binance Square, 2026-02; secondary source, an assumption until a primary one).",
        "hashrate_lag_months": "1: the ~30-34 day delay of the same regression.",
        "hashrate_response_months": "3: assumption, machines are ordered, shipped and energised "
        "(or switched off) over about a quarter, so the response is averaged over 3 months.",
        "hashrate_volatility_per_year": "0.15: assumption, uncertainty of the hashrate trend "
        "(difficulty rose ~35% in 2025, fell 11% in one adjustment in 2026-02).",
        "fees_log_sd": "0.5: derived from the fact sheet's fees per block, 0.0931 BTC (2024-12) "
        "to 0.017-0.025 BTC (2025-08 to 2026-01), a log range of ~1.7 read as +-2 sd over a "
        "year; an assumption.",
        "fees_persistence_per_month": "0.9: assumption, fee spikes (ordinals, runes) fade over "
        "months (half-life ~6.6 months).",
        "power_log_sd": "0.43: sample sd of the log of ERCOT hub-average yearly mean prices "
        "71.71 (2022 H2), 48.36 (2023), 26.83 (2024), 33.39 (2025 to Nov) $/MWh (fact sheet "
        "section 6.2, from vigneshwinner/TET-Weather Power_3yr.csv).",
        "power_persistence_per_month": "0.95: assumption, a half-life of ~13.5 months for the "
        "regional level (the monthly deseasonalised ERCOT series has lag-1 autocorrelation "
        "0.51, but that includes monthly noise the level does not carry).",
        "lease_volatility_per_year": "0.10: assumption; year-1 rents of the conversion deals "
        "span $102-135/kW-month and NoVA wholesale moved +30% in 2023-24, +6.5% in 2025 (CBRE, "
        "hosting fact sheet).",
        "signing_probability": "1.0: the deterministic compare assumes a tenant signs; the "
        "caller states its own view (probability and lease-up months).",
        "lease_up_months": "0: as the deterministic compare; the caller states it.",
        "tenant_default_probability_per_year": "0.01: assumption between investment grade "
        "(S&P global IG default rates 0-0.2% a year) and speculative grade (S&P global spec-"
        "grade 1.9% in 2022, 3.7% in 2023; S&P annual default studies 2023-24): many AI "
        "tenants are spec grade, many leases have a hyperscaler backstop.",
        "capex_overrun_median": "1.10: assumption between modular energy builds (transmission "
        "+8%, wind +13% mean overrun; Flyvbjerg & Gardner 2024 via budgetoverrun.com) and "
        "buildings (median construction overrun 28%, leanconstructionblog.com).",
        "capex_overrun_log_sd": "0.20: assumption; P(overrun > 50%) = 6% at these values.",
        "delay_probability": "0.9: 9 of 10 data centres are delayed (Foresight Works, A. Ansar, "
        "Fierce Network 2025).",
        "delay_mean_months": "8: the average delay is 34% of schedule (same source), on a "
        "two-year build ~8 months; geometric in months given a delay.",
        "capex_delay_correlation": "0.5: assumption, overruns and delays share causes "
        "(Fenwick Elliott 2025: delay is a primary driver of cost overruns).",
        "correlation": "see DEFAULT_CORRELATION's comments (assumptions).",
    }
)


@dataclass(frozen=True)
class RiskDrivers:
    """Volatilities and parameters of the Monte Carlo drivers (fractions, per year unless named).

    Defaults and their sources are in ``sources`` (dated 2026-11-30); every one marked an
    assumption is one. ``RiskDrivers.deterministic()`` zeroes every volatility, extra drift and
    risk so each path equals the deterministic inputs exactly.
    """

    btc_volatility_per_year: float = 0.50
    btc_excess_drift_per_year: float = 0.0
    hashrate_elasticity: float = 0.61
    hashrate_lag_months: int = 1
    hashrate_response_months: int = 3
    hashrate_volatility_per_year: float = 0.15
    hashrate_excess_drift_per_year: float = 0.0
    fees_log_sd: float = 0.5
    fees_persistence_per_month: float = 0.9
    power_log_sd: float = 0.43
    power_persistence_per_month: float = 0.95
    lease_volatility_per_year: float = 0.10
    lease_excess_drift_per_year: float = 0.0
    signing_probability: float = 1.0
    lease_up_months: int = 0
    lease_up_spread_months: int = 0
    tenant_default_probability_per_year: float = 0.01
    capex_overrun_median: float = 1.10
    capex_overrun_log_sd: float = 0.20
    delay_probability: float = 0.9
    delay_mean_months: float = 8.0
    capex_delay_correlation: float = 0.5
    correlation: tuple[tuple[float, ...], ...] = DEFAULT_CORRELATION
    sources: Mapping[str, str] = field(default_factory=lambda: dict(_SOURCES), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", dict(self.sources))
        corr = tuple(tuple(float(x) for x in row) for row in self.correlation)
        object.__setattr__(self, "correlation", corr)

        def bad(name: str, allowed: str) -> DriverError:
            return DriverError(
                f"RiskDrivers.{name}={getattr(self, name)!r} is not allowed: {allowed}"
            )

        for name in (
            "btc_volatility_per_year",
            "hashrate_volatility_per_year",
            "fees_log_sd",
            "power_log_sd",
            "lease_volatility_per_year",
            "capex_overrun_log_sd",
        ):
            v = getattr(self, name)
            if not (np.isfinite(v) and 0.0 <= v <= 3.0):
                raise bad(name, "a volatility in [0, 3] (a fraction, 0.5 = 50%)")
        for name in (
            "btc_excess_drift_per_year",
            "hashrate_excess_drift_per_year",
            "lease_excess_drift_per_year",
        ):
            v = getattr(self, name)
            if not (np.isfinite(v) and -1.0 <= v <= 1.0):
                raise bad(name, "a log drift per year in [-1, 1]")
        if not (np.isfinite(self.hashrate_elasticity) and 0.0 <= self.hashrate_elasticity <= 2.0):
            raise bad("hashrate_elasticity", "an elasticity in [0, 2]")
        for name in ("fees_persistence_per_month", "power_persistence_per_month"):
            v = getattr(self, name)
            if not (np.isfinite(v) and 0.5 <= v <= 1.0):
                raise bad(name, "a monthly AR(1) coefficient in [0.5, 1] (1 = random walk)")
        for name, lo, hi in (
            ("hashrate_lag_months", 0, 24),
            ("hashrate_response_months", 1, 24),
            ("lease_up_months", 0, MAX_MONTHS),
            ("lease_up_spread_months", 0, MAX_MONTHS),
        ):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and lo <= v <= hi):
                raise bad(name, f"a whole number of months in [{lo}, {hi}]")
        if self.lease_up_spread_months > self.lease_up_months:
            raise bad(
                "lease_up_spread_months",
                "at most lease_up_months (signing is never before month 0)",
            )
        for name in ("signing_probability", "delay_probability"):
            v = getattr(self, name)
            if not (np.isfinite(v) and 0.0 <= v <= 1.0):
                raise bad(name, "a probability in [0, 1]")
        v = self.tenant_default_probability_per_year
        if not (np.isfinite(v) and 0.0 <= v < 1.0):
            raise bad("tenant_default_probability_per_year", "a probability per year in [0, 1)")
        if not (np.isfinite(self.capex_overrun_median) and 0.1 <= self.capex_overrun_median <= 10):
            raise bad(
                "capex_overrun_median", "a multiplier of the capex in [0.1, 10] (1 = on budget)"
            )
        if not (np.isfinite(self.delay_mean_months) and 1.0 <= self.delay_mean_months <= 120.0):
            raise bad("delay_mean_months", "a mean delay in months, given a delay, in [1, 120]")
        if not (
            np.isfinite(self.capex_delay_correlation) and -1 < self.capex_delay_correlation < 1
        ):
            raise bad("capex_delay_correlation", "a correlation in (-1, 1)")
        self.cholesky()  # validates the matrix

    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factor of ``correlation`` (5 x 5, order :data:`DRIVER_NAMES`)."""
        c = np.asarray(self.correlation, dtype=float)
        k = len(DRIVER_NAMES)
        if c.shape != (k, k) or not np.all(np.isfinite(c)):
            raise DriverError(
                f"RiskDrivers.correlation has shape {c.shape}; allowed: a finite {k} x {k} matrix "
                f"in the order {DRIVER_NAMES}"
            )
        if not (np.array_equal(c, c.T) and np.all(np.diag(c) == 1.0) and np.all(np.abs(c) <= 1)):
            raise DriverError(
                "RiskDrivers.correlation is not allowed: it must be symmetric with a unit diagonal "
                "and entries in [-1, 1]"
            )
        try:
            return np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise DriverError(
                "RiskDrivers.correlation is not allowed: it must be positive definite"
            ) from None

    @classmethod
    def deterministic(
        cls, *, signing_probability: float = 1.0, lease_up_months: int = 0
    ) -> RiskDrivers:
        """Every volatility, extra drift and risk at zero: each path is the deterministic one."""
        return cls(
            btc_volatility_per_year=0.0,
            hashrate_volatility_per_year=0.0,
            fees_log_sd=0.0,
            power_log_sd=0.0,
            lease_volatility_per_year=0.0,
            signing_probability=signing_probability,
            lease_up_months=lease_up_months,
            tenant_default_probability_per_year=0.0,
            capex_overrun_median=1.0,
            capex_overrun_log_sd=0.0,
            delay_probability=0.0,
        )

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (for saving with a named scenario); ``sources`` left out."""
        out: dict[str, object] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name != "sources"
        }
        out["correlation"] = [list(row) for row in self.correlation]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RiskDrivers:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        known = {f.name for f in fields(cls)} - {"sources"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DriverError(
                f"RiskDrivers.from_dict got unknown fields {unknown}; allowed: {sorted(known)}"
            )
        kwargs = dict(data)
        if "correlation" in kwargs:
            rows: Any = kwargs["correlation"]
            kwargs["correlation"] = tuple(tuple(r) for r in rows)
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class BasePaths:
    """The deterministic monthly inputs the shocks wrap, each ``(n_months,)``.

    ``network_hashrate_eh_s`` is the trend BEFORE the hashprice floor (the floor is reapplied on
    every path with the path's own price and fees); ``hashprice_floor_usd_per_ph_day`` is 0
    where the floor is off, as in ``HashpricePath``.
    """

    btc_price_usd: np.ndarray
    network_hashrate_eh_s: np.ndarray
    fees_btc_per_block: np.ndarray
    subsidy_btc: np.ndarray
    hashprice_floor_usd_per_ph_day: np.ndarray
    # ``MarketState.hashrate_adjustment_months``: the floor's hashrate is followed with this lag.
    hashrate_adjustment_months: float = 0.0
    # Today's network (``MarketState.network_hashrate_eh_s``): where the lag starts; 0: the
    # floor's own month-0 hashrate.
    initial_hashrate_eh_s: float = 0.0

    def __post_init__(self) -> None:
        arrays = {
            f.name: np.asarray(getattr(self, f.name), dtype=float)
            for f in fields(self)
            if f.name not in ("hashrate_adjustment_months", "initial_hashrate_eh_s")
        }
        n = arrays["btc_price_usd"].shape
        for name, arr in arrays.items():
            if arr.ndim != 1 or arr.shape != n or not (1 <= arr.size <= MAX_MONTHS):
                raise DriverError(
                    f"BasePaths.{name} has shape {arr.shape}; allowed: one path of 1 to "
                    f"{MAX_MONTHS} months, the same length as btc_price_usd {n}"
                )
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise DriverError(
                    f"BasePaths.{name} has a negative or non-finite month; allowed: >= 0"
                )
            object.__setattr__(self, name, arr)
        for name in ("btc_price_usd", "network_hashrate_eh_s"):
            if np.any(arrays[name] <= 0):
                raise DriverError(f"BasePaths.{name} has a month <= 0; allowed: > 0")

    @property
    def n_months(self) -> int:
        return int(self.btc_price_usd.size)

    @property
    def floored_hashrate_eh_s(self) -> np.ndarray:
        """The deterministic network hashrate after the floor (``hashprice_path``'s, exactly)."""
        return _apply_floor(
            self.network_hashrate_eh_s,
            self.btc_price_usd,
            self.fees_btc_per_block,
            self.subsidy_btc,
            self.hashprice_floor_usd_per_ph_day,
            self.hashrate_adjustment_months,
            self.initial_hashrate_eh_s,
        )

    @classmethod
    def from_market(cls, market: MarketState = DEFAULT_MARKET, n_months: int = 180) -> BasePaths:
        """The paths ``hashprice_path(market, n_months)`` uses, with the trend hashrate un-floored.

        Parameters
        ----------
        market : MarketState, default DEFAULT_MARKET
            The dated market snapshot (2025-11-03) and its growth rates.
        n_months : int, default 180
            Months from the snapshot.

        Returns
        -------
        BasePaths
            ``(n_months,)`` arrays: BTC price (USD), trend network hashrate (EH/s, before the floor),
            fees and subsidy (BTC per block) and the hashprice floor (USD per PH/s per day).

        Examples
        --------
        >>> from valuation.drivers import BasePaths
        >>> base = BasePaths.from_market(n_months=24)
        >>> base.n_months, round(float(base.btc_price_usd[0])), round(float(base.network_hashrate_eh_s[0]), 1)
        (24, 106935, 1129.8)
        """
        path = hashprice_path(market, n_months)
        trend = hashprice_path(replace(market, hashprice_floor_usd_per_ph_day=0.0), n_months)
        return cls.from_hashprice_path(
            path,
            trend_hashrate_eh_s=trend.network_hashrate_eh_s,
            hashrate_adjustment_months=market.hashrate_adjustment_months,
            initial_hashrate_eh_s=market.network_hashrate_eh_s,
        )

    @classmethod
    def from_hashprice_path(
        cls,
        path: HashpricePath,
        *,
        trend_hashrate_eh_s: np.ndarray | None = None,
        hashrate_adjustment_months: float = 0.0,
        initial_hashrate_eh_s: float = 0.0,
    ) -> BasePaths:
        """From a 1-D ``HashpricePath``; without ``trend_hashrate_eh_s`` its floored hashrate is the trend."""
        trend = path.network_hashrate_eh_s if trend_hashrate_eh_s is None else trend_hashrate_eh_s
        return cls(
            btc_price_usd=path.btc_price_usd,
            network_hashrate_eh_s=trend,
            fees_btc_per_block=path.fees_btc_per_block,
            subsidy_btc=path.subsidy_btc,
            hashprice_floor_usd_per_ph_day=path.hashprice_floor_usd_per_ph_day,
            hashrate_adjustment_months=hashrate_adjustment_months,
            initial_hashrate_eh_s=initial_hashrate_eh_s,
        )


@dataclass(frozen=True)
class DriverPaths:
    """Monte Carlo driver paths for paths ``first_path .. first_path + n_paths - 1``.

    Monthly arrays are ``(paths, months)``; per-path arrays ``(paths,)``. Months are grid months
    from the valuation date; -1 in ``signing_month`` / ``default_month`` means never within the
    horizon. ``hashprice_usd_per_ph_day`` is before pool fees (``valuation.mining``).
    """

    first_path: int
    btc_price_usd: np.ndarray
    network_hashrate_eh_s: np.ndarray
    fees_btc_per_block: np.ndarray
    hashprice_usd_per_ph_day: np.ndarray
    power_price_scale: np.ndarray
    lease_rate_scale: np.ndarray
    signing_month: np.ndarray
    default_month: np.ndarray
    capex_scale: np.ndarray
    delay_months: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.capex_scale.shape[0])

    @property
    def n_months(self) -> int:
        return int(self.btc_price_usd.shape[1])

    def take(self, start: int, stop: int) -> DriverPaths:
        """Paths ``start .. stop - 1`` of this object (positions, not global path numbers)."""
        kw = {
            f.name: getattr(self, f.name)[start:stop]
            for f in fields(self)
            if f.name != "first_path"
        }
        return DriverPaths(first_path=self.first_path + start, **kw)

    @staticmethod
    def concatenate(parts: Sequence[DriverPaths]) -> DriverPaths:
        """Consecutive parts joined in order (the first part's ``first_path``)."""
        if not parts:
            raise DriverError("DriverPaths.concatenate got no parts; allowed: one or more")
        kw = {
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in fields(DriverPaths)
            if f.name != "first_path"
        }
        return DriverPaths(first_path=parts[0].first_path, **kw)


# --- closed forms ----------------------------------------------------------------------------


def _ar1(u: np.ndarray, phi: float) -> np.ndarray:
    """``x_t = sum_{s<=t} phi^(t-s) u_s`` along the last axis, in closed form.

    ``x_t = phi^t x cumsum(phi^-s u_s)``: one cumulative sum, no recursion. ``phi`` is at least
    0.5 and months at most 600, so ``phi^-s`` stays below 1e181 (finite); the relative rounding
    error is about ``eps / (1 - phi)``. ``phi = 1`` is the plain cumulative sum.
    """
    if phi == 1.0:
        return np.cumsum(u, axis=-1)
    t = np.arange(u.shape[-1], dtype=float)
    return np.power(phi, t) * np.cumsum(u * np.power(phi, -t), axis=-1)


def _lagged_moving_mean(r: np.ndarray, lag: int, window: int) -> np.ndarray:
    """``m_t = mean(r_{t-lag-window+1} .. r_{t-lag})`` with ``r`` = 0 before month 0.

    Closed form from the cumulative sum ``S``: ``m_t = (S_{t-lag} - S_{t-lag-window}) / window``.
    """
    n = r.shape[-1]
    s = np.cumsum(r, axis=-1)
    out = np.zeros_like(s)
    if lag < n:
        out[..., lag:] = s[..., : n - lag]
    if lag + window < n:
        out[..., lag + window :] -= s[..., : n - lag - window]
    out /= window
    return out


def _apply_floor(
    hashrate: np.ndarray,
    price: np.ndarray,
    fees: np.ndarray,
    subsidy: np.ndarray,
    floor: np.ndarray,
    adjustment_months: float = 0.0,
    initial_hashrate_eh_s: float = 0.0,
) -> np.ndarray:
    """``hashprice_path``'s equilibrium rule, same expressions: cap the hashrate at the hashrate
    the floor allows, followed with ``adjustment_months`` of lag along each path (months with
    floor 0 are left alone)."""
    on = floor > 0
    if not np.any(on):
        return hashrate
    safe_floor = np.where(on, floor, 1.0)
    at_floor = price * BLOCKS_PER_DAY * (subsidy + fees) / (1_000.0 * safe_floor)
    if adjustment_months > 0 and np.all(on):
        at_floor = lagged_log(at_floor, adjustment_months, initial_hashrate_eh_s or None)
    return np.where(on, np.minimum(hashrate, at_floor), hashrate)


def _month_steps(n_months: int) -> np.ndarray:
    """Years per step: month 0 is half a month (base prices sit at month midpoints), then 1/12."""
    dt = np.full(n_months, 1.0 / 12.0)
    dt[0] = 0.5 / 12.0
    return dt


# --- generation --------------------------------------------------------------------------------


def _check_range(seed: int, first_block: int, last_block: int) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise DriverError(f"seed={seed!r} is not allowed: a whole number >= 0")
    for name, v in (("first_block", first_block), ("last_block", last_block)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise DriverError(f"{name}={v!r} is not allowed: a whole number >= 0")
    if last_block <= first_block:
        raise DriverError(
            f"last_block={last_block!r} is not allowed: it must exceed first_block={first_block!r}"
        )


def _draw(seed: int, first_block: int, last_block: int, n_months: int) -> tuple[np.ndarray, ...]:
    """Raw draws of blocks ``[first_block, last_block)``, each block from its own child seed."""
    n_blocks = last_block - first_block
    n = n_blocks * BLOCK_SIZE_PATHS
    k = len(DRIVER_NAMES)
    z = np.empty((k, n, n_months))
    zp = np.empty((2, n))
    up = np.empty((3, n))
    ep = np.empty(n)
    for i, b in enumerate(range(first_block, last_block)):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
        rows = slice(i * BLOCK_SIZE_PATHS, (i + 1) * BLOCK_SIZE_PATHS)
        z[:, rows, :] = rng.standard_normal((k, BLOCK_SIZE_PATHS, n_months))
        zp[:, rows] = rng.standard_normal((2, BLOCK_SIZE_PATHS))
        up[:, rows] = rng.random((3, BLOCK_SIZE_PATHS))
        ep[rows] = rng.standard_exponential(BLOCK_SIZE_PATHS)
    return z, zp, up, ep


def generate_blocks(
    base: BasePaths, drivers: RiskDrivers, seed: int, first_block: int, last_block: int
) -> DriverPaths:
    """Driver paths of blocks ``[first_block, last_block)`` (``BLOCK_SIZE_PATHS`` paths each).

    Path ``b x BLOCK_SIZE_PATHS + j`` is the same whatever block range it is generated in (one
    child seed per block; the module docstring gives the drivers and the seeding), so a large run
    can be drawn in chunks, on any number of workers.

    Parameters
    ----------
    base : BasePaths
        The deterministic monthly inputs the shocks wrap.
    drivers : RiskDrivers
        Volatilities, persistences, correlations and per-path risk probabilities.
    seed : int
        Whole number >= 0.
    first_block, last_block : int
        Blocks to draw, ``0 <= first_block < last_block``.

    Returns
    -------
    DriverPaths
        ``(paths, months)`` arrays: ``btc_price_usd``, ``network_hashrate_eh_s``,
        ``fees_btc_per_block``, ``hashprice_usd_per_ph_day``, ``power_price_scale``,
        ``lease_rate_scale``; ``(paths,)`` arrays: ``signing_month``, ``default_month`` (-1:
        never), ``capex_scale``, ``delay_months``; ``first_path``.

    Examples
    --------
    Block 0 holds the same first paths as :func:`generate_paths` draws; block 1 starts at path
    1,024:

    >>> import numpy as np
    >>> from valuation.drivers import BasePaths, RiskDrivers, generate_blocks, generate_paths
    >>> base = BasePaths.from_market(n_months=24)
    >>> block0 = generate_blocks(base, RiskDrivers(), seed=7, first_block=0, last_block=1)
    >>> block0.n_paths, block0.btc_price_usd.shape
    (1024, (1024, 24))
    >>> first4 = generate_paths(base, RiskDrivers(), seed=7, n_paths=4)
    >>> bool(np.array_equal(block0.btc_price_usd[:4], first4.btc_price_usd))
    True
    >>> generate_blocks(base, RiskDrivers(), seed=7, first_block=1, last_block=2).first_path
    1024
    """
    _check_range(seed, first_block, last_block)
    n_months = base.n_months
    dt = _month_steps(n_months)
    z, zp, up, ep = _draw(seed, first_block, last_block, n_months)
    _correlate_in_place(z, drivers.cholesky())
    e_btc, e_hash, e_fees, e_power, e_lease = z

    # BTC: log random walk, E[P_t] = P_base_t exp(mu T_t).
    x_btc = _random_walk(
        e_btc, drivers.btc_volatility_per_year, drivers.btc_excess_drift_per_year, dt
    )
    price = np.exp(x_btc)
    price *= base.btc_price_usd

    # Fees: log AR(1), stationary sd fees_log_sd, mean-preserving.
    fees = np.exp(_log_ar1(e_fees, drivers.fees_log_sd, drivers.fees_persistence_per_month, dt))
    fees *= base.fees_btc_per_block
    hashrate = _network_hashrate_eh_s(base, drivers, x_btc, fees, price, e_hash, dt)
    hashprice = np.asarray(hashprice_usd_per_ph_day(price, hashrate, fees, base.subsidy_btc))

    # Power price level: log AR(1), mean-preserving.
    power = np.exp(_log_ar1(e_power, drivers.power_log_sd, drivers.power_persistence_per_month, dt))

    # Lease rate offered: log random walk, E = exp(mu T).
    lease = np.exp(
        _random_walk(
            e_lease, drivers.lease_volatility_per_year, drivers.lease_excess_drift_per_year, dt
        )
    )
    del z, e_btc, e_hash, e_fees, e_power, e_lease, x_btc

    # Per path: signing, default, capex, delay.
    signing_month, default_month = _signing_and_default_months(drivers, up, ep, n_months)
    capex_scale, delay = _capex_scale_and_delay_months(drivers, zp, up)
    return DriverPaths(
        first_path=first_block * BLOCK_SIZE_PATHS,
        btc_price_usd=price,
        network_hashrate_eh_s=hashrate,
        fees_btc_per_block=fees,
        hashprice_usd_per_ph_day=hashprice,
        power_price_scale=power,
        lease_rate_scale=lease,
        signing_month=signing_month.astype(np.int64),
        default_month=default_month.astype(np.int64),
        capex_scale=capex_scale,
        delay_months=delay,
    )


def _correlate_in_place(z: np.ndarray, chol: np.ndarray) -> None:
    """Correlate the five monthly shocks in place, eps_i = sum_{j<=i} L_ij z_j, last driver
    first (a loop over drivers only; elementwise, so each path's bits do not depend on the
    array)."""
    for i in reversed(range(len(DRIVER_NAMES))):
        z[i] *= chol[i, i]
        for j in range(i):
            if chol[i, j] != 0.0:
                z[i] += chol[i, j] * z[j]


def _random_walk(e: np.ndarray, vol: float, drift: float, dt: np.ndarray) -> np.ndarray:
    """In place: cumsum((drift - vol^2/2) dt + vol sqrt(dt) e) along months (dt in years)."""
    e *= vol * np.sqrt(dt)
    e += (drift - 0.5 * vol * vol) * dt
    return np.cumsum(e, axis=1, out=e)


def _log_ar1(e: np.ndarray, log_sd: float, phi: float, dt: np.ndarray) -> np.ndarray:
    """In place: stationary-sd ``log_sd`` log AR(1) from 0, minus half its variance."""
    n_months = e.shape[-1]
    sig = log_sd * np.sqrt(1.0 - phi * phi) if phi < 1.0 else log_sd
    t = np.arange(n_months, dtype=float)
    # variance sum_{s<=t} phi^(2(t-s)) sig^2 dt_s (dt in months: 0.5, 1, 1, ...), closed form
    # (no phi^-2t, which overflows for phi near 0.5 over 600 months)
    p2t = np.power(phi * phi, t)
    geometric = (1.0 - p2t) / (1.0 - phi * phi) if phi < 1.0 else t
    var = sig * sig * (0.5 * p2t + geometric)
    e *= sig * np.sqrt(dt * 12.0) * np.power(phi, -t)  # _ar1's closed form, fused
    np.cumsum(e, axis=1, out=e)
    e *= np.power(phi, t)
    e -= 0.5 * var
    return e


def _network_hashrate_eh_s(
    base: BasePaths,
    drivers: RiskDrivers,
    x_btc: np.ndarray,
    fees: np.ndarray,
    price: np.ndarray,
    e_hash: np.ndarray,
    dt: np.ndarray,
) -> np.ndarray:
    """Hashrate (EH/s): a lagged moving response to revenue per block (log BTC price plus log
    reward change), plus a trend random walk, held at the hashprice floor."""
    r = np.log((base.subsidy_btc + fees) / (base.subsidy_btc + base.fees_btc_per_block))
    r += x_btc
    response = _lagged_moving_mean(r, drivers.hashrate_lag_months, drivers.hashrate_response_months)
    del r
    response *= drivers.hashrate_elasticity
    response += _random_walk(
        e_hash, drivers.hashrate_volatility_per_year, drivers.hashrate_excess_drift_per_year, dt
    )
    hashrate = np.exp(response, out=response)
    hashrate *= base.network_hashrate_eh_s
    return _apply_floor(
        hashrate,
        price,
        fees,
        base.subsidy_btc,
        base.hashprice_floor_usd_per_ph_day,
        base.hashrate_adjustment_months,
        base.initial_hashrate_eh_s,
    )


def _signing_and_default_months(
    drivers: RiskDrivers, up: np.ndarray, ep: np.ndarray, n_months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per path: the month the tenant signs (uniform on lease-up +- spread, with the signing
    probability; -1 never) and the month it defaults (a constant hazard from the yearly
    probability; -1 never)."""
    lo = drivers.lease_up_months - drivers.lease_up_spread_months
    width = 2 * drivers.lease_up_spread_months + 1
    month = lo + np.floor(up[1] * width).astype(np.int64)
    signed = (up[0] < drivers.signing_probability) & (month < n_months)
    signing_month = np.where(signed, month, -1)
    p = drivers.tenant_default_probability_per_year
    if p > 0:
        hazard_per_month = -np.log1p(-p) / 12.0  # P(no default in 12 months) = 1 - p
        after = np.floor(ep / hazard_per_month)
        at = signing_month + np.minimum(after, n_months).astype(np.int64)
        default_month = np.where(signed & (at < n_months), at, -1)
    else:
        default_month = np.full(signing_month.shape, -1, dtype=np.int64)
    return signing_month, default_month


def _capex_scale_and_delay_months(
    drivers: RiskDrivers, zp: np.ndarray, up: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per path: the capex overrun factor (lognormal) and the delay in months (geometric with
    the delay probability), correlated through a normal copula."""
    capex_scale = drivers.capex_overrun_median * np.exp(drivers.capex_overrun_log_sd * zp[0])
    rho = drivers.capex_delay_correlation
    z_delay = rho * zp[0] + np.sqrt(1.0 - rho * rho) * zp[1]
    if drivers.delay_probability > 0:
        q = 1.0 / drivers.delay_mean_months  # geometric on 1, 2, ... with mean 1 / q
        e_delay = -log_ndtr(-z_delay)  # standard exponential via the normal copula
        length = (
            np.ones_like(e_delay) if q >= 1.0 else np.maximum(np.ceil(e_delay / -np.log1p(-q)), 1.0)
        )
        delay = np.where(up[2] < drivers.delay_probability, length, 0.0).astype(np.int64)
    else:
        delay = np.zeros(capex_scale.shape, dtype=np.int64)
    return capex_scale, delay


def as_hashprice_path(paths: DriverPaths, deterministic: HashpricePath) -> HashpricePath:
    """The paths as a ``HashpricePath`` of ``(paths, months)`` arrays, for the mining model.

    Do not pass the driver paths back through ``hashprice_path``: it holds fees at
    ``market.fees_btc_per_block``; this keeps each path's fees and hashprice. With
    ``RiskDrivers.deterministic()`` every row equals ``deterministic`` exactly.

    Parameters
    ----------
    paths : DriverPaths
        Driver paths of ``n_months`` months.
    deterministic : HashpricePath
        ``hashprice_path(market, n_months)`` (1-D), which gives the month starts, subsidy and
        floor.

    Returns
    -------
    HashpricePath
        ``(paths, months)`` BTC price (USD), hashrate (EH/s), subsidy and fees (BTC per block) and
        hashprice (BTC and USD per PH/s per day), ready for
        :func:`valuation.mining.mining_cash_flows`.

    Examples
    --------
    >>> from valuation.drivers import BasePaths, RiskDrivers, as_hashprice_path, generate_paths
    >>> from valuation.mining import hashprice_path
    >>> base = BasePaths.from_market(n_months=24)
    >>> paths = generate_paths(base, RiskDrivers(), seed=7, n_paths=4)
    >>> hp = as_hashprice_path(paths, hashprice_path(n_months=24))
    >>> hp.hashprice_usd_per_ph_day.shape
    (4, 24)
    >>> hp.hashprice_usd_per_ph_day[:, 0].round(2)  # USD per PH/s per day, month 0
    array([39.64, 40.31, 48.52, 46.03])
    """
    if deterministic.hashprice_usd_per_ph_day.shape != (paths.n_months,):
        raise DriverError(
            f"deterministic has shape {deterministic.hashprice_usd_per_ph_day.shape}; allowed: "
            f"one path of the driver paths' {paths.n_months} months"
        )
    shape = paths.btc_price_usd.shape
    subsidy = np.broadcast_to(deterministic.subsidy_btc, shape)
    hp_btc = np.asarray(
        hashprice_btc_per_ph_day(paths.network_hashrate_eh_s, paths.fees_btc_per_block, subsidy)
    )
    return HashpricePath(
        month_start=deterministic.month_start,
        btc_price_usd=paths.btc_price_usd,
        network_hashrate_eh_s=paths.network_hashrate_eh_s,
        subsidy_btc=subsidy,
        fees_btc_per_block=paths.fees_btc_per_block,
        hashprice_btc_per_ph_day=hp_btc,
        hashprice_usd_per_ph_day=paths.hashprice_usd_per_ph_day,
        hashprice_floor_usd_per_ph_day=deterministic.hashprice_floor_usd_per_ph_day,
    )


def block_ranges(n_paths: int, blocks_per_chunk: int = 4) -> list[tuple[int, int]]:
    """``[first_block, last_block)`` chunks covering ``n_paths`` paths, in order."""
    if not isinstance(n_paths, (int, np.integer)) or isinstance(n_paths, bool) or n_paths < 1:
        raise DriverError(f"n_paths={n_paths!r} is not allowed: a whole number >= 1")
    if not isinstance(blocks_per_chunk, (int, np.integer)) or blocks_per_chunk < 1:
        raise DriverError(
            f"blocks_per_chunk={blocks_per_chunk!r} is not allowed: a whole number >= 1"
        )
    n_blocks = -(-int(n_paths) // BLOCK_SIZE_PATHS)
    return [(b, min(b + blocks_per_chunk, n_blocks)) for b in range(0, n_blocks, blocks_per_chunk)]


def generate_paths(base: BasePaths, drivers: RiskDrivers, seed: int, n_paths: int) -> DriverPaths:
    """The first ``n_paths`` paths (whole blocks drawn, the tail of the last block dropped).

    All at once: about 17 kB per path at 180 months (~170 MB peak for 10,000 paths). For larger
    runs loop over ``block_ranges(n_paths, blocks_per_chunk)`` with :func:`generate_blocks`.

    Parameters
    ----------
    base : BasePaths
        The deterministic monthly inputs the shocks wrap.
    drivers : RiskDrivers
        The risk model (``PRESETS`` bear / base / bull, or ``RiskDrivers().deterministic()``).
    seed : int
        Whole number >= 0; same seed, same paths.
    n_paths : int
        Whole number >= 1.

    Returns
    -------
    DriverPaths
        ``(n_paths, months)`` and ``(n_paths,)`` arrays (see :func:`generate_blocks`).

    Examples
    --------
    >>> from valuation.drivers import BasePaths, RiskDrivers, generate_paths
    >>> base = BasePaths.from_market(n_months=24)
    >>> paths = generate_paths(base, RiskDrivers(), seed=7, n_paths=4)
    >>> paths.btc_price_usd.shape
    (4, 24)
    >>> paths.btc_price_usd[:, -1].round(-3)  # BTC price in month 23, USD
    array([111000.,  48000., 150000.,  26000.])
    """
    ((first, last),) = block_ranges(n_paths, blocks_per_chunk=10**9)
    return generate_blocks(base, drivers, seed, first, last).take(0, n_paths)


# --- presets -----------------------------------------------------------------------------------

# Bear / base / bull driver sets, saved with a named scenario through ``RiskDrivers.to_dict``.
# The caller's own tenant view (signing probability, lease-up months) goes on top with
# ``dataclasses.replace(PRESETS[name], signing_probability=..., lease_up_months=...)``.
# Sources (2026-11-30):
# - BTC: bear 70% volatility and -20%/yr extra drift: one-month realised volatility near 70% in
#   the 2024-25 drawdowns (Glassnode via CoinDesk 2025-03-18); BTC fell from ~$107k (2025-11-03)
#   to ~$60k in 2026-02 (Binance Square, secondary). Bull 45% and +20%/yr: realised volatility
#   40-55% in the 2023-24 uptrend (Glassnode). The +-20% drifts are assumptions.
# - Tenant default: bear 3.7%/yr (S&P global speculative-grade default rate 2023), bull 0.1%/yr
#   (investment grade, S&P 0-0.2%).
# - Capex: bear median overrun 28% (median construction overrun, leanconstructionblog.com), bull
#   on budget with 10% sd (solar/transmission-like modular builds, Flyvbjerg & Gardner 2024).
# - Delay: bear 12-month mean delay (assumption: half again the base's 8 months, grid and
#   equipment queues; JLL 2026: grid connection delays up to 4 years in some markets); bull half
#   the projects on time with a 4-month mean (assumption).
# - Lease market: bear -5%/yr, bull +5%/yr extra drift (assumption; CBRE: primary North America
#   wholesale rents +6.5% in 2025, NoVA +30% in 2023-24).
PRESETS: Mapping[str, RiskDrivers] = MappingProxyType(
    {
        "bear": RiskDrivers(
            btc_volatility_per_year=0.70,
            btc_excess_drift_per_year=-0.20,
            lease_excess_drift_per_year=-0.05,
            tenant_default_probability_per_year=0.037,
            capex_overrun_median=1.28,
            capex_overrun_log_sd=0.25,
            delay_mean_months=12.0,
        ),
        "base": RiskDrivers(),
        "bull": RiskDrivers(
            btc_volatility_per_year=0.45,
            btc_excess_drift_per_year=0.20,
            lease_excess_drift_per_year=0.05,
            tenant_default_probability_per_year=0.001,
            capex_overrun_median=1.0,
            capex_overrun_log_sd=0.10,
            delay_probability=0.5,
            delay_mean_months=4.0,
        ),
    }
)
