"""The option to wait applied to conversion: keep mining and convert later, when the lease market
or hashprice has moved, valued by least-squares Monte Carlo (``valuation.options``).

Two steps:

- :func:`option_to_wait` takes, per path and decision date, the value of converting at that
  date and the site's monthly cash flow while it keeps mining, and calls
  :func:`valuation.options.conversion_option`. It reports the value of the option to wait over
  converting now, the probability of having converted by each year and the plain-words rule
  with the share of the regression's decisions it reproduces.
- :func:`wait_inputs` builds those inputs from Monte Carlo driver paths
  (``valuation.drivers``) with the named-strategy evaluator (``valuation.strategies.evaluate``
  over the model's ``mine_then_convert`` rows: ``plan.groups["mine_then_convert"]``, whose
  ``plan.detail`` is the decision month).

The exercise value, derived. On a path, let ``V_k`` be the NPV (USD at month 0) of the
``mine_then_convert`` row whose search for a tenant starts at decision month ``m_k`` (row 0 is
convert now), tenant expectation applied (``p x signed + (1 - p) x keep mining``: whether a
tenant signs is not known when the search starts), and ``V_keep`` the keep-mining NPV. The row
and keep mining earn the same mining cash flows before ``m_k`` (a conversion stops mining only
at its construction start, after signing), so with ``c_m`` a keep-mining cash flow stream whose
present value is ``V_keep`` (discount factor ``D_m = (1 + r) ** (-m / 12)``):

    value of converting at m_k given mining until m_k, in USD at m_k:
        X_k = (V_k - sum_{m < m_k} c_m D_m) / D_{m_k}

so converting at ``m_k`` after mining until then is worth exactly ``V_k`` on that path, and never
converting is worth ``V_keep``. The engine values the gain over mining to the horizon,
``G_k = X_k - sum_{m >= m_k} c_m D_m / D_{m_k} = (V_k - V_keep) / D_{m_k}``, with no holding cash
flow: the same decisions and path values (``V_keep`` is added back), but the paper's
in-the-money rule (compare only where exercising gains something, since the holder can always
keep mining) then reads "converting beats mining to the horizon on this path", and the
regression target carries no noise from what was mined already. So a site whose conversion
never beats mining (no lease market) never converts, exactly.

Approximations of :func:`wait_inputs` (stated; the risk module replaces them when it lands):
mining on a profile that stops at a conversion is the path's keep-mining flows per MW cut at the
stop month plus the deterministic difference between that profile and the cut (the fleet sale
at the stop and refresh decisions taken near it, at their deterministic values); the lease rate
of a start is the scenario's rate for the site times the path's lease scale at that start's
signing month; the power scale multiplies the site's price-duration curve (a utility tariff has
none, so its power price does not move); the capex scale multiplies the retrofit capex;
signing follows the site's signing probability (not the drivers' per-path signing); tenant
default and construction delay draws are not applied (the scenario's delay is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from valuation.drivers import DriverPaths
from valuation.errors import ValuationError
from valuation.mining import mining_cash_flows
from valuation.options import (
    ConversionOption,
    ConversionPolicy,
    OptionsInputError,
    conversion_discount_rate,
    conversion_option,
    converted_by_year,
    first_decision,
    policy_shares,
)
from valuation.power import PriceSeries, ScaledPricePoints
from valuation.strategies import (
    MiningRows,
    SiteModel,
    blocks_on_rows,
    evaluate,
    mining_blocks,
    mining_rows,
    on_rows,
)
from valuation.threads import map_in_threads

__all__ = [
    "WaitOptionError",
    "WaitReport",
    "option_to_wait",
    "WaitInputs",
    "wait_inputs",
    "site_wait_option",
    "FEATURE_NAMES",
    "FEATURE_WORDS",
    "MAX_PATHS",
]

FEATURE_NAMES = (
    "lease_rate_usd_per_kw_month",
    "hashprice_usd_per_ph_day",
    "power_price_usd_per_mwh",
)
# site_wait_option's bound: about 100 s for the largest site on two cores (10,000 paths in about
# 5 s, benchmarks/bench_plan.py)
MAX_PATHS = 200_000
# How the rule says each state in words: what it is, and the unit after the amount.
FEATURE_WORDS = {
    "lease_rate_usd_per_kw_month": ("the lease rate offered", "/kW-month"),
    "hashprice_usd_per_ph_day": ("hashprice", "/PH/day"),
    "power_price_usd_per_mwh": ("the power price", "/MWh"),
}


class WaitOptionError(ValuationError, ValueError):
    """An input of the option to wait has the wrong shape or value."""


@dataclass(frozen=True)
class WaitReport:
    """The option to wait on one site. USD at the valuation date, Monte Carlo means.

    The first decision is taken on the sample means, as Longstaff and Schwartz do at time 0:
    ``policy`` is "regression" (follow the regression's decisions: mine until it finds converting
    worth more than waiting), "now" (convert at the first date on every path) or "never" (mine
    to the horizon), whichever is worth most on average; an exact tie is said as converting now
    or never converting (the regression then decides the same on every path). ``value_usd``
    (+ ``std_error_usd``) is that policy's value; ``convert_now_usd`` and ``never_convert_usd``
    the other two; ``option_to_wait_usd`` = value - convert now (+ its paired standard error);
    ``gain_over_never_usd`` = value - never convert (+ its standard error);
    ``converted_by_year`` (years,) the share of paths the policy has converted by the end of
    year 1, 2, ...; ``rule`` the policy in plain words ("convert when the lease rate offered is
    at least $128.40/kW-month or hashprice is below $51.11/PH/day": the fitted rule, which
    approximates the regression's decisions; "convert now (...)"); ``fitted_rule`` the fitted
    rule in words whatever the policy, and ``rule_agreement_share`` the share of the
    regression's decisions it reproduces; ``regression_value_usd`` the value of following the
    regression; ``option`` the engine's result (on the gain over
    mining).
    """

    value_usd: float
    std_error_usd: float
    convert_now_usd: float
    never_convert_usd: float
    option_to_wait_usd: float
    option_to_wait_std_error_usd: float
    gain_over_never_usd: float
    gain_over_never_std_error_usd: float
    converted_by_year: np.ndarray
    rule: str
    rule_agreement_share: float
    n_paths: int
    option: ConversionOption
    policy: ConversionPolicy = "regression"
    fitted_rule: str = ""
    regression_value_usd: float = float("nan")

    def decision(self) -> str:
        """The decision in words: the policy, the fitted rule that says the regression's
        decisions in words, and whether the policy stands out of the Monte Carlo noise (two
        standard errors) against converting now and never converting."""
        n = self.option.rule.n_decisions
        share = f", the regression's decision in {self.rule_agreement_share:.0%} of the {n:,} "
        share = share + "path-years it decided" if n else ""
        if self.policy == "regression":
            text = (
                "mine and convert when the regression finds converting worth more than "
                f"waiting; in words, about: {self.fitted_rule}{share}"
            )
        elif self.regression_value_usd == self.value_usd:  # the regression decides the same
            text = (
                f"{_POLICY_WORDS[self.policy].split(' (')[0]}: the regression takes this "
                f"decision on every path (in words: {self.fitted_rule})"
            )
        else:
            text = (
                f"{_POLICY_WORDS[self.policy]}; following the regression (about: "
                f"{self.fitted_rule}{share}) is worth less on average"
            )
        against = {  # the policy's value over each other one, with its standard error
            "now": (self.option_to_wait_usd, self.option_to_wait_std_error_usd),
            "never": (self.gain_over_never_usd, self.gain_over_never_std_error_usd),
        }
        apart = [
            {"now": "converting now", "never": "never converting"}[other]
            for other, (gain, se) in against.items()
            if other != self.policy and abs(gain) < 2 * se
        ]
        if apart:
            text += (
                "; within two standard errors of zero, its value is not told apart from "
                + " or ".join(apart)
            )
        return text

    def converted_text(self) -> str:
        """The shares converted by the end of years 1, 3, 5 and the last, in words."""
        by = self.converted_by_year
        return ", ".join(
            f"{p:.0%} by year {i + 1}" for i, p in enumerate(by) if i in (0, 2, 4, by.size - 1)
        )

    def summary(self) -> str:
        """One paragraph in plain words."""
        return (
            f"Waiting is worth ${self.option_to_wait_usd / 1e6:,.1f}M "
            f"(+/- ${self.option_to_wait_std_error_usd / 1e6:,.1f}M) over converting now; "
            f"converted: {self.converted_text()}. Decision: {self.decision()}."
        )


# The policy in words where the first decision does not follow the regression.
_POLICY_WORDS = {
    "now": "convert now (worth more on average than following the regression or never converting)",
    "never": "never convert (mining to the horizon is worth more on average than converting "
    "now or following the regression)",
}


def _paired_se(x: np.ndarray, antithetic: bool) -> float:
    if antithetic:
        half = x.shape[0] // 2
        x = 0.5 * (x[:half] + x[half:])
    return float(np.std(x, ddof=1) / np.sqrt(x.shape[0])) if x.shape[0] > 1 else 0.0


def option_to_wait(
    convert_value_usd: Any,
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
    project_exercise: bool = True,
) -> WaitReport:
    """The option to wait over converting now (module docstring).

    ``convert_value_usd`` (paths, dates): ``X_k``, the value in USD at decision month ``m_k`` of
    converting then, given mining until then; ``mining_cash_flow_usd`` (paths, months): the
    keep-mining cash flow ``c_m`` (economic shutdown applied), months 0 .. horizon - 1;
    ``decision_months`` (dates,) strictly increasing integer months; ``discount_rate_per_year``
    the rate of ``D_m``; ``features`` (paths, dates, n) and ``feature_names`` the state at each
    decision (units in the names). The rest goes to ``conversion_option``.

    ``project_exercise``: the value of converting at ``m_k`` on a path depends on what happens
    after ``m_k`` (the rent at signing, the capex overrun, the hashprice during the build); a
    rule can only act on its expectation given the state at ``m_k``. So the gain is first
    regressed on the features at each date (the same regression) and the rule decides on the
    fitted gains, while each path is paid its own realised gain where the rule converts it.
    False decides on the realised gains (right only when they are known at the decision date).
    """
    conv, mining, months = _checked_paths(convert_value_usd, mining_cash_flow_usd, decision_months)
    r = _checked_discount_rate(discount_rate_per_year)
    if not (np.isfinite(conv).all() and np.isfinite(mining).all()):
        raise WaitOptionError("convert_value_usd and mining_cash_flow_usd must be finite numbers")
    df = np.exp(-np.log1p(r) * np.arange(mining.shape[1]) / 12.0)
    pv = mining * df
    gain = conv - _future_mining_usd(pv, df, months)
    x = _checked_features(features, conv.shape)
    decide_on = _expected_given_state(gain, x, regression) if project_exercise else gain
    option = conversion_option(
        decide_on,
        np.zeros_like(mining),
        months,
        r,
        x,
        feature_names,
        rule_features=rule_features,
        regression=regression,
        antithetic=antithetic,
        cross_fit=cross_fit,
    )
    return _wait_report(option, gain, pv.sum(axis=1), df[months], antithetic)


def _checked_paths(
    convert_value_usd: Any, mining_cash_flow_usd: Any, decision_months: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values of converting (paths, dates), the mining cash flows (paths, months) and the
    decision months (dates,) as arrays, their shapes and months checked."""
    conv = np.asarray(convert_value_usd, dtype=float)
    mining = np.asarray(mining_cash_flow_usd, dtype=float)
    months = np.asarray(decision_months)
    if conv.ndim != 2 or mining.ndim != 2 or mining.shape[0] != conv.shape[0]:
        raise WaitOptionError(
            f"convert_value_usd has shape {conv.shape} and mining_cash_flow_usd {mining.shape}; "
            "allowed (paths, dates) and (paths, months) with the same paths"
        )
    if (
        months.ndim != 1
        or months.shape[0] != conv.shape[1]
        or not np.issubdtype(months.dtype, np.integer)
        or (months < 0).any()
        or (months >= mining.shape[1]).any()
    ):
        raise WaitOptionError(
            f"decision_months is {months.tolist()!r}; allowed {conv.shape[1]} integer months in "
            f"[0, {mining.shape[1] - 1}]"
        )
    return conv, mining, months


def _checked_discount_rate(discount_rate_per_year: Any) -> float:
    """``valuation.options.conversion_discount_rate``'s check, worded for the option to wait."""
    try:
        return conversion_discount_rate(discount_rate_per_year)
    except OptionsInputError:
        raise WaitOptionError(
            f"discount_rate_per_year is {discount_rate_per_year!r}; allowed a number in (-0.5, 1]"
        ) from None


def _future_mining_usd(pv: np.ndarray, df: np.ndarray, months: np.ndarray) -> np.ndarray:
    """(paths, dates) the value of mining from each decision month to the horizon, USD at that
    month, from the mining cash flows' present values ``pv`` (paths, months) and the discount
    factors ``df`` (months,)."""
    tail = np.cumsum(pv[:, ::-1], axis=1)[:, ::-1]  # sum over m' >= m, USD at month 0
    return tail[:, months] / df[months]


def _checked_features(features: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The features as a finite (paths, dates, n) array (a (paths, dates) array is one
    feature)."""
    x = np.asarray(features, dtype=float)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[:2] != shape or not np.isfinite(x).all():
        raise WaitOptionError(
            f"features has shape {x.shape}; allowed finite ({shape[0]}, {shape[1]}, n_features)"
        )
    return x


def _wait_report(
    option: ConversionOption,
    gain: np.ndarray,
    never: np.ndarray,
    df_dates: np.ndarray,
    antithetic: bool,
) -> WaitReport:
    """The report: each path is paid its own realised ``gain`` (paths, dates; USD at the date)
    at the date the rule converts it, over ``never`` (paths,) mining to the horizon; ``df_dates``
    the discount factors of the decision dates."""
    at = option.lsm.exercise_index
    k = np.maximum(at, 0)
    rows = np.arange(gain.shape[0])
    now = never + df_dates[0] * gain[:, 0]
    # The first decision on the sample means (as ``valuation.options.conversion_option``): follow
    # the fitted rule only when it beats converting now and never converting on average.
    policies: dict[ConversionPolicy, np.ndarray] = {
        "now": now,
        "never": never,
        "regression": never + np.where(at >= 0, df_dates[k] * gain[rows, k], 0.0),
    }
    policy = first_decision(policies)
    path_value = policies[policy]
    by_year = policy_shares(policy, converted_by_year(option.lsm, option.decision_months))
    fitted = option.rule.worded(FEATURE_WORDS)
    return WaitReport(
        value_usd=float(path_value.mean()),
        std_error_usd=_paired_se(path_value, antithetic),
        convert_now_usd=float(now.mean()),
        never_convert_usd=float(never.mean()),
        option_to_wait_usd=float((path_value - now).mean()),
        option_to_wait_std_error_usd=_paired_se(path_value - now, antithetic),
        gain_over_never_usd=float((path_value - never).mean()),
        gain_over_never_std_error_usd=_paired_se(path_value - never, antithetic),
        converted_by_year=by_year,
        rule=fitted if policy == "regression" else _POLICY_WORDS[policy],
        rule_agreement_share=option.rule.agreement_share,
        n_paths=int(gain.shape[0]),
        option=option,
        policy=policy,
        fitted_rule=fitted,
        regression_value_usd=float(policies["regression"].mean()),
    )


def _expected_given_state(gain: np.ndarray, x: np.ndarray, regression: Any) -> np.ndarray:
    """``E[gain_k | state_k]`` at each date by regression over all paths (the mean where the
    paths share one state or are too few to regress): a loop over dates only."""
    from sklearn.base import clone

    from valuation.options import MIN_REGRESSION_PATHS, polynomial_regression

    model = polynomial_regression(2) if regression is None else regression
    out = np.empty_like(gain)
    for d in range(gain.shape[1]):
        state = x[:, d, :]
        if gain.shape[0] < MIN_REGRESSION_PATHS or np.all(np.ptp(state, axis=0) == 0):
            out[:, d] = gain[:, d].mean()
            continue
        reg = clone(model).fit(state, gain[:, d])
        out[:, d] = np.asarray(reg.predict(state), dtype=float).reshape(-1)
    return out


@dataclass(frozen=True)
class WaitInputs:
    """What :func:`wait_inputs` builds (the arguments of :func:`option_to_wait`, plus the rows).

    ``row_npv_usd`` (paths, dates) each start's NPV ``V_k`` and ``keep_npv_usd`` (paths,) the
    keep-mining NPV, USD at month 0, tenant expectation applied.
    """

    convert_value_usd: np.ndarray
    mining_cash_flow_usd: np.ndarray
    decision_months: np.ndarray
    discount_rate_per_year: float
    features: np.ndarray
    feature_names: tuple[str, ...]
    row_npv_usd: np.ndarray
    keep_npv_usd: np.ndarray

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`option_to_wait`."""
        return {
            "convert_value_usd": self.convert_value_usd,
            "mining_cash_flow_usd": self.mining_cash_flow_usd,
            "decision_months": self.decision_months,
            "discount_rate_per_year": self.discount_rate_per_year,
            "features": self.features,
            "feature_names": self.feature_names,
        }


def _unit_mining(
    model: SiteModel, hp: np.ndarray, prices: ScaledPricePoints | None
) -> dict[str, np.ndarray]:
    """Keep-mining cash flows per gross MW on each path (profile 0), as
    ``valuation.strategies.mining_blocks`` builds them (same arguments)."""
    s = model.scenario
    mcf = mining_cash_flows(
        np.ones(model.n_months), hp, assumptions=model.mining, contract=model.contract,
        prices=prices, programs=(), start=s.market.as_of,
        discount_rate_per_year=model.rates.mining, power_end_month=np.inf,
        economic_shutdown=s.economic_shutdown, salvage=s.fleet_salvage,
    )  # fmt: skip
    return mining_rows(mcf, s)


def wait_inputs(model: SiteModel, paths: DriverPaths, *, chunk_paths: int = 256) -> WaitInputs:
    """The inputs of :func:`option_to_wait` for ``model`` (``valuation.strategies.
    build_site_model``) on driver ``paths`` of the model's horizon (module docstring: the
    exercise value and the approximations). Paths are valued ``chunk_paths`` at a time, every
    start in one evaluator call (memory about ``chunk_paths x (starts + 3) x months x 8`` bytes
    per array, a few chunks at once on the cores' threads); the only Python loop is over
    chunks."""
    _check_wait_paths(model, paths, chunk_paths)
    rows, months, signing = _decision_starts(model)
    det_unit, det_dr = det_blocks = mining_blocks(model)
    starts = _start_models(model, rows, det_blocks)
    keep_mw = float(model.plan.mining_weight_mw[model.plan.keep_row].sum())
    row_npv, keep_npv, stream = [], [], []

    def chunk(start: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        c = paths.take(start, min(start + chunk_paths, paths.n_paths))
        return _chunk_npvs(model, c, starts, det_dr, signing)

    # Chunks bound the memory; they run on the cores' threads, in order (same numbers).
    for npv_k, keep, u0 in map_in_threads(chunk, range(0, paths.n_paths, chunk_paths)):
        row_npv.append(npv_k)
        keep_npv.append(keep)
        stream.append((u0["revenue"] - u0["opex"] - u0["capex"]) * keep_mw)
    v = np.concatenate(row_npv)
    v_keep = np.concatenate(keep_npv)
    r = model.scenario.discount_rate_per_year
    c_m, convert_value = _convert_values(v, v_keep, np.concatenate(stream), months, r)
    return WaitInputs(
        convert_value_usd=convert_value,
        mining_cash_flow_usd=c_m,
        decision_months=months,
        discount_rate_per_year=r,
        features=_wait_features(model, paths, months),
        feature_names=FEATURE_NAMES,
        row_npv_usd=v,
        keep_npv_usd=v_keep,
    )


def _check_wait_paths(model: SiteModel, paths: DriverPaths, chunk_paths: object) -> None:
    """The paths span the model's horizon; ``chunk_paths`` is a whole number from 1 to 100,000."""
    n = model.n_months
    if paths.n_months != n:
        raise WaitOptionError(
            f"paths have {paths.n_months} months; allowed the model's horizon of {n} months"
        )
    if not isinstance(chunk_paths, int) or not 1 <= chunk_paths <= 100_000:
        raise WaitOptionError(f"chunk_paths is {chunk_paths!r}; allowed 1 to 100,000")


def _decision_starts(model: SiteModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``mine_then_convert`` rows that convert (now, then later starts; not "never"), each
    start's decision month (the first is 0) and its signing month (lease-up after the decision,
    not before power; within the horizon)."""
    plan = model.plan
    rows = plan.groups["mine_then_convert"][:-1]  # convert now, later starts (not "never")
    months = np.clip(plan.detail[rows], 0, None).astype(np.int64)
    months[0] = 0
    lease_up = model.scenario.lease_up_months
    signing = np.minimum(np.maximum(months + lease_up, model.months_to_power), model.n_months - 1)
    return rows, months, signing


# Mining blocks per gross MW and the DR row (``valuation.strategies.mining_blocks``).
_Blocks = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class _Starts:
    """Every start's row with the keep, DR and sale rows in one small model, and what turns
    the keep-mining flows per gross MW on a path into each row's mining: its MW mining by month
    ``mw_by_month`` (R, n), its MW mining past the horizon ``mw_after`` (R,), and the
    deterministic difference between the row's mining and that MW at keep mining's per-MW flows
    (``correction``, each key (R, n) or (R,))."""

    model: SiteModel
    start_pos: np.ndarray  # (starts,) each start's row in ``model``
    mw_by_month: np.ndarray
    mw_after: np.ndarray
    correction: dict[str, np.ndarray]


def _start_models(model: SiteModel, rows: np.ndarray, det_blocks: _Blocks) -> _Starts:
    """The starts' small model (its rows summed onto, ``valuation.strategies.MiningRows``: a few
    rows instead of a profile per hall) with the deterministic corrections."""
    plan = model.plan
    n = model.n_months
    sub_rows = np.array(sorted({plan.keep_row, plan.dr_row, plan.sale_row, *map(int, rows)}))
    sub = on_rows(model, sub_rows)
    unit, _ = blocks_on_rows(det_blocks, sub)
    det0 = {k: v[0] for k, v in det_blocks[0].items()}  # profile 0, (n,) and ()
    w = sub.plan.mining_weight_mw  # (R, P)
    mw = w @ sub.profiles.power_mw  # (R, n): MW mining per row and month
    alive = w @ (sub.profiles.end_month >= n).astype(float)  # (R,): MW past the horizon
    corr = {k: w @ unit[k] - det0[k] * mw for k in ("revenue", "opex", "capex")}
    corr["continuation_value"] = (
        unit["continuation_value"] @ w.T - det0["continuation_value"] * alive
    )
    return _Starts(sub, np.searchsorted(sub_rows, rows), mw, alive, corr)


def _chunk_npvs(
    model: SiteModel,
    c: DriverPaths,
    starts: _Starts,
    det_dr: dict[str, np.ndarray],
    signing: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """On one chunk of paths: each start's NPV (paths, starts), keep mining's NPV (paths,), both
    USD at month 0, and the keep-mining cash flows per gross MW (``_unit_mining``). One
    evaluator call: each start's row at the lease rate of its own signing month."""
    has_curve = model.prices_usd_per_mwh.shape[-1] > 0
    prices = ScaledPricePoints(model.prices_usd_per_mwh, c.power_price_scale) if has_curve else None
    u0 = _unit_mining(model, c.hashprice_usd_per_ph_day, prices)
    dr = {k: det_dr[k] for k in det_dr}  # the partnership row is valued but not used
    sub = starts.model
    unit = {key: u0[key][:, None, :] * starts.mw_by_month[None] + starts.correction[key][None]
            for key in ("revenue", "opex", "capex")}  # fmt: skip
    unit["continuation_value"] = (
        u0["continuation_value"][:, None] * starts.mw_after[None]
        + starts.correction["continuation_value"][None]
    )
    # Each row's signing month: a start's own; rows that sign no lease take the first start's.
    month = np.full(sub.plan.n_rows, signing[0])
    month[starts.start_pos] = signing
    rate = model.lease_rate_usd_per_kw_month * c.lease_rate_scale[:, month]  # (paths, R)
    got = evaluate(sub, lease_rate_usd_per_kw_month=rate, capex_scale=c.capex_scale,
                   blocks=MiningRows(unit, dr), rate_per_row=True).npv_usd  # fmt: skip
    return got[:, starts.start_pos], got[:, sub.plan.keep_row], u0


def _convert_values(
    v: np.ndarray, v_keep: np.ndarray, c_m: np.ndarray, months: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray]:
    """The keep-mining cash flows ``c_m`` (paths, months) completed so their present value is
    ``v_keep`` (paths,), and ``X_k`` (paths, dates): each start's NPV ``v`` less the mining
    before its decision month, in USD at that month (module docstring). ``c_m`` is changed in
    place and returned."""
    df = np.exp(-np.log1p(r) * np.arange(c_m.shape[1]) / 12.0)
    # the rest of keep mining's NPV (tax, value at the horizon, its own rate) at the last month
    c_m[:, -1] += (v_keep - c_m @ df) / df[-1]
    pv = c_m * df
    before = np.cumsum(pv, axis=1) - pv  # sum over m' < m, USD at month 0
    return c_m, (v - before[:, months]) / df[months]


def _wait_features(model: SiteModel, paths: DriverPaths, months: np.ndarray) -> np.ndarray:
    """(paths, dates, 3) the state at each decision (``FEATURE_NAMES``): lease rate, hashprice
    and the power price (the region curve's mean times the path's scale; a tariff's price)."""
    has_curve = model.prices_usd_per_mwh.shape[-1] > 0
    curve_mean = (
        model.prices_usd_per_mwh.mean(axis=-1)
        if has_curve
        else np.full(model.n_months, model.contract.price_usd_per_mwh)
    )
    power_scale = paths.power_price_scale[:, months] if has_curve else np.ones((1, months.size))
    return np.stack(
        np.broadcast_arrays(
            model.lease_rate_usd_per_kw_month * paths.lease_rate_scale[:, months],
            paths.hashprice_usd_per_ph_day[:, months],
            curve_mean[months] * power_scale,
        ),
        axis=2,
    )


def site_wait_option(
    site: Any,
    scenario: Any = None,
    *,
    drivers: Any = None,
    n_paths: int = 2_048,
    seed: int = 0,
    chunk_paths: int = 256,
    price_history: PriceSeries | None = None,
) -> WaitReport:
    """The option to wait for one site: its model under ``scenario`` (base when None) on its
    ``price_history`` (as ``compare``), ``n_paths`` driver paths (``drivers``:
    ``valuation.drivers.RiskDrivers()`` when None; ``seed``), :func:`wait_inputs` and
    :func:`option_to_wait`. Same seed, same report."""
    from valuation.drivers import BasePaths, RiskDrivers, generate_paths
    from valuation.scenario import Scenario
    from valuation.strategies import build_site_model

    if not isinstance(n_paths, int) or not 2 <= n_paths <= MAX_PATHS:
        raise WaitOptionError(f"n_paths is {n_paths!r}; allowed 2 to {MAX_PATHS:,}")
    scenario = scenario or Scenario()
    model = build_site_model(site, scenario, price_history=price_history)
    base = BasePaths.from_market(scenario.market, scenario.horizon_months)
    paths = generate_paths(base, drivers or RiskDrivers(), seed, n_paths)
    return option_to_wait(**wait_inputs(model, paths, chunk_paths=chunk_paths).arguments())
