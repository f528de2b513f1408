"""One exception family for the valuation core: bad input anywhere is a ValuationError (and a
ValueError) whose message names the field and the value."""

from __future__ import annotations

import pytest

from valuation.errors import ValuationError
from valuation.finance import npv
from valuation.hosting import LeaseTerms
from valuation.market import MarketState
from valuation.mining import breakeven_power_price_usd_per_mwh


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: npv(0.01, []), "cashflows"),
        (lambda: MarketState(btc_price_usd=-1.0), "btc_price_usd"),
        (lambda: LeaseTerms(100.0, 120.0, term_years=0.0), "term_years"),
        (lambda: breakeven_power_price_usd_per_mwh(50.0, 0.0, 0.02), "efficiency_j_per_th"),
    ],
)
def test_bad_input_is_a_valuation_error_naming_the_field(call, field) -> None:
    with pytest.raises(ValuationError, match=field) as info:
        call()
    assert isinstance(info.value, ValueError)
