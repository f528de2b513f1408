"""Summary statistics of Monte Carlo NPVs, vectorised over paths (axis 0) and strategies.

Definitions (each tested on a hand-worked array in tests/valuation/test_risk_stats.py):

* Percentiles P10 / P50 / P90: numpy's default linear interpolation between order statistics
  (Hyndman & Fan type 7): ``x_(h)`` at ``h = (n - 1) q`` interpolated linearly.
* Expected shortfall at ``alpha``: the mean of the worst ``alpha`` share of paths, counting the
  boundary path fractionally (Acerbi & Tasche 2002): with ``k = n alpha`` and ascending ``x``,
  ``ES = (x_(0) + ... + x_(floor k - 1) + (k - floor k) x_(floor k)) / k``. Lower is worse (NPV).
* Standard error of the mean: ``s / sqrt(n)`` with the sample sd (``ddof = 1``).
* Probability A beats B: the share of paths where ``A > B`` strictly (ties do not count), with
  standard error ``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from valuation.errors import ValuationError

__all__ = [
    "RiskStatsError",
    "expected_shortfall",
    "percentiles",
    "probability_beats",
    "standard_error",
    "summarize",
]


class RiskStatsError(ValuationError, ValueError):
    """Bad input to a risk statistic: names the argument, the value and what is allowed."""


def _values(x: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise RiskStatsError(f"{name} is not numeric; allowed: an array of path values") from exc
    if arr.ndim < 1 or arr.shape[0] < 1:
        raise RiskStatsError(f"{name} has shape {arr.shape}; allowed: paths on axis 0, >= 1 path")
    if not np.all(np.isfinite(arr)):
        raise RiskStatsError(f"{name} holds a non-finite value; allowed: finite path values")
    return arr


def percentiles(x: object, q: Sequence[float] = (0.10, 0.50, 0.90)) -> np.ndarray:
    """Percentiles over paths (axis 0): shape ``(len(q), *x.shape[1:])``; ``q`` in [0, 1]."""
    arr = _values(x, "x")
    qs = np.asarray(q, dtype=float)
    if qs.ndim != 1 or not np.all((qs >= 0) & (qs <= 1)):
        raise RiskStatsError(f"q={list(np.ravel(qs))!r} is not allowed: fractions in [0, 1]")
    return np.quantile(arr, qs, axis=0)


def expected_shortfall(x: object, alpha: float = 0.05) -> np.ndarray | float:
    """Mean of the worst ``alpha`` share of paths (axis 0), the boundary path counted fractionally."""
    arr = _values(x, "x")
    if not (np.isfinite(alpha) and 0.0 < alpha <= 1.0):
        raise RiskStatsError(f"alpha={alpha!r} is not allowed: a share in (0, 1]")
    n = arr.shape[0]
    k = n * alpha
    weights = np.clip(k - np.arange(n), 0.0, 1.0)  # 1 for the worst floor(k), then k - floor(k)
    ordered = np.sort(arr, axis=0)
    out = np.tensordot(weights, ordered, axes=(0, 0)) / k
    return float(out) if np.ndim(out) == 0 else out


def standard_error(x: object) -> np.ndarray | float:
    """Standard error of the mean over paths: ``std(ddof=1) / sqrt(n)``; nan for one path."""
    arr = _values(x, "x")
    n = arr.shape[0]
    out = np.full(arr.shape[1:], np.nan) if n < 2 else arr.std(axis=0, ddof=1) / np.sqrt(n)
    return float(out) if np.ndim(out) == 0 else out


def probability_beats(a: object, b: object) -> tuple[np.ndarray | float, np.ndarray | float]:
    """``(p, se)``: share of paths where ``a > b`` strictly, and its standard error."""
    x = _values(a, "a")
    y = _values(b, "b")
    if x.shape[0] != y.shape[0]:
        raise RiskStatsError(
            f"a has {x.shape[0]} paths and b has {y.shape[0]}; allowed: the same paths"
        )
    p = np.mean(x > y, axis=0)
    se = np.sqrt(p * (1.0 - p) / x.shape[0])
    if np.ndim(p) == 0:
        return float(p), float(se)
    return p, se


def summarize(npv_usd: Mapping[str, object], alpha: float = 0.05) -> pd.DataFrame:
    """One row per strategy: mean, its standard error, P10, P50, P90, expected shortfall.

    Parameters
    ----------
    npv_usd : mapping of str to array_like
        A strategy key to its ``(paths,)`` NPVs in USD (e.g. ``simulate``'s ``npv_usd``); every
        array must hold the same paths.
    alpha : float, default 0.05
        Tail share of the expected shortfall (the mean of the worst ``alpha`` of the paths).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``strategy``; columns ``mean_usd``, ``se_usd``, ``p10_usd``, ``p50_usd``,
        ``p90_usd``, ``es5_usd`` (USD).

    References
    ----------
    .. [1] Acerbi, C. and Tasche, D. (2002), "On the coherence of expected shortfall", Journal of
       Banking and Finance 26(7), 1487-1503.

    Examples
    --------
    >>> import numpy as np
    >>> from valuation.risk_stats import summarize
    >>> rng = np.random.default_rng(0)
    >>> table = summarize({"keep_mining": rng.normal(50e6, 10e6, 1000),
    ...                    "convert": rng.normal(80e6, 40e6, 1000)})
    >>> (table / 1e6).round(1)  # USD millions
                 mean_usd  se_usd  p10_usd  p50_usd  p90_usd  es5_usd
    strategy
    keep_mining      49.5     0.3     37.4     49.3     62.3     28.9
    convert          79.7     1.3     27.9     80.0    132.5     -4.7
    """
    if not npv_usd:
        raise RiskStatsError("npv_usd is empty; allowed: one or more strategy arrays")
    keys = list(npv_usd)
    cols = [_values(npv_usd[k], f"npv_usd[{k!r}]") for k in keys]
    shapes = {c.shape for c in cols}
    if len(shapes) != 1 or next(iter(shapes)) != (cols[0].shape[0],):
        raise RiskStatsError(
            f"npv_usd arrays have shapes {sorted(shapes)}; allowed: the same (paths,)"
        )
    m = np.stack(cols, axis=1)
    p = percentiles(m)
    return pd.DataFrame(
        {
            "mean_usd": m.mean(axis=0),
            "se_usd": standard_error(m),
            "p10_usd": p[0],
            "p50_usd": p[1],
            "p90_usd": p[2],
            f"es{round(alpha * 100)}_usd": expected_shortfall(m, alpha),
        },
        index=pd.Index(keys, name="strategy"),
    )
