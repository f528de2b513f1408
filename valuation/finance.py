"""Finance engine: NPV, IRR, MIRR, payback, taxes with MACRS depreciation, debt, terminal value.

Every function takes cash flows shaped ``(..., n_periods)`` and broadcasts over the leading axes,
so one call values one scenario or ten thousand Monte Carlo paths. Conventions follow
numpy-financial 1.0.0 (pinned): rates are fractions per period and the flow at index 0 is not
discounted. On Hashpivot's monthly grid a period is one month; amounts are US dollars.

Sign convention for :func:`project_cash_flows`: revenue, opex and capex are positive amounts
(opex and capex are costs); free cash flows are positive when money comes in.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, NamedTuple, TypeAlias

import numpy as np
import numpy_financial as npf
import pandas as pd

from valuation.checks import (
    as_float_array,
    broadcast_shape,
    check_fields,
    first_bad,
    number,
    one_of,
    scalar_or_array,
    whole,
)
from valuation.errors import FinanceError, FinanceInputError

__all__ = [
    "FinanceError",
    "FinanceInputError",
    "npv",
    "irr",
    "irr_details",
    "IrrResult",
    "mirr",
    "monthly_rate",
    "annual_rate",
    "operating_flows_usd",
    "payback_month",
    "discounted_payback_month",
    "peak_funding_usd",
    "moic",
    "MACRS_ANNUAL_PERCENT",
    "macrs_depreciation_usd",
    "depreciation_by_class_usd",
    "TaxAssumptions",
    "income_tax_usd",
    "DebtTerms",
    "DebtSchedule",
    "debt_schedule",
    "TerminalValue",
    "terminal_value_usd",
    "sale_tax_usd",
    "project_cash_flows",
    "ProjectCashFlows",
    "CashFlowSummary",
    "CashFlowResult",
    "summarize",
    "summarize_rows",
    "cash_flow_result",
]

ArrayLike: TypeAlias = float | np.ndarray | list | pd.Series


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------


def _flows(cashflows: ArrayLike, name: str = "cashflows") -> np.ndarray:
    """Return cash flows as a float array ``(..., n)``; reject empty and non-finite input."""
    arr = as_float_array(cashflows, name, FinanceInputError)
    if arr.ndim == 0:
        raise FinanceInputError(
            f"{name} must be an array shaped (..., n_periods); got the scalar {arr.item()!r}"
        )
    if arr.size == 0:
        raise FinanceInputError(
            f"{name} is empty (shape {arr.shape}); it needs at least one period"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = first_bad(bad)
        raise FinanceInputError(
            f"{name} has the non-finite value {float(arr[pos])!r} at position {pos}; "
            "every flow must be a finite number"
        )
    return arr


def _rate(rate: ArrayLike, name: str = "rate") -> np.ndarray:
    """Return a rate as a float array; reject non-finite rates and rates at or below -100%."""
    arr = as_float_array(rate, name, FinanceInputError)
    bad = ~np.isfinite(arr) | (arr <= -1.0)
    if bad.any():
        pos = first_bad(bad) if arr.ndim else ()
        raise FinanceInputError(
            f"{name} has the value {float(arr[pos])!r}"
            + (f" at position {pos}" if pos else "")
            + "; a rate must be finite and greater than -1 (-100%)"
        )
    return arr


# ---------------------------------------------------------------------------------------------
# Rates and NPV
# ---------------------------------------------------------------------------------------------


def _per_row(cashflows: np.ndarray, **rates: np.ndarray) -> None:
    """Refuse rates that do not broadcast to one value per row of ``cashflows`` ``(..., n)``."""
    shapes = {f"{name} (one per row)": r.shape for name, r in rates.items()}
    broadcast_shape(
        {**shapes, "cashflows rows (shape[:-1])": cashflows.shape[:-1]}, FinanceInputError
    )


def monthly_rate(rate_per_year: ArrayLike) -> np.ndarray | float:
    """Compound monthly rate equivalent to an annual rate: ``(1 + r_year) ** (1/12) - 1``."""
    r = _rate(rate_per_year, "rate_per_year")
    return scalar_or_array(np.expm1(np.log1p(r) / 12.0))


def annual_rate(rate_per_month: ArrayLike) -> np.ndarray | float:
    """Annual rate equivalent to a compound monthly rate: ``(1 + r_month) ** 12 - 1``.

    nan inputs (e.g. an IRR that does not exist) pass through as nan.
    """
    r = as_float_array(rate_per_month, "rate_per_month", FinanceInputError)
    bad = np.isfinite(r) & (r <= -1.0) | np.isinf(r)
    if bad.any():
        pos = first_bad(bad) if r.ndim else ()
        raise FinanceInputError(
            f"rate_per_month has the value {float(r[pos])!r}; a rate must be greater than -1 (-100%)"
        )
    return scalar_or_array(np.expm1(12.0 * np.log1p(r)))


def _discount_factors(rate: np.ndarray, n: int) -> np.ndarray:
    """``(1 + rate) ** -t`` for t = 0..n-1, shaped ``rate.shape + (n,)``."""
    t = np.arange(n, dtype=float)
    return np.exp(-np.log1p(rate)[..., None] * t)


def npv(rate: ArrayLike, cashflows: ArrayLike) -> np.ndarray | float:
    """Net present value per row, numpy-financial's convention.

    ``npv = sum_t cashflows[..., t] / (1 + rate) ** t``, t = 0..n-1 (the flow at index 0 is not
    discounted).

    Parameters
    ----------
    rate : float or array_like
        Discount rate per period (a fraction, e.g. 0.01 a month), a scalar or an array
        broadcastable to ``cashflows.shape[:-1]``; must be > -1.
    cashflows : array_like
        Cash flows in USD (or any one currency), shape ``(..., n_periods)``, first flow at t = 0.

    Returns
    -------
    float or numpy.ndarray
        NPV in the cash flows' currency, shape ``broadcast(rate.shape, cashflows.shape[:-1])``; a
        float for one 1-D stream and a scalar rate.

    References
    ----------
    .. [1] numpy-financial 1.0.0, ``numpy_financial.npv``: same convention and the example below
       (https://numpy.org/numpy-financial/latest/npv.html).

    Examples
    --------
    The numpy-financial documentation's example, then two monthly streams at 1% a month:

    >>> from valuation.finance import npv
    >>> round(npv(0.05, [-15000, 1500, 2500, 3500, 4500, 6000]), 6)
    122.894855
    >>> npv(0.01, [[-100, 60, 60], [-100, 0, 121]]).round(4)
    array([18.2237, 18.6158])
    """
    cf = _flows(cashflows)
    r = _rate(rate)
    _per_row(cf, rate=r)
    n = cf.shape[-1]
    if r.ndim == 0:
        # One discount vector shared by every row: a single matrix-vector product.
        return scalar_or_array(cf @ _discount_factors(r, n))
    return scalar_or_array(np.sum(cf * _discount_factors(r, n), axis=-1))


# ---------------------------------------------------------------------------------------------
# IRR
# ---------------------------------------------------------------------------------------------

# Rate grid in u = log(1 + r): sinh spacing puts about 0.0012 between points near r = 0, 0.005
# near u = 0.2 and 0.19 at |u| = 8; an odd, symmetric count makes u = 0 an exact grid point so
# every bracket lies wholly on one side of zero.
_GRID_SCALE = 0.05
_GRID_U_MAX = 8.0
_GRID_POINTS = 401
_IRR_MAX_ITER = 100


@functools.lru_cache(maxsize=16)
def _irr_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid of u values and the ``(n, G)`` matrix whose product with flows gives scaled NPVs.

    For u >= 0 the column is ``exp(-t u)`` (the plain NPV); for u < 0 it is
    ``exp((n - 1 - t) u)``, the NPV times the positive factor ``exp((n - 1) u)``. Both have
    entries in (0, 1], so nothing overflows, and the sign of the NPV is kept.
    """
    u = _irr_u_grid()
    t = np.arange(n, dtype=float)[:, None]
    shift = np.where(u < 0, n - 1.0, 0.0)[None, :]
    mat = np.exp(-(t - shift) * u[None, :])
    mat.setflags(write=False)
    return u, mat


@functools.cache
def _irr_u_grid() -> np.ndarray:
    """The grid of u = log(1 + r) values (read-only), dense near 0 (asinh spacing), 0 exact."""
    s_max = np.arcsinh(_GRID_U_MAX / _GRID_SCALE)
    u = _GRID_SCALE * np.sinh(np.linspace(-s_max, s_max, _GRID_POINTS))
    u[_GRID_POINTS // 2] = 0.0
    u.setflags(write=False)
    return u


def _scaled_npv_and_slope(
    cf: np.ndarray, u: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scaled NPV g(u) and dg/du for rows ``cf`` (k, n) at ``u`` (k,); see :func:`_irr_grid`."""
    shift = np.where(u < 0, t[-1], 0.0)
    w = cf * np.exp(np.multiply.outer(-u, t) + (shift * u)[:, None])
    g = w.sum(axis=1)
    dg = shift * g - w @ t
    return g, dg


def _solve_brackets(
    cf: np.ndarray, a: np.ndarray, b: np.ndarray, a_pos: np.ndarray, u0: np.ndarray
) -> np.ndarray:
    """Safeguarded Newton (Newton steps, bisection when a step leaves the bracket) in u.

    ``cf`` (k, n); brackets ``[a, b]`` (k,) with a sign change; ``a_pos`` tells whether the
    scaled NPV at ``a`` is >= 0. Vectorised over all k problems; iterates only unconverged rows.
    """
    t = np.arange(cf.shape[1], dtype=float)
    a, b, u = a.copy(), b.copy(), u0.copy()
    result = np.full(a.shape, np.nan)
    active = np.arange(a.size)
    for _ in range(_IRR_MAX_ITER):
        if active.size == 0:
            break
        ua, aa, bb, sa = u[active], a[active], b[active], a_pos[active]
        g, dg = _scaled_npv_and_slope(cf[active], ua, t)
        same = (g >= 0) == sa
        aa = np.where(same, ua, aa)
        bb = np.where(same, bb, ua)
        with np.errstate(divide="ignore", invalid="ignore"):
            un = ua - g / dg
        outside = ~((un > aa) & (un < bb))
        un = np.where(outside, 0.5 * (aa + bb), un)
        # Near a simple root Newton's error after a step of size h is O(h^2): a step below 1e-9
        # leaves an error far below 1e-15, so stop there; brackets narrower than 1e-14 stop too.
        scale = 1.0 + np.abs(ua)
        done = (
            (g == 0) | (~outside & (np.abs(un - ua) <= 1e-9 * scale)) | (bb - aa <= 1e-14 * scale)
        )
        final = np.where(g == 0, ua, un)
        result[active[done]] = final[done]
        keep = ~done
        u[active], a[active], b[active] = un, aa, bb
        active = active[keep]
    # Rows that hit the iteration cap are still inside a bracket narrower than the start; take
    # its midpoint (this does not happen for simple roots, which Newton finishes in a few steps).
    result[active] = 0.5 * (a[active] + b[active])
    return result


@dataclass(frozen=True)
class IrrResult:
    """IRR per row and how far to trust it.

    ``rate_per_period``: the chosen root (nan where none). ``kind``: "conventional" (exactly one
    IRR in (-100%, inf), first non-zero flow negative: an investment; always one IRR for one
    sign change by Descartes' rule), "financing" (exactly one IRR but the first non-zero flow
    is positive: money in before money out, so the rate is a borrowing cost and a higher one is
    worse; not a return to show as one), "none" (no IRR), "several" (two or more IRRs: the one
    closest to zero is reported, as numpy-financial 1.0 does; show MIRR or NPV beside it). ``sign_changes``: sign changes of the flows (zeros
    skipped). ``n_roots``: IRRs found (sign changes of the NPV on the rate grid).
    """

    rate_per_period: np.ndarray
    kind: np.ndarray
    sign_changes: np.ndarray
    n_roots: np.ndarray


def irr_details(cashflows: ArrayLike) -> IrrResult:
    """Internal rate of return per row with a classification; vectorised, no loop over rows.

    Method. With u = log(1 + r) the NPV is a smooth function of u on the real line. Each row is
    scaled to max |flow| = 1 and its (positively rescaled, see :func:`_irr_grid`) NPV is
    evaluated on a fixed grid of 401 rates from r = -99.97% to r = e^8 - 1 by one matrix
    product; the limits u -> -inf and u -> +inf take the signs of the last and first non-zero
    flows, and Cauchy's root bound on the flow polynomial closes the two outer brackets at
    finite u. Sign changes of the NPV along the grid bracket the IRRs. In the bracket nearest
    zero on each side of r = 0, a safeguarded Newton iteration converges to machine precision;
    of the two candidates the root with the smaller |r| is chosen (numpy-financial 1.0.0's rule).

    Limits (documented, deterministic): two IRRs closer together than the grid spacing (about
    0.12% per period near zero, 0.5% near 20%) and roots of even multiplicity (the NPV touches
    zero without crossing) are not counted. Rows with one sign change always have exactly one
    root and are found exactly.
    """
    cf = _flows(cashflows)
    lead_shape, n = cf.shape[:-1], cf.shape[-1]
    rows = cf.reshape(-1, n)
    m = rows.shape[0]

    maxabs = np.abs(rows).max(axis=1)
    nonzero_row = maxabs > 0
    scaled = rows / np.where(nonzero_row, maxabs, 1.0)[:, None]
    nz = np.sign(scaled) != 0
    changes = _sign_changes(scaled)
    first_nz = np.argmax(nz, axis=1)
    last_nz = n - 1 - np.argmax(nz[:, ::-1], axis=1)
    c_first = scaled[np.arange(m), first_nz]
    c_last = scaled[np.arange(m), last_nz]
    left, right, g_grid = _aligned_rows_and_grid_npv(scaled, first_nz, last_nz)
    u_lo, u_hi = _outer_bracket_ends_u(c_first, c_last, nonzero_row)

    g_ext = np.concatenate([np.sign(c_last)[:, None], g_grid, np.sign(c_first)[:, None]], axis=1)
    pos = g_ext >= 0
    cross = pos[:, :-1] != pos[:, 1:]  # interval i spans ext points i and i + 1
    cross &= (changes > 0)[:, None]
    n_roots = cross.sum(axis=1)
    n_roots = np.where(changes == 1, 1, n_roots)  # Descartes: exactly one root, whatever rounding
    cand_pos, cand_neg = _roots_nearest_zero(cross, g_ext, left, right, u_lo, u_hi)
    take_neg = np.isnan(cand_pos) | (np.abs(cand_neg) < np.abs(cand_pos))
    rate = np.where(take_neg, cand_neg, cand_pos)

    # One IRR but money comes in before it goes out (no investment up front, or a closure cost
    # at the end): the rate is a cost of borrowing, where higher is worse, not a return.
    one_kind = np.where(c_first > 0, "financing", "conventional")
    kind = np.where(n_roots == 0, "none", np.where(n_roots == 1, one_kind, "several"))
    return IrrResult(
        rate_per_period=rate.reshape(lead_shape),
        kind=kind.astype(object).reshape(lead_shape),
        sign_changes=changes.reshape(lead_shape),
        n_roots=n_roots.reshape(lead_shape),
    )


def _sign_changes(scaled: np.ndarray) -> np.ndarray:
    """Sign changes per row ``(m,)`` of flows ``(m, n)``, zeros skipped: each non-zero sign is
    compared with the previous non-zero one."""
    m, n = scaled.shape
    sgn = np.sign(scaled)
    nz = sgn != 0
    idx = np.where(nz, np.arange(n)[None, :], -1)
    prev_idx = np.maximum.accumulate(idx, axis=1)
    prev_sign = np.take_along_axis(sgn, np.maximum(prev_idx, 0), axis=1)
    prev_sign_shift = np.concatenate([np.zeros((m, 1)), prev_sign[:, :-1]], axis=1)
    return (nz & (prev_sign_shift != 0) & (sgn != prev_sign_shift)).sum(axis=1)


def _aligned_rows_and_grid_npv(
    scaled: np.ndarray, first_nz: np.ndarray, last_nz: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows rotated so the first non-zero flow sits at t = 0 (``left``, for u >= 0) or the last
    at t = n - 1 (``right``, for u < 0), and the scaled NPV ``(m, G)`` on the u grid.

    Rotating multiplies the NPV by a positive power of (1 + r), so roots keep their place, and
    the dominant term's factor is exactly 1: no column underflows to a false zero when a stream
    has long runs of leading or trailing zeros."""
    n = scaled.shape[1]
    cols = np.arange(n)[None, :]
    left = np.take_along_axis(scaled, (cols + first_nz[:, None]) % n, axis=1)
    right = np.take_along_axis(scaled, (cols - (n - 1 - last_nz)[:, None]) % n, axis=1)
    _, mat = _irr_grid(n)
    n_neg = _GRID_POINTS // 2
    g_grid = np.concatenate([right @ mat[:, :n_neg], left @ mat[:, n_neg:]], axis=1)
    return left, right, g_grid


def _outer_bracket_ends_u(
    c_first: np.ndarray, c_last: np.ndarray, nonzero_row: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Finite u ends ``(m,)`` of the two outer brackets from Cauchy's bound (max |c| = 1 after
    scaling): every positive root x = 1/(1+r) of the flow polynomial satisfies
    1/(1 + 1/|c_first|) < x < 1 + 1/|c_last|. Clamped at |u| = 700 (exp stays finite): rates
    beyond are not representable anyway."""
    u_grid = _irr_u_grid()
    with np.errstate(divide="ignore", over="ignore"):
        u_lo = -np.log1p(1.0 / np.abs(c_last)) - 1e-9
        u_hi = np.log1p(1.0 / np.abs(c_first)) + 1e-9
    u_lo = np.clip(np.where(nonzero_row, u_lo, -1.0), -700.0, u_grid[0] - 1e-9)
    u_hi = np.clip(np.where(nonzero_row, u_hi, 1.0), u_grid[-1] + 1e-9, 700.0)
    return u_lo, u_hi


def _roots_nearest_zero(
    cross: np.ndarray,
    g_ext: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    u_lo: np.ndarray,
    u_hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The IRRs (per period, ``(m,)``, nan where none) in the brackets nearest r = 0 above and
    below it, each solved by :func:`_solve_brackets` from a secant start."""
    m = cross.shape[0]
    u_grid = _irr_u_grid()
    zero_ext = _GRID_POINTS // 2 + 1  # extended index of u = 0
    has_pos = cross[:, zero_ext:].any(axis=1)
    i_pos = zero_ext + np.argmax(cross[:, zero_ext:], axis=1)
    has_neg = cross[:, :zero_ext].any(axis=1)
    i_neg = zero_ext - 1 - np.argmax(cross[:, :zero_ext][:, ::-1], axis=1)

    def ext_u(i: np.ndarray, r: np.ndarray) -> np.ndarray:
        inner = u_grid[np.clip(i - 1, 0, _GRID_POINTS - 1)]
        return np.where(i == 0, u_lo[r], np.where(i == _GRID_POINTS + 1, u_hi[r], inner))

    r_pos, r_neg = np.nonzero(has_pos)[0], np.nonzero(has_neg)[0]
    prob_rows = np.concatenate([r_pos, r_neg])
    prob_i = np.concatenate([i_pos[r_pos], i_neg[r_neg]])
    a = ext_u(prob_i, prob_rows)
    b = ext_u(prob_i + 1, prob_rows)
    ga = g_ext[prob_rows, prob_i]
    gb = g_ext[prob_rows, prob_i + 1]
    virtual = (prob_i == 0) | (prob_i + 1 == _GRID_POINTS + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        secant = a - ga * (b - a) / (gb - ga)
    start_ok = ~virtual & (secant > a) & (secant < b)
    u0 = np.where(start_ok, secant, 0.5 * (a + b))
    aligned = np.concatenate([left[r_pos], right[r_neg]])
    roots_u = _solve_brackets(aligned, a, b, ga >= 0, u0)
    cand_pos = np.full(m, np.nan)
    cand_neg = np.full(m, np.nan)
    cand_pos[r_pos] = np.expm1(roots_u[: r_pos.size])
    cand_neg[r_neg] = np.expm1(roots_u[r_pos.size :])
    return cand_pos, cand_neg


def irr(cashflows: ArrayLike) -> np.ndarray | float:
    """Internal rate of return per period per row (nan where none).

    The method, its limits and the rule for several roots (the one closest to zero, as
    numpy-financial 1.0 reports) are in :func:`irr_details`, which also classifies each row.

    Parameters
    ----------
    cashflows : array_like
        Cash flows in USD, shape ``(..., n_periods)``, first flow at t = 0.

    Returns
    -------
    float or numpy.ndarray
        IRR per period (a fraction; monthly flows give a monthly rate), shape
        ``cashflows.shape[:-1]``; nan where no rate sets the NPV to zero.

    References
    ----------
    .. [1] numpy-financial 1.0.0, ``numpy_financial.irr`` and its example ``[-100, 39, 59, 55,
       20]`` -> 0.28095 (https://numpy.org/numpy-financial/latest/irr.html).

    Examples
    --------
    >>> from valuation.finance import irr
    >>> round(irr([-100, 39, 59, 55, 20]), 5)
    0.28095

    Vectorised over rows; a stream that never pays back has no IRR:

    >>> irr([[-100, 0, 121], [-100, 0, 0], [100, -50, -60]]).round(5)
    array([0.1    ,     nan, 0.06394])
    """
    return scalar_or_array(irr_details(cashflows).rate_per_period)


def mirr(
    cashflows: ArrayLike, finance_rate: ArrayLike, reinvest_rate: ArrayLike
) -> np.ndarray | float:
    """Modified IRR per period, numpy-financial 1.0.0's formula, vectorised over rows.

    ``mirr = (|NPV(reinvest, inflows)| / |NPV(finance, outflows)|) ** (1/(n-1))
    * (1 + reinvest) - 1``; nan where a row lacks either inflows or outflows (or n = 1).
    """
    cf = _flows(cashflows)
    fr = _rate(finance_rate, "finance_rate")
    rr = _rate(reinvest_rate, "reinvest_rate")
    _per_row(cf, finance_rate=fr, reinvest_rate=rr)
    n = cf.shape[-1]
    inflow = np.where(cf > 0, cf, 0.0)
    outflow = np.where(cf < 0, cf, 0.0)
    numer = np.abs(np.sum(inflow * _discount_factors(rr, n), axis=-1))
    denom = np.abs(np.sum(outflow * _discount_factors(fr, n), axis=-1))
    ok = (cf > 0).any(axis=-1) & (cf < 0).any(axis=-1) & (n > 1)
    # A tiny outflow against large inflows overflows to inf: the MIRR is then unbounded.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = (numer / denom) ** (1.0 / max(n - 1, 1)) * (1.0 + rr) - 1.0
    return scalar_or_array(np.where(ok, value, np.nan))


# ---------------------------------------------------------------------------------------------
# Payback, funding, multiple
# ---------------------------------------------------------------------------------------------


def operating_flows_usd(
    free_cash_flow_usd: ArrayLike, terminal_value_usd: ArrayLike, terminal_tax_usd: ArrayLike
) -> np.ndarray:
    """A stream's free cash flow before the value at the horizon: without the terminal value (a
    sale of the business in the last month) and without the tax on that sale, both left out
    together so the last month is its operations alone (:class:`ProjectCashFlows`' columns, any
    matching shape, USD). The one rule of payback and of every cumulative chart."""
    return (
        np.asarray(free_cash_flow_usd, dtype=float)
        - np.asarray(terminal_value_usd, dtype=float)
        + np.asarray(terminal_tax_usd, dtype=float)
    )


def payback_month(cashflows: ArrayLike) -> np.ndarray | float:
    """Month (interpolated) at which cumulative cash flow first climbs back to zero.

    Cumulative flow C_t = sum_{s<=t} cf_s. At the first k with C_k < 0 <= C_{k+1} the payback is
    ``k + (-C_k) / cf_{k+1}`` (linear within month k+1's flow). 0.0 where C never goes
    negative; nan where it never recovers. Later dips (e.g. decommissioning) do not move it:
    read :func:`peak_funding_usd` and the cumulative curve for those.
    """
    cf = _flows(cashflows)
    cum = np.cumsum(cf, axis=-1)
    neg = cum < 0
    ever_neg = neg.any(axis=-1)
    if cf.shape[-1] < 2:
        return scalar_or_array(np.where(ever_neg, np.nan, 0.0))
    cross = neg[..., :-1] & ~neg[..., 1:]
    has = cross.any(axis=-1)
    k = np.argmax(cross, axis=-1)[..., None]
    before = np.take_along_axis(cum, k, axis=-1)[..., 0]
    step = np.take_along_axis(cf, k + 1, axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        month = k[..., 0] + (-before) / step
    return scalar_or_array(np.where(~ever_neg, 0.0, np.where(has, month, np.nan)))


def discounted_payback_month(rate: ArrayLike, cashflows: ArrayLike) -> np.ndarray | float:
    """:func:`payback_month` of the flows discounted at ``rate`` per period (t = 0 undiscounted)."""
    cf = _flows(cashflows)
    r = _rate(rate)
    _per_row(cf, rate=r)
    return payback_month(cf * _discount_factors(r, cf.shape[-1]))


def peak_funding_usd(cashflows: ArrayLike) -> np.ndarray | float:
    """Peak cumulative funding need: ``max(0, -min_t sum_{s<=t} cf_s)``, a positive number."""
    cf = _flows(cashflows)
    return scalar_or_array(np.maximum(0.0, -np.cumsum(cf, axis=-1).min(axis=-1)))


def moic(cashflows: ArrayLike) -> np.ndarray | float:
    """Multiple on invested capital: sum of inflows / sum of |outflows|; nan without outflows."""
    cf = _flows(cashflows)
    inflow = np.where(cf > 0, cf, 0.0).sum(axis=-1)
    outflow = -np.where(cf < 0, cf, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return scalar_or_array(np.where(outflow > 0, inflow / outflow, np.nan))


# ---------------------------------------------------------------------------------------------
# Depreciation and tax
# ---------------------------------------------------------------------------------------------

# IRS Publication 946 (2024), Table A-1: 200%/150% declining balance switching to straight line,
# half-year convention, percent of basis per recovery year (5-, 7-, 15-year property); Table
# A-7a: 39-year nonresidential real property, straight line, mid-month convention, row "placed
# in service in month 1" (2.461%, then 2.564% for years 2-39, 0.107% in year 40).
MACRS_ANNUAL_PERCENT: dict[int, tuple[float, ...]] = {
    5: (20.00, 32.00, 19.20, 11.52, 11.52, 5.76),
    7: (14.29, 24.49, 17.49, 12.49, 8.93, 8.92, 8.93, 4.46),
    15: (
        5.00,
        9.50,
        8.55,
        7.70,
        6.93,
        6.23,
        5.90,
        5.90,
        5.91,
        5.90,
        5.91,
        5.90,
        5.91,
        5.90,
        5.91,
        2.95,
    ),  # fmt: skip
    39: (2.461,) + (2.564,) * 38 + (0.107,),
}
# Bonus depreciation (IRC section 168(k)) applies to property with a recovery period of 20 years
# or less, so not to 39-year buildings.
_BONUS_ELIGIBLE = frozenset({5, 7, 15})


@functools.lru_cache(maxsize=8)
def _macrs_monthly_weights(property_class: int) -> tuple[float, ...]:
    """Share of the cost basis depreciated in each month of recovery year y (y = 0, 1, ...):
    the published annual percentage / 12, rescaled so the table sums to exactly 1 (removes the
    table's rounding residue)."""
    annual = np.asarray(MACRS_ANNUAL_PERCENT[property_class], dtype=float)
    return tuple(float(w) for w in annual / 12.0 / annual.sum())


def _macrs_convolve(capex: np.ndarray, property_class: int, n_out: int) -> np.ndarray:
    """Capex placed in month j depreciating in months j, j+1, ...: the convolution of each row
    with a kernel that is constant within each 12-month recovery year.

    With B_t = capex placed in months t-11..t (a 12-month block sum of the cumulative capex),
    ``dep_t = sum_y w_y B_{t - 12 y}``: one shifted add per recovery year instead of an
    (n, n_out) matrix product (which runs into multi-threaded BLAS stalls on small busy
    machines). Block sums of a non-decreasing cumulative sum are >= 0, so is the result. Each
    row's numbers depend on that row alone (elementwise), whatever else is in the array.
    """
    n = capex.shape[-1]
    cum = np.cumsum(capex, axis=-1)
    if n_out > n:
        cum = np.concatenate([cum, np.repeat(cum[..., -1:], n_out - n, axis=-1)], axis=-1)
    lagged = np.zeros_like(cum)
    lagged[..., 12:] = cum[..., :-12]
    block = cum - lagged
    dep = np.zeros_like(cum)
    for year, weight in enumerate(_macrs_monthly_weights(property_class)):
        shift = 12 * year
        if shift >= n_out:
            break
        dep[..., shift:] += weight * block[..., : n_out - shift]
    return dep


def macrs_depreciation_usd(
    capex_usd: ArrayLike,
    property_class: int,
    bonus_share: float = 0.0,
    *,
    n_months: int | None = None,
) -> np.ndarray:
    """Monthly tax depreciation (USD) of capex placed in service in each month.

    ``capex_usd`` ``(..., n)``: cost basis placed in service per month. ``property_class``: MACRS
    recovery period in years, one of 5 (mining machines, computers), 7, 15 (site electrical and
    mechanical improvements), 39 (buildings). ``bonus_share`` of the cost is expensed in the month
    placed in service (5/7/15 only); the rest follows the IRS Pub 946 table (Table A-1 half-year;
    A-7a mid-month, month-1 row, for 39-year).

    Simplification on the monthly grid: each tax year's percentage is spread evenly over 12
    months and the first tax year starts in the month placed in service. The sum of a row equals
    the cost basis when ``n_months >= n + 12 * recovery years + 12``; by default ``n_months = n``
    and depreciation after the horizon is cut off. Vectorised: one shifted add per recovery year.
    """
    capex = _flows(capex_usd, "capex_usd")
    if property_class not in MACRS_ANNUAL_PERCENT:
        raise FinanceInputError(
            f"property_class is {property_class!r}; allowed MACRS classes are "
            f"{sorted(MACRS_ANNUAL_PERCENT)} (years)"
        )
    if not (np.isfinite(bonus_share) and 0.0 <= bonus_share <= 1.0):
        raise FinanceInputError(f"bonus_share is {bonus_share!r}; it must be between 0 and 1")
    if bonus_share > 0 and property_class not in _BONUS_ELIGIBLE:
        raise FinanceInputError(
            f"bonus_share is {bonus_share!r} for {property_class}-year property; bonus "
            "depreciation (IRC 168(k)) applies only to 5-, 7- and 15-year property here"
        )
    if (capex < 0).any():
        pos = first_bad(capex < 0)
        raise FinanceInputError(
            f"capex_usd has the negative value {float(capex[pos])!r} at position {pos}; "
            "depreciable cost must be >= 0 (book sale proceeds as revenue)"
        )
    n = capex.shape[-1]
    n_out = n if n_months is None else int(n_months)
    if n_out < n:
        raise FinanceInputError(f"n_months is {n_months!r}; it must be at least n = {n}")
    dep = (1.0 - bonus_share) * _macrs_convolve(capex, property_class, n_out)
    if bonus_share > 0:
        dep[..., :n] += bonus_share * capex
    return dep


@dataclass(frozen=True)
class TaxAssumptions:
    """US income tax assumptions (rates as fractions).

    ``federal_rate`` 21%: IRC section 11(b), flat corporate rate since the Tax Cuts and Jobs Act
    (2017), in force 2026. ``state_rate``: the site's state corporate rate (0 = none, e.g. Texas
    has no corporate income tax; its franchise margin tax is not modelled). State tax is
    deductible federally, so the combined rate is ``state + federal * (1 - state)``.
    ``nol_limit_share`` 80%: post-2017 net operating losses offset at most 80% of taxable income
    (IRC section 172(a)(2), for tax years beginning after 2020). ``bonus_depreciation_share``:
    first-month expensing share for 5/7/15-year property; 0 by default (conservative). The 2025
    reconciliation act (P.L. 119-21) restored 100% bonus depreciation for property acquired after
    19 Jan 2025; set 1.0 to apply it.
    """

    federal_rate: float = 0.21
    state_rate: float = 0.0
    nol_limit_share: float = 0.8
    bonus_depreciation_share: float = 0.0

    def __post_init__(self) -> None:
        rate, share = number(0, 1, high_open=True), number(0, 1)
        rules = {
            "federal_rate": rate,
            "state_rate": rate,
            "nol_limit_share": share,
            "bonus_depreciation_share": share,
        }
        check_fields(self, rules, FinanceInputError)

    @property
    def combined_rate(self) -> float:
        """Combined federal and state rate, state deductible: ``s + f (1 - s)``."""
        return self.state_rate + self.federal_rate * (1.0 - self.state_rate)


def _taxable_income_usd(pretax_usd: np.ndarray, nol_limit_share: float) -> np.ndarray:
    """Taxable income after NOL carry-forward, vectorised along the last axis.

    The NOL balance follows Lindley's recursion N_t = max(0, N_{t-1} - z_t) with z_t = x_t for a
    loss and ``nol_limit_share * x_t`` for a profit. With S_t = sum_{s<=t} -z_s it is
    ``N_t = S_t - min(0, min_{s<=t} S_s)``; taxable income is ``max(0, x_t + N_t - N_{t-1})``.
    """
    x = pretax_usd
    z = np.where(x < 0, x, nol_limit_share * x)
    s = np.cumsum(-z, axis=-1)
    nol = s - np.minimum(0.0, np.minimum.accumulate(s, axis=-1))
    nol_prev = np.concatenate([np.zeros_like(nol[..., :1]), nol[..., :-1]], axis=-1)
    return np.maximum(0.0, x + nol - nol_prev)


def income_tax_usd(
    ebitda_usd: ArrayLike,
    depreciation_usd: ArrayLike,
    interest_usd: ArrayLike = 0.0,
    tax: TaxAssumptions | None = None,
) -> np.ndarray:
    """Monthly income tax (USD, >= 0) on EBITDA - depreciation - interest with NOL carry-forward.

    Taxes are computed month by month on the monthly grid (a simplification: a loss late in a
    tax year carries forward instead of netting against that year's earlier profit). Interest
    is fully deductible (the IRC 163(j) limit is not modelled). Shapes broadcast to (..., n).
    """
    tax = TaxAssumptions() if tax is None else tax
    e = _flows(ebitda_usd, "ebitda_usd")
    d = as_float_array(depreciation_usd, "depreciation_usd", FinanceInputError)
    i = as_float_array(interest_usd, "interest_usd", FinanceInputError)
    for name, arr in (("depreciation_usd", d), ("interest_usd", i)):
        if not np.isfinite(arr).all():
            pos = first_bad(~np.isfinite(arr)) if arr.ndim else ()
            raise FinanceInputError(f"{name} has a non-finite value at position {pos}")
    broadcast_shape(
        {"ebitda_usd": e.shape, "depreciation_usd": d.shape, "interest_usd": i.shape},
        FinanceInputError,
    )
    pretax = e - d - i
    return tax.combined_rate * _taxable_income_usd(pretax, tax.nol_limit_share)


# ---------------------------------------------------------------------------------------------
# Debt
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DebtTerms:
    """A construction-to-term loan.

    Sized by ``amount_usd`` or by ``loan_to_cost`` (share of the capex spent in the draw window),
    exactly one of the two. Drawn pro rata with capex over the first ``construction_months``
    (all at month 0 when 0), interest-only during construction, then a level payment over
    ``amortization_months``. ``rate_per_year`` is the nominal annual rate, compounded monthly
    (rate / 12 per month, the loan convention). No default rate or term is given: they are
    deal-specific (project loans on mining-to-AI conversions were sized at 80-85% of cost:
    Galaxy Helios 2025, Hut 8 River Bend 2025, per company releases).
    """

    amount_usd: float | None = None
    loan_to_cost: float | None = None
    rate_per_year: float
    construction_months: int = 0
    amortization_months: int

    def __post_init__(self) -> None:
        if (self.amount_usd is None) == (self.loan_to_cost is None):
            raise FinanceInputError(
                f"DebtTerms needs exactly one of amount_usd ({self.amount_usd!r}) and "
                f"loan_to_cost ({self.loan_to_cost!r})"
            )
        rules = {
            "amount_usd": number(0).or_none(),
            "loan_to_cost": number(0, 1, low_open=True).or_none(),
            "rate_per_year": number(0),
            "construction_months": whole(0),
            "amortization_months": whole(1),
        }
        check_fields(self, rules, FinanceInputError)


@dataclass(frozen=True)
class DebtSchedule:
    """Monthly loan schedule, each array ``(..., n)`` in USD; ``dscr`` is EBITDA / debt service
    (nan where no debt service is due or EBITDA was not given)."""

    draw_usd: np.ndarray
    interest_usd: np.ndarray
    principal_usd: np.ndarray
    debt_service_usd: np.ndarray
    balance_usd: np.ndarray
    dscr: np.ndarray


def debt_schedule(
    terms: DebtTerms, capex_usd: ArrayLike, ebitda_usd: ArrayLike | None = None
) -> DebtSchedule:
    """Draws, interest, principal, balance and DSCR of ``terms`` on the monthly grid.

    Balance B_t: cumulative draws during the draw window W = max(construction_months, 1); then,
    after k level payments P = pmt(rate/12, amortization_months, -B) (numpy_financial.pmt),
    ``B_k = B (1+i)^k - P ((1+i)^k - 1) / i``. Interest_t = i * B_{t-1}; principal_t =
    B_{t-1} - B_t + draw_t. A balance left at the horizon stays in ``balance_usd``.
    """
    capex = _flows(capex_usd, "capex_usd")
    n = capex.shape[-1]
    w = min(max(int(terms.construction_months), 1), n)
    window = capex[..., :w]
    cost = window.sum(axis=-1)
    if terms.amount_usd is not None:
        amount = np.broadcast_to(np.float64(terms.amount_usd), cost.shape).astype(float)
    else:
        amount = terms.loan_to_cost * cost
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(cost[..., None] > 0, window / cost[..., None], 0.0)
    weights[..., 0] = np.where(cost > 0, weights[..., 0], 1.0)
    draw = np.zeros(np.broadcast_shapes(capex.shape, amount.shape + (n,)))
    draw[..., :w] = amount[..., None] * weights

    i = terms.rate_per_year / 12.0
    a_months = int(terms.amortization_months)
    with np.errstate(divide="ignore", invalid="ignore"):
        payment = np.asarray(npf.pmt(i, a_months, -amount))
    k = np.arange(n) - w + 1  # payments made by month t
    k_c = np.clip(k, 0, a_months).astype(float)
    if i > 0:
        growth = (1.0 + i) ** k_c
        amort_bal = amount[..., None] * growth - payment[..., None] * (growth - 1.0) / i
    else:
        amort_bal = amount[..., None] - payment[..., None] * k_c
    amort_bal = np.where(k_c >= a_months, 0.0, np.maximum(amort_bal, 0.0))
    balance = np.where(k <= 0, np.cumsum(draw, axis=-1), amort_bal)
    prev = np.concatenate([np.zeros_like(balance[..., :1]), balance[..., :-1]], axis=-1)
    interest = i * prev
    principal = prev - balance + draw
    service = interest + principal
    if ebitda_usd is None:
        dscr = np.full(service.shape, np.nan)
    else:
        e = _flows(ebitda_usd, "ebitda_usd")
        broadcast_shape({"capex_usd": capex.shape, "ebitda_usd": e.shape}, FinanceInputError)
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where(service > 0, e / service, np.nan)
    return DebtSchedule(draw, interest, principal, service, balance, dscr)


# ---------------------------------------------------------------------------------------------
# Terminal value
# ---------------------------------------------------------------------------------------------

# Stabilised hyperscale data-center cap rates 5.5-6.5% (attributed to JLL, Q1 2026); midpoint.
_DEFAULT_EXIT_CAP_RATE = 0.06


@dataclass(frozen=True)
class TerminalValue:
    """How the horizon is valued.

    ``"exit_cap"``: NOI of the next twelve months / ``exit_cap_rate`` (how data centers trade;
    default 6.0%, the midpoint of 5.5-6.5% stabilised hyperscale cap rates, JLL Q1 2026).
    ``"perpetuity"``: Gordon growth, next twelve months' NOI / (discount rate - growth).
    ``"none"`` (default): no value after the horizon, the safe choice for mining fleets.
    ``growth_per_year`` grows the last twelve months' NOI into the next twelve (0 by default).
    """

    method: Literal["exit_cap", "perpetuity", "none"] = "none"
    exit_cap_rate: float = _DEFAULT_EXIT_CAP_RATE
    growth_per_year: float = 0.0

    def __post_init__(self) -> None:
        rules = {
            "method": one_of(("exit_cap", "perpetuity", "none")),
            "exit_cap_rate": number(0, low_open=True),
            "growth_per_year": number(-1, low_open=True),
        }
        check_fields(self, rules, FinanceInputError)


def terminal_value_usd(
    noi_usd: ArrayLike, terminal: TerminalValue, discount_rate_per_year: float | None = None
) -> np.ndarray | float:
    """Value (USD) at the last month of the stream, per row ``(...)``.

    No forecast exists beyond the horizon, so the next twelve months' NOI is approximated as the
    last twelve months' NOI (fewer months annualised) grown by ``growth_per_year``; a negative
    figure is floored at 0 (a buyer pays nothing for a loss-making asset; model decommissioning
    costs as flows). Exit cap: NOI_next12 / cap. Perpetuity: NOI_next12 / (r - g), which needs
    ``discount_rate_per_year`` > growth.
    """
    noi = _flows(noi_usd, "noi_usd")
    if terminal.method == "none":
        return scalar_or_array(np.zeros(noi.shape[:-1]))
    last = noi[..., -12:]
    next12 = np.maximum(0.0, last.mean(axis=-1) * 12.0 * (1.0 + terminal.growth_per_year))
    if terminal.method == "exit_cap":
        return scalar_or_array(next12 / terminal.exit_cap_rate)
    if discount_rate_per_year is None:
        raise FinanceInputError("discount_rate_per_year is needed for the perpetuity method")
    r_arr = _rate(discount_rate_per_year, "discount_rate_per_year")
    if r_arr.ndim:
        raise FinanceInputError(
            f"discount_rate_per_year has the shape {r_arr.shape}; the perpetuity method takes "
            "one yearly rate"
        )
    r = float(r_arr)
    if r <= terminal.growth_per_year:
        raise FinanceInputError(
            f"discount_rate_per_year ({r!r}) must exceed growth_per_year "
            f"({terminal.growth_per_year!r}) for a perpetuity"
        )
    return scalar_or_array(next12 / (r - terminal.growth_per_year))


_terminal_value_from_noi = terminal_value_usd  # project_cash_flows has a parameter of that name


def sale_tax_usd(
    sale_value_usd: ArrayLike, remaining_basis_usd: ArrayLike, tax: TaxAssumptions | None = None
) -> np.ndarray | float:
    """Income tax (USD, >= 0) on selling an asset for ``sale_value_usd`` with
    ``remaining_basis_usd`` of tax basis left: ``combined_rate * max(0, value - basis)``.

    The gain (depreciation recapture included) is ordinary income to a C corporation, taxed at
    the same 21% federal rate as other income (IRC 11(b), 1001; 1245 recapture). A loss on sale
    is floored at 0 tax here (its deduction is not modelled), and the gain is not netted against
    NOL carry-forwards (conservative). Broadcasts the two arrays.
    """
    tax = TaxAssumptions() if tax is None else tax
    value = as_float_array(sale_value_usd, "sale_value_usd", FinanceInputError)
    basis = as_float_array(remaining_basis_usd, "remaining_basis_usd", FinanceInputError)
    for name, arr in (("sale_value_usd", value), ("remaining_basis_usd", basis)):
        if not np.isfinite(arr).all():
            raise FinanceInputError(f"{name} has a non-finite value; it must be finite USD")
    broadcast_shape(
        {"sale_value_usd": value.shape, "remaining_basis_usd": basis.shape}, FinanceInputError
    )
    return scalar_or_array(tax.combined_rate * np.maximum(0.0, value - basis))


# ---------------------------------------------------------------------------------------------
# Project cash flows and the result type
# ---------------------------------------------------------------------------------------------

_CAPEX_CLASSES = frozenset(MACRS_ANNUAL_PERCENT) | {0}


@dataclass(frozen=True)
class ProjectCashFlows:
    """What :func:`project_cash_flows` returns: monthly arrays, each ``(..., n_months)``, in US
    dollars (``dscr`` a ratio). Costs (opex, capex, tax, interest, principal) are positive
    amounts; free cash flows are positive when money comes in.
    """

    revenue_usd: np.ndarray
    """Revenue."""
    opex_usd: np.ndarray
    """Operating cost."""
    ebitda_usd: np.ndarray
    """Revenue less opex."""
    capex_usd: np.ndarray
    """Cash capital spend, all classes (land included)."""
    depreciation_usd: np.ndarray
    """MACRS depreciation of the basis placed in service (bonus share applied)."""
    interest_usd: np.ndarray
    """Loan interest (zeros without debt)."""
    tax_usd: np.ndarray
    """Levered income tax, with the sale's tax at the last month."""
    terminal_value_usd: np.ndarray
    """Terminal value, non-zero at the last month only."""
    unlevered_fcf_usd: np.ndarray
    """Ebitda - capex - unlevered tax + terminal value."""
    levered_fcf_usd: np.ndarray
    """Ebitda - capex - levered tax + draws - interest - principal + terminal value."""
    noi_usd: np.ndarray
    """Net operating income the terminal value is taken on (ebitda unless given)."""
    unlevered_tax_usd: np.ndarray
    """Income tax without interest, with the sale's tax at the last month."""
    terminal_tax_usd: np.ndarray
    """Tax on the sale, at the last month only."""
    remaining_basis_usd: np.ndarray
    """Tax basis left at each month end."""
    debt_draw_usd: np.ndarray
    """Loan draws."""
    principal_usd: np.ndarray
    """Principal repaid, the balloon at the horizon included."""
    debt_service_usd: np.ndarray
    """Interest + principal."""
    debt_balance_usd: np.ndarray
    """Loan balance at each month end."""
    dscr: np.ndarray
    """Debt service coverage ratio (nan without debt; excludes the balloon)."""

    def as_dict(self) -> dict[str, np.ndarray]:
        """Field name to array, in field order, without copying (e.g. for a DataFrame)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def project_cash_flows(
    *,
    revenue_usd: ArrayLike,
    opex_usd: ArrayLike,
    capex_by_class_usd: Mapping[int, ArrayLike],
    discount_rate_per_year: float,
    tax: TaxAssumptions | None = None,
    debt: DebtTerms | None = None,
    terminal: TerminalValue | None = None,
    noi_usd: ArrayLike | None = None,
    placed_in_service_by_class_usd: Mapping[int, ArrayLike] | None = None,
    terminal_value_usd: ArrayLike | None = None,
    depreciation_usd: ArrayLike | None = None,
) -> ProjectCashFlows:
    """Monthly project cash flows, vectorised over leading axes; every array ``(..., n_months)``.

    - ebitda = revenue - opex; depreciation = sum of MACRS per class (``tax`` bonus share applied
      to 5/7/15-year property) of the basis placed in service each month. Cash capex stays at
      spend: construction in progress is not depreciable (IRS Pub 946, ch. 3: depreciation begins
      when property is placed in service). Unlevered tax on ebitda - depreciation, levered tax on
      ebitda - depreciation - interest, both with NOL carry-forward (:func:`income_tax_usd`).
    - terminal value at the last month: ``terminal_value_usd`` when given (a caller's own
      valuation, e.g. lease-aware), otherwise ``terminal`` applied to ``noi_usd``. The sale is
      taxed (:func:`sale_tax_usd`) at the last month on the value less the remaining tax basis;
      that tax is in ``tax_usd`` and ``unlevered_tax_usd`` and shown alone as ``terminal_tax_usd``.
    - unlevered_fcf = ebitda - capex - unlevered tax + terminal value.
    - levered_fcf = ebitda - capex - levered tax + draws - interest - principal + terminal value;
      any loan balance left at the horizon is repaid in the last month (included in
      ``principal_usd``; ``dscr`` excludes that balloon).

    Parameters
    ----------
    revenue_usd, opex_usd : array_like
        Monthly revenue and operating cost in USD (positive amounts), ``(..., n_months)``; shapes
        broadcast.
    capex_by_class_usd : mapping of int to array_like
        Cash capex in USD by MACRS class (5, 7, 15, 39 years; 0 for land and other
        non-depreciable cost), each ``(..., n_months)``, >= 0.
    discount_rate_per_year : float
        Annual discount rate (a fraction) the terminal value uses.
    tax : TaxAssumptions, optional
        Federal and state rates, NOL limit and bonus share; default ``TaxAssumptions()`` (21%
        federal, no state tax, no bonus).
    debt : DebtTerms, optional
        A project loan; None for an unlevered project (levered = unlevered, ``dscr`` nan).
    terminal : TerminalValue, optional
        Exit-cap, perpetuity or no terminal value applied to ``noi_usd``; default
        ``TerminalValue()``.
    noi_usd : array_like, optional
        Net operating income (USD per month) the terminal value capitalises; default EBITDA.
    placed_in_service_by_class_usd : mapping of int to array_like, optional
        Basis placed in service per month and class (same classes as the capex), USD >= 0;
        default the capex itself (in service when paid).
    terminal_value_usd : array_like, optional
        The caller's own terminal value, USD, one per row ``(...)``, booked at the last month.
    depreciation_usd : array_like, optional
        The caller's tax depreciation, USD per month >= 0, instead of MACRS on the basis placed
        in service (not with ``placed_in_service_by_class_usd``): MACRS is linear, so a caller
        whose rows are one basis times a scale per path computes it once and scales it
        (:func:`macrs_depreciation_usd`).

    Returns
    -------
    ProjectCashFlows
        A frozen dataclass, one ``(..., n_months)`` array per field, all USD except ``dscr``
        (a ratio): ``revenue_usd``, ``opex_usd``, ``ebitda_usd``, ``capex_usd``,
        ``depreciation_usd``, ``interest_usd``, ``tax_usd``, ``terminal_value_usd``,
        ``unlevered_fcf_usd``, ``levered_fcf_usd``, ... (``as_dict()`` for a frame). Without
        ``debt`` the debt fields (interest, draws, principal, service, balance, ``dscr``) are
        read-only views of 0 (nan for ``dscr``): copy before writing to them.

    References
    ----------
    .. [1] IRS Publication 946 (2024), How to Depreciate Property: MACRS tables A-1 (half-year)
       and A-7a (39-year, mid-month).
    .. [2] IRC section 11(b) (21% corporate rate) and section 172(a)(2) (NOL deduction limited to
       80% of taxable income).

    Examples
    --------
    Two years at $100k revenue and $40k opex a month, $1M of 5-year equipment in month 0:

    >>> import numpy as np
    >>> from valuation.finance import project_cash_flows
    >>> cf = project_cash_flows(
    ...     revenue_usd=np.full(24, 100_000.0),
    ...     opex_usd=np.full(24, 40_000.0),
    ...     capex_by_class_usd={5: np.r_[1_000_000.0, np.zeros(23)]},
    ...     discount_rate_per_year=0.10,
    ... )
    >>> cf.ebitda_usd[:2]
    array([60000., 60000.])
    >>> cf.depreciation_usd[:3].round(2)
    array([16666.67, 16666.67, 16666.67])
    >>> float(cf.unlevered_fcf_usd[0].round(2))
    -949100.0
    """
    tax = TaxAssumptions() if tax is None else tax
    terminal = TerminalValue() if terminal is None else terminal
    r_year = float(_rate(discount_rate_per_year, "discount_rate_per_year"))
    revenue = _flows(revenue_usd, "revenue_usd")
    opex = _flows(opex_usd, "opex_usd")
    capex_parts = _capex_parts_usd(capex_by_class_usd)
    pis_parts = _placed_in_service_parts_usd(placed_in_service_by_class_usd, capex_parts)
    shapes = {"revenue_usd": revenue.shape, "opex_usd": opex.shape}
    if depreciation_usd is not None:
        if placed_in_service_by_class_usd is not None:
            raise FinanceInputError(
                "depreciation_usd and placed_in_service_by_class_usd were both given; allowed: "
                "one of them (depreciation_usd replaces MACRS on the basis placed in service)"
            )
        dep_in = _flows(depreciation_usd, "depreciation_usd")
        if (dep_in < 0).any():
            pos = first_bad(dep_in < 0)
            raise FinanceInputError(
                f"depreciation_usd has the negative value {float(dep_in[pos])!r} at {pos}; "
                "depreciation must be >= 0"
            )
        shapes["depreciation_usd"] = dep_in.shape
    shapes |= {f"capex_by_class_usd[{c}]": v.shape for c, v in capex_parts.items()}
    if placed_in_service_by_class_usd is not None:
        shapes |= {f"placed_in_service_by_class_usd[{c}]": v.shape for c, v in pis_parts.items()}
    if terminal_value_usd is not None:
        tv_in = _terminal_value_input_usd(terminal_value_usd)
        # One value per row, at the last month.
        shapes["terminal_value_usd (one per row, as (..., 1))"] = (*tv_in.shape, 1)
    if noi_usd is not None:
        noi_in = _flows(noi_usd, "noi_usd")
        shapes["noi_usd"] = noi_in.shape
    shape = broadcast_shape(shapes, FinanceInputError)

    revenue = np.broadcast_to(revenue, shape)
    opex = np.broadcast_to(opex, shape)
    ebitda = revenue - opex
    capex = _capex_total_usd(capex_parts, shape)
    depreciation = (
        _depreciation_usd(pis_parts, tax, shape)
        if depreciation_usd is None
        else np.array(np.broadcast_to(dep_in, shape))
    )
    noi = ebitda if noi_usd is None else np.broadcast_to(noi_in, shape)
    tv = np.zeros(shape)
    if terminal_value_usd is None:
        tv[..., -1] = _terminal_value_from_noi(noi, terminal, r_year)
    else:
        tv[..., -1] = tv_in
    # Tax basis left: every dollar of capex (land included, recovered at sale) less the
    # depreciation taken so far; construction not yet in service is still all basis.
    remaining_basis = np.cumsum(capex - depreciation, axis=-1)
    sale_tax = np.zeros(shape)
    sale_tax[..., -1] = sale_tax_usd(tv[..., -1], remaining_basis[..., -1], tax)

    unlevered_tax = income_tax_usd(ebitda, depreciation, 0.0, tax) + sale_tax
    unlevered = ebitda - capex - unlevered_tax + tv
    if debt is None:  # the debt flows stay read-only views of 0 (and nan): no copies
        lev = _unlevered_financing(unlevered_tax, unlevered, shape)
    else:
        lev = _levered_financing(debt, ebitda, capex, depreciation, sale_tax, tv, tax, shape)
        lev = lev._replace(**{k: np.array(getattr(lev, k)) for k in _DEBT_FIELDS})
    return ProjectCashFlows(
        revenue_usd=np.array(revenue),
        opex_usd=np.array(opex),
        ebitda_usd=ebitda,
        capex_usd=capex,
        depreciation_usd=depreciation,
        interest_usd=lev.interest_usd,
        tax_usd=lev.tax_usd,
        terminal_value_usd=tv,
        unlevered_fcf_usd=unlevered,
        levered_fcf_usd=lev.levered_fcf_usd,
        noi_usd=np.array(noi),
        unlevered_tax_usd=unlevered_tax,
        terminal_tax_usd=sale_tax,
        remaining_basis_usd=remaining_basis,
        debt_draw_usd=lev.draw_usd,
        principal_usd=lev.principal_usd,
        debt_service_usd=lev.service_usd,
        debt_balance_usd=lev.balance_usd,
        dscr=lev.dscr,
    )


_DEBT_FIELDS = ("interest_usd", "draw_usd", "principal_usd", "balance_usd", "service_usd", "dscr")


def _capex_parts_usd(capex_by_class_usd: Mapping[int, ArrayLike]) -> dict[int, np.ndarray]:
    """Capex (USD, ``(..., n_months)``) per MACRS class, the classes checked."""
    if not capex_by_class_usd:
        raise FinanceInputError(
            "capex_by_class_usd is empty; pass at least one class, e.g. {5: zeros}"
        )
    capex_parts: dict[int, np.ndarray] = {}
    for cls, values in capex_by_class_usd.items():
        if cls not in _CAPEX_CLASSES:
            raise FinanceInputError(
                f"capex_by_class_usd has the class {cls!r}; allowed: {sorted(_CAPEX_CLASSES)}"
            )
        capex_parts[cls] = _flows(values, f"capex_by_class_usd[{cls}]")
    return capex_parts


def _placed_in_service_parts_usd(
    placed_in_service_by_class_usd: Mapping[int, ArrayLike] | None,
    capex_parts: dict[int, np.ndarray],
) -> dict[int, np.ndarray]:
    """Basis placed in service (USD, >= 0) per MACRS class; the capex itself when not given."""
    if placed_in_service_by_class_usd is None:
        return capex_parts
    pis_parts: dict[int, np.ndarray] = {}
    for cls, values in placed_in_service_by_class_usd.items():
        if cls not in capex_parts:
            raise FinanceInputError(
                f"placed_in_service_by_class_usd has the class {cls!r}, which is not in "
                f"capex_by_class_usd (classes {sorted(capex_parts)})"
            )
        pis_parts[cls] = _flows(values, f"placed_in_service_by_class_usd[{cls}]")
        if (pis_parts[cls] < 0).any():
            pos = first_bad(pis_parts[cls] < 0)
            raise FinanceInputError(
                f"placed_in_service_by_class_usd[{cls}] has the negative value "
                f"{float(pis_parts[cls][pos])!r} at {pos}; basis placed in service must be >= 0"
            )
    return pis_parts


def _terminal_value_input_usd(terminal_value_usd: ArrayLike) -> np.ndarray:
    """A caller's terminal value (USD, one per row ``(...)``), checked finite."""
    tv_in = as_float_array(terminal_value_usd, "terminal_value_usd", FinanceInputError)
    if not np.isfinite(tv_in).all():
        raise FinanceInputError("terminal_value_usd has a non-finite value; it must be finite")
    return tv_in


def _capex_total_usd(capex_parts: dict[int, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Cash capex (USD, ``shape``): the sum over classes, each checked >= 0."""
    capex = np.zeros(shape)
    for cls, values in capex_parts.items():
        if (values < 0).any():
            pos = first_bad(values < 0)
            raise FinanceInputError(
                f"capex_by_class_usd[{cls}] has the negative value {float(values[pos])!r} at {pos}; "
                "capex must be >= 0 (book sale proceeds as revenue)"
            )
        capex = capex + values
    return capex


def _depreciation_usd(
    pis_parts: Mapping[int, np.ndarray], tax: TaxAssumptions, shape: tuple[int, ...]
) -> np.ndarray:
    """Tax depreciation (USD, ``shape``): MACRS of the basis placed in service per class, the
    bonus share on 5/7/15-year property; class 0 (land) is not depreciated."""
    depreciation = np.zeros(shape)
    for cls, values in pis_parts.items():
        if cls != 0:
            bonus = tax.bonus_depreciation_share if cls in _BONUS_ELIGIBLE else 0.0
            depreciation = depreciation + macrs_depreciation_usd(values, cls, bonus)
    return depreciation


def depreciation_by_class_usd(
    placed_in_service_by_class_usd: Mapping[int, ArrayLike], tax: TaxAssumptions | None = None
) -> np.ndarray:
    """Tax depreciation (USD per month, ``(..., n)``, the classes' shapes broadcast) of the
    basis placed in service per MACRS class, as :func:`project_cash_flows` takes it: MACRS per
    class (:func:`macrs_depreciation_usd`) with ``tax``'s bonus share on 5/7/15-year property;
    class 0 (land) is not depreciated."""
    tax = TaxAssumptions() if tax is None else tax
    parts = {
        cls: _flows(v, f"placed_in_service_by_class_usd[{cls}]")
        for cls, v in placed_in_service_by_class_usd.items()
    }
    shape = np.broadcast_shapes(*(v.shape for v in parts.values()))
    return _depreciation_usd(parts, tax, shape)


class _Financing(NamedTuple):
    """The debt's monthly flows (USD, ``shape``), the tax after interest and the levered FCF."""

    interest_usd: np.ndarray
    draw_usd: np.ndarray
    principal_usd: np.ndarray
    balance_usd: np.ndarray
    service_usd: np.ndarray
    dscr: np.ndarray
    tax_usd: np.ndarray
    levered_fcf_usd: np.ndarray


def _unlevered_financing(
    unlevered_tax: np.ndarray, unlevered: np.ndarray, shape: tuple[int, ...]
) -> _Financing:
    """No debt: zero debt flows, DSCR nan (read-only views of one number: nothing to store),
    levered = unlevered."""
    zeros = np.broadcast_to(0.0, shape)
    nan = np.broadcast_to(np.nan, shape)
    return _Financing(zeros, zeros, zeros, zeros, zeros, nan, unlevered_tax, unlevered)


def _levered_financing(
    debt: DebtTerms,
    ebitda: np.ndarray,
    capex: np.ndarray,
    depreciation: np.ndarray,
    sale_tax: np.ndarray,
    tv: np.ndarray,
    tax: TaxAssumptions,
    shape: tuple[int, ...],
) -> _Financing:
    """The loan's schedule (:func:`debt_schedule`) with any balance left repaid at the horizon
    (a balloon in the last month's principal), tax after interest and the levered FCF."""
    sched = debt_schedule(debt, capex, ebitda)
    interest = np.broadcast_to(sched.interest_usd, shape)
    draw = np.broadcast_to(sched.draw_usd, shape)
    balance = np.broadcast_to(sched.balance_usd, shape)
    dscr = np.broadcast_to(sched.dscr, shape)
    principal = np.array(np.broadcast_to(sched.principal_usd, shape))
    principal[..., -1] += balance[..., -1]  # balloon at the horizon
    service = interest + principal
    levered_tax = income_tax_usd(ebitda, depreciation, interest, tax) + sale_tax
    levered = ebitda - capex - levered_tax + draw - interest - principal + tv
    return _Financing(interest, draw, principal, balance, service, dscr, levered_tax, levered)


@dataclass(frozen=True)
class CashFlowSummary:
    """Headline metrics of one monthly cash-flow stream.

    ``npv_usd`` at the discount rate; ``irr_per_year`` annualised compound monthly IRR (nan where
    none) with ``irr_kind`` ("conventional", "none", "several"); ``mirr_per_year`` with finance
    and reinvestment at the discount rate; payback months (interpolated, nan if never);
    ``peak_funding_usd`` (positive); ``moic`` (inflows / outflows).
    """

    npv_usd: float
    irr_per_year: float
    irr_kind: str
    mirr_per_year: float
    payback_month: float
    discounted_payback_month: float
    peak_funding_usd: float
    moic: float


def summarize_rows(
    cashflows_usd: ArrayLike, discount_rate_per_year: float
) -> list[CashFlowSummary]:
    """:class:`CashFlowSummary` of each row of ``(K, n)`` monthly streams discounted at an annual
    rate, in one vectorised pass (one call of each metric for all rows)."""
    cf = _flows(cashflows_usd, "cashflows_usd")
    if cf.ndim != 2:
        raise FinanceInputError(f"cashflows_usd must be (rows, months); got shape {cf.shape}")
    r_month = float(monthly_rate(discount_rate_per_year))
    details = irr_details(cf)
    metrics = {
        "npv_usd": npv(r_month, cf),
        "irr_per_year": annual_rate(details.rate_per_period),
        "mirr_per_year": annual_rate(mirr(cf, r_month, r_month)),
        "payback_month": payback_month(cf),
        "discounted_payback_month": discounted_payback_month(r_month, cf),
        "peak_funding_usd": peak_funding_usd(cf),
        "moic": moic(cf),
    }
    return [
        CashFlowSummary(
            irr_kind=str(details.kind[i]),
            **{k: float(np.asarray(v).reshape(-1)[i]) for k, v in metrics.items()},
        )
        for i in range(cf.shape[0])
    ]


def summarize(cashflows_usd: ArrayLike, discount_rate_per_year: float) -> CashFlowSummary:
    """:class:`CashFlowSummary` of one 1-D monthly stream discounted at an annual rate."""
    cf = _flows(cashflows_usd, "cashflows_usd")
    if cf.ndim != 1:
        raise FinanceInputError(f"cashflows_usd must be one path (1-D); got shape {cf.shape}")
    return summarize_rows(cf[None, :], discount_rate_per_year)[0]


@dataclass(frozen=True)
class CashFlowResult:
    """One path: ``monthly`` DataFrame (columns as :class:`ProjectCashFlows` fields, index month
    0..n-1 or month-start dates) and ``summary`` of the levered free cash flow (equal to the
    unlevered one without debt); ``unlevered_summary`` is the project view."""

    monthly: pd.DataFrame
    summary: CashFlowSummary
    unlevered_summary: CashFlowSummary


def cash_flow_result(
    *,
    revenue_usd: ArrayLike,
    opex_usd: ArrayLike,
    capex_by_class_usd: Mapping[int, ArrayLike],
    discount_rate_per_year: float,
    tax: TaxAssumptions | None = None,
    debt: DebtTerms | None = None,
    terminal: TerminalValue | None = None,
    noi_usd: ArrayLike | None = None,
    placed_in_service_by_class_usd: Mapping[int, ArrayLike] | None = None,
    terminal_value_usd: ArrayLike | None = None,
    start_date: _dt.date | str | None = None,
) -> CashFlowResult:
    """:func:`project_cash_flows` for one path, as a :class:`CashFlowResult`.

    ``start_date`` (optional) labels month 0; the index is then month-start dates.
    """
    flows = project_cash_flows(
        revenue_usd=revenue_usd,
        opex_usd=opex_usd,
        capex_by_class_usd=capex_by_class_usd,
        discount_rate_per_year=discount_rate_per_year,
        tax=tax,
        debt=debt,
        terminal=terminal,
        noi_usd=noi_usd,
        placed_in_service_by_class_usd=placed_in_service_by_class_usd,
        terminal_value_usd=terminal_value_usd,
    )
    shape = flows.revenue_usd.shape
    if len(shape) != 1:
        raise FinanceInputError(
            f"cash_flow_result values one path; inputs broadcast to shape {shape} "
            "(use project_cash_flows for many paths)"
        )
    n = shape[0]
    if start_date is None:
        index = pd.RangeIndex(n, name="month")
    else:
        start = pd.Timestamp(start_date).to_period("M").to_timestamp()
        index = pd.date_range(start, periods=n, freq="MS", name="month")
    monthly = pd.DataFrame(flows.as_dict(), index=index)
    return CashFlowResult(
        monthly=monthly,
        summary=summarize(flows.levered_fcf_usd, discount_rate_per_year),
        unlevered_summary=summarize(flows.unlevered_fcf_usd, discount_rate_per_year),
    )
