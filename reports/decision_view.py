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
from typing import Any

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


def conversion_return(decision: Any) -> tuple[float, str, float]:
    """``(irr_per_year, irr_kind, mirr_per_year)`` of the flows converting adds over the best
    mining path (``decision.conversion``), or ``(nan, "none", nan)`` when not given."""
    c = getattr(decision, "conversion", None)
    if c is None:
        return math.nan, "none", math.nan
    return float(c.irr_per_year), str(c.irr_kind), float(c.mirr_per_year)


def conversion_without_rate_text(decision: Any) -> str:
    """What the memo says where no rate measures converting's return: "does not pay back" (money
    in, less out) or "no outlay" (``valuation.formatting.annual_return``, the app's words)."""
    c = getattr(decision, "conversion", None)
    return fmt.annual_return(
        math.nan, "none", math.nan,
        peak_funding_usd=getattr(c, "peak_funding_usd", None), moic=getattr(c, "moic", None),
    )  # fmt: skip


def best_share(decision: Any) -> float:
    """Share of the site best converted (``decision.best_hybrid_share``), nan when not given."""
    share = getattr(decision, "best_hybrid_share", None)
    return float(share) if share is not None else math.nan


def _or_low(x: float) -> float:
    return x if math.isfinite(x) else -math.inf
