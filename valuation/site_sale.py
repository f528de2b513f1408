"""Selling the powered site: land, power rights and substation position, priced per MW from
announced transactions of mining and powered-land sites.

Comparable transactions (announced figures; USD per MW is arithmetic on them; compiled in the
project's hosting fact sheet, section 6, 2026-11-30):

=====================================  ==========  =======  ==============
deal (announced)                       price       MW       USD M per MW
=====================================  ==========  =======  ==============
MARA / Generate Capital, Dec 2023      $178.6M     390      0.458
MARA Garden City, 2024                 $87.3M      200      0.437
Bitfarms / Stronghold, Aug 2024        ~$175M EV   307      0.570
Riot / Rhodium, Aug 2024 (with ASICs)  $185M       125      1.480
=====================================  ==========  =======  ==============

Base: the median, $0.514M per MW; low the lowest ($0.437M), high the highest ($1.48M, which
includes machines and the end of a hosting contract). The price applies to energized MW in full and
to contracted-but-not-energized MW at :attr:`SaleTerms.unenergized_share` (an ASSUMPTION: a buyer
pays less for power that still has to be delivered). Transaction costs (advisers, legal, transfer)
2% of the price: an ASSUMPTION within the 1-3% usually quoted for mid-market M&A. The sale is
taxed as ordinary income on the whole price (tax basis taken as 0: the mining build is largely
depreciated and land basis is not in the inventory; a conservative ASSUMPTION).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sites.schema import Site
from valuation.errors import ValuationError


class SiteSaleError(ValuationError, ValueError):
    """A site-sale input outside its allowed range."""


SALE_COMPARABLES_USD_PER_MW: dict[str, float] = {
    "MARA / Generate Capital (Dec 2023)": 178.6e6 / 390.0,
    "MARA Garden City (2024)": 87.3e6 / 200.0,
    "Bitfarms / Stronghold (Aug 2024)": 175.0e6 / 307.0,
    "Riot / Rhodium incl. ASICs (Aug 2024)": 185.0e6 / 125.0,
}
_COMPS = np.array(list(SALE_COMPARABLES_USD_PER_MW.values()))


@dataclass(frozen=True)
class SaleTerms:
    """Price of a powered site, USD per gross MW, with its range and costs (module docstring)."""

    price_usd_per_mw: float = float(np.median(_COMPS))
    low_usd_per_mw: float = float(_COMPS.min())
    high_usd_per_mw: float = float(_COMPS.max())
    transaction_cost_share: float = 0.02
    unenergized_share: float = 0.5

    def __post_init__(self) -> None:
        checks = {
            "price_usd_per_mw": (0.0 <= self.price_usd_per_mw <= 50e6, "USD per MW in [0, 50M]"),
            "low_usd_per_mw": (0.0 <= self.low_usd_per_mw <= 50e6, "USD per MW in [0, 50M]"),
            "high_usd_per_mw": (0.0 <= self.high_usd_per_mw <= 50e6, "USD per MW in [0, 50M]"),
            "transaction_cost_share": (
                0.0 <= self.transaction_cost_share < 1.0,
                "a share in [0, 1)",
            ),
            "unenergized_share": (0.0 <= self.unenergized_share <= 1.0, "a share in [0, 1]"),
        }
        for name, (ok, allowed) in checks.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and ok):
                raise SiteSaleError(f"SaleTerms.{name}={value!r} is not allowed: {allowed}")
        if not self.low_usd_per_mw <= self.price_usd_per_mw <= self.high_usd_per_mw:
            raise SiteSaleError(
                f"SaleTerms.price_usd_per_mw={self.price_usd_per_mw!r} is not allowed: it must lie in "
                f"[low_usd_per_mw={self.low_usd_per_mw!r}, high_usd_per_mw={self.high_usd_per_mw!r}]"
            )

    def saleable_mw(self, site: Site) -> float:
        """Gross MW a buyer pays for: energized in full, the rest of the contracted MW at
        ``unenergized_share``."""
        energized = float(site.power.energized_mw)
        rest = max(0.0, float(site.power.contracted_mw) - energized)
        return energized + self.unenergized_share * rest

    def net_proceeds_usd(self, site: Site, price_usd_per_mw: float | None = None) -> float:
        """Sale price less transaction costs, USD, at ``price_usd_per_mw`` (the base price when
        None)."""
        price = self.price_usd_per_mw if price_usd_per_mw is None else float(price_usd_per_mw)
        return price * self.saleable_mw(site) * (1.0 - self.transaction_cost_share)
