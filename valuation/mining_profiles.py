"""Mining on many 1-MW power profiles at once: the fast path of the strategies' mining blocks.

A site's rows mine on a few 0/1 profiles (``valuation.strategies.MiningProfiles``): profile ``p``
gives one gross MW to mining until ``end_month[p]`` (a hall's construction start; ``inf`` for a
hall kept mining). :func:`valuation.mining.mining_cash_flows` on the ``(P, n)`` profile mask
gives every profile's flows, but runs each of its operations on ``(..., P, n)`` although the
per-MW monthly economics (hashrate per MW, mining value per MWh, economic curtailment, revenue,
power cost, opex, margin) do not depend on the profile. Only the stop decisions do:

* the refresh-or-retire month: the refresh test's window (margin over the next fleet life
  against the refresh capex) is cut at the profile's end month;
* the months the fleet runs (before both its retirement and its end month), so the flows and the
  refresh capex of those months;
* the fleet sales (``salvage``): the old fleet at each refresh while running, and the fleet in
  the first month without mining for good (retirement, or the end month inside the horizon);
* the continuation value at the horizon (cut at the end month; 0 once the power has gone).

:func:`profile_blocks` computes the economics once on ``(..., n)``
(:func:`valuation.mining.mining_month_economics`) and applies those stop rules by broadcasting
over ``(..., P)``: the refresh windows come from one cumulative sum of the discounted margin,
read at ``min(month, months mined)``, since a profile's margin is the unit margin up to its end
month and zero after. The results equal ``mining_cash_flows`` on the profile mask (the same
floating-point operations on the same numbers; ``tests/valuation/test_mining_profiles.py``).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from valuation.checks import as_float_array, require
from valuation.errors import MiningError
from valuation.mining import (
    MiningAssumptions,
    MiningMonthEconomics,
    PowerContract,
    _outgoing_fleet,
    mining_month_economics,
    used_asic_sale_usd_per_th,
)
from valuation.power import PriceDurationCurve

__all__ = ["profile_blocks"]


def profile_blocks(
    hashprice_usd_per_ph_day: object,
    end_month: object,
    *,
    assumptions: MiningAssumptions = MiningAssumptions(),  # noqa: B008 (frozen, immutable)
    contract: PowerContract = PowerContract(),  # noqa: B008
    prices: object | PriceDurationCurve | None = None,
    start: date | None = None,
    discount_rate_per_year: float | None = None,
    economic_shutdown: bool = False,
    salvage: bool = False,
    weights_mw: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Mining per gross MW on each profile: ``revenue`` (revenue net of pool fee + curtailment
    credit + fleet sales), ``opex`` (power cost + opex) and ``capex`` (fleet refresh), USD per
    month ``(..., P, n)``, and ``continuation_value`` (USD at the last month, ``(..., P)``).

    ``weights_mw`` ``(R, P)``: instead, the rows ``sum_p weights_mw[r, p] x profile p``
    ``(..., R, n)`` and ``(..., R)``, formed without the per-profile arrays (the MW still mining
    in each month times the per-MW flows): fewer rows than profiles (a Monte Carlo on a few
    chosen strategies) cost less. Equal to contracting the profiles up to rounding.

    hashprice_usd_per_ph_day: ``(..., n)`` paths. end_month: ``(P,)`` month index from which
    profile ``p`` no longer mines (it mines the months ``m < end_month[p]``; may lie past the
    horizon; ``inf`` = never). The other arguments are those of
    :func:`valuation.mining.mining_cash_flows`, whose results on
    ``power_mw = (arange(n) < end_month[:, None])``, ``hashprice[..., None, :]`` and
    ``power_end_month = end_month`` (no demand-response programs) these equal.
    """
    econ = mining_month_economics(
        np.asarray(hashprice_usd_per_ph_day, dtype=float),
        assumptions=assumptions,
        contract=contract,
        prices=prices,
        start=start,
        economic_shutdown=economic_shutdown,
    )
    shape = np.broadcast_shapes(econ.margin_usd.shape, econ.revenue_usd.shape, econ.cost_usd.shape)
    n = shape[-1]
    end = _end_months(end_month)
    rate_year = _continuation_rate(discount_rate_per_year, assumptions)
    # Months mined by each profile inside the horizon (m < end  <=>  m < ceil(end)).
    mined = np.clip(np.ceil(end), 0, n).astype(np.int64)  # (P,)
    margin = np.broadcast_to(econ.margin_usd, shape)
    margin_last = np.where(mined == n, margin[..., -1:], 0.0)  # (..., P): 0 once the power left
    stop = _retirement_months(econ, margin, margin_last, end, mined, assumptions)  # (..., P)
    months = np.arange(n)
    lim = np.minimum(stop, mined)  # (..., P): months mined and not retired
    if weights_mw is None:
        running = months < lim[..., None]  # (..., P, n): each profile's one MW
    else:
        w = np.asarray(weights_mw, dtype=float)
        if w.ndim != 2 or w.shape[1] != end.size:
            raise MiningError(f"weights_mw has shape {w.shape}; expected (rows, {end.size})")
        # MW mining per row and month: (..., n, P) @ (P, R), one product over the profiles.
        live_t = (months[:, None] < lim[..., None, :]).astype(float)
        running = np.swapaxes(live_t @ w.T, -1, -2)
    revenue = np.broadcast_to(econ.revenue_usd, shape)[..., None, :] * running
    opex = np.broadcast_to(econ.cost_usd, shape)[..., None, :] * running
    capex = np.zeros(revenue.shape)
    refresh_months = np.flatnonzero(econ.refresh)
    capex[..., refresh_months] = running[..., refresh_months] * econ.refresh_capex_usd
    if salvage:
        hp = np.broadcast_to(np.asarray(hashprice_usd_per_ph_day, dtype=float), shape)
        _add_fleet_sales(revenue, econ, hp, stop, end, mined, assumptions, weights_mw)
    continuation = (
        np.maximum(margin_last, 0.0)
        * _annuity_to_next_end_of_life(assumptions, econ.life_months, n, end, rate_year)
        * (stop >= n)
    )
    if weights_mw is not None:
        continuation = continuation @ np.asarray(weights_mw, dtype=float).T
    return {
        "revenue": revenue,
        "opex": opex,
        "capex": capex,
        "continuation_value": np.asarray(continuation, dtype=float),
    }


def _end_months(end_month: object) -> np.ndarray:
    """The profiles' end months ``(P,)``: month indices >= 0 or inf."""
    end = as_float_array(end_month, "end_month", MiningError)
    if end.ndim != 1:
        raise MiningError(f"end_month has shape {end.shape}; expected (n_profiles,)")
    require(end, end >= 0, "end_month", "must be a month index >= 0 or inf", MiningError)
    return end


def _continuation_rate(discount_rate_per_year: float | None, a: MiningAssumptions) -> float:
    """The continuation value's rate (a fraction per year): the caller's, else the miner's
    refresh hurdle (as in ``mining_cash_flows``)."""
    rate = (
        a.refresh_hurdle_rate_per_year
        if discount_rate_per_year is None
        else float(discount_rate_per_year)
    )
    if not (np.isfinite(rate) and rate > -1):
        raise MiningError(
            f"discount_rate_per_year={discount_rate_per_year!r} is not allowed; must be > -1 "
            "(a fraction per year)"
        )
    return rate


def _annuity(v: float, k: np.ndarray) -> np.ndarray:
    """``sum_{j<k} v^j`` (months ``k``, float or int arrays)."""
    return k.astype(float) if v == 1.0 else (1.0 - v**k) / (1.0 - v)


def _retirement_months(
    econ: MiningMonthEconomics,
    margin: np.ndarray,
    margin_last: np.ndarray,
    end: np.ndarray,
    mined: np.ndarray,
    a: MiningAssumptions,
) -> np.ndarray:
    """First end-of-life month ``(..., P)`` whose refresh does not pay on each profile; ``n``
    if none (``valuation.mining._first_retirement_month`` on each profile's margin).

    A profile's margin is ``margin`` for ``m < mined[p]`` and 0 after, so the cumulative sum of
    its discounted margin at month m is the unit's at ``min(m, mined[p] - 1)``: with a leading
    zero, ``cum[min(m + 1, mined[p])]``. A refresh at or after the end month costs nothing and
    earns nothing, so never retires the fleet; past the horizon the window repeats the last
    month's margin (0 for a profile whose power has left) up to the end month.
    """
    n = margin.shape[-1]
    lead = margin.shape[:-1]
    r = np.flatnonzero(econ.refresh)
    if r.size == 0:
        return np.full((*lead, end.size), n, dtype=np.int64)
    life = max(1, int(round(econ.life_months)))
    v = (1.0 + a.refresh_hurdle_rate_per_year) ** (-1.0 / 12.0)
    disc = v ** np.arange(n)
    cum = np.cumsum(margin * disc, axis=-1)
    cum0 = np.concatenate([np.zeros((*lead, 1)), cum], axis=-1)  # (..., n + 1)
    window_end = np.minimum(r + life, n)  # (n_refresh,)
    upto = np.minimum(window_end[None, :], mined[:, None])  # (P, n_refresh)
    before = np.minimum(r[None, :], mined[:, None])
    inside = (cum0[..., upto] - cum0[..., before]) / disc[r]  # (..., P, n_refresh)
    last_j = np.clip(np.minimum(life, end[:, None] - r), window_end - r, life)  # (P, n_refresh)
    beyond = margin_last[..., None] * (_annuity(v, last_j) - _annuity(v, window_end - r))
    capex = np.where(r[None, :] < mined[:, None], econ.refresh_capex_usd, 0.0)  # (P, n_refresh)
    retire = inside + beyond < capex
    return np.where(retire, r, n).min(axis=-1)


def _add_fleet_sales(
    revenue: np.ndarray,
    econ: MiningMonthEconomics,
    hp: np.ndarray,
    stop: np.ndarray,
    end: np.ndarray,
    mined: np.ndarray,
    a: MiningAssumptions,
    weights_mw: np.ndarray | None = None,
) -> None:
    """Add the fleet sales (``salvage`` of ``mining_cash_flows``) to ``revenue`` ``(..., P, n)``
    in place: one MW's fleet of the month before (its J/TH and health) at the used-ASIC price
    scaled by hashprice, sold in a refresh month while running (if the profile mined the month
    before) and in the first month without mining for good, ``min(retirement, floor(end))``;
    in month 0 the fleet on the valuation date, if the profile mines in month 0 (as
    ``mining_cash_flows`` sells month 0's MW). With ``weights_mw`` ``(R, P)``, ``revenue`` is
    ``(..., R, n)`` rows and each profile's sales are added to every row at its weight."""
    n = hp.shape[-1]
    eff_prev, health_prev = _outgoing_fleet(econ.health, econ.efficiency_j_per_th, a)
    th_prev = 1.0 * 1e6 / (eff_prev * a.mining_pue) * health_prev  # TH/s of one MW
    sale = th_prev * used_asic_sale_usd_per_th(eff_prev, hp)  # (..., n)
    r = np.flatnonzero(econ.refresh)
    # (..., P, n_refresh); in month 0 the fleet on the valuation date, which runs in month 0
    at_refresh = (r < stop[..., None]) & (np.maximum(r - 1, 0) < mined[:, None])
    refresh_sale = np.where(at_refresh, sale[..., None, r], 0.0)
    gone = np.minimum(stop.astype(float), np.floor(end))  # (..., P)
    sold = (gone < n) & ((gone > 0) | (mined > 0))  # month 0: a fleet that runs in it
    month = np.where(sold, gone, 0).astype(np.int64)[..., None]
    # Not again where the refresh sale of the same month was counted.
    sold &= ~(econ.refresh[month[..., 0]] & (month[..., 0] < stop))
    if weights_mw is not None:
        w = np.asarray(weights_mw, dtype=float)
        revenue[..., r] += np.swapaxes(np.swapaxes(refresh_sale, -1, -2) @ w.T, -1, -2)
        gone_sale = np.where(sold, np.take_along_axis(sale, month[..., 0], -1), 0.0)
        _add_at_months(revenue, month[..., 0], gone_sale, w)
        return
    revenue[..., r] += refresh_sale
    sale_p = np.take_along_axis(np.broadcast_to(sale[..., None, :], revenue.shape), month, -1)
    now = np.take_along_axis(revenue, month, -1)
    np.put_along_axis(revenue, month, np.where(sold[..., None], now + sale_p, now), -1)


def _add_at_months(
    rows: np.ndarray, month: np.ndarray, value: np.ndarray, weights_mw: np.ndarray
) -> None:
    """``rows[..., r, month[..., p]] += weights_mw[r, p] * value[..., p]`` for every row and
    profile, in place (``rows`` ``(..., R, n)``; ``month``, ``value`` ``(..., P)``): one
    ``bincount`` over the flat positions, since several profiles may hit the same month."""
    n_rows, n = rows.shape[-2:]
    lead = rows.shape[:-2]
    month = np.broadcast_to(month, (*lead, month.shape[-1]))
    value = np.broadcast_to(value, month.shape)
    flat_lead = np.arange(int(np.prod(lead, dtype=np.int64))).reshape(lead)
    pos = (flat_lead[..., None, None] * n_rows + np.arange(n_rows)[:, None]) * n
    pos = pos + month[..., None, :]  # (..., R, P)
    add = weights_mw * value[..., None, :]
    rows += np.bincount(pos.ravel(), weights=add.ravel(), minlength=rows.size).reshape(rows.shape)


def _annuity_to_next_end_of_life(
    a: MiningAssumptions, life_m: float, n: int, end: np.ndarray, rate_year: float
) -> np.ndarray:
    """``sum_{j=1..R} v^j`` ``(P,)`` with R the months from the horizon to the fleet's next end
    of life, cut at each profile's end month (``mining_cash_flows``' continuation value)."""
    age_n = a.start_age_months + n
    next_eol_age = max(np.floor((age_n - 1.0) / life_m) + 1.0, 1.0) * life_m
    next_eol_month = max(float(n), float(np.ceil(next_eol_age - a.start_age_months)))
    months_left = np.clip(np.minimum(next_eol_month, end) - n, 0.0, None)
    v = (1.0 + rate_year) ** (-1.0 / 12.0)
    return months_left if v == 1.0 else v * (1.0 - v**months_left) / (1.0 - v)
