"""The valuation package's exception family: catch ``ValuationError`` for any of them.

Each module raises its own subclass, whose message names the field, the value and what is
allowed; input errors are also ``ValueError`` so callers that expect that keep working.
"""

from __future__ import annotations


class ValuationError(Exception):
    """Base of every error the valuation core raises on purpose."""
