"""One exception family for the valuation core: bad input anywhere is a ValuationError (and a
ValueError) whose message names the field and the value."""

from __future__ import annotations

import pytest

from sites.schema import Facility, PowerRights, Site
from valuation import errors
from valuation.errors import ValuationError
from valuation.finance import npv
from valuation.hosting import LeaseTerms
from valuation.market import MarketState
from valuation.mining import breakeven_power_price_usd_per_mwh
from valuation.power import PowerContract
from valuation.scenario import Scenario


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


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: MarketState(btc_price_usd=-1.0), "MarketError"),
        (lambda: breakeven_power_price_usd_per_mwh(50.0, 0.0, 0.02), "MiningError"),
        (lambda: PowerContract(contract_type="spot"), "PowerError"),
        (lambda: LeaseTerms(100.0, 120.0, term_years=0.0), "HostingError"),
        (lambda: Scenario(discount_rate_per_year=2.0), "ScenarioError"),
        (lambda: npv(0.01, []), "FinanceInputError"),
    ],
)
def test_each_module_raises_its_own_subclass(call, error: str) -> None:
    """One clear subclass per module: a bad scenario is a ScenarioError, not a HostingError."""
    with pytest.raises(getattr(errors, error)) as info:
        call()
    assert type(info.value).__name__ == error
    assert isinstance(info.value, ValuationError)


def test_market_mining_and_power_errors_are_distinct() -> None:
    assert not issubclass(errors.PowerError, errors.MarketError)
    assert not issubclass(errors.MarketError, errors.MiningError)
    for cls in (errors.MarketError, errors.MiningError, errors.PowerError):
        assert issubclass(cls, errors.MiningInputError)  # the name callers caught before


def test_models_errors_are_one_family() -> None:
    from models import errors as model_errors

    for cls in (model_errors.RetrofitInputError, model_errors.CalibrationError):
        assert issubclass(cls, model_errors.ModelsError)
        assert issubclass(cls, ValueError)


def _tiny_site(site_id: str) -> Site:
    return Site(
        id=site_id,
        name=site_id,
        grid_region="ERCOT",
        state="TX",
        power=PowerRights(energized_mw=40.0, contracted_mw=40.0),
        facility=Facility(hall_count=1, hall_power_mw=40.0),
    )


def test_compare_portfolio_reports_the_family_but_lets_a_bug_through(monkeypatch) -> None:
    """A site the model refuses becomes a row with its error; a plain ValueError (a bug) is not
    hidden in the table."""
    import valuation.decision as decision

    def refuse(*args, **kwargs):
        raise errors.StrategyError("halls=0 is not allowed: at least one hall")

    monkeypatch.setattr(decision, "build_site_model", refuse)
    table = decision.compare_portfolio([_tiny_site("a")], Scenario(horizon_months=24))
    assert table["error"].iloc[0] == "halls=0 is not allowed: at least one hall"

    def bug(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(decision, "build_site_model", bug)
    with pytest.raises(ValueError, match="broadcast"):
        decision.compare_portfolio([_tiny_site("a")], Scenario(horizon_months=24))
