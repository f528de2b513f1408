"""Scenario inputs (hardening issue, item 11): every field is checked for type and range, and a
bad one is a ScenarioError naming the field, the value and what is allowed, never a TypeError
or an OverflowError from deep inside the model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sites.schema import Facility, PowerRights, Site
from valuation import finance
from valuation.decision import compare
from valuation.errors import DecisionError, FinanceError, ScenarioError, ValuationError
from valuation.scenario import Scenario

BAD_VALUES = [
    ("lease_rate_usd_per_kw_month", "128", "a finite number in [0, 1000]"),
    ("lease_rate_usd_per_kw_month", None, "a finite number in [0, 1000]"),
    ("lease_term_years", "15", "a finite number in (0, 100]"),
    ("lease_term_years", 15.01, "a whole number of months"),
    ("lease_escalator_per_year", math.nan, "in (-0.5, 1)"),
    ("free_rent_months", 2.0, "a whole number"),
    ("free_rent_months", 180, "shorter than the lease term"),
    ("renewal_probability", "half", "in [0, 1]"),
    ("discount_rate_per_year", None, "in (-0.99, 1)"),
    ("discount_rate_per_year", math.inf, "in (-0.99, 1)"),
    ("horizon_months", 120.0, "a whole number in [12, 600]"),
    ("horizon_months", True, "a whole number in [12, 600]"),
    ("price_curve_points", "48", "a whole number in [1, 744]"),
    ("construction_delay_months", 10**9, "a whole number in [0, 600]"),
    ("contingency", -0.1, "a finite number in [0, 3]"),
    ("capex_usd_per_critical_mw", "10e6", "None or a finite number in [0, 1e+08]"),
    ("power_price_usd_per_mwh", math.nan, "None or a finite number in [0, 10000]"),
    ("firmed", "yes", "True or False"),
    ("firmed", 1, "True or False"),
    ("lease_structure", None, "one of ('triple_net'"),
    ("capex_scenario", 1, "one of ('low', 'base', 'high')"),
    ("market", {"btc_price_usd": 1.0}, "a MarketState"),
    ("mining", None, "a MiningAssumptions"),
    ("tax", "21%", "a TaxAssumptions"),
    ("terminal", None, "a TerminalValue"),
    ("dr_programs", ["ERCOT ERS"], "a tuple of at most 50 DemandResponseProgram"),
]


@pytest.mark.parametrize(("field", "value", "allowed"), BAD_VALUES)
def test_a_bad_field_is_a_scenario_error_naming_field_value_and_rule(field, value, allowed):
    with pytest.raises(ScenarioError) as info:
        Scenario(**{field: value})
    message = str(info.value)
    assert message.startswith(f"Scenario.{field}={value!r} is not allowed: ")
    assert allowed in message


def test_every_field_has_a_rule():
    from dataclasses import fields

    from valuation.scenario import _RULES

    assert set(_RULES) == {f.name for f in fields(Scenario)}


def _site() -> Site:
    return Site(
        id="s1",
        name="Site 1",
        grid_region="ERCOT",
        state="TX",
        power=PowerRights(energized_mw=60.0, contracted_mw=60.0),
        facility=Facility(hall_count=2, hall_power_mw=30.0),
    )


def test_infinite_lease_term_is_named_not_an_overflow():
    with pytest.raises(ScenarioError, match=r"Scenario.lease_term_years=inf is not allowed"):
        compare(_site(), Scenario(lease_term_years=math.inf, horizon_months=36))


def test_infinite_lease_rate_names_the_lease_rate():
    with pytest.raises(ScenarioError, match=r"Scenario.lease_rate_usd_per_kw_month=inf"):
        compare(_site(), Scenario(lease_rate_usd_per_kw_month=math.inf, horizon_months=36))


@pytest.mark.parametrize("not_a_site", [{"id": "s1", "name": "Site 1"}, None])
def test_compare_needs_a_site(not_a_site):
    with pytest.raises(DecisionError, match=r"a sites.schema.Site is required") as info:
        compare(not_a_site)
    assert isinstance(info.value, ValuationError)
    assert type(not_a_site).__name__ in str(info.value)


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: finance.npv(np.array([0.01, 0.02, 0.03]), np.ones((2, 5))), ["rate", "(3,)"]),
        (
            lambda: finance.mirr(np.ones((2, 5)), np.array([0.01, 0.02, 0.03]), 0.01),
            ["finance_rate", "(3,)", "(2,)"],
        ),
        (
            lambda: finance.discounted_payback_month(np.zeros(3), np.ones((2, 5))),
            ["rate", "(3,)", "(2,)"],
        ),
        (
            lambda: finance.income_tax_usd(np.ones((2, 5)), np.ones(3)),
            ["ebitda_usd (2, 5)", "depreciation_usd (3,)"],
        ),
        (
            lambda: finance.sale_tax_usd(np.ones(2), np.ones(3)),
            ["sale_value_usd (2,)", "remaining_basis_usd (3,)"],
        ),
        (
            lambda: finance.debt_schedule(
                finance.DebtTerms(loan_to_cost=0.5, rate_per_year=0.1, amortization_months=12),
                np.ones((2, 5)),
                np.ones((3, 5)),
            ),
            ["capex_usd (2, 5)", "ebitda_usd (3, 5)"],
        ),
        (
            lambda: finance.terminal_value_usd(
                np.ones((2, 24)), finance.TerminalValue("perpetuity"), np.array([0.1, 0.2, 0.3])
            ),
            ["discount_rate_per_year", "(3,)"],
        ),
        (
            lambda: finance.project_cash_flows(
                revenue_usd=np.ones((2, 5)),
                opex_usd=np.ones(4),
                capex_by_class_usd={5: np.zeros(5)},
                discount_rate_per_year=0.1,
            ),
            ["revenue_usd (2, 5)", "opex_usd (4,)", "capex_by_class_usd[5] (5,)"],
        ),
    ],
)
def test_mismatched_shapes_name_the_arguments_and_shapes(call, named):
    with pytest.raises(FinanceError) as info:
        call()
    for text in named:
        assert text in str(info.value)


def test_from_dict_with_junk_in_a_nested_field_is_a_scenario_error():
    with pytest.raises(ScenarioError, match=r"Scenario.mining='fast' is not allowed"):
        Scenario.from_dict({"mining": "fast"})
    with pytest.raises(ScenarioError, match=r"Scenario.tax=\{'rate': 0.21\} is not allowed"):
        Scenario.from_dict({"tax": {"rate": 0.21}})
    with pytest.raises(ScenarioError, match="Scenario.discount_rate_per_year='10%'"):
        Scenario.from_dict({"discount_rate_per_year": "10%"})
