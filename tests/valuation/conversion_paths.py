"""Synthetic conversion-like Monte Carlo paths for the option tests (the risk module's paths are not
in yet): a lease rate and a hashprice that move as geometric random walks, month by month.

Mining: a 100 PH/s-per-MW fleet-like site earns hashprice x PH x 30.4 days a month less its power
bill, and stops when that is negative (economic shutdown), so mining never loses money. Converting
at month m costs ``capex_usd`` then, and earns the lease rate at m on ``critical_it_mw`` from
m + ``build_months`` to the horizon (no escalator). All figures are illustrative, not market data.
"""

from __future__ import annotations

import numpy as np


def conversion_paths(
    *,
    n_paths: int = 2_000,
    n_years: int = 15,
    decisions_per_year: int = 1,
    lease_vol_per_year: float = 0.25,
    hashprice_vol_per_year: float = 0.5,
    lease_rate_usd_per_kw_month: float = 120.0,
    hashprice_usd_per_ph_day: float = 50.0,
    hashprice_drift_per_year: float = -0.15,
    capex_usd: float = 900e6,
    critical_it_mw: float = 100.0,
    hashrate_ph_s: float = 10_000.0,
    power_cost_usd_per_month: float = 9e6,
    build_months: int = 24,
    discount_rate_per_year: float = 0.10,
    seed: int = 0,
) -> dict:
    """Inputs of ``conversion_option`` plus the monthly state, for ``n_paths`` paths."""
    rng = np.random.default_rng(seed)
    n_months = 12 * n_years
    dt = 1.0 / 12.0
    z = rng.standard_normal((2, n_paths, n_months))
    z[:, :, 0] = 0.0  # month 0 is today's state on every path
    lease = lease_rate_usd_per_kw_month * np.exp(
        np.cumsum(
            -0.5 * lease_vol_per_year**2 * dt + lease_vol_per_year * np.sqrt(dt) * z[0], axis=1
        )
    )
    hp = hashprice_usd_per_ph_day * np.exp(
        np.cumsum(
            (hashprice_drift_per_year - 0.5 * hashprice_vol_per_year**2) * dt
            + hashprice_vol_per_year * np.sqrt(dt) * z[1],
            axis=1,
        )
    )
    mining = np.maximum(hp * hashrate_ph_s * 30.4 - power_cost_usd_per_month, 0.0)
    step = 12 // decisions_per_year
    months = np.arange(0, n_months, step)
    r_month = (1 + discount_rate_per_year) ** (1 / 12) - 1
    # lease annuity from m + build to the horizon, valued at m: sum over k of (1+r)^-k
    first = months + build_months
    remaining = np.maximum(n_months - first, 0)
    annuity = (1 + r_month) ** (-build_months) * (1 - (1 + r_month) ** (-remaining)) / r_month
    convert = lease[:, months] * critical_it_mw * 1000.0 * annuity[None, :] - capex_usd
    features = np.stack([lease[:, months], hp[:, months]], axis=2)
    return {
        "convert_now_value_usd": convert,
        "mining_cash_flow_usd": mining,
        "decision_months": months,
        "discount_rate_per_year": discount_rate_per_year,
        "features": features,
        "feature_names": ["lease_rate_usd_per_kw_month", "hashprice_usd_per_ph_day"],
    }
