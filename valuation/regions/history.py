"""A user's own price history over a region's curve, and what a site pays after its fixed
contract expires."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from valuation.power import (
    CONTRACT_TYPES,
    PriceDurationCurve,
    PriceSeries,
    complete_interval_mask,
)
from valuation.regions.base import RegionError


def price_series_from_stored(stored: Any) -> PriceSeries:
    """A ``valuation.power.PriceSeries`` from a site's stored price history
    (``sites.store.SiteStore.price_history``: evenly spaced ``timestamps``,
    ``prices_usd_per_mwh``, ``interval_minutes``, ``hub``, ``source``). The store checked the
    spacing, bounds and interval when it was saved; this checks the shape again."""
    stamps = pd.DatetimeIndex(stored.timestamps)
    prices = np.asarray(stored.prices_usd_per_mwh, dtype=float)
    if prices.shape != (len(stamps),) or not np.isfinite(prices).all():
        raise RegionError(
            f"stored price history has {len(stamps)} timestamps and prices of shape "
            f"{prices.shape}; expected one finite price per timestamp"
        )
    return PriceSeries(
        stamps, prices, float(stored.interval_minutes) / 60.0, hub=str(stored.hub or ""),
        source=f"stored price history ({stored.source or 'uploaded file'})",
    )  # fmt: skip


def stored_price_histories(
    store: Any, site_ids: Iterable[str]
) -> tuple[dict[str, PriceSeries], dict[str, str]]:
    """The price histories stored beside ``site_ids`` (a ``sites.store.SiteStore``: its
    ``price_history_site_ids`` and ``price_history``) as ``PriceSeries`` by site id, for the
    valuations that take ``price_histories``; and, by site id, why each one that cannot be read
    was left out (that site is valued on its region's curve)."""
    from sites.errors import SitesError

    wanted = set(site_ids) & set(store.price_history_site_ids())
    found: dict[str, PriceSeries] = {}
    problems: dict[str, str] = {}
    for site_id in sorted(wanted):
        try:
            stored = store.price_history(site_id)
            if stored is not None:
                found[site_id] = price_series_from_stored(stored)
        except (SitesError, RegionError) as exc:
            problems[site_id] = str(exc)
    return found, problems


def overlay_history(
    curve: PriceDurationCurve, series: PriceSeries
) -> tuple[PriceDurationCurve, tuple[int, ...]]:
    """The region's ``curve`` with the calendar months ``series`` covers replaced by the history.

    ``series``: a loaded price file (5-, 15-, 30- or 60-minute) holding at least one complete
    calendar month; partial months are ignored. Returns ``(curve, covered_months)`` where the
    new curve has the same number of points as ``curve`` and ``covered_months`` lists the
    calendar months (1-12) taken from the history (for the page to say so).
    """
    points = curve.prices_usd_per_mwh.shape[1]
    merged = PriceDurationCurve.from_series(
        series, points, fill=curve, hub=f"{series.hub or 'user history'} over {curve.hub}",
        source=f"user history ({series.source}) over {curve.source}",
    )  # fmt: skip
    months = series.timestamps.month.to_numpy()[complete_interval_mask(series)]
    covered = tuple(sorted(set(int(m) for m in months)))
    if not covered:
        raise RegionError("price history covers no complete calendar month")
    return merged, covered


def contract_price_schedule(
    start: date,
    n_months: int,
    *,
    contract_type: str,
    contract_price_usd_per_mwh: float,
    contract_expiry: date | None,
    index_monthly_mean_usd_per_mwh: object,
    adder_usd_per_mwh: float,
    renewal_price_usd_per_mwh: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-month contract terms from ``start``'s month for ``n_months``.

    Returns ``(is_index, price_usd_per_mwh)``, both ``(n_months,)``:
    - ``index_plus_adder``: always index; price = the calendar month's index mean + adder, with
      the adder = ``contract_price_usd_per_mwh`` (the site's adder, as ``PowerRights`` stores it);
    - ``utility_tariff``: the tariff all along (a tariff does not expire);
    - ``fixed_ppa``: the fixed price for months starting before ``contract_expiry``; from the
      expiry month on, ``renewal_price_usd_per_mwh`` when given (still fixed), else the region's
      index + ``adder_usd_per_mwh`` (index). ``contract_expiry=None`` keeps the fixed price.
    ``index_monthly_mean_usd_per_mwh``: (12,) the region's monthly means (``Region.
    monthly_mean_usd_per_mwh()`` or a curve's ``mean_usd_per_mwh``), January first.
    """
    if contract_type not in CONTRACT_TYPES:
        raise RegionError(
            f"contract_type={contract_type!r} is not allowed; one of {CONTRACT_TYPES}"
        )
    n = int(n_months)
    if n < 1:
        raise RegionError(f"n_months={n_months!r} is not allowed; must be at least 1")
    index = np.asarray(index_monthly_mean_usd_per_mwh, dtype=float)
    if index.shape != (12,) or not np.isfinite(index).all():
        raise RegionError(
            f"index_monthly_mean_usd_per_mwh has shape {index.shape}; expected 12 finite $/MWh"
        )
    for name, value in (("contract_price_usd_per_mwh", contract_price_usd_per_mwh),
                        ("adder_usd_per_mwh", adder_usd_per_mwh)):  # fmt: skip
        if not np.isfinite(value):
            raise RegionError(f"{name}={value!r} is not allowed; must be finite")
    k = start.month - 1 + np.arange(n)
    cal = k % 12
    month_start_ordinal = (start.year + k // 12) * 12 + cal  # months since year 0
    index_price = index[cal]
    if contract_type == "index_plus_adder":
        return np.ones(n, dtype=bool), index_price + float(contract_price_usd_per_mwh)
    if contract_type == "utility_tariff" or contract_expiry is None:
        return np.zeros(n, dtype=bool), np.full(n, float(contract_price_usd_per_mwh))
    expired = month_start_ordinal >= contract_expiry.year * 12 + (contract_expiry.month - 1)
    if renewal_price_usd_per_mwh is not None:
        if not np.isfinite(renewal_price_usd_per_mwh):
            raise RegionError(
                f"renewal_price_usd_per_mwh={renewal_price_usd_per_mwh!r} is not allowed; must be finite"
            )
        price = np.where(
            expired, float(renewal_price_usd_per_mwh), float(contract_price_usd_per_mwh)
        )
        return np.zeros(n, dtype=bool), price
    price = np.where(
        expired, index_price + float(adder_usd_per_mwh), float(contract_price_usd_per_mwh)
    )
    return expired, price
