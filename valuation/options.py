"""Least-squares Monte Carlo (Longstaff and Schwartz, 2001): the value of a choice that can be made
once, at one of a few decision dates, on simulated paths.

The engine, :func:`longstaff_schwartz`, is generic. It takes, per path and decision date:

- ``exercise_value_usd`` (paths, dates): what exercising at that date is worth, in USD at that date;
- ``holding_cash_flow_usd`` (paths, dates), optional: what a holder who does NOT exercise at date d
  receives until the next date (after the last date: until the horizon), in USD at date d;
- ``discount_factor`` (dates,) or (paths, dates): USD at date d times this is USD at time 0;
- ``features`` (paths, dates, n_features): the state a decision may depend on.

Working backwards from the last date, it regresses the realised value of continuing (the holding
cash flow plus the discounted cash flows that the rule already fitted for later dates produces) on
the state, over the paths where exercising is worth something (``in_the_money="positive"``, the
paper's choice) or over all paths. A path exercises where its exercise value beats the fitted
continuation value. The value is the mean over paths of the discounted cash flows of that rule, its
standard error the sample standard deviation over the root of the number of independent draws
(antithetic pairs count once). Vectorised over paths; the only Python loop is over decision dates.

Reference: Longstaff, F. A. and Schwartz, E. S. (2001), "Valuing American Options by Simulation: A
Simple Least-Squares Approach", Review of Financial Studies 14(1), 113-147. :func:`american_put`
reproduces its Table 1 (tests/valuation/test_options.py).

:func:`exercise_rule` turns the fitted boundary into a rule in plain words on one or two named
features ("convert when lease_rate_usd_per_kw_month is at least $X or hashprice_usd_per_ph_day
is below $Y"; :meth:`ExerciseRule.worded` says the features in other words) and reports the
share of the regression's decisions it reproduces.
:func:`conversion_option` applies the engine to the choice of when to convert a mining site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple, TypeAlias

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from valuation.errors import ValuationError

__all__ = [
    "OptionsInputError",
    "polynomial_regression",
    "ExerciseBoundary",
    "LSMResult",
    "longstaff_schwartz",
    "american_put",
    "ExerciseRule",
    "exercise_rule",
    "CONVERSION_RULE_DIRECTIONS",
    "ConversionOption",
    "ConversionPolicy",
    "conversion_option",
    "converted_by_year",
    "first_decision",
    "policy_shares",
    "conversion_discount_rate",
    "MAX_DATES",
    "MAX_PATHS",
    "MIN_REGRESSION_PATHS",
]

# Below this many considered paths a date's continuation value is their mean, not a regression
# (a regression on a handful of paths is noise; the mean is exact when the paths are identical).
MIN_REGRESSION_PATHS = 20
MAX_PATHS = 5_000_000
MAX_DATES = 2_000


class OptionsInputError(ValuationError, ValueError):
    """An input of the least-squares Monte Carlo engine has the wrong shape or value."""


def polynomial_regression(degree: int = 2) -> Pipeline:
    """The default regression: standardise the features, a full polynomial basis of ``degree``
    (constant included), ordinary least squares. Any scikit-learn regressor can replace it."""
    if not isinstance(degree, int | np.integer) or not 1 <= degree <= 6:
        raise OptionsInputError(f"degree is {degree!r}; allowed an integer from 1 to 6")
    return make_pipeline(
        StandardScaler(), PolynomialFeatures(int(degree), include_bias=False), LinearRegression()
    )


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _finite_array(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise OptionsInputError(f"{name} must be numeric; got {type(value).__name__}") from exc
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise OptionsInputError(
            f"{name} has the value {arr[tuple(bad)]!r} at index {tuple(int(i) for i in bad)}; "
            "allowed finite numbers"
        )
    return arr


def _check_shape(arr: np.ndarray, name: str, n_paths: int, n_dates: int) -> np.ndarray:
    """(paths, dates) exactly, or (dates,) broadcast to every path."""
    if arr.ndim == 1 and arr.shape[0] == n_dates:
        return np.broadcast_to(arr, (n_paths, n_dates))
    if arr.shape != (n_paths, n_dates):
        raise OptionsInputError(
            f"{name} has shape {arr.shape}; allowed ({n_paths}, {n_dates}) (paths, dates) "
            f"or ({n_dates},)"
        )
    return arr


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseBoundary:
    """What the regression decided, date by date.

    ``regressions[d]`` is the fitted regressor of date d (None where the continuation value was the
    plain mean of fewer than ``MIN_REGRESSION_PATHS`` paths, or of paths in an identical state, or
    where no path was considered). ``considered`` (paths, dates) marks the paths the rule compared
    at date d (in the money); ``continuation_usd`` holds the fitted continuation value there (USD at
    date d; nan elsewhere); ``advised`` marks where the exercise value beat it.
    """

    regressions: tuple[Any, ...]
    considered: np.ndarray
    advised: np.ndarray
    continuation_usd: np.ndarray


@dataclass(frozen=True)
class LSMResult:
    """The value of the optimal-stopping problem and the rule behind it.

    ``value`` and ``std_error`` are USD at time 0; ``path_value_usd`` (paths,) each path's
    discounted cash flows under the rule; ``exercise_index`` (paths,) the date index of exercise,
    -1 where the path never exercises; ``exercised_by_date`` (dates,) the share of paths that have
    exercised at or before each date; ``boundary`` the fitted decisions (None unless kept).
    """

    value: float
    std_error: float
    path_value_usd: np.ndarray
    exercise_index: np.ndarray
    exercised_by_date: np.ndarray
    n_paths: int
    n_dates: int
    antithetic: bool
    in_the_money: str
    boundary: ExerciseBoundary | None = field(default=None, repr=False)


def _std_error(path_values: np.ndarray, antithetic: bool) -> float:
    """Standard error of the mean; with antithetic pairs (path i and i + n/2) the pair means are
    the independent draws."""
    x = path_values
    if antithetic:
        half = x.shape[0] // 2
        x = 0.5 * (x[:half] + x[half:])
    if x.shape[0] < 2:
        return 0.0
    return float(np.std(x, ddof=1) / np.sqrt(x.shape[0]))


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _fit_backward(
    ex: np.ndarray,
    df: np.ndarray,
    x: np.ndarray,
    hold: np.ndarray | None,
    model: Any,
    in_the_money: str,
    min_regression_paths: int,
    keep: bool,
) -> tuple[np.ndarray, np.ndarray, list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """The backward induction on these paths: each path's time-0 value under the rule, its
    exercise index, each date's predictor (a fitted regressor, a constant mean, or None where no
    path was considered) and, when ``keep``, the considered / advised / continuation arrays."""
    n_paths, n_dates = ex.shape
    # value_after: time-0 value of each path's cash flows from the next date on, under the rule.
    value_after = np.zeros(n_paths)
    exercise_index = np.full(n_paths, -1, dtype=np.int64)
    predictors: list[Any] = [None] * n_dates
    shape = (n_paths, n_dates) if keep else (0, 0)
    considered_all = np.zeros(shape, dtype=bool)
    advised_all = np.zeros(shape, dtype=bool)
    continuation_all = np.full(shape, np.nan)
    for d in range(n_dates - 1, -1, -1):
        df_d = df[:, d]
        continue_pv = value_after if hold is None else value_after + df_d * hold[:, d]
        considered = ex[:, d] > 0 if in_the_money == "positive" else np.ones(n_paths, dtype=bool)
        idx = np.flatnonzero(considered)
        if idx.size == 0:
            value_after = continue_pv
            continue
        target = continue_pv[idx] / df_d[idx]  # the realised value of continuing, USD at date d
        state = x[idx, d, :]
        if idx.size < min_regression_paths or np.all(np.ptp(state, axis=0) == 0):
            fitted = np.full(idx.size, target.mean())
            predictors[d] = float(target.mean())
        else:
            reg = clone(model)
            reg.fit(state, target)
            fitted = np.asarray(reg.predict(state), dtype=float).reshape(-1)
            predictors[d] = reg
        go = ex[idx, d] > fitted
        stop = idx[go]
        value_after = continue_pv
        value_after[stop] = df_d[stop] * ex[stop, d]
        exercise_index[stop] = d
        if keep:
            considered_all[:, d] = considered
            advised_all[stop, d] = True
            continuation_all[idx, d] = fitted
    return value_after, exercise_index, predictors, considered_all, advised_all, continuation_all


def _apply_forward(
    predictors: list[Any],
    ex: np.ndarray,
    df: np.ndarray,
    x: np.ndarray,
    hold: np.ndarray | None,
    in_the_money: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A fitted rule applied to other paths: their time-0 values, exercise indices, and the
    considered / advised / continuation arrays (the rule's decision at every considered date)."""
    n_paths, n_dates = ex.shape
    considered = ex > 0 if in_the_money == "positive" else np.ones(ex.shape, dtype=bool)
    continuation = np.full(ex.shape, np.nan)
    for d, predictor in enumerate(predictors):
        idx = np.flatnonzero(considered[:, d])
        if predictor is None or idx.size == 0:
            continue
        if isinstance(predictor, float):
            continuation[idx, d] = predictor
        else:
            continuation[idx, d] = np.asarray(predictor.predict(x[idx, d, :]), dtype=float).reshape(
                -1
            )
    advised = considered & (ex > np.where(np.isnan(continuation), np.inf, continuation))
    first = np.where(advised.any(axis=1), advised.argmax(axis=1), -1)
    hold_pv = np.zeros(ex.shape) if hold is None else df * hold
    before = np.concatenate([np.zeros((n_paths, 1)), np.cumsum(hold_pv, axis=1)], axis=1)
    rows = np.arange(n_paths)
    stop = np.maximum(first, 0)
    value = np.where(
        first >= 0, before[rows, stop] + df[rows, stop] * ex[rows, stop], before[:, -1]
    )
    return value, first.astype(np.int64), considered, advised, continuation


def longstaff_schwartz(
    exercise_value_usd: Any,
    discount_factor: Any,
    features: Any,
    *,
    holding_cash_flow_usd: Any = None,
    regression: Any = None,
    in_the_money: Literal["positive", "all"] = "positive",
    antithetic: bool = False,
    keep_boundary: bool = True,
    min_regression_paths: int = MIN_REGRESSION_PATHS,
    cross_fit: bool = False,
) -> LSMResult:
    """Value the right to exercise once at one of the decision dates, by least-squares Monte Carlo.

    Backward induction: at each date the continuation value is regressed on the features of the
    paths considered there, and a path exercises where its exercise value beats the fitted
    continuation. Ties go to continuing. The value is in-sample (the rule is fitted and valued on
    the same paths, as in the paper): with a low-order basis its bias is small, but a very flexible
    regressor (boosted trees, nearest neighbours) learns each path's future and overstates the
    value; use ``cross_fit=True`` for such a rule.

    Parameters
    ----------
    exercise_value_usd : array_like
        (paths, dates): the value of exercising at each date, USD at that date.
    discount_factor : array_like
        (dates,) or (paths, dates): positive discount factors from each date to time 0.
    features : array_like
        (paths, dates, n_features) or (paths, dates): the state the rule may use at each date.
    holding_cash_flow_usd : array_like, optional
        (paths, dates): cash, USD at each date, received by a holder who does not exercise then.
    regression : scikit-learn regressor, optional
        Cloned per date; default :func:`polynomial_regression` of degree 2.
    in_the_money : {"positive", "all"}, default "positive"
        "positive" compares only where the exercise value is positive (the paper), "all" everywhere.
    antithetic : bool, default False
        Paths i and i + n/2 are antithetic pairs (for the standard error).
    keep_boundary : bool, default True
        Keep the per-date decisions (three (paths, dates) arrays) for :func:`exercise_rule`.
    min_regression_paths : int
        With fewer considered paths (or all in one state) a date's continuation value is the mean
        of their realised values.
    cross_fit : bool, default False
        Split the paths in two folds (antithetic pairs kept together), fit the rule on each and
        value it on the other (the boundary's ``regressions`` are then the first fold's).

    Returns
    -------
    LSMResult
        ``value`` (USD at time 0, the mean over paths) and its ``std_error``, ``path_value_usd``,
        ``exercise_index`` (-1 never), ``exercised_by_date`` (cumulative share) and ``boundary``.

    References
    ----------
    .. [1] Longstaff, F. A. and Schwartz, E. S. (2001), "Valuing American Options by Simulation: A
       Simple Least-Squares Approach", Review of Financial Studies 14(1), 113-147.

    Examples
    --------
    A put struck at 40 on 2,000 simulated prices, exercisable quarterly for a year:

    >>> import numpy as np
    >>> from valuation.options import longstaff_schwartz
    >>> rng = np.random.default_rng(0)
    >>> price_usd = 40 * np.exp(np.cumsum(rng.normal(0, 0.1, (2_000, 4)), axis=1))
    >>> result = longstaff_schwartz(
    ...     np.maximum(40.0 - price_usd, 0.0),  # exercise value, USD
    ...     np.exp(-0.06 * np.arange(1, 5) / 4),  # discount factors to time 0
    ...     price_usd,
    ... )
    >>> round(result.value, 2)
    2.69
    >>> result.exercised_by_date.round(3)
    array([0.038, 0.084, 0.196, 0.492])
    """
    arrays = _lsm_arrays(exercise_value_usd, discount_factor, features, holding_cash_flow_usd)
    ex, df, x, hold = arrays
    n_paths, n_dates = ex.shape
    model = _lsm_regression(
        regression, min_regression_paths, in_the_money, antithetic, cross_fit, n_paths
    )
    if cross_fit:
        value_after, exercise_index, regressions, folded = _cross_fitted(
            arrays, model, in_the_money, min_regression_paths, antithetic
        )
        considered_all, advised_all, continuation_all = folded
    else:
        value_after, exercise_index, predictors, *kept = _fit_backward(
            *arrays, model, in_the_money, min_regression_paths, keep_boundary
        )
        regressions = [p if not isinstance(p, float) else None for p in predictors]
        if keep_boundary:
            considered_all, advised_all, continuation_all = kept

    counts = np.bincount(exercise_index[exercise_index >= 0], minlength=n_dates)
    exercised_by_date = np.cumsum(counts) / n_paths
    boundary = None
    if keep_boundary:
        boundary = ExerciseBoundary(
            regressions=tuple(regressions),
            considered=_readonly(considered_all),
            advised=_readonly(advised_all),
            continuation_usd=_readonly(continuation_all),
        )
    return LSMResult(
        value=float(value_after.mean()),
        std_error=_std_error(value_after, antithetic),
        path_value_usd=_readonly(value_after),
        exercise_index=_readonly(exercise_index),
        exercised_by_date=_readonly(exercised_by_date),
        n_paths=n_paths,
        n_dates=n_dates,
        antithetic=bool(antithetic),
        in_the_money=in_the_money,
        boundary=boundary,
    )


class _LsmArrays(NamedTuple):
    """The engine's checked inputs: exercise values (paths, dates) USD, discount factors
    (paths, dates), features (paths, dates, n_features), holding cash flows (paths, dates) USD
    or None."""

    ex: np.ndarray
    df: np.ndarray
    x: np.ndarray
    hold: np.ndarray | None

    def rows(self, idx: np.ndarray) -> _LsmArrays:
        """The same arrays on the paths ``idx``."""
        hold = None if self.hold is None else self.hold[idx]
        return _LsmArrays(self.ex[idx], self.df[idx], self.x[idx], hold)


def _lsm_arrays(
    exercise_value_usd: Any, discount_factor: Any, features: Any, holding_cash_flow_usd: Any
) -> _LsmArrays:
    """The checked arrays of :func:`longstaff_schwartz`: exercise values (paths, dates) USD,
    discount factors (paths, dates), features (paths, dates, n_features) and the holding cash
    flows (paths, dates) USD or None."""
    ex = _finite_array(exercise_value_usd, "exercise_value_usd")
    if ex.ndim != 2 or ex.shape[0] < 1 or ex.shape[1] < 1:
        raise OptionsInputError(
            f"exercise_value_usd has shape {ex.shape}; allowed (paths, dates), both at least 1"
        )
    n_paths, n_dates = ex.shape
    if n_paths > MAX_PATHS or n_dates > MAX_DATES:
        raise OptionsInputError(
            f"exercise_value_usd has shape {ex.shape}; allowed at most {MAX_PATHS:,} paths and "
            f"{MAX_DATES:,} dates"
        )
    df = _check_shape(
        _finite_array(discount_factor, "discount_factor"), "discount_factor", n_paths, n_dates
    )
    if (df <= 0).any():
        raise OptionsInputError(
            f"discount_factor has the value {float(df.min())!r}; allowed positive numbers"
        )
    x = _finite_array(features, "features")
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[:2] != (n_paths, n_dates) or x.shape[2] < 1:
        raise OptionsInputError(
            f"features has shape {x.shape}; allowed ({n_paths}, {n_dates}, n_features) "
            "(paths, dates, n_features) with at least one feature"
        )
    if holding_cash_flow_usd is None:
        return _LsmArrays(ex, df, x, None)
    hold = _check_shape(
        _finite_array(holding_cash_flow_usd, "holding_cash_flow_usd"),
        "holding_cash_flow_usd",
        n_paths,
        n_dates,
    )
    return _LsmArrays(ex, df, x, hold)


def _lsm_regression(
    regression: Any,
    min_regression_paths: Any,
    in_the_money: str,
    antithetic: bool,
    cross_fit: bool,
    n_paths: int,
) -> Any:
    """The options of :func:`longstaff_schwartz` checked, and the regressor it fits per date."""
    if not isinstance(min_regression_paths, int) or not 1 <= min_regression_paths <= MAX_PATHS:
        raise OptionsInputError(
            f"min_regression_paths is {min_regression_paths!r}; allowed an integer from 1 to {MAX_PATHS:,}"
        )
    if in_the_money not in ("positive", "all"):
        raise OptionsInputError(f"in_the_money is {in_the_money!r}; allowed 'positive' or 'all'")
    if antithetic and n_paths % 2:
        raise OptionsInputError(
            f"n_paths is {n_paths} with antithetic=True; allowed an even number of paths"
        )
    model = polynomial_regression(2) if regression is None else regression
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise OptionsInputError(
            f"regression is {type(model).__name__}; allowed a scikit-learn regressor "
            "(fit and predict)"
        )
    if cross_fit and (n_paths < 4 or (antithetic and n_paths % 4)):
        raise OptionsInputError(
            f"n_paths is {n_paths} with cross_fit=True; allowed at least 4 paths "
            "(a multiple of 4 when antithetic)"
        )
    return model


def _cross_fitted(
    arrays: _LsmArrays, model: Any, in_the_money: str, min_regression_paths: int, antithetic: bool
) -> tuple[np.ndarray, np.ndarray, list[Any], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Two folds (an antithetic pair stays in one): the rule fitted on each values the other.
    Returns path values, exercise indices, the first fold's regressions and the considered /
    advised / continuation arrays."""
    n_paths, n_dates = arrays.ex.shape
    pair = np.arange(n_paths) % (n_paths // 2) if antithetic else np.arange(n_paths)
    folds = [np.flatnonzero(pair % 2 == f) for f in (0, 1)]
    value_after = np.zeros(n_paths)
    exercise_index = np.full(n_paths, -1, dtype=np.int64)
    considered_all = np.zeros((n_paths, n_dates), dtype=bool)
    advised_all = np.zeros((n_paths, n_dates), dtype=bool)
    continuation_all = np.full((n_paths, n_dates), np.nan)
    regressions: list[Any] = []
    for fit_rows, value_rows in (folds, folds[::-1]):
        fit = arrays.rows(fit_rows)
        predictors = _fit_backward(*fit, model, in_the_money, min_regression_paths, False)[2]
        if not regressions:
            regressions = [p if not isinstance(p, float) else None for p in predictors]
        out = _apply_forward(predictors, *arrays.rows(value_rows), in_the_money)
        value_after[value_rows], exercise_index[value_rows] = out[0], out[1]
        considered_all[value_rows], advised_all[value_rows] = out[2], out[3]
        continuation_all[value_rows] = out[4]
    kept = (considered_all, advised_all, continuation_all)
    return value_after, exercise_index, regressions, kept


# ---------------------------------------------------------------------------------------------
# The reference test: an American put (Longstaff and Schwartz 2001, Table 1)
# ---------------------------------------------------------------------------------------------


def _positive(value: Any, name: str, *, upper: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise OptionsInputError(f"{name} must be a number; got {value!r}") from exc
    if not (np.isfinite(v) and 0 < v <= upper):
        raise OptionsInputError(f"{name} is {value!r}; allowed (0, {upper:g}]")
    return v


def american_put(
    spot: float,
    strike: float,
    rate_per_year: float,
    volatility_per_year: float,
    maturity_years: float,
    exercises_per_year: int = 50,
    n_paths: int = 100_000,
    seed: int = 0,
) -> LSMResult:
    """An American put on a non-dividend stock under Black-Scholes, valued as Longstaff and Schwartz
    (2001) do.

    Exercisable ``exercises_per_year`` times a year, on ``n_paths`` paths of which half are
    antithetic to the other half, with the continuation regressed on in-the-money paths. Basis: a
    cubic polynomial in spot / strike (the paper uses a constant and three weighted Laguerre
    polynomials; both span a cubic-sized space). Same seed, same value.

    Parameters
    ----------
    spot, strike : float
        Stock price today and strike, in one currency, > 0.
    rate_per_year : float
        Risk-free rate, continuously compounded, in (-0.5, 1).
    volatility_per_year : float
        Annualised volatility, > 0.
    maturity_years : float
        Time to expiry in years, > 0.
    exercises_per_year : int, default 50
        Exercise dates a year (1 to 1000).
    n_paths : int, default 100_000
        Paths, an even number (antithetic pairs).
    seed : int, default 0
        Random seed.

    Returns
    -------
    LSMResult
        ``value`` and ``std_error`` per unit of the stock's currency, without the boundary arrays.

    References
    ----------
    .. [1] Longstaff, F. A. and Schwartz, E. S. (2001), Review of Financial Studies 14(1),
       113-147, Table 1: S = 36, K = 40, r = 6%, sigma = 20%, T = 1 year, 50 dates a year:
       4.472 by simulation (finite-difference American value 4.478).

    Examples
    --------
    The paper's first case with 10 dates a year and 4,000 paths, to keep the example fast (the
    test suite reproduces Table 1 at 50 dates and 100,000 paths):

    >>> from valuation.options import american_put
    >>> put = american_put(36.0, 40.0, 0.06, 0.2, 1.0, exercises_per_year=10, n_paths=4_000)
    >>> round(put.value, 2), round(put.std_error, 3)
    (4.45, 0.031)
    """
    s0 = _positive(spot, "spot", upper=1e9)
    k = _positive(strike, "strike", upper=1e9)
    try:
        r = float(rate_per_year)
    except (TypeError, ValueError) as exc:
        raise OptionsInputError(f"rate_per_year must be a number; got {rate_per_year!r}") from exc
    if not (np.isfinite(r) and -0.5 < r < 1.0):
        raise OptionsInputError(f"rate_per_year is {rate_per_year!r}; allowed (-0.5, 1)")
    sigma = _positive(volatility_per_year, "volatility_per_year", upper=5.0)
    t_years = _positive(maturity_years, "maturity_years", upper=100.0)
    if not isinstance(exercises_per_year, int | np.integer) or not 1 <= exercises_per_year <= 1000:
        raise OptionsInputError(
            f"exercises_per_year is {exercises_per_year!r}; allowed an integer from 1 to 1000"
        )
    if not isinstance(n_paths, int | np.integer) or not 2 <= n_paths <= 2_000_000 or n_paths % 2:
        raise OptionsInputError(
            f"n_paths is {n_paths!r}; allowed an even integer from 2 to 2,000,000"
        )
    n_dates = max(1, round(exercises_per_year * t_years))
    if n_dates * n_paths > 400_000_000:
        raise OptionsInputError(
            f"n_paths x exercise dates is {n_paths * n_dates:,}; allowed at most 400,000,000"
        )
    dt = t_years / n_dates
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_paths // 2, n_dates))
    z = np.concatenate([z, -z])
    log_s = np.cumsum((r - 0.5 * sigma**2) * dt + sigma * np.sqrt(dt) * z, axis=1)
    moneyness = np.exp(log_s)
    moneyness *= s0 / k  # spot / strike at each exercise date
    exercise = np.maximum(1.0 - moneyness, 0.0) * k
    times = dt * np.arange(1, n_dates + 1)
    return longstaff_schwartz(
        exercise,
        np.exp(-r * times),
        moneyness[:, :, None],
        regression=polynomial_regression(3),
        in_the_money="positive",
        antithetic=True,
        keep_boundary=False,
    )


# ---------------------------------------------------------------------------------------------
# The rule in plain words
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseRule:
    """A one- or two-feature threshold rule fitted to the regression's decisions.

    ``text`` says it in words (:meth:`worded` with no words: the features by their names);
    ``feature_names``, ``directions`` ("above": at least the threshold; "below": under it) and
    ``thresholds`` (in each feature's units) define it, ``combiner`` is "or" or "and" (two
    features), ``agreement_share`` is the share of the regression's decisions (considered, still
    unexercised path-dates) the rule reproduces, over ``n_decisions`` decisions. ``kind`` is
    "threshold", or with no feature "always" (every decision exercises), "never" (none does) or
    "constant" (no threshold on the ``tried`` features separates the decisions); ``action`` is
    the verb ("convert").
    """

    text: str
    feature_names: tuple[str, ...]
    directions: tuple[str, ...]
    thresholds: tuple[float, ...]
    combiner: str
    agreement_share: float
    n_decisions: int
    kind: Literal["threshold", "always", "never", "constant"] = "threshold"
    action: str = "exercise"
    tried: tuple[str, ...] = ()

    def worded(self, words: Mapping[str, tuple[str, str]] | None = None) -> str:
        """The rule with each feature said as ``words[name]``: (what it is, the unit after the
        amount), e.g. ``("hashprice", "/PH/day")`` gives "hashprice is below $51.11/PH/day";
        a feature ``words`` does not name keeps its name. Amounts of a feature whose name says
        ``usd`` are in dollars."""
        said = words or {}

        def say(name: str) -> tuple[str, str]:
            return said.get(name, (name, ""))

        if self.kind == "always":
            return (
                f"always {self.action} when it is worth something ({self.n_decisions:,} decisions)"
            )
        if self.kind == "never":
            return f"never {self.action} ({self.n_decisions:,} decisions)"
        if self.kind == "constant":
            return (
                f"no threshold on {', '.join(say(n)[0] for n in self.tried)} separates the "
                "decisions (each is constant)"
            )
        parts = [
            f"{say(n)[0]} is {'at least' if d == 'above' else 'below'} "
            f"{_fmt_threshold(n, t)}{say(n)[1]}"
            for n, d, t in zip(self.feature_names, self.directions, self.thresholds, strict=True)
        ]
        return f"{self.action} when " + f" {self.combiner} ".join(parts)


def _rule(**fields: Any) -> ExerciseRule:
    """An :class:`ExerciseRule` whose ``text`` is its own :meth:`~ExerciseRule.worded`."""
    rule = ExerciseRule(text="", **fields)
    return replace(rule, text=rule.worded())


def _fmt_threshold(name: str, value: float) -> str:
    if "usd" in name.lower():
        sign = "-" if value < 0 else ""
        a = abs(value)
        return f"{sign}${a:,.0f}" if a >= 1000 else f"{sign}${a:,.2f}"
    return f"{value:,.4g}"


def _bins(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Interior threshold candidates (quantiles) and each value's bin: bin b holds
    edges[b-1] <= x < edges[b]."""
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    edges = edges[edges > values.min()]  # a threshold at the minimum splits nothing
    return edges, np.searchsorted(edges, values, side="right")


def _rect_sums(prefix: np.ndarray, low_i: bool, low_j: bool) -> np.ndarray:
    """Sums over {i < a or i >= a} x {j < b or j >= b} for every (a, b), from the 2-D prefix sum
    ``prefix[a, b] = sum over i < a, j < b``."""
    p = prefix
    row_all = p[-1:, :]
    col_all = p[:, -1:]
    total = p[-1, -1]
    if low_i and low_j:
        return p
    if low_i:  # i < a, j >= b
        return col_all - p
    if low_j:  # i >= a, j < b
        return row_all - p
    return total - row_all - col_all + p


def _directions(direction: str | None) -> tuple[str, ...]:
    """The directions a feature's threshold may take: its known one, else both."""
    return ("above", "below") if direction is None else (direction,)


def _best_single(
    x: np.ndarray, y: np.ndarray, n_bins: int, direction: str | None = None
) -> tuple[float, str, float] | None:
    edges, b = _bins(x, n_bins)
    if edges.size == 0:
        return None
    nb = edges.size + 1
    c1 = np.bincount(b, weights=y, minlength=nb)
    c0 = np.bincount(b, weights=~y, minlength=nb)
    below1 = np.concatenate([[0.0], np.cumsum(c1)])[1:-1]  # bins < a for a = 1..nb-1
    below0 = np.concatenate([[0.0], np.cumsum(c0)])[1:-1]
    above = below0 + (c1.sum() - below1)  # exercise when x >= edges[a-1]
    below = below1 + (c0.sum() - below0)  # exercise when x < edges[a-1]
    ia, ib = int(np.argmax(above)), int(np.argmax(below))
    best = {"above": (edges[ia], above[ia]), "below": (edges[ib], below[ib])}
    side = max(_directions(direction), key=lambda d: best[d][1])  # a tie: "above", listed first
    return float(best[side][0]), side, float(best[side][1])


def _best_pair(
    x1: np.ndarray,
    x2: np.ndarray,
    y: np.ndarray,
    n_bins: int,
    directions: tuple[str | None, str | None] = (None, None),
) -> tuple[tuple[float, float], tuple[str, str], str, float] | None:
    e1, b1 = _bins(x1, n_bins)
    e2, b2 = _bins(x2, n_bins)
    if e1.size == 0 or e2.size == 0:
        return None
    n1, n2 = e1.size + 1, e2.size + 1
    cell = b1 * n2 + b2
    h1 = np.bincount(cell, weights=y, minlength=n1 * n2).reshape(n1, n2)
    h0 = np.bincount(cell, weights=~y, minlength=n1 * n2).reshape(n1, n2)
    total1, total0 = h1.sum(), h0.sum()
    diff = h1 - h0
    prefix = np.zeros((n1 + 1, n2 + 1))
    prefix[1:, 1:] = diff.cumsum(0).cumsum(1)
    best: tuple[tuple[float, float], tuple[str, str], str, float] | None = None
    for d1 in _directions(directions[0]):
        for d2 in _directions(directions[1]):
            # exercise region of feature k: bins >= a ("above") or bins < a ("below")
            for combiner in ("or", "and"):
                if combiner == "or":  # continue where neither holds: a rectangle
                    r = _rect_sums(prefix, d1 == "above", d2 == "above")
                    agree = total1 - r
                else:  # exercise where both hold: a rectangle
                    r = _rect_sums(prefix, d1 == "below", d2 == "below")
                    agree = total0 + r
                agree = agree[1:n1, 1:n2]  # interior thresholds only
                a, b = np.unravel_index(int(np.argmax(agree)), agree.shape)
                score = float(agree[a, b])
                if best is None or score > best[3] + 1e-9:
                    best = ((float(e1[a]), float(e2[b])), (d1, d2), combiner, score)
    return best


def exercise_rule(
    result: LSMResult,
    features: Any,
    feature_names: Sequence[str],
    rule_features: Sequence[str] | None = None,
    *,
    action: str = "exercise",
    n_bins: int = 64,
    directions: Mapping[str, str] | None = None,
) -> ExerciseRule:
    """The plain-words rule closest to the regression's decisions.

    Thresholds are searched over ``n_bins`` quantiles of each feature; for each feature the rule
    says whether exercise wins above or below its threshold, and two features combine with "or"
    or "and". Agreement is measured on the decisions the rule had to take: considered path-dates on
    or before each path's exercise.

    Parameters
    ----------
    result : LSMResult
        A :func:`longstaff_schwartz` result with ``keep_boundary=True``.
    features : array_like
        The engine's (paths, dates, n_features) or (paths, dates) inputs.
    feature_names : sequence of str
        One distinct name per feature, units in the names (they appear in the text).
    rule_features : sequence of str, optional
        One or two of ``feature_names``; by default every single feature and pair is tried and the
        best kept (a single feature unless a pair reproduces at least half a percentage point more).
    action : str, default "exercise"
        The verb of the text ("convert" for a conversion).
    n_bins : int, default 64
        Quantiles searched per feature (2 to 512).
    directions : mapping of str to str, optional
        A feature's known direction ("above": exercise wins at high values; "below": at low
        ones), which its threshold keeps to; the others are searched both ways. Where nearly
        every decision exercises, the few that do not can otherwise point a threshold against
        the economics ("convert when the lease rate offered is below ...").

    Returns
    -------
    ExerciseRule
        ``text``, ``feature_names``, ``directions`` ("above" or "below"), ``thresholds`` (in each
        feature's units), ``combiner``, ``agreement_share`` (0-1) and ``n_decisions``.

    Examples
    --------
    The rule behind a put struck at 40 (see :func:`longstaff_schwartz`):

    >>> import numpy as np
    >>> from valuation.options import exercise_rule, longstaff_schwartz
    >>> rng = np.random.default_rng(0)
    >>> price_usd = 40 * np.exp(np.cumsum(rng.normal(0, 0.1, (2_000, 4)), axis=1))
    >>> result = longstaff_schwartz(
    ...     np.maximum(40.0 - price_usd, 0.0), np.exp(-0.06 * np.arange(1, 5) / 4), price_usd
    ... )
    >>> rule = exercise_rule(result, price_usd, ["price_usd"])
    >>> rule.text
    'exercise when price_usd is below $33.84'
    >>> round(rule.agreement_share, 3), rule.n_decisions
    (0.83, 3355)
    """
    if result.boundary is None:
        raise OptionsInputError("result has no boundary; allowed a result of keep_boundary=True")
    x, names, chosen = _rule_inputs(result, features, feature_names, rule_features, n_bins)
    cells, y = _rule_decisions(result, result.boundary)
    n = int(y.size)
    none: dict[str, Any] = {"feature_names": (), "directions": (), "thresholds": (),
                            "combiner": "", "n_decisions": n, "action": action}  # fmt: skip
    if n == 0 or y.all() or not y.any():
        kind = "never" if n == 0 or not y.any() else "always"
        return _rule(**none, agreement_share=1.0, kind=kind)
    columns = {name: x[:, :, i][cells] for i, name in enumerate(names)}
    singles = [chosen[0]] if chosen is not None and len(chosen) == 1 else names
    known = dict(directions or {})
    bad = {k: v for k, v in known.items() if v not in ("above", "below")}
    if bad:
        raise OptionsInputError(f"directions has {bad!r}; allowed 'above' or 'below'")
    candidates = _rule_candidates(columns, y, n_bins, names, chosen, singles, known)
    if not candidates:
        share = float(max(y.mean(), 1 - y.mean()))
        return _rule(**none, agreement_share=share, kind="constant", tried=tuple(singles))
    _, rnames, dirs, thr, comb = max(candidates, key=lambda c: c[0])
    share = _rule_agreement(columns, rnames, dirs, thr, comb, y)
    return _rule(
        feature_names=tuple(rnames), directions=tuple(dirs), thresholds=tuple(thr),
        combiner=comb, agreement_share=share, n_decisions=n, action=action,
    )  # fmt: skip


def _rule_inputs(
    result: LSMResult,
    features: Any,
    feature_names: Sequence[str],
    rule_features: Sequence[str] | None,
    n_bins: Any,
) -> tuple[np.ndarray, list[str], list[str] | None]:
    """The checked features (paths, dates, n_features), their names and the one or two names
    the rule must use (None: try every feature and pair)."""
    x = _finite_array(features, "features")
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[:2] != (result.n_paths, result.n_dates) or x.ndim != 3:
        raise OptionsInputError(
            f"features has shape {x.shape}; allowed ({result.n_paths}, {result.n_dates}, n_features)"
        )
    names = [str(n) for n in feature_names]
    if len(names) != x.shape[2] or len(set(names)) != len(names):
        raise OptionsInputError(
            f"feature_names has {len(names)} names; allowed {x.shape[2]} distinct names"
        )
    if not isinstance(n_bins, int) or not 2 <= n_bins <= 512:
        raise OptionsInputError(f"n_bins is {n_bins!r}; allowed an integer from 2 to 512")
    if rule_features is None:
        return x, names, None
    chosen = [str(n) for n in rule_features]
    unknown = [n for n in chosen if n not in names]
    if not 1 <= len(chosen) <= 2 or unknown or len(set(chosen)) != len(chosen):
        raise OptionsInputError(
            f"rule_features is {chosen!r}; allowed one or two distinct names of {names!r}"
        )
    return x, names, chosen


def _rule_decisions(result: LSMResult, b: ExerciseBoundary) -> tuple[np.ndarray, np.ndarray]:
    """The decisions the rule had to take, considered path-dates on or before each path's
    exercise (a (paths, dates) mask), and what the regression advised there."""
    dates = np.arange(result.n_dates)
    alive = (result.exercise_index[:, None] < 0) | (
        dates[None, :] <= result.exercise_index[:, None]
    )
    cells = b.considered & alive
    return cells, b.advised[cells]


_Candidate: TypeAlias = tuple[float, tuple[str, ...], tuple[str, ...], tuple[float, ...], str]


def _rule_candidates(
    columns: dict[str, np.ndarray],
    y: np.ndarray,
    n_bins: int,
    names: list[str],
    chosen: list[str] | None,
    singles: list[str],
    known: Mapping[str, str],
) -> list[_Candidate]:
    """The best threshold rule on each single feature and pair tried, as (score, names,
    directions, thresholds, combiner); a pair must beat a single by half a percentage point."""
    n = int(y.size)
    candidates: list[_Candidate] = []
    if chosen is None or len(chosen) == 1:
        for name in singles:
            best = _best_single(columns[name], y, n_bins, known.get(name))
            if best is not None:
                candidates.append((best[2], (name,), (best[1],), (best[0],), ""))
    pairs = (
        [tuple(chosen)]
        if chosen is not None and len(chosen) == 2
        else (
            [(a, c) for i, a in enumerate(names) for c in names[i + 1 :]] if chosen is None else []
        )
    )
    for p in pairs:
        best2 = _best_pair(columns[p[0]], columns[p[1]], y, n_bins,
                           (known.get(p[0]), known.get(p[1])))  # fmt: skip
        if best2 is not None:
            candidates.append((best2[3] - 0.005 * n, tuple(p), best2[1], best2[0], best2[2]))
    return candidates


def _rule_agreement(
    columns: dict[str, np.ndarray],
    rnames: Sequence[str],
    dirs: Sequence[str],
    thr: Sequence[float],
    comb: str,
    y: np.ndarray,
) -> float:
    """The exact share of the decisions ``y`` the chosen rule reproduces."""
    masks = [
        (columns[nm] >= t) if d == "above" else (columns[nm] < t)
        for nm, d, t in zip(rnames, dirs, thr, strict=True)
    ]
    predicted = (
        masks[0]
        if len(masks) == 1
        else (masks[0] | masks[1] if comb == "or" else masks[0] & masks[1])
    )
    return float((predicted == y).mean())


# ---------------------------------------------------------------------------------------------
# Applied to conversion: the option to keep mining and convert later
# ---------------------------------------------------------------------------------------------


# Where converting wins, by each state the conversion's rule may use: a higher lease rate raises
# the value of converting, a higher hashprice that of mining, a higher power price costs the
# miner more than the tenant (who pays for its power). The rule keeps to these directions.
CONVERSION_RULE_DIRECTIONS = {
    "lease_rate_usd_per_kw_month": "above",
    "hashprice_usd_per_ph_day": "below",
    "power_price_usd_per_mwh": "above",
}

# The first decision of a conversion option: follow the regression's decisions, convert now, or
# never convert.
ConversionPolicy = Literal["regression", "now", "never"]


def first_decision(values_usd: Mapping[ConversionPolicy, np.ndarray]) -> ConversionPolicy:
    """The policy worth most on average over the paths (``values_usd``: each policy's path
    values), as Longstaff and Schwartz decide at time 0, where every path shares one state. An
    exact tie goes to converting now, then never converting: the regression then takes that
    decision on every path, and it is said so."""
    order: tuple[ConversionPolicy, ...] = ("now", "never", "regression")
    return max(order, key=lambda p: float(np.mean(values_usd[p])))


def policy_shares(policy: ConversionPolicy, regression_shares: np.ndarray) -> np.ndarray:
    """Shares of paths converted (by date or by year) under ``policy``: the regression's, all
    at once (now) or none (never)."""
    if policy == "now":
        return _readonly(np.ones_like(regression_shares))
    if policy == "never":
        return _readonly(np.zeros_like(regression_shares))
    return regression_shares


@dataclass(frozen=True)
class ConversionOption:
    """The value of choosing when to convert, against converting now and never converting.

    All values are USD at the valuation date (month 0) and Monte Carlo means over the paths.
    ``policy`` is the first decision (:func:`first_decision`): "regression" (mine until the
    regression finds converting worth more than waiting, then convert), "now" or "never",
    whichever is worth most on average; ``value_usd`` is its value; ``convert_now_usd``
    converts at the first decision date on every path; ``never_convert_usd`` mines to the
    horizon; ``regression_value_usd`` follows the regression; ``option_to_wait_usd`` = value -
    convert now, with its standard error (paired over paths), and the standard error of value -
    never convert. ``converted_by_year`` (years,) is the share of paths the policy has
    converted by the end of years 1, 2, ... (months < 12 y); ``converted_by_date`` the same at
    each decision date; ``rule`` the fitted rule that says the regression's decisions in plain
    words; ``lsm`` the engine's result.
    """

    value_usd: float
    std_error_usd: float
    convert_now_usd: float
    never_convert_usd: float
    option_to_wait_usd: float
    option_to_wait_std_error_usd: float
    gain_over_never_std_error_usd: float
    decision_months: np.ndarray
    converted_by_date: np.ndarray
    converted_by_year: np.ndarray
    rule: ExerciseRule
    lsm: LSMResult = field(repr=False)
    policy: ConversionPolicy = "regression"
    regression_value_usd: float = float("nan")


def conversion_option(
    convert_now_value_usd: Any,
    mining_cash_flow_usd: Any,
    decision_months: Any,
    discount_rate_per_year: float,
    features: Any,
    feature_names: Sequence[str],
    *,
    rule_features: Sequence[str] | None = None,
    regression: Any = None,
    antithetic: bool = False,
    cross_fit: bool = False,
) -> ConversionOption:
    """When to convert a mining site, by least-squares Monte Carlo on the risk paths.

    Converting is considered only where its value is positive (the paper's in-the-money rule): the
    site can always stop mining, so keeping it is worth at least nothing and a conversion worth
    less than nothing never wins. A site whose conversion is never worth anything never converts.

    Parameters
    ----------
    convert_now_value_usd : array_like
        (paths, dates): the value, USD at decision month m_k, of starting the conversion at m_k:
        every cash flow of the converted site from m_k to the horizon (capex, lease, opex, any
        mining that continues during construction), as the decision engine values a conversion
        that starts then.
    mining_cash_flow_usd : array_like
        (paths, months): the site's monthly cash flow (USD) while it keeps mining (economic
        shutdown already applied), months 0 .. horizon - 1; it stops at the conversion.
    decision_months : array_like of int
        (dates,): strictly increasing month indices (0, 12, 24, ... yearly).
    discount_rate_per_year : float
        Discounting is monthly, ``(1 + r) ** (-m / 12)``, month 0 undiscounted; in (-0.5, 1].
    features : array_like
        (paths, dates, n_features) or (paths, dates): the state at each decision.
    feature_names : sequence of str
        Units in the names, e.g. ``lease_rate_usd_per_kw_month``, ``hashprice_usd_per_ph_day``.
    rule_features : sequence of str, optional
        One or two feature names for the plain-words rule (:func:`exercise_rule`).
    regression, antithetic, cross_fit
        Passed to :func:`longstaff_schwartz`.

    Returns
    -------
    ConversionOption
        USD at month 0, means over the paths: ``value_usd`` (follow the fitted rule),
        ``convert_now_usd``, ``never_convert_usd``, ``option_to_wait_usd`` with standard errors;
        ``converted_by_date`` and ``converted_by_year`` (shares), ``rule`` and ``lsm``.

    References
    ----------
    .. [1] Longstaff, F. A. and Schwartz, E. S. (2001), Review of Financial Studies 14(1), 113-147.

    Examples
    --------
    1,000 paths of a site mining $100k a month (with noise) for 36 months, whose conversion is
    worth $3M times a lease-rate scale; decisions at months 0, 12 and 24:

    >>> import numpy as np
    >>> from valuation.options import conversion_option
    >>> rng = np.random.default_rng(1)
    >>> mining_usd = 100_000.0 * np.exp(np.cumsum(rng.normal(0, 0.05, (1_000, 36)), axis=1))
    >>> lease_scale = 1.0 + np.cumsum(rng.normal(0, 0.05, (1_000, 3)), axis=1)
    >>> option = conversion_option(
    ...     3_000_000.0 * lease_scale, mining_usd, [0, 12, 24], 0.10, lease_scale,
    ...     ["lease_rate_scale"],
    ... )
    >>> [round(v / 1e6, 2) for v in (option.value_usd, option.convert_now_usd,
    ...                              option.never_convert_usd, option.option_to_wait_usd)]
    [4.69, 3.0, 3.18, 1.69]
    >>> option.rule.text
    'convert when lease_rate_scale is at least 1.115'
    >>> option.converted_by_date  # every path converts at month 24 here
    array([0., 0., 1.])
    """
    conv = _finite_array(convert_now_value_usd, "convert_now_value_usd")
    if conv.ndim != 2:
        raise OptionsInputError(
            f"convert_now_value_usd has shape {conv.shape}; allowed (paths, dates)"
        )
    n_paths, n_dates = conv.shape
    mining = _finite_array(mining_cash_flow_usd, "mining_cash_flow_usd")
    if mining.ndim != 2 or mining.shape[0] != n_paths or mining.shape[1] < 1:
        raise OptionsInputError(
            f"mining_cash_flow_usd has shape {mining.shape}; allowed ({n_paths}, n_months)"
        )
    n_months = mining.shape[1]
    months = _decision_month_indices(decision_months, n_dates, n_months)
    r = conversion_discount_rate(discount_rate_per_year)
    x = _finite_array(features, "features")
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[:2] != (n_paths, n_dates):
        raise OptionsInputError(
            f"features has shape {x.shape}; allowed ({n_paths}, {n_dates}, n_features)"
        )

    df_month = np.exp(-np.log1p(r) * np.arange(n_months) / 12.0)
    mining_pv = mining * df_month  # USD at month 0
    before = mining_pv[:, : months[0]].sum(axis=1)  # mined before the first decision, always
    segments = np.add.reduceat(mining_pv, months, axis=1)  # [m_k, m_k+1) and the last to horizon
    df_dates = df_month[months]
    lsm = longstaff_schwartz(
        conv,
        df_dates,
        x,
        holding_cash_flow_usd=segments / df_dates,
        regression=regression,
        in_the_money="positive",
        antithetic=antithetic,
        cross_fit=cross_fit,
    )
    now_path = before + df_dates[0] * conv[:, 0]
    never_path = before + segments.sum(axis=1)
    # The first decision is taken on the sample means: follow the regression only when it is
    # worth more on average than converting now or never converting (a fitted regression can
    # be a poor one).
    values: dict[ConversionPolicy, np.ndarray] = {
        "now": now_path, "never": never_path, "regression": before + lsm.path_value_usd,
    }  # fmt: skip
    policy = first_decision(values)
    path_value = values[policy]
    rule = exercise_rule(lsm, x, feature_names, rule_features, action="convert",
                         directions=CONVERSION_RULE_DIRECTIONS)  # fmt: skip
    return ConversionOption(
        value_usd=float(path_value.mean()),
        std_error_usd=_std_error(path_value, antithetic),
        convert_now_usd=float(now_path.mean()),
        never_convert_usd=float(never_path.mean()),
        option_to_wait_usd=float((path_value - now_path).mean()),
        option_to_wait_std_error_usd=_std_error(path_value - now_path, antithetic),
        gain_over_never_std_error_usd=_std_error(path_value - never_path, antithetic),
        decision_months=_readonly(months.astype(np.int64)),
        converted_by_date=policy_shares(policy, lsm.exercised_by_date),
        converted_by_year=policy_shares(policy, _readonly(converted_by_year(lsm, months))),
        rule=rule,
        lsm=lsm,
        policy=policy,
        regression_value_usd=float(values["regression"].mean()),
    )


def _decision_month_indices(decision_months: Any, n_dates: int, n_months: int) -> np.ndarray:
    """The decision dates as ``n_dates`` strictly increasing integer months in [0, n_months)."""
    months = np.asarray(decision_months)
    if (
        months.ndim != 1
        or months.shape[0] != n_dates
        or not np.issubdtype(months.dtype, np.integer)
        or (months < 0).any()
        or (months >= n_months).any()
        or (np.diff(months) <= 0).any()
    ):
        raise OptionsInputError(
            f"decision_months is {months.tolist()!r}; allowed {n_dates} strictly increasing "
            f"integer months in [0, {n_months - 1}]"
        )
    return months


def conversion_discount_rate(discount_rate_per_year: Any) -> float:
    """The discount rate of a conversion option, a fraction per year in (-0.5, 1], as a float.

    The one check of the rate for ``conversion_option`` and ``valuation.wait_option``. Raises
    ``OptionsInputError`` naming the value when it is not a number or is outside the range.
    """
    try:
        r = float(discount_rate_per_year)
    except (TypeError, ValueError) as exc:
        raise OptionsInputError(
            f"discount_rate_per_year must be a number; got {discount_rate_per_year!r}"
        ) from exc
    if not (np.isfinite(r) and -0.5 < r <= 1.0):
        raise OptionsInputError(
            f"discount_rate_per_year is {discount_rate_per_year!r}; allowed (-0.5, 1]"
        )
    return r


def converted_by_year(lsm: LSMResult, months: np.ndarray) -> np.ndarray:
    """Share of paths the regression (``lsm``) has converted by the end of years 1, 2, ... (a
    conversion month < 12 y); ``months`` the decision months."""
    n_years = int(months[-1] // 12) + 1
    ex_month = np.where(lsm.exercise_index >= 0, months[np.maximum(lsm.exercise_index, 0)], -1)
    year_ends = 12 * np.arange(1, n_years + 1)
    return ((ex_month[:, None] >= 0) & (ex_month[:, None] < year_ends[None, :])).mean(axis=0)
