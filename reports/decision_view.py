"""What the pack reads from a ``valuation.decision.Decision``, in one place.

The pack relies on ``strategies`` (key -> StrategyResult with label, monthly frame and summary),
``recommendation``, ``reasons``, ``breakevens``, ``waterfall``, ``retrofit`` and ``scenario``, and
iterates over whatever strategies exist. The headline figures below are read when the decision
carries them, and otherwise derived from the strategies by the same definitions (the recommended
path is the highest NPV; the value of converting is the best converting path's NPV minus the best
NPV of the paths that do not convert, ``valuation.strategies.CONVERTING`` and ``NOT_CONVERTING``),
so a decision engine with more or renamed paths still fills the pack.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from valuation import formatting as fmt
from valuation.strategies import CONVERTING, NOT_CONVERTING


def _npv(decision: Any, key: str) -> float:
    result = decision.strategies.get(key)
    return float(result.summary.npv_usd) if result is not None else math.nan


def best_key(decision: Any) -> str:
    """The recommended strategy's key: ``decision.best_strategy``, else the highest NPV."""
    key = getattr(decision, "best_strategy", None)
    if isinstance(key, str) and key:
        return key
    return max(decision.strategies, key=lambda k: _or_low(_npv(decision, k)))


def strategy_label(decision: Any, key: str) -> str:
    """A strategy's label (its key, readable, when not among the decision's strategies)."""
    result = decision.strategies.get(key)
    return result.label if result is not None else str(key).replace("_", " ").capitalize()


def best_label(decision: Any) -> str:
    """The recommended strategy's label (its key, readable, when not among the strategies)."""
    return strategy_label(decision, best_key(decision))


def value_of_converting_usd(decision: Any) -> float:
    """Best converting NPV minus the best NPV of the paths that do not convert, USD
    (``decision.value_of_converting_usd`` when given; nan when either set is missing)."""
    value = getattr(decision, "value_of_converting_usd", None)
    if value is not None:
        return float(value)
    converting = [_npv(decision, k) for k in CONVERTING if k in decision.strategies]
    staying = [_npv(decision, k) for k in NOT_CONVERTING if k in decision.strategies]
    if not converting or not staying:
        return math.nan
    return max(converting) - max(staying)


class ReturnInputs(NamedTuple):
    """What a yearly return is read from (``valuation.finance.CashFlowSummary``'s fields)."""

    irr_per_year: float
    irr_kind: str
    mirr_per_year: float
    peak_funding_usd: float | None = None
    moic: float | None = None


def conversion_return(decision: Any) -> ReturnInputs:
    """The return inputs of the flows converting adds over the best path that does not convert
    (``decision.conversion``), or no rate (``nan, "none", nan``) when not given."""
    c = getattr(decision, "conversion", None)
    if c is None:
        return ReturnInputs(math.nan, "none", math.nan)
    return ReturnInputs(float(c.irr_per_year), str(c.irr_kind), float(c.mirr_per_year),
                        getattr(c, "peak_funding_usd", None), getattr(c, "moic", None))  # fmt: skip


def conversion_without_rate_text(decision: Any) -> str:
    """What the memo says where no rate measures converting's return: "does not pay back" (money
    in, less out) or "no outlay" (``valuation.formatting.annual_return``, the app's words)."""
    r = conversion_return(decision)
    return fmt.annual_return(math.nan, "none", math.nan,
                             peak_funding_usd=r.peak_funding_usd, moic=r.moic)  # fmt: skip


def best_share(decision: Any) -> float:
    """Share of the site best converted (``decision.best_hybrid_share``), nan when not given."""
    share = getattr(decision, "best_hybrid_share", None)
    return float(share) if share is not None else math.nan


def recommended_share(decision: Any) -> float:
    """Share of the site the recommended path converts: 0 for a path that does not convert, 1
    for converting the whole site now or later, the hybrid's best split for the hybrid; nan
    for a path not known here. (The hybrid's best split alone is :func:`best_share`: it is not
    the recommendation's share when another path is recommended.)"""
    key = best_key(decision)
    if key in NOT_CONVERTING:
        return 0.0
    if key in ("convert", "mine_then_convert"):
        return 1.0
    return best_share(decision) if key == "hybrid" else math.nan


def _or_low(x: float) -> float:
    return x if math.isfinite(x) else -math.inf
