"""The valuation package's exception family: catch ``ValuationError`` for any of them.

Each module raises its own subclass, defined here so the whole family reads in one place; the
message names the field, the value and what is allowed. Input errors are also ``ValueError``
so callers that expect that keep working; catch the family, not ``ValueError``, to keep real
bugs visible.

    ValuationError
    ├── FinanceError (valuation.finance) ── FinanceInputError (also ValueError)
    ├── MiningInputError (also ValueError): market, mining and power inputs; each module has its
    │   own subclass
    │   ├── MarketError (valuation.market)
    │   ├── MiningError (valuation.mining)
    │   └── PowerError (valuation.power), and its PriceFileError for price files
    ├── HostingError (valuation.hosting, also ValueError)
    ├── ScenarioError (valuation.scenario, also ValueError)
    ├── StrategyError (valuation.strategies, also ValueError)
    ├── DecisionError (valuation.decision, also ValueError)
    └── LiveDataError (valuation.live, also RuntimeError)
"""

from __future__ import annotations

__all__ = [
    "DecisionError",
    "FinanceError",
    "FinanceInputError",
    "HostingError",
    "LiveDataError",
    "MarketError",
    "MiningError",
    "MiningInputError",
    "PowerError",
    "ScenarioError",
    "StrategyError",
    "ValuationError",
]


class ValuationError(Exception):
    """Base of every error the valuation core raises on purpose."""


class FinanceError(ValuationError):
    """Base class of every error raised by the finance engine (``valuation.finance``)."""


class FinanceInputError(FinanceError, ValueError):
    """A finance input is empty, non-finite, of the wrong shape or outside its allowed range."""


class MiningInputError(ValuationError, ValueError):
    """Bad input to the market, mining or power models (the Bitcoin-mining side of the core).

    Each of the three modules raises its own subclass; catch this one for any of them.
    """


class MarketError(MiningInputError):
    """Bad input to ``valuation.market`` (the Bitcoin schedule, ``MarketState``)."""


class MiningError(MiningInputError):
    """Bad input to ``valuation.mining`` (hashprice, machines, fleets, mining cash flows)."""


class PowerError(MiningInputError):
    """Bad input to ``valuation.power`` (contracts, programs, price curves and files)."""


class HostingError(ValuationError, ValueError):
    """Bad input to ``valuation.hosting`` (lease terms, construction, landlord costs)."""


class ScenarioError(ValuationError, ValueError):
    """A ``valuation.scenario.Scenario`` field outside what is allowed."""


class StrategyError(ValuationError, ValueError):
    """A site or scenario that ``valuation.strategies`` cannot turn into strategy cash flows."""


class DecisionError(ValuationError, ValueError):
    """Bad input to ``valuation.decision`` (e.g. something other than a site to compare)."""


class LiveDataError(ValuationError, RuntimeError):
    """The live source answered, but not with what we need (named in the message)."""
