"""What the pack reads from a ``valuation.decision.Decision``, in one place.

The pack relies on ``strategies`` (key -> StrategyResult with label, monthly frame and summary),
``recommendation``, ``reasons``, ``breakevens``, ``waterfall``, ``retrofit`` and ``scenario``, and
iterates over whatever strategies exist. The headline figures below are read when the decision
carries them, and otherwise derived from the strategies by the same definitions (the recommended
path is the highest NPV; the value of converting is the convert NPV minus the best NPV of the
paths that keep mining), so a decision engine with more or renamed paths still fills the pack.
"""

from __future__ import annotations

import math
from typing import Any

# Strategies that keep the site mining (the value of converting is measured against the best).
MINING_KEYS: tuple[str, ...] = ("keep_mining", "mining_with_dr")


def _npv(decision: Any, key: str) -> float:
    result = decision.strategies.get(key)
    return float(result.summary.npv_usd) if result is not None else math.nan


def best_key(decision: Any) -> str:
    """The recommended strategy's key: ``decision.best_strategy``, else the highest NPV."""
    key = getattr(decision, "best_strategy", None)
    if isinstance(key, str) and key:
        return key
    return max(decision.strategies, key=lambda k: _or_low(_npv(decision, k)))


def best_label(decision: Any) -> str:
    """The recommended strategy's label (its key, readable, when not among the strategies)."""
    key = best_key(decision)
    result = decision.strategies.get(key)
    return result.label if result is not None else key.replace("_", " ").capitalize()


def value_of_converting_usd(decision: Any) -> float:
    """Convert NPV minus the best mining NPV, USD (``decision.value_of_converting_usd`` when
    given; nan when there is no convert or mining path)."""
    value = getattr(decision, "value_of_converting_usd", None)
    if value is not None:
        return float(value)
    mining = [_npv(decision, k) for k in MINING_KEYS if k in decision.strategies]
    if "convert" not in decision.strategies or not mining:
        return math.nan
    return _npv(decision, "convert") - max(mining)


def conversion_return(decision: Any) -> tuple[float, str, float]:
    """``(irr_per_year, irr_kind, mirr_per_year)`` of the flows converting adds over the best
    mining path (``decision.conversion``), or ``(nan, "none", nan)`` when not given."""
    c = getattr(decision, "conversion", None)
    if c is None:
        return math.nan, "none", math.nan
    return float(c.irr_per_year), str(c.irr_kind), float(c.mirr_per_year)


def best_share(decision: Any) -> float:
    """Share of the site best converted (``decision.best_hybrid_share``), nan when not given."""
    share = getattr(decision, "best_hybrid_share", None)
    return float(share) if share is not None else math.nan


def _or_low(x: float) -> float:
    return x if math.isfinite(x) else -math.inf
