"""The shared base of every grid region: bundled price statistics, a seeded hourly generator
calibrated to them, the price-duration curve the valuation uses, programs and levers.

Statistics live in ``valuation/data/region_price_stats.csv`` (one row per number, with its
status and source; README.md beside it). The generator (``Region.hourly_prices``) builds a year
of hourly prices per region:

1. a lognormal daily level with mean 1 and the region's coefficient of variation;
2. times the region's hour-of-day shape (mean 1; an assumption per market);
3. scarcity hours: ``scarcity_hours`` a year at ``scarcity_price``, spread over months in
   proportion to the monthly mean, placed on random days in the six highest hours of the shape;
   negative hours: ``negative_hours`` a year at ``negative_price``, spread in inverse proportion,
   in the six lowest hours of the shape;
4. the remaining hours of each month scaled so the month's mean equals its published (or stated)
   monthly mean.

So the generated monthly means equal the bundled monthly means (to the cent), the annual mean
their hour-weighted average, and the scarcity/negative hour counts the stated counts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from valuation.errors import ValuationError
from valuation.power import DATA_DIR, DemandResponseProgram, PriceDurationCurve, PriceSeries
from valuation.regions.levers import PolicyLever
from valuation.regions.programs import ProgramTerms

PRICE_STATS_FILE = DATA_DIR / "region_price_stats.csv"
GENERATOR_YEAR = 2024  # the calendar the generator lays hours on (leap year: 8,784 h)


class RegionError(ValuationError, ValueError):
    """An unknown region name or an unusable regional input; names the value and what is allowed."""


@dataclass(frozen=True)
class PriceStatistic:
    """One bundled number: region, statistic, month (0 = none), value, unit, status, source."""

    region: str
    statistic: str
    month: int
    value: float
    unit: str
    status: str
    source: str
    retrieved: str


@lru_cache(maxsize=1)
def price_statistics() -> tuple[PriceStatistic, ...]:
    """Every row of ``region_price_stats.csv`` (read once)."""
    with open(PRICE_STATS_FILE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        PriceStatistic(
            r["region"],
            r["statistic"],
            int(r["month"] or 0),
            float(r["value"]),
            r["unit"],
            r["status"],
            r["source"],
            r["retrieved"],
        )  # fmt: skip
        for r in rows
    )


# Hour-of-day shapes (mean 1 after normalising), assumptions: no hourly data is bundled.
EAST_HOUR_SHAPE = np.array(
    [0.80, 0.76, 0.74, 0.74, 0.77, 0.85, 0.98, 1.08, 1.08, 1.05, 1.03, 1.02,
     1.00, 1.00, 1.02, 1.06, 1.14, 1.25, 1.32, 1.28, 1.18, 1.06, 0.94, 0.86]
)  # fmt: skip  # morning and evening peaks of a gas-set eastern market
DUCK_HOUR_SHAPE = np.array(
    [0.95, 0.92, 0.90, 0.90, 0.93, 1.00, 1.05, 0.90, 0.60, 0.45, 0.40, 0.38,
     0.38, 0.40, 0.48, 0.65, 0.95, 1.45, 1.80, 1.85, 1.60, 1.35, 1.15, 1.02]
)  # fmt: skip  # CAISO net-load "duck": midday solar trough, evening ramp
FLAT_HOUR_SHAPE = np.ones(24)  # a utility tariff: one energy charge at all hours


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``total`` in proportion to ``weights``."""
    if total <= 0:
        return np.zeros(len(weights), dtype=int)
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(int)
    short = total - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return base


class Region:
    """A grid region. Subclasses set ``name``, ``hub``, ``market`` and the hour shape, and return
    their programs and levers; the base does statistics, generation and curves."""

    name: str = ""
    hub: str = ""
    market: bool = True  # False for a utility-tariff region (no wholesale price to curtail on)
    hour_shape: np.ndarray = EAST_HOUR_SHAPE
    seed: int = 0
    default_adder_usd_per_mwh: float = (
        5.0  # index + adder after a fixed contract expires (assumption)
    )
    description: str = ""

    # --- statistics ---------------------------------------------------------------------------

    def statistics(self) -> tuple[PriceStatistic, ...]:
        """This region's bundled rows."""
        return tuple(s for s in price_statistics() if s.region == self.name)

    def _stat(self, statistic: str, default: float | None = None) -> float:
        for s in self.statistics():
            if s.statistic == statistic:
                return s.value
        if default is None:
            raise RegionError(
                f"{self.name} has no statistic {statistic!r} in {PRICE_STATS_FILE.name}"
            )
        return default

    def monthly_mean_usd_per_mwh(self) -> np.ndarray:
        """The bundled monthly means, Jan..Dec, $/MWh, (12,)."""
        rows = sorted(
            (s for s in self.statistics() if s.statistic == "monthly_mean"), key=lambda s: s.month
        )
        if [s.month for s in rows] != list(range(1, 13)):
            raise RegionError(f"{self.name}: monthly_mean rows must cover months 1-12")
        return np.array([s.value for s in rows])

    # --- generated prices ------------------------------------------------------------------------

    def hourly_prices(self, year: int = GENERATOR_YEAR, seed: int | None = None) -> PriceSeries:
        """A seeded year of hourly prices calibrated to the bundled statistics (module docstring)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        hours = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
        days = hours[::24]
        n_days = len(days)
        month = days.month.to_numpy() - 1
        target = self.monthly_mean_usd_per_mwh()
        shape = np.asarray(self.hour_shape, dtype=float)
        shape = shape / shape.mean()
        cv = self._stat("daily_cv", 0.0)
        sigma = np.sqrt(np.log1p(cv**2))
        level = (
            np.exp(rng.normal(-0.5 * sigma**2, sigma, size=n_days)) if cv > 0 else np.ones(n_days)
        )
        price = target[month][:, None] * level[:, None] * shape[None, :]
        fixed = np.zeros(price.shape, dtype=bool)
        top = np.argsort(-shape, kind="stable")[:6]
        bottom = np.argsort(shape, kind="stable")[:6]
        n_scar = _largest_remainder(int(self._stat("scarcity_hours", 0)), target)
        n_neg = _largest_remainder(
            int(self._stat("negative_hours", 0)), 1.0 / np.maximum(target, 1e-9)
        )
        p_scar, p_neg = self._stat("scarcity_price", 0.0), self._stat("negative_price", 0.0)
        for m in range(12):  # twelve calendar months of a generator, not hot code
            in_month = np.flatnonzero(month == m)
            slots = (in_month[:, None] * 24 + top[None, :]).ravel()
            pick = rng.choice(slots, size=n_scar[m], replace=False)
            price.flat[pick], fixed.flat[pick] = p_scar, True
            lows = (in_month[:, None] * 24 + bottom[None, :]).ravel()
            lows = lows[~fixed.flat[lows]]
            pick = rng.choice(lows, size=n_neg[m], replace=False)
            price.flat[pick], fixed.flat[pick] = p_neg, True
            sel = np.zeros(price.shape, dtype=bool)
            sel[in_month] = True
            free = sel & ~fixed
            remaining = target[m] * sel.sum() - price[sel & fixed].sum()
            if remaining <= 0:
                raise RegionError(
                    f"{self.name}: month {m + 1} scarcity hours alone exceed its mean "
                    f"${target[m]:.2f}/MWh; lower scarcity_hours or scarcity_price"
                )
            price[free] *= remaining / price[free].sum()
        return PriceSeries(
            hours, price.reshape(-1), 1.0, hub=f"{self.hub} (generated)",
            source=f"valuation.regions {self.name} generator, seed {self.seed if seed is None else seed}",
        )  # fmt: skip

    def price_curve(self, points: int = 744) -> PriceDurationCurve:
        """Price-duration curve, (12, points) $/MWh, January first (cached per region and size)."""
        key = (self.name, int(points))
        if key not in _CURVES:
            _CURVES[key] = PriceDurationCurve.from_series(
                self.hourly_prices(), int(points), hub=self.hub,
                source=f"{self.name}: generated from valuation/data/region_price_stats.csv",
            )  # fmt: skip
        return _CURVES[key]

    # --- programs and levers ---------------------------------------------------------------------

    def program_terms(self, as_of: date | None = None) -> tuple[ProgramTerms, ...]:
        """Every program the region lists, in its market's terms (``as_of`` picks auction years)."""
        return ()

    def programs(self, as_of: date | None = None) -> tuple[DemandResponseProgram, ...]:
        """The default set a site in this region is paid by, as model programs."""
        return tuple(t.program() for t in self.program_terms(as_of) if t.default and t.can_join)

    def levers(self) -> tuple[PolicyLever, ...]:
        """The region's policy levers, all off."""
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


# Curves by (region name, points), made once per process: the generator is seeded, so a
# curve never changes for its key.
_CURVES: dict[tuple[str, int], PriceDurationCurve] = {}
